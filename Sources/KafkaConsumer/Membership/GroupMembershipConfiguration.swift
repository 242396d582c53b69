/// The settings of classic consumer-group membership (Java's `ConsumerConfig` group keys).
struct GroupMembershipConfiguration: Sendable {
    /// `group.id`.
    var groupId: String
    /// `group.instance.id`: set for a static member (KIP-345).
    var groupInstanceId: String?
    /// `session.timeout.ms`: how long the coordinator waits for a heartbeat before expelling the member.
    var sessionTimeout: Duration = .seconds(45)
    /// `heartbeat.interval.ms`: the time between heartbeats.
    var heartbeatInterval: Duration = .seconds(3)
    /// `max.poll.interval.ms` (KIP-62): the longest time between polls; also the JoinGroup
    /// rebalance timeout.
    var maxPollInterval: Duration = .seconds(300)
    /// `retry.backoff.ms`: the wait before retrying a failed request.
    var retryBackoff: Duration = .milliseconds(100)
    /// `partition.assignment.strategy`: the assignors, preferred first.
    var assignors: [any PartitionAssignor] = [RangeAssignor(), CooperativeStickyAssignor()]
    /// `client.rack`, sent in the subscription (consumer protocol version 3).
    var rackId: String?

    /// Whether the member is static (has a `group.instance.id`).
    var isStatic: Bool { groupInstanceId != nil }

    /// The rebalance protocol: the highest one every assignor supports, as Java chooses it
    /// (cooperative only when all assignors support it).
    var rebalanceProtocol: RebalanceProtocol {
        guard !assignors.isEmpty else { return .eager }
        let allCooperative = assignors.allSatisfy { $0.supportedProtocols.contains(.cooperative) }
        return allCooperative ? .cooperative : .eager
    }
}

extension Duration {
    /// Whole milliseconds, clamped to `Int32` (the wire type of the group timeouts).
    var int32Milliseconds: Int32 {
        let (seconds, attoseconds) = components
        let millis = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return Int32(clamping: Int64(max(min(millis, Double(Int32.max)), Double(Int32.min))))
    }
}

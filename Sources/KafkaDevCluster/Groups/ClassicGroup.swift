import KafkaProtocol
import NIOCore

/// Settings of the group coordinator, Kafka's broker configs of the same meaning.
struct GroupCoordinatorConfig: Sendable, Hashable {
    /// `group.initial.rebalance.delay.ms` (Kafka's default is 3000; a dev cluster answers at once).
    var initialRebalanceDelayMs: Int64 = 0
    /// `group.min.session.timeout.ms` (Kafka's default).
    var minSessionTimeoutMs: Int32 = 6000
    /// `group.max.session.timeout.ms` (Kafka's default).
    var maxSessionTimeoutMs: Int32 = 1_800_000
    /// `offset.metadata.max.bytes` (Kafka's default).
    var maxOffsetMetadataBytes = 4096
}

/// One classic consumer group: Kafka's `GroupMetadata` and the rebalance logic of its
/// `GroupCoordinator`, as a plain value driven by explicit cluster times (milliseconds).
///
/// Joins that wait for a rebalance get a token; when the rebalance completes their answers are
/// stored in ``completedJoins`` under that token, where the parked request picks them up.
struct ClassicGroup: Sendable {
    /// The classic group states, named as DescribeGroups and ListGroups show them.
    enum State: String, Sendable, CaseIterable {
        case empty = "Empty"
        case preparingRebalance = "PreparingRebalance"
        case completingRebalance = "CompletingRebalance"
        case stable = "Stable"
        case dead = "Dead"
    }

    let groupID: String
    var state: State = .empty
    var generationID: Int32 = 0
    /// The protocol type of the members ("consumer"); kept when the group becomes empty, as Kafka.
    var protocolType: String?
    /// The protocol chosen at the last rebalance (nil while empty).
    var protocolName: String?
    var leaderID: String?
    /// The members in join order.
    var members: [GroupMember] = []
    /// Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet, with their expiry.
    var pendingMembers: [String: Int64] = [:]
    /// When the running rebalance (PreparingRebalance) completes at the latest, or when members
    /// that did not send SyncGroup are dropped (CompletingRebalance).
    var rebalanceDeadline: Int64 = 0
    /// During the initial delayed join of an empty group: the rebalance time left to extend by.
    var initialDelayRemainingMs: Int64?
    /// Whether a new member joined during the initial delay (it then extends once more).
    var newMemberAdded = false
    /// Answers of completed joins by join token.
    var completedJoins: [UInt64: JoinOutcome] = [:]
    /// Committed offsets.
    var offsets = CommittedOffsets()

    init(groupID: String) { self.groupID = groupID }

    // MARK: - Members

    func member(_ memberID: String) -> GroupMember? { members.first { $0.memberID == memberID } }

    func has(_ memberID: String) -> Bool { members.contains { $0.memberID == memberID } }

    /// The member id that holds a static instance id.
    func staticMemberID(_ instanceID: String) -> String? {
        members.first { $0.groupInstanceID == instanceID }?.memberID
    }

    /// Kafka's `isStaticMemberFenced`: the instance id belongs to another member id.
    func isFenced(instanceID: String?, memberID: String) -> Bool {
        guard let instanceID, let holder = staticMemberID(instanceID) else { return false }
        return holder != memberID
    }

    /// Kafka's validation of a member in Heartbeat, SyncGroup, OffsetCommit: FENCED_INSTANCE_ID or
    /// UNKNOWN_MEMBER_ID, or `.none`.
    func validate(memberID: String, instanceID: String?) -> KafkaErrorCode {
        if isFenced(instanceID: instanceID, memberID: memberID) { return .fencedInstanceId }
        return has(memberID) ? .none : .unknownMemberId
    }

    mutating func updateMember(_ memberID: String, _ body: (inout GroupMember) -> Void) {
        guard let index = members.firstIndex(where: { $0.memberID == memberID }) else { return }
        body(&members[index])
    }

    /// Adds a member; the first one sets the group's protocol type and becomes leader.
    mutating func add(_ member: GroupMember) {
        if members.isEmpty { protocolType = member.protocolType }
        if leaderID == nil { leaderID = member.memberID }
        members.append(member)
    }

    /// Removes a member; a parked join of it is answered with `error`. The next member leads.
    mutating func remove(_ memberID: String, joinError: KafkaErrorCode = .unknownMemberId) {
        guard let index = members.firstIndex(where: { $0.memberID == memberID }) else { return }
        let removed = members.remove(at: index)
        if let token = removed.joinToken { completedJoins[token] = .failure(joinError, memberID: memberID) }
        if leaderID == memberID { leaderID = members.first?.memberID }
    }

    /// The largest rebalance timeout of the members.
    var rebalanceTimeoutMs: Int64 { Int64(members.map(\.rebalanceTimeoutMs).max() ?? 0) }

    /// Kafka's `supportsProtocols`: an empty group takes any non-empty type and protocol list;
    /// otherwise the type must match and one protocol must be supported by every member.
    func supports(protocolType type: String, protocols: [GroupProtocol]) -> Bool {
        if members.isEmpty { return !type.isEmpty && !protocols.isEmpty }
        guard type == protocolType else { return false }
        let candidates = candidateProtocols()
        return protocols.contains { candidates.contains($0.name) }
    }

    /// The protocols every member supports.
    func candidateProtocols() -> Set<String> {
        guard let first = members.first else { return [] }
        var result = Set(first.protocols.map(\.name))
        for member in members.dropFirst() { result.formIntersection(member.protocols.map(\.name)) }
        return result
    }

    /// Kafka's `selectProtocol`: among the protocols every member supports, each member votes for
    /// the first one in its preference order; the most votes win. Ties go to the protocol the
    /// earliest member prefers (Kafka leaves ties to hash order; this keeps them deterministic).
    func selectProtocol() -> String? {
        let candidates = candidateProtocols()
        var votes: [String: Int] = [:]
        var order: [String] = []
        for member in members {
            guard let vote = member.protocols.first(where: { candidates.contains($0.name) })?.name else { continue }
            if votes[vote] == nil { order.append(vote) }
            votes[vote, default: 0] += 1
        }
        var best: String?
        for name in order where best == nil || (votes[name] ?? 0) > (votes[best ?? ""] ?? 0) { best = name }
        return best
    }

    /// The members as the leader's JoinGroup response lists them.
    func currentMemberMetadata() -> [JoinedMember] {
        members.map {
            JoinedMember(
                memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, metadata: $0.metadata(for: protocolName))
        }
    }

    /// The topics the members subscribe to (consumer protocol only), nil when unknown.
    func subscribedTopics() -> Set<String>? {
        guard protocolType == "consumer", let protocolName else { return nil }
        var topics = Set<String>()
        for member in members {
            var buffer = member.metadata(for: protocolName)
            guard let version = buffer.readInteger(as: Int16.self), version >= 0,
                let subscription = try? ConsumerProtocolSubscription(
                    from: &buffer, version: min(version, ConsumerProtocolSubscription.validVersions.upperBound))
            else { return nil }
            topics.formUnion(subscription.topics)
        }
        return topics
    }
}

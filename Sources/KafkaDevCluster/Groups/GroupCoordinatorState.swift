import KafkaProtocol

/// Every classic group the cluster knows, with its members and committed offsets. All brokers share
/// this one value; the handlers answer NOT_COORDINATOR on brokers that do not coordinate a group.
struct GroupCoordinatorState: Sendable {
    /// The groups by id.
    var groups: [String: ClassicGroup] = [:]
    /// Offsets of TxnOffsetCommit waiting for their transaction to end: group id → producer id →
    /// offsets. EndTxn commits them into the group's offsets or drops them (see
    /// ``resolvePendingOffsets(group:producerID:commit:)``).
    var pendingTransactionalOffsets: [String: [Int64: CommittedOffsets]] = [:]
    /// Kafka's group coordinator settings.
    var config = GroupCoordinatorConfig()
    /// The last join token handed out.
    private var lastToken: UInt64 = 0

    /// Expires sessions and rebalance timeouts; called on every request and on the cluster's timer.
    mutating func tick(now: Int64) {
        let config = self.config
        for groupID in Array(groups.keys) {
            groups[groupID]?.tick(now: now, config: config)
        }
    }

    /// Handles a JoinGroup after the group id and coordinator checks: validates the session timeout
    /// (INVALID_SESSION_TIMEOUT outside `group.min/max.session.timeout.ms`), creates the group for
    /// a new member, and runs the group's join.
    mutating func join(groupID: String, _ request: JoinGroupParameters, now: Int64) -> JoinDecision {
        guard request.sessionTimeoutMs >= config.minSessionTimeoutMs,
            request.sessionTimeoutMs <= config.maxSessionTimeoutMs
        else { return .respond(.failure(.invalidSessionTimeout, memberID: request.memberID)) }
        if groups[groupID] == nil {
            guard request.memberID.isEmpty else {
                return .respond(.failure(.unknownMemberId, memberID: request.memberID))
            }
            groups[groupID] = ClassicGroup(groupID: groupID)
        }
        lastToken &+= 1
        let token = lastToken
        let config = self.config
        guard let decision = groups[groupID]?.join(request, token: token, now: now, config: config) else {
            return .respond(.failure(.coordinatorNotAvailable, memberID: request.memberID))
        }
        // Kafka checks the delayed join after every JoinGroup: this one may complete the rebalance.
        if case .wait = decision { groups[groupID]?.tryCompleteJoin(now: now, config: config) }
        return decision
    }

    /// Takes the answer of a parked join once its rebalance completed; a join whose group was
    /// deleted meanwhile gets UNKNOWN_MEMBER_ID.
    mutating func takeJoinOutcome(groupID: String, token: UInt64) -> JoinOutcome? {
        guard groups[groupID] != nil else { return .failure(.unknownMemberId) }
        return groups[groupID]?.completedJoins.removeValue(forKey: token)
    }

    /// A fresh member id, `prefix-UUID`, as Kafka generates them.
    static func newMemberID(prefix: String) -> String {
        "\(prefix)-\(uuidString())"
    }

    private static func uuidString() -> String {
        var generator = SystemRandomNumberGenerator()
        var high: UInt64 = generator.next()
        var low: UInt64 = generator.next()
        high = (high & ~0xF000) | 0x4000
        low = (low & ~(UInt64(0xC) << 60)) | (UInt64(0x8) << 60)
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(digits - text.count, 0)) + text
        }
        return "\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xFFFF, 4))-\(hex(high & 0xFFFF, 4))-"
            + "\(hex(low >> 48, 4))-\(hex(low & 0xFFFF_FFFF_FFFF, 12))"
    }
}

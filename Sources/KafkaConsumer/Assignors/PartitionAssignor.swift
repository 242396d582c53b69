public import NIOCore

/// How a group moves partitions between members during a rebalance (KIP-429).
public enum RebalanceProtocol: String, Sendable, Hashable, CaseIterable {
    /// Every member revokes all its partitions before joining; the new assignment is complete.
    case eager = "EAGER"
    /// Members keep their partitions while rejoining; a partition that changes owner is first only
    /// revoked, and assigned to its new owner in a follow-up rebalance.
    case cooperative = "COOPERATIVE"
}

/// A client-side partition assignor of the classic consumer-group protocol (KIP-54, KIP-341,
/// KIP-429).
///
/// The group leader runs ``assign(partitionsPerTopic:subscriptions:)`` over every member's
/// ``Subscription``. It is a pure function: the same input gives the same output, whatever the
/// dictionaries' iteration order.
public protocol PartitionAssignor: Sendable {
    /// The protocol name sent in JoinGroup (`range`, `roundrobin`, `sticky`, `cooperative-sticky`).
    var name: String { get }

    /// The rebalance protocols this assignor supports, preferred first.
    var supportedProtocols: [RebalanceProtocol] { get }

    /// The user data a member puts in its subscription, or `nil` when the assignor needs none.
    ///
    /// - Parameters:
    ///   - topics: the member's subscribed topics.
    ///   - ownedPartitions: the partitions the member owns now (its last assignment).
    ///   - generationId: the generation in which it received them, or `nil` when it has none.
    func subscriptionUserData(
        topics: [String], ownedPartitions: [TopicPartition], generationId: Int32?
    ) -> ByteBuffer?

    /// Assigns partitions to members.
    ///
    /// - Parameters:
    ///   - partitionsPerTopic: the partition count of each topic known to the leader; topics a
    ///     member subscribes to but that are missing here are skipped.
    ///   - subscriptions: each member's subscription, keyed by member id.
    /// - Returns: every member's partitions (members that get none map to an empty list).
    /// - Throws: ``ConsumerPartitionAssignorError/negativePartitionCount(topic:count:)``.
    func assign(
        partitionsPerTopic: [String: Int32], subscriptions: [String: Subscription]
    ) throws(ConsumerPartitionAssignorError) -> [String: [TopicPartition]]
}

extension PartitionAssignor {
    /// Assignors without user data return `nil`.
    public func subscriptionUserData(
        topics: [String], ownedPartitions: [TopicPartition], generationId: Int32?
    ) -> ByteBuffer? {
        nil
    }

    /// Only eager rebalancing, unless the assignor says otherwise.
    public var supportedProtocols: [RebalanceProtocol] { [.eager] }
}

/// Checks the partition counts and lists every member in Java's order: static members (with a
/// `group.instance.id`) first by instance id, then dynamic members by member id.
func validatedMembers(
    partitionsPerTopic: [String: Int32], subscriptions: [String: Subscription]
) throws(ConsumerPartitionAssignorError) -> [String] {
    for topic in partitionsPerTopic.keys.sorted(by: byteOrderPrecedes) {
        let count = partitionsPerTopic[topic] ?? 0
        if count < 0 { throw .negativePartitionCount(topic: topic, count: count) }
    }
    return subscriptions.keys.sorted { lhs, rhs in
        let l = subscriptions[lhs]?.groupInstanceId
        let r = subscriptions[rhs]?.groupInstanceId
        switch (l, r) {
        case (let l?, let r?) where !l.utf8.elementsEqual(r.utf8): return byteOrderPrecedes(l, r)
        case (.some, nil): return true
        case (nil, .some): return false
        default: return byteOrderPrecedes(lhs, rhs)
        }
    }
}

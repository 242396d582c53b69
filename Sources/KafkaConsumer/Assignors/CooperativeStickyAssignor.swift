internal import KafkaProtocol
public import NIOCore

/// Java's `CooperativeStickyAssignor` (`cooperative-sticky`, KIP-429).
///
/// It computes the same balanced, sticky target as ``StickyAssignor`` from each member's owned
/// partitions and generation, then holds back every partition that would change owner: the
/// partition is left out of the assignment, so its current owner revokes it, and the follow-up
/// rebalance gives it to its new owner. A partition is also held back while any other member
/// still lists it as owned, whatever its generation, so no partition ever has two owners.
public struct CooperativeStickyAssignor: PartitionAssignor {
    /// `cooperative-sticky`.
    public var name: String { "cooperative-sticky" }

    /// Cooperative first; eager still works (a group where some members are eager).
    public var supportedProtocols: [RebalanceProtocol] { [.cooperative, .eager] }

    /// Creates the assignor.
    public init() {}

    /// Java's cooperative user data: the generation as an Int32 (-1 when `nil`), read by a leader
    /// when the subscription is older than version 2 and has no generation field.
    public func subscriptionUserData(
        topics: [String], ownedPartitions: [TopicPartition], generationId: Int32?
    ) -> ByteBuffer? {
        var buffer = ByteBuffer()
        buffer.writeKafkaInt32(generationId ?? -1)
        return buffer
    }

    /// Assigns partitions; see the type's documentation.
    public func assign(
        partitionsPerTopic: [String: Int32], subscriptions: [String: Subscription]
    ) throws(ConsumerPartitionAssignorError) -> [String: [TopicPartition]] {
        let members = try validatedMembers(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions)
        var claims: [String: PartitionClaim] = [:]
        var claimants: [TopicPartition: Set<String>] = [:]
        for (member, subscription) in subscriptions {
            claims[member] = PartitionClaim(
                partitions: subscription.ownedPartitions, generation: Self.generation(of: subscription))
            for tp in subscription.ownedPartitions { claimants[tp, default: []].insert(member) }
        }
        let target = stickyTargetAssignment(
            partitionsPerTopic: partitionsPerTopic, members: members,
            topicsOf: subscriptions.mapValues { Set($0.topics) }, claims: claims)
        // Held back: partitions that another member still owns.
        return Dictionary(
            uniqueKeysWithValues: target.map { member, partitions in
                (member, partitions.filter { claimants[$0, default: []].subtracting([member]).isEmpty })
            })
    }

    /// The partitions a member must revoke: those it owns that its new assignment lacks.
    package static func partitionsToRevoke(
        owned: [TopicPartition], assigned: [TopicPartition]
    ) -> [TopicPartition] {
        let kept = Set(assigned)
        return Set(owned).subtracting(kept).sorted()
    }

    /// The partitions a member newly gets: those in its assignment it does not own yet.
    package static func partitionsToAdd(
        owned: [TopicPartition], assigned: [TopicPartition]
    ) -> [TopicPartition] {
        Set(assigned).subtracting(Set(owned)).sorted()
    }

    /// The generation of a member's owned partitions: the subscription's field (version 2+), else
    /// the generation in the user data, else -1.
    static func generation(of subscription: Subscription) -> Int32 {
        if let generation = subscription.generationId { return generation }
        guard var userData = subscription.userData, userData.readableBytes >= 4 else { return -1 }
        return (try? userData.readKafkaInt32()) ?? -1
    }
}

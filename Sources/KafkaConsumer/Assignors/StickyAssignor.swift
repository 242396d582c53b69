internal import KafkaProtocol
public import NIOCore

/// Java's `StickyAssignor` (`sticky`, eager): a balanced assignment that keeps as many partitions
/// as balance allows with their previous owner.
///
/// Balanced means that members with identical subscriptions differ by at most one partition.
/// Previous ownership comes from each member's user data (its last assignment and generation, in
/// Java's `StickyAssignor` user-data layout) or, when there is none, from its owned partitions and
/// generation. When two members claim a partition, the higher generation wins.
public struct StickyAssignor: PartitionAssignor {
    /// `sticky`.
    public var name: String { "sticky" }

    /// Creates the assignor.
    public init() {}

    /// Java's sticky user data: the member's last assignment and generation (schema v1).
    ///
    /// An eager member has revoked everything before it joins, so pass the assignment it last
    /// *received* as `ownedPartitions`. Returns `nil` for a member that has never been assigned.
    public func subscriptionUserData(
        topics: [String], ownedPartitions: [TopicPartition], generationId: Int32?
    ) -> ByteBuffer? {
        if ownedPartitions.isEmpty && generationId == nil { return nil }
        return Self.encodeUserData(partitions: ownedPartitions, generation: generationId)
    }

    /// Assigns partitions; see the type's documentation.
    public func assign(
        partitionsPerTopic: [String: Int32], subscriptions: [String: Subscription]
    ) throws(ConsumerPartitionAssignorError) -> [String: [TopicPartition]] {
        let members = try validatedMembers(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions)
        var claims: [String: PartitionClaim] = [:]
        for (member, subscription) in subscriptions {
            claims[member] = Self.claim(from: subscription)
        }
        return stickyTargetAssignment(
            partitionsPerTopic: partitionsPerTopic, members: members,
            topicsOf: subscriptions.mapValues { Set($0.topics) }, claims: claims)
    }

    /// The previous ownership a subscription states: decodable user data first, else the owned
    /// partitions. Undecodable user data is ignored, as Java does.
    static func claim(from subscription: Subscription) -> PartitionClaim {
        if let userData = subscription.userData, userData.readableBytes > 0,
            let decoded = try? decodeUserData(userData)
        {
            return PartitionClaim(partitions: decoded.partitions, generation: decoded.generation ?? -1)
        }
        return PartitionClaim(
            partitions: subscription.ownedPartitions, generation: subscription.generationId ?? -1)
    }

    /// Encodes sticky user data (Java's `STICKY_ASSIGNOR_USER_DATA_V1`): an array of
    /// (topic, partitions), then the generation (-1 when `nil`). No version prefix.
    package static func encodeUserData(partitions: [TopicPartition], generation: Int32?) -> ByteBuffer {
        var buffer = ByteBuffer()
        let grouped = partitions.groupedByTopic()
        buffer.writeKafkaInt32(Int32(grouped.count))
        for (topic, numbers) in grouped {
            let utf8 = Array(topic.utf8.prefix(Int(Int16.max)))
            buffer.writeKafkaInt16(Int16(utf8.count))
            buffer.writeBytes(utf8)
            buffer.writeKafkaInt32(Int32(numbers.count))
            for number in numbers { buffer.writeKafkaInt32(number) }
        }
        buffer.writeKafkaInt32(generation ?? -1)
        return buffer
    }

    /// Decodes sticky user data: schema v1 (assignment and generation), or v0 (assignment only,
    /// generation `nil`) when the generation is missing.
    /// - Throws: ``ConsumerPartitionAssignorError/malformedUserData(_:)``.
    package static func decodeUserData(
        _ bytes: ByteBuffer
    ) throws(ConsumerPartitionAssignorError) -> (partitions: [TopicPartition], generation: Int32?) {
        var buffer = bytes
        do {
            let topics = try buffer.readKafkaArray(compact: false, "previous_assignment") { element in
                let topic = try element.readKafkaString(compact: false)
                let numbers = try element.readKafkaArray(compact: false, "partitions") { try $0.readKafkaInt32() }
                return numbers.map { TopicPartition(topic: topic, partition: $0) }
            }
            let generation: Int32? = buffer.readableBytes >= 4 ? try buffer.readKafkaInt32() : nil
            return (topics.flatMap { $0 }, generation)
        } catch {
            throw .malformedUserData("\(error)")
        }
    }
}

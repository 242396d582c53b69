/// Java's `RoundRobinAssignor` (`roundrobin`): all partitions of all subscribed topics, sorted by
/// topic then partition, dealt one at a time over the members in a circle, skipping members not
/// subscribed to the partition's topic.
///
/// Members are ordered statics first (by `group.instance.id`), then by member id. With identical
/// subscriptions the counts differ by at most one.
public struct RoundRobinAssignor: PartitionAssignor {
    /// `roundrobin`.
    public var name: String { "roundrobin" }

    /// Creates the assignor.
    public init() {}

    /// Deals the partitions round-robin; see the type's documentation.
    public func assign(
        partitionsPerTopic: [String: Int32], subscriptions: [String: Subscription]
    ) throws(ConsumerPartitionAssignorError) -> [String: [TopicPartition]] {
        let members = try validatedMembers(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions)
        let topicSets = members.map { Set(subscriptions[$0]?.topics ?? []) }
        var assignment = Dictionary(uniqueKeysWithValues: members.map { ($0, [TopicPartition]()) })
        let topics = topicSets.reduce(into: Set<String>()) { $0.formUnion($1) }
            .filter { partitionsPerTopic[$0] != nil }
            .sorted(by: byteOrderPrecedes)
        var next = 0
        for topic in topics {
            for partition in 0..<(partitionsPerTopic[topic] ?? 0) {
                // Some member is subscribed to `topic`, so this finds one within a full circle.
                while !topicSets[next].contains(topic) { next = (next + 1) % members.count }
                assignment[members[next], default: []].append(TopicPartition(topic: topic, partition: partition))
                next = (next + 1) % members.count
            }
        }
        return assignment
    }
}

/// Java's `RangeAssignor` (`range`): per topic, the partitions are split into contiguous ranges
/// over the members subscribed to it.
///
/// Members are ordered statics first (by `group.instance.id`), then by member id. With `n`
/// partitions and `c` members, each member gets `n / c` and the first `n % c` members one more.
public struct RangeAssignor: PartitionAssignor {
    /// `range`.
    public var name: String { "range" }

    /// Creates the assignor.
    public init() {}

    /// Assigns each topic's partitions in ranges; see the type's documentation.
    public func assign(
        partitionsPerTopic: [String: Int32], subscriptions: [String: Subscription]
    ) throws(ConsumerPartitionAssignorError) -> [String: [TopicPartition]] {
        let members = try validatedMembers(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions)
        var membersPerTopic: [String: [String]] = [:]
        for member in members {
            for topic in Set(subscriptions[member]?.topics ?? []) { membersPerTopic[topic, default: []].append(member) }
        }
        var assignment = Dictionary(uniqueKeysWithValues: members.map { ($0, [TopicPartition]()) })
        for topic in membersPerTopic.keys.sorted(by: byteOrderPrecedes) {
            guard let count = partitionsPerTopic[topic], let consumers = membersPerTopic[topic] else { continue }
            let perMember = Int(count) / consumers.count
            let withExtra = Int(count) % consumers.count
            for (index, member) in consumers.enumerated() {
                let start = perMember * index + min(index, withExtra)
                let length = perMember + (index < withExtra ? 1 : 0)
                for partition in start..<(start + length) {
                    assignment[member, default: []].append(TopicPartition(topic: topic, partition: Int32(partition)))
                }
            }
        }
        return assignment
    }
}

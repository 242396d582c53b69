public import KafkaNetwork

/// A partition of a topic, as the consumer assignors hand them out: the same value as the
/// networking layer's ``TopicPartitionKey`` (Java's `TopicPartition`), ordered by topic name
/// byte-wise, then by partition.
public typealias TopicPartition = TopicPartitionKey

/// Byte-wise (UTF-8, i.e. code point) order: total and stable, unlike `String.<`, which compares
/// canonically equivalent strings as equal.
@inline(__always)
func byteOrderPrecedes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}

extension Array where Element == TopicPartition {
    /// Groups partitions by topic: topics sorted, partitions sorted and de-duplicated.
    func groupedByTopic() -> [(topic: String, partitions: [Int32])] {
        var byTopic: [String: Set<Int32>] = [:]
        for tp in self { byTopic[tp.topic, default: []].insert(tp.partition) }
        return byTopic.keys.sorted(by: byteOrderPrecedes).map { ($0, (byTopic[$0] ?? []).sorted()) }
    }
}

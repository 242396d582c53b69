public import KafkaNetwork

/// A partition of a topic, as the consumer assignors hand them out: the same value as the
/// networking layer's ``/KafkaNetwork/TopicPartitionKey`` (Java's `TopicPartition`), ordered by topic name
/// byte-wise, then by partition.
public typealias TopicPartition = TopicPartitionKey

/// Byte-wise (UTF-8, i.e. code point) order: total and stable, unlike `String.<`, which compares
/// canonically equivalent strings as equal.
@inline(__always)
func byteOrderPrecedes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}

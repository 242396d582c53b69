import NIOConcurrencyHelpers

/// The Java client's `RoundRobinPartitioner`: records go to a topic's available partitions in turn, whatever
/// their key.
///
/// Each topic has its own counter, starting at 0 and advanced once per record. The counter indexes into
/// ``PartitionerTopicInfo/availablePartitions`` (all partitions when none is available), so with partitions
/// `[0, 1, 2]` available the records go to 0, 1, 2, 0, 1, … The counter wraps like Java's `int` and is made
/// non-negative as Java's `Utils.toPositive` does.
///
/// ``onNewBatch(topic:cluster:previousPartition:)`` is the protocol's no-op: this partitioner never skips a
/// partition when a batch fills up (older Java versions did, KAFKA-9965).
///
/// Thread-safe: the counters sit behind a lock.
public final class RoundRobinPartitioner: KafkaPartitioner {
    private let counters = NIOLockedValueBox<[String: Int32]>([:])

    /// Creates a partitioner whose counters all start at 0.
    public init() {}

    /// The next partition of `topic` in turn.
    ///
    /// - Returns: A partition in `0..<cluster.partitionCount`, or `-1` (Java's `UNKNOWN_PARTITION`) if the topic
    ///   has no partitions.
    public func partition(topic: String, key: [UInt8]?, value: [UInt8]?, cluster: PartitionerTopicInfo) -> Int32 {
        guard cluster.partitionCount > 0 else { return -1 }
        let counter = counters.withLockedValue { counters -> Int32 in
            let current = counters[topic] ?? 0
            counters[topic] = current &+ 1
            return current
        }
        let position = Int(Murmur2.toPositive(counter))
        let available = cluster.availablePartitions
        if !available.isEmpty {
            let candidate = available[position % available.count]
            if cluster.contains(partition: candidate) { return candidate }
        }
        // No partition has a leader: give a partition anyway (the record waits until it has one).
        return Int32(position % cluster.partitionCount)
    }
}

/// What a partitioner sees about one topic's partitions when it places a record.
///
/// Built by the producer from its metadata cache. Partition numbers are `0..<partitionCount`.
public struct PartitionerTopicInfo: Sendable, Hashable {
    /// The topic's name.
    public var topic: String
    /// The number of partitions the topic has (available or not).
    public var partitionCount: Int
    /// The partitions that currently have a leader, in ascending order.
    ///
    /// The built-in partitioners index into this list in the order given, so pass it sorted to pick the same
    /// partitions as the Java client for the same random values. Entries outside `0..<partitionCount` are
    /// never returned by the built-in partitioners.
    public var availablePartitions: [Int32]

    /// Creates the partition view of a topic.
    ///
    /// - Parameters:
    ///   - topic: The topic's name.
    ///   - partitionCount: The number of partitions the topic has.
    ///   - availablePartitions: The partitions with a leader, sorted ascending.
    public init(topic: String, partitionCount: Int, availablePartitions: [Int32]) {
        self.topic = topic
        self.partitionCount = partitionCount
        self.availablePartitions = availablePartitions
    }

    /// Whether `partition` is one of the topic's partitions (`0..<partitionCount`).
    public func contains(partition: Int32) -> Bool {
        partition >= 0 && Int(partition) < partitionCount
    }
}

/// A user-supplied partitioner: the Swift counterpart of the Java client's `Partitioner` interface, chosen with
/// ``PartitionerStrategy/custom(_:)`` (Java's `partitioner.class`).
///
/// The producer calls it while it holds the lock of its record buffer, so that the choice and the append are one
/// step: keep it quick, never block or wait in it, and never call the producer from it. It must be thread-safe
/// (several producers may share it). The returned partition must lie in `0..<cluster.partitionCount`; the send
/// fails with ``KafkaProducerError/Kind/invalidPartition`` otherwise.
/// `partitioner.ignore.keys` does not apply to custom partitioners: they always receive the key.
public protocol KafkaPartitioner: Sendable {
    /// Chooses the partition for one record.
    ///
    /// - Parameters:
    ///   - topic: The record's topic.
    ///   - key: The serialized key, or `nil` for a null key.
    ///   - value: The serialized value, or `nil` for a null value (a tombstone).
    ///   - cluster: The topic's partitions.
    /// - Returns: A partition in `0..<cluster.partitionCount`.
    func partition(topic: String, key: [UInt8]?, value: [UInt8]?, cluster: PartitionerTopicInfo) -> Int32

    /// Called when the producer is about to start a new batch for `previousPartition` (KIP-480's `onNewBatch`).
    ///
    /// The producer then asks ``partition(topic:key:value:cluster:)`` again for the same record, which lets a
    /// sticky custom partitioner move on. The default implementation does nothing.
    func onNewBatch(topic: String, cluster: PartitionerTopicInfo, previousPartition: Int32)
}

extension KafkaPartitioner {
    /// Does nothing: most partitioners do not care when batches start.
    public func onNewBatch(topic: String, cluster: PartitionerTopicInfo, previousPartition: Int32) {}
}

/// How the producer chooses partitions for records that do not name one explicitly.
public enum PartitionerStrategy: Sendable {
    /// The Java client's default since 3.3: keyed records go to `murmur2(key)` over all partitions; records
    /// without a key (or every record, with `partitioner.ignore.keys`) use the uniform sticky partitioner of
    /// KIP-794.
    case `default`
    /// Java's `RoundRobinPartitioner`: every record, keyed or not, goes to the next available partition of its
    /// topic in turn (``RoundRobinPartitioner``).
    case roundRobin
    /// A user-supplied partitioner (Java's `partitioner.class`).
    case custom(any KafkaPartitioner)
}

extension PartitionerStrategy {
    /// Whether this is ``default``.
    var isDefault: Bool {
        if case .default = self { return true }
        return false
    }
}

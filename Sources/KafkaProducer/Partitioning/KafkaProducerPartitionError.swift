/// Why a record could not be given a partition.
package enum KafkaProducerPartitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The record names a partition the topic does not have.
    case invalidExplicitPartition(topic: String, partition: Int32, partitionCount: Int)
    /// A custom partitioner returned a partition the topic does not have.
    case invalidPartitionFromPartitioner(topic: String, partition: Int32, partitionCount: Int)
    /// The topic's metadata lists no partitions.
    case noPartitions(topic: String, partitionCount: Int)

    /// A message naming the topic, the partition and the partition count.
    package var description: String {
        switch self {
        case .invalidExplicitPartition(let topic, let partition, let count):
            return "Invalid partition \(partition) given with record for topic '\(topic)': "
                + "it is not in the range [0...\(count)) of the topic's \(count) partition(s)"
        case .invalidPartitionFromPartitioner(let topic, let partition, let count):
            return "The custom partitioner returned partition \(partition) for topic '\(topic)', "
                + "which is not in the range [0...\(count)) of the topic's \(count) partition(s)"
        case .noPartitions(let topic, let count):
            return "Topic '\(topic)' has no partitions (partition count \(count)); cannot choose a partition"
        }
    }
}

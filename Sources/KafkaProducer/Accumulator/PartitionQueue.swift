import DequeModule
public import KafkaNetwork

/// One partition's batches inside the ``RecordAccumulator``, oldest first; appends go to the last.
///
/// A reference type, kept in the accumulator's map for the accumulator's lifetime once created (an empty queue is not
/// removed), so that the accumulator can remember the queue of the previous append and find it again without hashing
/// the topic name: consecutive records usually go to the same partition (the sticky partitioner, or one key).
/// Touched only under the accumulator's lock, hence `@unchecked Sendable`.
final class PartitionQueue<Completion: Sendable>: @unchecked Sendable {
    let partition: TopicPartitionKey
    /// A ring buffer: the sender takes batches from the front, and with an array every take shifted the rest of the
    /// queue (hundreds of batches when the brokers lag).
    var batches: Deque<ProducerBatch<Completion>> = []

    init(_ partition: TopicPartitionKey) {
        self.partition = partition
    }

    var isEmpty: Bool { batches.isEmpty }
    var count: Int { batches.count }
    var first: ProducerBatch<Completion>? { batches.first }
}

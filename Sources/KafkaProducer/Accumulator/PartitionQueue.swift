import DequeModule

/// One partition's batches inside the ``RecordAccumulator``, oldest first; appends go to the last.
///
/// A reference type, kept in the accumulator's map for the accumulator's lifetime once created (an empty queue is not
/// removed), so that the accumulator can keep the previous append's queue at hand (``RecentlyUsedDictionary``):
/// consecutive records usually go to the same partition (the sticky partitioner, or one key). Touched only under the
/// accumulator's lock, hence `@unchecked Sendable` and no run-time exclusivity checks (as ``ProducerBatch``).
final class PartitionQueue<Completion: Sendable>: @unchecked Sendable {
    /// A ring buffer: the sender takes batches from the front, and with an array every take shifted the rest of the
    /// queue (hundreds of batches when the brokers lag).
    @exclusivity(unchecked) var batches: Deque<ProducerBatch<Completion>> = []

    var isEmpty: Bool { batches.isEmpty }
    var count: Int { batches.count }
    var first: ProducerBatch<Completion>? { batches.first }
    /// The largest batch for this partition when lower than the producer's: set once the broker refused a batch
    /// as too large (the topic's `max.message.bytes` is below `batch.max.size`).
    @exclusivity(unchecked) var maxBatchSize: Int?

    /// The size of the next batch created in this queue. An empty queue (a lightly loaded partition) gets
    /// `batchSize`; a queue still holding batches (the partition is backed up behind batches the sender has
    /// not taken) gets twice its last batch's size, up to `maxBatchSize`. So a backlog is sent in fewer, larger
    /// batches, and a partition that catches up starts again at `batchSize`.
    func nextBatchTarget(batchSize: Int, maxBatchSize: Int) -> Int {
        guard let last = batches.last else { return batchSize }
        let limit = min(maxBatchSize, self.maxBatchSize ?? maxBatchSize)
        return max(batchSize, min(limit, last.target.multipliedReportingOverflow(by: 2).partialValue))
    }
}

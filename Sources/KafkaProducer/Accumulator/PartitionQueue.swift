import DequeModule

/// One partition's batches inside the ``RecordAccumulator``, oldest first; appends go to the last.
///
/// A reference type, kept in the accumulator's map for the accumulator's lifetime once created (an empty queue is not
/// removed), so that a topic's route and the previous append reach it without a lookup. Lock-confined
/// (``LockConfined``).
final class PartitionQueue<Completion: Sendable>: LockConfined<PartitionQueue<Completion>.Fields> {
    struct Fields {
        /// A ring buffer: the sender takes batches from the front.
        var batches: Deque<ProducerBatch<Completion>> = []
        /// The largest batch for this partition when lower than the producer's: set once the broker refused a batch
        /// as too large (the topic's `max.message.bytes` is below `batch.max.size`).
        var maxBatchSize: Int?
    }

    init() { super.init(fields: Fields()) }

    var isEmpty: Bool { fields.batches.isEmpty }
    var count: Int { fields.batches.count }
    var first: ProducerBatch<Completion>? { fields.batches.first }

    /// The size of the next batch created in this queue. An empty queue (a lightly loaded partition) gets
    /// `batchSize`; a queue still holding batches (the partition is backed up behind batches the sender has
    /// not taken) gets twice its last batch's size, up to `maxBatchSize`. So a backlog is sent in fewer, larger
    /// batches, and a partition that catches up starts again at `batchSize`. Either is capped by the partition's own
    /// limit, once the broker refused a batch as too large.
    func nextBatchTarget(batchSize: Int, maxBatchSize: Int) -> Int {
        let cap = min(maxBatchSize, fields.maxBatchSize ?? maxBatchSize)
        guard let last = fields.batches.last else { return min(batchSize, cap) }
        return min(cap, max(batchSize, last.target.multipliedReportingOverflow(by: 2).partialValue))
    }
}

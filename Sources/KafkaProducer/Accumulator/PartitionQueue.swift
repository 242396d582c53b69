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
}

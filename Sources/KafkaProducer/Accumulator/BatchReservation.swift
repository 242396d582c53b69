import KafkaProtocol

/// What a new batch takes from the ``BufferPool``: room for its records and for their completion tokens.
///
/// `buffer.memory` bounds everything the accumulator holds per record, not only the encoded bytes: each record
/// also keeps a completion token (where to report its outcome, and its metadata's timestamp and sizes) until the
/// broker answers, about a third of a 100-byte record. Counting only the record bytes let a full buffer hold 30 to
/// 40 % more memory than `buffer.memory`. So a batch reserves its record capacity plus one slot per record it can
/// hold, estimated from the batch's first record; a batch whose slots are used up is full, as a batch whose bytes
/// reached `batch.size` (records smaller than the first close it before its bytes are used up).
struct BatchReservation: Sendable, Equatable {
    /// The bytes of records the batch's buffer holds: `max(batch.size, the first record's batch size)`.
    let capacity: Int
    /// The buffer's real size: `ByteBuffer` allocates the next power of two (``BufferPool/allocatedCapacity(_:)``),
    /// so a `batch.size` of 20,000 takes 32 KiB. This is what is counted.
    let allocation: Int
    /// The records (completion tokens) the batch takes.
    let slots: Int
    /// All the bytes reserved: `allocation` plus the slots' size, at most `max(capacity, totalMemory)` (a record
    /// that fits `buffer.memory` alone is never refused for its slot or for the rounding).
    let bytes: Int

    /// The reservation of a batch of `capacity` bytes whose first record encodes to `firstRecordSize` bytes, with
    /// completion slots of `slotSize` bytes (the token type's stride), in a pool of `totalMemory` bytes.
    init(capacity: Int, firstRecordSize: Int, slotSize: Int, totalMemory: Int) {
        let capacity = max(capacity, RecordBatch.headerSize)
        let slotSize = max(slotSize, 0)
        // Later records are no smaller than the first when alike (their deltas only grow), so this many fit at most.
        var slots = max((capacity - RecordBatch.headerSize) / max(firstRecordSize, 1), 1)
        let allocation = BufferPool.allocatedCapacity(capacity)
        if slotSize > 0 { slots = min(slots, max((totalMemory - allocation) / slotSize, 1)) }
        self.capacity = capacity
        self.allocation = allocation
        self.slots = slots
        self.bytes = min(allocation + slots * slotSize, max(capacity, totalMemory))
    }
}

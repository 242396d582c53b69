package import KafkaNetwork
import KafkaProtocol
package import NIOCore

/// One batch of one partition inside the ``RecordAccumulator``.
///
/// A reference type so that an append mutates the batch where it sits in its partition's queue. Lock-confined
/// (``LockConfined``): touched under the accumulator's lock while queued, and by the one drain that removed it
/// afterwards. While open it owns a `RecordBatchBuilder`; once drained and re-enqueued for a retry it holds the
/// finished bytes.
final class ProducerBatch<Completion: Sendable>: LockConfined<ProducerBatch<Completion>.Fields> {
    struct Fields {
        /// The open batch's builder, `nil` once the batch is closed.
        var builder: RecordBatchBuilder?
        /// A closed batch's finished bytes and record count (a batch re-enqueued for a retry).
        var closedRecords = ByteBuffer()
        var closedCount = 0
        var completions: [Completion]
        var attempts = 0
        var lastAttemptAt: ContinuousClock.Instant?
        /// The idempotent producer's sequence for the batch, once assigned at its first drain.
        var sequence: IdempotentProducerState.BatchSequence?
    }

    /// A unique, increasing id: batches of a partition are ordered by it.
    let id: UInt64
    let topicPartition: TopicPartitionKey
    let createdAt: ContinuousClock.Instant
    /// The bytes reserved in the ``BufferPool`` for this batch.
    let reservedBytes: Int

    /// The most records the batch takes: its completion slots, reserved up front and counted in ``reservedBytes``.
    let slots: Int
    /// The size at which the batch is full: `batch.size`, or more for a batch created behind a backlog (see
    /// ``PartitionQueue/nextBatchTarget(batchSize:maxBatchSize:)``).
    let target: Int
    /// `batch.size`, and a window in milliseconds (`RecordAccumulator.growthWindowMillis`): past `batch.size`, the
    /// batch takes only records whose timestamp is within the window of its first record's. A record appended later
    /// would inherit the batch's age, and `delivery.timeout.ms` counts from a batch's creation; within `batch.size`
    /// the rule is Java's (no limit).
    private let growthLimit: (batchSize: Int, windowMillis: Int64)

    /// Creates an open batch with room for `reservation`'s bytes of records and completion slots, written into
    /// `buffer` and `slots` (a finished batch's, cleared and emptied, from the pool's free list) or new ones.
    init(
        id: UInt64, topicPartition: TopicPartitionKey, createdAt: ContinuousClock.Instant,
        reservation: BatchReservation, buffer: consuming ByteBuffer? = nil, slots: consuming [Completion]? = nil,
        batchSize: Int = .max, windowMillis: Int64 = 0
    ) {
        self.id = id
        self.topicPartition = topicPartition
        self.createdAt = createdAt
        self.reservedBytes = reservation.bytes
        self.slots = reservation.slots
        self.target = reservation.capacity
        self.growthLimit = (batchSize, windowMillis)
        var completions = (consume slots) ?? []
        completions.reserveCapacity(reservation.slots)  // a no-op for reused slots of a batch like this one
        super.init(
            fields: Fields(
                builder: RecordBatchBuilder(
                    appendingTo: (consume buffer) ?? ByteBuffer(), capacity: reservation.capacity),
                completions: completions))
    }

    init(drained: DrainedBatch<Completion>, now: ContinuousClock.Instant) {
        self.id = drained.id
        self.topicPartition = drained.topicPartition
        self.createdAt = drained.createdAt
        self.reservedBytes = drained.reservedBytes
        self.slots = drained.completions.count
        self.target = drained.records.readableBytes
        self.growthLimit = (.max, 0)
        super.init(
            fields: Fields(
                builder: nil, closedRecords: drained.records, closedCount: drained.recordCount,
                completions: drained.completions, attempts: drained.attempts + 1, lastAttemptAt: now,
                sequence: drained.sequence))
    }

    var completions: [Completion] { fields.completions }
    var attempts: Int { fields.attempts }
    var lastAttemptAt: ContinuousClock.Instant? { fields.lastAttemptAt }
    var sequence: IdempotentProducerState.BatchSequence? { fields.sequence }

    var isClosed: Bool { fields.builder == nil }

    var recordCount: Int { fields.builder?.recordCount ?? fields.closedCount }

    /// The uncompressed size so far (open) or the encoded size (closed).
    var estimatedSize: Int { fields.builder?.sizeInBytes ?? fields.closedRecords.readableBytes }

    /// Whether no further record should be appended (closed, ``target`` reached, or no completion slot left).
    var isFull: Bool {
        isClosed || estimatedSize >= target || slotsUsedUp
    }

    /// Whether every completion slot the batch reserved holds a record.
    private var slotsUsedUp: Bool { fields.completions.count >= slots }

    /// Whether the batch waits for its retry backoff at `now`.
    func isBackingOff<C>(now: ContinuousClock.Instant, configuration: RecordAccumulator<C>.Configuration) -> Bool {
        guard fields.attempts > 0, let lastAttemptAt = fields.lastAttemptAt else { return false }
        return now < lastAttemptAt + configuration.retryBackoff(afterAttempts: fields.attempts)
    }

    /// Appends a record if it fits in ``target`` and a completion slot is left (an empty batch accepts any record).
    ///
    /// - Returns: whether the record was appended (`false` when it does not fit or the batch is closed), and
    ///   whether the batch is full now.
    func tryAppend(
        key: ByteBuffer?, value: ByteBuffer?, timestamp: Int64, headers: [RecordHeader], recordSize: Int,
        completion: Completion
    ) throws -> (appended: Bool, full: Bool) {
        let batchSize = target
        guard let size = fields.builder?.sizeInBytes, let isEmpty = fields.builder?.isEmpty else {
            return (false, true)
        }
        guard isEmpty || (size + recordSize <= batchSize && !slotsUsedUp) else {
            return (false, size >= batchSize || slotsUsedUp)
        }
        if size >= growthLimit.batchSize, let first = fields.builder?.firstTimestamp {
            let (age, overflow) = timestamp.subtractingReportingOverflow(first)
            // Grown, and open for longer than its window: full.
            if overflow || age.magnitude > UInt64(growthLimit.windowMillis) { return (false, true) }
        }
        try fields.builder?.append(key: key, value: value, timestamp: timestamp, headers: headers)
        fields.completions.append(completion)
        return (true, (fields.builder?.sizeInBytes ?? batchSize) >= batchSize || slotsUsedUp)
    }

    /// Closes the batch into a ``DrainedBatch``, compressing with `compressor` when `compression` is not `.none`, and
    /// stamps the batch's ``sequence`` (producer id, epoch, base sequence) into it when it has one.
    ///
    /// A compression failure falls back to an uncompressed batch (valid, and no record is lost). Call once, after
    /// the batch left its queue: the builder and the completions move out (the builder's storage stays uniquely
    /// referenced, so finishing it copies nothing).
    func drained(
        compression: CompressionCodec, level: Int? = nil, compressor: any KafkaCompressor,
        isTransactional: Bool = false
    ) -> DrainedBatch<Completion> {
        let count = recordCount
        var records: ByteBuffer
        if var builder = fields.builder.take() {  // taken: the builder's storage is uniquely referenced, no copy on finish
            // A failed compression leaves the builder untouched, so the uncompressed batch can still be finished.
            if compression != .none,
                let compressed = try? builder.finish(compression: compression, compressor: compressor, level: level)
            {
                records = compressed
            } else {
                // Cannot fail: the batch holds at least one record and was never finished.
                records = (try? builder.finish()) ?? ByteBuffer()
            }
        } else {
            records = fields.closedRecords
            fields.closedRecords = ByteBuffer()
        }
        if let sequence = fields.sequence {
            // Cannot fail: the bytes are one v2 batch of `count` records that this accumulator encoded.
            try? RecordBatchStamp.stamp(&records, with: sequence, isTransactional: isTransactional)
        }
        var completions: [Completion] = []
        swap(&completions, &fields.completions)
        return DrainedBatch(
            id: id, topicPartition: topicPartition, records: records, recordCount: count,
            completions: completions, createdAt: createdAt, attempts: fields.attempts, reservedBytes: reservedBytes,
            sequence: fields.sequence)
    }
}

/// A batch taken out of the ``RecordAccumulator``: ready to be sent, expired or aborted.
///
/// Every record appended with a completion token is in exactly one drained batch's ``completions``, so the
/// caller can report its outcome.
package struct DrainedBatch<Completion: Sendable>: Sendable {
    /// Identifies the batch inside its accumulator (orders re-enqueued batches).
    let id: UInt64
    /// The batch's partition.
    package let topicPartition: TopicPartitionKey
    /// The encoded v2 record batch (producer id -1), compressed with the configured codec.
    package let records: ByteBuffer
    /// The number of records in the batch.
    package let recordCount: Int
    /// The completion tokens of the records, in record order (emptied by ``takeCompletions(_:)``).
    package internal(set) var completions: [Completion]
    /// When the batch was created.
    package let createdAt: ContinuousClock.Instant
    /// How many times the batch was re-enqueued after a failed attempt.
    package let attempts: Int
    /// The bytes reserved in the ``BufferPool`` (returned by ``RecordAccumulator/deallocate(_:)``).
    package let reservedBytes: Int
    /// The idempotent producer's sequence stamped into ``records``; `nil` for a producer that is not idempotent (or a
    /// batch that expired or was aborted before its first drain).
    package let sequence: IdempotentProducerState.BatchSequence?
}

extension DrainedBatch {
    /// Hands the records' completion tokens to `body` in record order, each moved out of the batch, and leaves the
    /// batch without tokens (their storage is kept, for the pool to reuse).
    ///
    /// Moving, not copying: a copy of a token retains its callback's context, which the sending thread retained for
    /// the same record a moment before on another core, and the copy and the array's own reference were then
    /// released one after the other. A token moved out is released once, after `body`. (If the tokens' storage is
    /// shared, it is copied first, and the result is the same.)
    mutating func takeCompletions(_ body: (_ index: Int, _ completion: consuming Completion) -> Void) {
        // Reversed in place so that popLast() yields them in record order. Through the buffer pointer the swaps are
        // moves; Array's own reverse() copies each token in and out (a retain and a release per record).
        completions.withUnsafeMutableBufferPointer { $0.reverse() }
        var index = 0
        while let completion = completions.popLast() {
            body(index, completion)
            index += 1
        }
    }
}

/// What the sender decides for the first batch of a partition during ``RecordAccumulator/drain(nodes:leaderOf:maxRequestSize:now:admit:)``.
package enum DrainDecision: Sendable, Equatable {
    /// Leave the partition's batches queued this time.
    case skip
    /// Take the batch, stamped with this sequence (`nil`: not idempotent, no sequence).
    case take(sequence: IdempotentProducerState.BatchSequence?)
}

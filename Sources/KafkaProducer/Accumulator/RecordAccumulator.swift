import DequeModule
import KafkaCompression
package import KafkaNetwork
package import KafkaProtocol
import NIOConcurrencyHelpers
package import NIOCore

/// Collects records into per-partition batches until the sender drains them, as the Java client's
/// `RecordAccumulator`.
///
/// Pure and deterministic: every time-dependent call takes `now`, nothing sleeps except
/// ``append(_:key:value:timestamp:headers:completion:maxBlock:now:)`` waiting for ``BufferPool`` memory.
/// Thread-safe: the queues sit behind one lock; memory is reserved from the pool outside it and batches are
/// encoded (compressed) outside it.
///
/// Each record carries a `Completion` token; every token comes back exactly once in a ``DrainedBatch`` from
/// ``drain(nodes:leaderOf:maxRequestSize:now:)``, ``expireBatches(now:)`` or ``abortAll()`` — nothing is dropped.
package final class RecordAccumulator<Completion: Sendable>: Sendable {
    /// The accumulator's settings (the producer's configuration keys in parentheses).
    package struct Configuration: Sendable {
        /// The target batch size in bytes (`batch.size`): the batch a lightly loaded partition sends.
        package var batchSize: Int = 16_384
        /// The largest batch in bytes (`batch.max.size`, at most `max.request.size`): a partition backed up behind
        /// batches not yet sent fills batches of doubling size up to this.
        package var maxBatchSize: Int = 1_000_000
        /// How long a batch waits for more records before it is sendable (`linger.ms`).
        package var linger: Duration = .milliseconds(5)
        /// The memory for buffered records (`buffer.memory`); the ``BufferPool`` given to the accumulator enforces it.
        package var bufferMemory: Int = 32 * 1024 * 1024
        /// The codec batches are compressed with (`compression.type`).
        package var compression: CompressionCodec = .none
        /// The codec's compression level, `nil` for its default (`compression.<codec>.level`).
        package var compressionLevel: Int?
        /// The largest request, and so the largest record, in bytes (`max.request.size`).
        package var maxRequestSize: Int = 1_048_576
        /// The wait before a failed batch is retried (`retry.backoff.ms`).
        package var retryBackoff: Duration = .milliseconds(100)
        /// The longest wait before a retry (`retry.backoff.max.ms`): the wait doubles with every attempt of a
        /// batch, from `retryBackoff` up to this (KIP-580).
        package var retryBackoffMax: Duration = .seconds(1)

        /// The wait before the retry that follows `attempts` failed attempts (1 → `retryBackoff`, then doubling,
        /// capped at `retryBackoffMax`).
        package func retryBackoff(afterAttempts attempts: Int) -> Duration {
            RetryPolicy(backoff: retryBackoff, backoffMax: retryBackoffMax, retries: 0)
                .baseDelay(beforeRetry: max(attempts, 1))
        }
        /// The age after which queued batches expire (`delivery.timeout.ms`).
        package var deliveryTimeout: Duration = .seconds(120)
        /// Whether stamped batches carry the transactional attribute (a transactional producer).
        package var isTransactional = false
        /// `partitioner.adaptive.partitioning.enable`: the sticky partitioner favours partitions with fewer queued
        /// batches (KIP-794).
        package var adaptivePartitioning = true

        /// Creates a configuration with Java's defaults.
        package init() {}
    }

    /// The outcome of an append.
    package struct AppendResult: Sendable, Equatable {
        /// Whether the partition's queue now holds a full batch (the sender should be woken).
        package let batchIsFull: Bool
        /// Whether a new batch was created for the record.
        package let newBatchCreated: Bool
        /// Whether the queue already held a full batch before this record (the sender was told then).
        package let wasFullBefore: Bool

        /// Creates a result.
        package init(batchIsFull: Bool, newBatchCreated: Bool, wasFullBefore: Bool = false) {
            self.batchIsFull = batchIsFull
            self.newBatchCreated = newBatchCreated
            self.wasFullBefore = wasFullBefore
        }
    }

    /// The result of ``RecordAccumulator/ready(now:leaderOf:)``.
    package struct ReadyCheck: Sendable, Equatable {
        /// The leaders with at least one sendable partition.
        package var readyNodes: Set<Int32>
        /// The delay until the next not-yet-ready batch may become ready (`nil`: nothing is waiting).
        package var nextCheckDelay: Duration?
        /// The topics with queued data whose partition leader is unknown (metadata should be refreshed).
        package var unknownLeaderTopics: Set<String>
        /// When the oldest queued batch (the oldest first batch of a partition) was created, `nil` when none is
        /// queued: no batch can have expired before `delivery.timeout.ms` after it, so the sender checks expiry
        /// (``RecordAccumulator/expireBatches(now:)``, another pass under the lock) only then.
        package var oldestQueuedBatchCreatedAt: ContinuousClock.Instant?
        /// Whether batches exist that were not deallocated, expired or aborted (queued or in flight), as
        /// ``RecordAccumulator/hasIncomplete`` at the time of the check.
        package var hasIncomplete: Bool

        /// Creates a result.
        package init(
            readyNodes: Set<Int32>, nextCheckDelay: Duration?, unknownLeaderTopics: Set<String>,
            oldestQueuedBatchCreatedAt: ContinuousClock.Instant? = nil, hasIncomplete: Bool = false
        ) {
            self.readyNodes = readyNodes
            self.nextCheckDelay = nextCheckDelay
            self.unknownLeaderTopics = unknownLeaderTopics
            self.oldestQueuedBatchCreatedAt = oldestQueuedBatchCreatedAt
            self.hasIncomplete = hasIncomplete
        }
    }

    struct State: Sendable {
        /// Each partition's batches, the previous append's queue at hand. A queue, once created, stays (empty)
        /// until ``abortAll()``.
        var queues = RecentlyUsedDictionary<TopicPartitionKey, PartitionQueue<Completion>>()
        /// Per topic: its partitions as of a metadata generation, the sticky partition, and its partitions' queues by
        /// index (the same objects as in `queues`), for ``appendRouted(_:)`` (see `RecordAccumulator+Routing.swift`).
        var routes = RecentlyUsedDictionary<String, TopicRoute<Completion>>()
        /// The previous routed append's topic and route (consecutive records usually go to one topic).
        var lastRouteTopic: String?
        var lastRoute: TopicRoute<Completion>?
        /// The id of the newest batch; ids step by ``RecordAccumulator/batchIDStride``, and the pieces of a split
        /// batch take the ids after their batch's (see `RecordAccumulator+Split.swift`).
        var nextBatchID: UInt64 = 0
        /// Batches created and not yet deallocated, expired or aborted (including those in flight).
        var incomplete: Set<UInt64> = []
        /// Per node, the partition the next drain starts at (round-robin).
        var drainStart: [Int32: TopicPartitionKey] = [:]
        var flushesInProgress = 0
        var closed = false
    }

    /// The configuration.
    package let configuration: Configuration
    /// The memory pool.
    package let pool: BufferPool
    let state: SpinningLockedValueBox<State>
    let codecs = KafkaCodecs()
    /// How long (by record timestamps) a batch grown past `batch.size` takes records: a hundredth of
    /// `delivery.timeout.ms`, at most a second, and never less than `linger.ms`. A record joining a batch that old
    /// could expire that much early (`delivery.timeout.ms` counts from a batch's creation): 1 % at most.
    let growthWindowMillis: Int64

    /// Creates an accumulator reserving batch memory from `pool`.
    package init(configuration: Configuration, pool: BufferPool) {
        self.configuration = configuration
        self.pool = pool
        self.state = SpinningLockedValueBox(State())
        func millis(_ duration: Duration) -> Int64 {
            let (seconds, attoseconds) = duration.components
            return seconds.multipliedReportingOverflow(by: 1000).partialValue + attoseconds / 1_000_000_000_000_000
        }
        self.growthWindowMillis = max(
            1, millis(configuration.linger), min(millis(configuration.deliveryTimeout) / 100, 1000))
    }

    /// Appends a record to the partition's last open batch, or to a new batch.
    ///
    /// A new batch reserves `max(batch.size, record size)` bytes from the pool, which may suspend up to `maxBlock`.
    ///
    /// - Throws: ``ProducerBufferError/recordTooLarge(size:limit:)`` when the record exceeds `max.request.size`
    ///   or `buffer.memory`; ``ProducerBufferError/timedOut(size:waited:)`` when memory stays exhausted;
    ///   ``ProducerBufferError/closed`` after ``close()``; `CancellationError`; `KafkaProtocolError` when the record
    ///   cannot be encoded (for example a timestamp too far from the batch's first).
    package func append(
        _ partition: TopicPartitionKey, key: ByteBuffer?, value: ByteBuffer?, timestamp: Int64,
        headers: [RecordHeader], completion: Completion, maxBlock: Duration, now: ContinuousClock.Instant
    ) async throws -> AppendResult {
        if let result = try appendWithoutWaiting(
            partition, key: key, value: value, timestamp: timestamp, headers: headers, completion: completion, now: now)
        {
            return result
        }
        let (recordSize, batchBytes) = try sizes(key: key, value: value, headers: headers)
        let target = state.withLockedValue { nextBatchTarget(in: $0.queue(for: partition)) }
        let reservation = newBatch(key: key, value: value, headers: headers, batchBytes: batchBytes, target: target)
        try await pool.reserve(reservation.bytes, maxBlock: maxBlock)
        return try appendReserved(
            reservation, partition, key: key, value: value, timestamp: timestamp, headers: headers,
            recordSize: recordSize, completion: completion, now: now)
    }

    /// Appends a record like ``append(_:key:value:timestamp:headers:completion:maxBlock:now:)`` when that needs no
    /// wait: to the partition's last batch, or to a new batch whose memory the pool has free right now. The send
    /// path's common case, with no suspension. `now` is read only when a new batch is created (its creation time).
    ///
    /// - Returns: `nil` when a new batch needs memory that is not free (or other tasks wait for memory already): then
    ///   call the waiting `append`.
    /// - Throws: as the waiting `append`, apart from timing out.
    package func appendWithoutWaiting(
        _ partition: TopicPartitionKey, key: ByteBuffer?, value: ByteBuffer?, timestamp: Int64,
        headers: [RecordHeader], completion: Completion, now: @autoclosure () -> ContinuousClock.Instant
    ) throws -> AppendResult? {
        let (recordSize, batchBytes) = try sizes(key: key, value: value, headers: headers)
        var target = 0
        let appended = try state.withLockedValue { state in
            let appended = try self.appendToLast(
                &state, partition, key: key, value: value, timestamp: timestamp, headers: headers,
                recordSize: recordSize, completion: completion)
            if appended == nil { target = nextBatchTarget(in: state.queue(for: partition)) }
            return appended
        }
        if let appended { return appended }
        let reservation = newBatch(key: key, value: value, headers: headers, batchBytes: batchBytes, target: target)
        guard try pool.tryReserve(reservation.bytes) else { return nil }
        return try appendReserved(
            reservation, partition, key: key, value: value, timestamp: timestamp, headers: headers,
            recordSize: recordSize, completion: completion, now: now())
    }

    /// The record's encoded size (an upper bound) and the size of a batch holding only it; refuses records over
    /// `max.request.size`.
    func sizes(
        key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader]
    ) throws(ProducerBufferError) -> (record: Int, batch: Int) {
        let recordSize = RecordBatchBuilder.maximumRecordSize(
            keyLength: key?.readableBytes, valueLength: value?.readableBytes, headers: headers)
        let batchBytes = RecordBatch.headerSize + recordSize
        guard batchBytes <= configuration.maxRequestSize else {
            throw ProducerBufferError.recordTooLarge(size: batchBytes, limit: configuration.maxRequestSize)
        }
        return (recordSize, batchBytes)
    }

    /// The size of the next batch of `queue` (under the lock).
    func nextBatchTarget(in queue: PartitionQueue<Completion>) -> Int {
        queue.nextBatchTarget(
            batchSize: configuration.batchSize,
            maxBatchSize: min(max(configuration.maxBatchSize, configuration.batchSize), configuration.maxRequestSize))
    }

    /// What a new batch of `target` bytes starting with this record reserves (computed only when one is needed).
    func newBatch(
        key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader], batchBytes: Int, target: Int
    ) -> BatchReservation {
        BatchReservation(
            capacity: max(target, batchBytes),
            firstRecordSize: RecordBatchBuilder.minimumRecordSize(
                keyLength: key?.readableBytes, valueLength: value?.readableBytes, headers: headers),
            slotSize: MemoryLayout<Completion>.stride, totalMemory: pool.totalMemory)
    }

    /// Appends with `reservation`'s pool bytes in hand: to the last batch if another task made room meanwhile (the
    /// reservation goes back), otherwise to a new batch that owns the reservation.
    func appendReserved(
        _ reservation: BatchReservation, _ partition: TopicPartitionKey, key: ByteBuffer?, value: ByteBuffer?,
        timestamp: Int64,
        headers: [RecordHeader], recordSize: Int, completion: Completion, now: ContinuousClock.Instant
    ) throws -> AppendResult {
        do {
            let result: AppendResult = try state.withLockedValue { state in
                if let result = try self.appendToLast(
                    &state, partition, key: key, value: value, timestamp: timestamp, headers: headers,
                    recordSize: recordSize, completion: completion)
                {
                    return result
                }
                state.nextBatchID &+= Self.batchIDStride
                // A batch of the usual size reuses a finished batch's memory when the pool kept one, handed over with
                // `consume`: a copy alive while the batch writes would make the buffer copy itself.
                let (buffer, slots) =
                    (reservation.allocation == pool.poolableCapacity ? pool.take() : nil) ?? (nil, nil)
                let batch = ProducerBatch<Completion>(
                    id: state.nextBatchID, topicPartition: partition, createdAt: now, reservation: reservation,
                    buffer: consume buffer, slots: (consume slots) as? [Completion], batchSize: configuration.batchSize,
                    windowMillis: growthWindowMillis)
                let full = try batch.tryAppend(
                    key: key, value: value, timestamp: timestamp, headers: headers, recordSize: recordSize,
                    completion: completion
                ).full
                let queue = state.queue(for: partition)
                queue.fields.batches.append(batch)
                state.incomplete.insert(batch.id)
                return AppendResult(batchIsFull: queue.count > 1 || full, newBatchCreated: true)
            }
            // Another task created a batch with room for the record meanwhile: give the reservation back.
            if !result.newBatchCreated { pool.release(reservation.bytes) }
            return result
        } catch {
            pool.release(reservation.bytes)
            throw error
        }
    }

    /// Tries the partition's last batch; `nil` when a new batch is needed.
    private func appendToLast(
        _ state: inout State, _ partition: TopicPartitionKey, key: ByteBuffer?, value: ByteBuffer?,
        timestamp: Int64, headers: [RecordHeader], recordSize: Int, completion: Completion
    ) throws -> AppendResult? {
        guard !state.closed else { throw ProducerBufferError.closed }
        return try appendToLast(
            of: state.queue(for: partition), key: key, value: value, timestamp: timestamp, headers: headers,
            recordSize: recordSize, completion: completion)
    }

    /// Tries the last batch of `queue` (under the lock); `nil` when a new batch is needed.
    func appendToLast(
        of queue: PartitionQueue<Completion>, key: ByteBuffer?, value: ByteBuffer?, timestamp: Int64,
        headers: [RecordHeader], recordSize: Int, completion: Completion
    ) throws -> AppendResult? {
        guard let last = queue.fields.batches.last else { return nil }
        let outcome = try last.tryAppend(
            key: key, value: value, timestamp: timestamp, headers: headers, recordSize: recordSize,
            completion: completion)
        guard outcome.appended else { return nil }
        let count = queue.count
        return AppendResult(batchIsFull: count > 1 || outcome.full, newBatchCreated: false, wasFullBefore: count > 1)
    }
}

extension RecordAccumulator.State {
    /// The partition's queue, created empty the first time.
    mutating func queue(for partition: TopicPartitionKey) -> PartitionQueue<Completion> {
        queues.value(for: partition) { PartitionQueue() }
    }
}

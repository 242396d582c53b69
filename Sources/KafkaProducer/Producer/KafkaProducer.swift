import Atomics
public import KafkaNetwork
import KafkaProtocol
public import Logging
public import Metrics
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Kafka producer: hands records to the brokers in batches, as the Java client's `KafkaProducer`.
///
/// ```swift
/// let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(properties: [
///     "bootstrap.servers": "localhost:9092",
/// ]))
/// let metadata = try await producer.send(ProducerRecord(topic: "orders", key: "42", value: "{…}"))
/// try await producer.send(ProducerRecord(topic: "orders", key: nil, value: "…")) { result in … }
/// await producer.flush()
/// await producer.close()
/// ```
///
/// `send` runs the interceptors' `onSend`, waits (up to `max.block.ms`) for the topic's metadata, partitions the
/// record and appends it to the ``RecordAccumulator``, suspending while `buffer.memory` is exhausted. A background
/// sender drains ready batches into one ProduceRequest per broker. Every record handed over is reported exactly
/// once: acknowledged (with its offset) or failed — never dropped. Records of one partition are written in the
/// order they were sent; with idempotence (the default) retries never duplicate or reorder them.
///
/// The producer is `Sendable`: any number of tasks may send concurrently. Call ``close(timeout:)`` when done; it
/// also conforms to swift-service-lifecycle's `Service` (see ``run()``).
public final class KafkaProducer: Sendable {
    /// The configuration the producer was created with.
    public let configuration: KafkaProducerConfiguration
    /// The cluster client (metadata, connections) the producer sends through.
    public let cluster: KafkaClusterClient

    let accumulator: RecordAccumulator<RecordCompletion>
    let partitioner: ProducerPartitioner
    let interceptors: [any ProducerInterceptor]
    let sender: ProducerSender
    let wakeup: SenderWakeup
    let metrics: ProducerMetrics
    let logger: Logger
    /// Whether sends are refused (closed, or failed fatally: set by the sender), and the topics' cached partitions:
    /// one lock on the send path.
    let status: SpinningLockedValueBox<ProducerStatus>
    let lifecycle: NIOLockedValueBox<Lifecycle>
    /// The transaction's state when `transactional.id` is set (see `KafkaProducer+Transactions.swift`).
    let transactions: NIOLockedValueBox<TransactionStateMachine>?

    struct Lifecycle {
        var senderTask: Task<Void, Never>?
        var closeTask: Task<Void, Never>?
    }

    /// What the send path checks first.
    struct ProducerStatus: Sendable {
        var closed = false
        var fatal: KafkaProducerError?
        /// Set once `fatal` is: the sender checks it every loop without taking the lock (which the send path takes
        /// for every record).
        let fatalFlag = ManagedAtomic(false)
        /// The partitions of the topics sent to, the previous send's at hand.
        var topics = RecentlyUsedDictionary<String, CachedTopic>()

        var refusesSends: Bool { closed || fatal != nil }

        /// Records the first fatal error (later ones keep the first); returns whether this one was the first.
        @discardableResult
        mutating func failFatally(_ error: KafkaProducerError) -> Bool {
            guard fatal == nil else { return false }
            fatal = error
            fatalFlag.store(true, ordering: .releasing)
            return true
        }
    }

    struct CachedTopic: Sendable {
        var generation: UInt64
        var info: PartitionerTopicInfo
    }

    /// Creates a producer and starts its sender.
    ///
    /// - Parameters:
    ///   - configuration: the settings (see ``KafkaProducerConfiguration/init(properties:)`` for Java names).
    ///   - partitioner: how records without an explicit partition are placed; by default murmur2 for keyed records
    ///     and the uniform sticky partitioner for the others, as the Java client.
    ///   - interceptors: called for every record, in order.
    ///   - eventLoopGroup: where the connections run.
    ///   - logger: where the producer logs; nothing is printed.
    ///   - metricsFactory: where metrics go; by default swift-metrics' bootstrapped system.
    /// - Throws: `KafkaConfigurationError` for inconsistent settings, `KafkaNetworkError` for unusable TLS material.
    public init(
        configuration: KafkaProducerConfiguration,
        partitioner: PartitionerStrategy = .default,
        interceptors: [any ProducerInterceptor] = [],
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "swift-kafka.producer"),
        metricsFactory: (any MetricsFactory)? = nil
    ) throws {
        try configuration.validate()
        if configuration.isIdempotent {
            try IdempotentProducerState.validate(maxInFlight: configuration.client.maxInFlightRequestsPerConnection)
        }
        self.configuration = configuration
        self.logger = logger
        self.cluster = try KafkaClusterClient(
            configuration: configuration.client, eventLoopGroup: eventLoopGroup, logger: logger,
            metricsFactory: metricsFactory)
        let factory = metricsFactory ?? MetricsSystem.factory
        self.metrics = ProducerMetrics(clientID: configuration.client.clientID, factory: factory)

        var accumulatorConfiguration = RecordAccumulator<RecordCompletion>.Configuration()
        accumulatorConfiguration.batchSize = configuration.batchSize
        accumulatorConfiguration.linger = configuration.linger
        accumulatorConfiguration.bufferMemory = configuration.bufferMemory
        accumulatorConfiguration.compression = configuration.compression
        accumulatorConfiguration.compressionLevel = configuration.compressionLevel
        accumulatorConfiguration.maxRequestSize = configuration.maxRequestSize
        accumulatorConfiguration.retryBackoff = configuration.client.retryBackoff
        accumulatorConfiguration.retryBackoffMax = configuration.client.retryBackoffMax
        accumulatorConfiguration.deliveryTimeout = configuration.deliveryTimeout
        accumulatorConfiguration.isTransactional = configuration.transactionalID != nil
        let pool = BufferPool(totalMemory: configuration.bufferMemory, poolableSize: configuration.batchSize)
        self.accumulator = RecordAccumulator(configuration: accumulatorConfiguration, pool: pool)
        self.partitioner = ProducerPartitioner(
            strategy: partitioner,
            configuration: .init(batchSize: configuration.batchSize, ignoreKeys: configuration.partitionerIgnoreKeys))
        self.interceptors = interceptors
        self.wakeup = SenderWakeup(eventLoop: eventLoopGroup.any())
        self.status = SpinningLockedValueBox(ProducerStatus())
        self.lifecycle = NIOLockedValueBox(Lifecycle())
        self.transactions = configuration.transactionalID.map {
            NIOLockedValueBox(TransactionStateMachine(transactionalID: $0))
        }
        let settings = ProducerSender.Settings(
            acks: configuration.acks.wireValue, requestTimeout: configuration.client.requestTimeout,
            maxRequestSize: configuration.maxRequestSize,
            maxInFlightPerConnection: configuration.client.maxInFlightRequestsPerConnection,
            retries: configuration.client.retries, retryBackoff: configuration.client.retryBackoff,
            deliveryTimeout: configuration.deliveryTimeout, transactionalID: configuration.transactionalID,
            transactionTimeout: configuration.transactionTimeout, idempotent: configuration.isIdempotent)
        self.sender = ProducerSender(
            accumulator: accumulator, cluster: cluster, settings: settings, wakeup: wakeup, metrics: metrics,
            interceptors: interceptors, logger: logger, status: status, transactions: transactions)
        let sender = sender
        let task = Task { await sender.run() }
        lifecycle.withLockedValue { $0.senderTask = task }
    }

    deinit {
        lifecycle.withLockedValue { $0.senderTask }?.cancel()
    }

    // MARK: sending

    /// Sends a record and waits until the broker acknowledged it (as configured by `acks`).
    ///
    /// Suspends while the topic's metadata is fetched and while `buffer.memory` is exhausted, together at most
    /// `max.block.ms`. Cancelling the waiting task does not recall the record: once handed over, it is delivered
    /// or failed, and this call returns only then.
    ///
    /// - Returns: where the record was written. With `acks=0` the offset is -1.
    /// - Throws: ``KafkaProducerError``: before the record was handed over (``KafkaProducerError/Kind/closed``,
    ///   ``KafkaProducerError/Kind/unknownTopic``, ``KafkaProducerError/Kind/invalidPartition``,
    ///   ``KafkaProducerError/Kind/recordTooLarge``, ``KafkaProducerError/Kind/bufferExhausted``,
    ///   ``KafkaProducerError/Kind/invalidRecord``, ``KafkaProducerError/Kind/fatal``) or after it was
    ///   (``KafkaProducerError/Kind/broker(_:)``, ``KafkaProducerError/Kind/deliveryTimedOut``, …).
    @discardableResult
    nonisolated(nonsending) public func send(_ record: ProducerRecord) async throws(KafkaProducerError)
        -> RecordMetadata
    {
        let promise = RecordPromise()
        switch try appendNow(record, target: .promise(promise)) {
        case .appended: break
        case .mustWait(let pending): try await appendWaiting(pending)
        }
        do {
            return try await promise.wait()
        } catch let error as KafkaProducerError {
            throw error
        } catch {
            throw KafkaProducerError(.network, topic: record.topic, "\(error)")
        }
    }

    /// Hands a record over without waiting for the broker; `completion` is called once with the outcome, on the
    /// producer's sender task (keep it short).
    ///
    /// Returns once the record is queued. Suspends like ``send(_:)`` for metadata and buffer memory; in the common
    /// case (metadata cached, buffer memory free) it returns without suspending.
    ///
    /// - Throws: ``KafkaProducerError`` when the record could not be handed over; `completion` is then not called.
    nonisolated(nonsending) public func send(
        _ record: ProducerRecord,
        completion: @escaping @Sendable (Result<RecordMetadata, KafkaProducerError>) -> Void
    ) async throws(KafkaProducerError) {
        switch try appendNow(record, target: .callback(completion)) {
        case .appended: return
        case .mustWait(let pending): try await appendWaiting(pending)
        }
    }

    /// What ``appendNow(_:target:)`` leaves to ``appendWaiting(_:)``.
    private enum Attempt {
        case appended
        case mustWait(PendingAppend)
    }

    /// A record past its interceptors that needs a metadata fetch (no `placement` yet) or buffer memory.
    private struct PendingAppend {
        var record: ProducerRecord
        var target: RecordCompletionTarget
        var start: ContinuousClock.Instant
        var placement: Placement?
    }

    /// The send path's common case, synchronous (no suspension, no task allocation): the topic's metadata is cached
    /// and the record fits the partition's last batch or a new batch whose memory is free now.
    private func appendNow(_ original: ProducerRecord, target: RecordCompletionTarget) throws(KafkaProducerError)
        -> Attempt
    {
        do throws(KafkaProducerError) {
            if interceptors.isEmpty { return try appendNow(open: original, target: target) }
            try checkOpen(original.topic)  // interceptors see records of an open producer only
            return try appendNow(open: try intercept(original), target: target)
        } catch {
            reportFailure(error)
            throw error
        }
    }

    /// Whether the producer is open and the topic's cached partitions, under one lock, then the append. The record is
    /// passed on as it is (no copy).
    private func appendNow(open record: ProducerRecord, target: RecordCompletionTarget) throws(KafkaProducerError)
        -> Attempt
    {
        let generation = cluster.metadataGeneration
        let name = record.topic  // captured alone: capturing the record would copy all of it
        let (refused, cached) = status.withLockedValue { status in
            (status.refusesSends, status.refusesSends ? nil : status.topics.value(for: name))
        }
        if refused { try checkOpen(name) }
        return try appendNow(
            prepared: record, topic: cached.flatMap { $0.generation == generation ? $0.info : nil }, target: target)
    }

    private func appendNow(
        prepared record: ProducerRecord, topic: PartitionerTopicInfo?, target: RecordCompletionTarget
    ) throws(KafkaProducerError) -> Attempt {
        guard let topic else {
            return .mustWait(PendingAppend(record: record, target: target, start: .now))
        }
        let placement = try place(record, topic: topic, target: target)
        let result: RecordAccumulator<RecordCompletion>.AppendResult?
        do {
            result = try accumulator.appendWithoutWaiting(
                placement.partition, key: record.key, value: record.value,
                timestamp: placement.completion.timestamp, headers: record.headers,
                completion: placement.completion, now: .now)  // read only for a new batch
        } catch {
            throw Self.appendError(error, partition: placement.partition)
        }
        guard let result else {
            return .mustWait(PendingAppend(record: record, target: target, start: .now, placement: placement))
        }
        appended(result)
        return .appended
    }

    /// The rest of a send that must wait: for the topic's metadata and for buffer memory, together at most
    /// `max.block.ms` from the send's start.
    nonisolated(nonsending) private func appendWaiting(_ pending: PendingAppend) async throws(KafkaProducerError) {
        do throws(KafkaProducerError) {
            let record = pending.record
            let deadline = pending.start + configuration.maxBlock
            let placement: Placement
            if let placed = pending.placement {
                placement = placed
            } else {
                let topic = try await topicInfo(record.topic, deadline: deadline)
                placement = try place(record, topic: topic, target: pending.target)
            }
            let result: RecordAccumulator<RecordCompletion>.AppendResult
            do {
                result = try await accumulator.append(
                    placement.partition, key: record.key, value: record.value,
                    timestamp: placement.completion.timestamp, headers: record.headers,
                    completion: placement.completion, maxBlock: max(.zero, deadline - ContinuousClock.now),
                    now: pending.start)
            } catch {
                throw Self.appendError(error, partition: placement.partition)
            }
            appended(result)
        } catch {
            reportFailure(error)
            throw error
        }
    }

    /// Wakes the sender: a full batch is sendable now (later appends behind it need no wake: the sender already
    /// knows); a new batch needs the sender once its linger time is up.
    ///
    /// While a request is in flight, a batch that fills does not wake the sender at once: the answer runs the sender
    /// loop anyway (usually well within a millisecond), which then drains every full batch together, and the
    /// linger timer armed for the batch bounds the wait by `linger.ms`, as for any batch. With Java's rule (wake at
    /// once) the loop woke for every batch, which with 16 KiB batches cost a thread wake-up per 150 records.
    private func appended(_ result: RecordAccumulator<RecordCompletion>.AppendResult) {
        if result.batchIsFull && !result.wasFullBefore {
            if sender.requestsInFlight.load(ordering: .relaxed) == 0 {
                wakeup.wake()
            } else {
                wakeup.wake(unlessDueBy: .now + configuration.linger)
            }
        } else if result.newBatchCreated {
            wakeup.wake(unlessDueBy: .now + configuration.linger)
        }
    }

    /// A send that failed before its record was handed over: the interceptors and the error count learn of it.
    private func reportFailure(_ error: KafkaProducerError) {
        for interceptor in interceptors { interceptor.onAcknowledgement(.failure(error)) }
        metrics.recordErrors.increment()
    }

    /// Refuses sends once closed or failed.
    private func checkOpen(_ topic: String) throws(KafkaProducerError) {
        guard status.withLockedValue({ $0.refusesSends }) else { return }  // a Bool: no copy of the error
        if let fatal = status.withLockedValue({ $0.fatal }) { throw fatal }
        throw KafkaProducerError(.closed, topic: topic, "the producer is closed")
    }

    /// Runs the interceptors' `onSend`.
    private func intercept(_ original: ProducerRecord) throws(KafkaProducerError) -> ProducerRecord {
        var record = original
        for interceptor in interceptors {
            do {
                record = try interceptor.onSend(record)
            } catch {
                throw KafkaProducerError(
                    .invalidRecord, topic: record.topic, "interceptor \(type(of: interceptor)) rejected it: \(error)")
            }
        }
        return record
    }

    /// Where a record goes and how its outcome is reported.
    private struct Placement {
        var partition: TopicPartitionKey
        var completion: RecordCompletion
    }

    /// Partitions the record and, in a transaction, notes its partition (waking the sender to add a new one).
    private func place(
        _ record: ProducerRecord, topic: PartitionerTopicInfo, target: RecordCompletionTarget
    ) throws(KafkaProducerError) -> Placement {
        let keySize = record.key?.readableBytes ?? -1
        let valueSize = record.value?.readableBytes ?? -1
        let bytes = max(keySize, 0) + max(valueSize, 0)
        let selection: PartitionSelection
        do {
            // The sticky partitioner counts the record's bytes while choosing (one lock instead of two).
            selection = try partitioner.partition(
                topic: topic, keyBuffer: record.key, valueBuffer: record.value, explicitPartition: record.partition,
                countingBytes: bytes)
        } catch {
            throw KafkaProducerError(.invalidPartition, topic: record.topic, partition: record.partition, "\(error)")
        }
        let completion = RecordCompletion(
            target: target, timestamp: record.timestamp ?? Self.currentTimeMillis(),
            keySize: Int32(clamping: keySize), valueSize: Int32(clamping: valueSize))
        let partition = TopicPartitionKey(topic: record.topic, partition: selection.partition)
        if let transactions {
            let added: Result<Bool, KafkaProducerError> = transactions.withLockedValue { state in
                do throws(KafkaProducerError) {
                    return .success(try state.recordSend(to: partition))
                } catch {
                    return .failure(error)
                }
            }
            if try added.get() { wakeup.wake() }
        }
        return Placement(partition: partition, completion: completion)
    }

    /// The send's error for an accumulator failure.
    private static func appendError(_ error: any Error, partition: TopicPartitionKey) -> KafkaProducerError {
        switch error {
        case ProducerBufferError.recordTooLarge(let size, let limit):
            KafkaProducerError(
                .recordTooLarge, topic: partition.topic, partition: partition.partition,
                "the record is \(size) bytes when serialized, more than \(limit) bytes "
                    + "(max.request.size / buffer.memory)")
        case ProducerBufferError.timedOut(let size, let waited):
            KafkaProducerError(
                .bufferExhausted, topic: partition.topic, partition: partition.partition,
                "no \(size) bytes of buffer.memory became free within \(waited.clampedMilliseconds) ms (max.block.ms)")
        case ProducerBufferError.closed:
            KafkaProducerError(.closed, topic: partition.topic, "the producer is closed")
        case is CancellationError:
            KafkaProducerError(.invalidRecord, topic: partition.topic, "the send was cancelled")
        default:
            KafkaProducerError(
                .invalidRecord, topic: partition.topic, partition: partition.partition,
                "the record cannot be encoded: \(error)")
        }
    }

    /// The topic's partitions from the cache, when the metadata did not change since they were cached.
    private func cachedTopicInfo(_ topic: String) -> PartitionerTopicInfo? {
        let current = cluster.metadataGeneration
        guard let cached = status.withLockedValue({ $0.topics.value(for: topic) }), cached.generation == current else {
            return nil
        }
        return cached.info
    }

    /// The topic's partitions, from the cached metadata when it has them, otherwise waiting for a refresh until
    /// `deadline` (`max.block.ms`).
    private func topicInfo(
        _ topic: String, deadline: ContinuousClock.Instant
    ) async throws(KafkaProducerError) -> PartitionerTopicInfo {
        guard !topic.isEmpty else { throw KafkaProducerError(.invalidRecord, "the record has an empty topic name") }
        if let cached = cachedTopicInfo(topic) { return cached }
        var attempt = 0
        while true {
            let (metadata, generation) = cluster.cachedMetadataWithGeneration
            if let described = metadata.topics[topic], !described.partitions.isEmpty {
                let info = PartitionerTopicInfo(
                    topic: topic, partitionCount: described.partitions.count,
                    availablePartitions: described.partitions.filter { $0.leader != nil }.map(\.partition))
                status.withLockedValue { $0.topics.set(CachedTopic(generation: generation, info: info), for: topic) }
                return info
            }
            let now = ContinuousClock.now
            if now >= deadline {
                let reason = metadata.topics[topic]?.error.map { " (\($0.name))" } ?? ""
                throw KafkaProducerError(
                    .unknownTopic, topic: topic,
                    "topic not present in metadata after \(configuration.maxBlock.clampedMilliseconds) ms\(reason) "
                        + "(max.block.ms)")
            }
            if attempt > 0 {
                let pause = min(cluster.retryPolicy.delay(beforeRetry: attempt, random: 0.5), deadline - now)
                try? await Task.sleep(for: pause)
            }
            attempt += 1
            do {
                cluster.invalidateMetadata(topic: topic)
                _ = try await cluster.metadata(for: [topic])
            } catch {
                logger.debug("metadata for \(topic) failed", metadata: ["error": "\(error)"])
            }
        }
    }

    static func currentTimeMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    // MARK: flush, close

    /// Makes every record sent so far sendable at once (ignoring `linger.ms`) and waits until each of them is
    /// acknowledged or failed.
    public func flush() async {
        await sender.flush()
    }

    /// Closes the producer: later sends fail with ``KafkaProducerError/Kind/closed``; records already handed over
    /// are still delivered for up to `timeout`, after which the rest fail. A transaction still open is aborted first
    /// (its records fail with ``KafkaProducerError/Kind/transactionAborted``), as the Java client does. Then the connections close and the
    /// interceptors' `close()` is called. Calling it again waits for the first close to finish (a `.zero` timeout
    /// then also fails what is still queued).
    ///
    /// - Parameter timeout: how long to keep delivering; `.zero` fails queued records at once.
    public func close(timeout: Duration = .seconds(Int64(Int32.max))) async {
        accumulator.close()
        let sender = sender
        let (closeTask, first) = lifecycle.withLockedValue { state -> (Task<Void, Never>, Bool) in
            if let task = state.closeTask { return (task, false) }
            self.status.withLockedValue { $0.closed = true }
            let task = Task { await self.performClose(timeout: timeout) }
            state.closeTask = task
            return (task, true)
        }
        if !first && timeout <= .zero { await sender.close(force: true) }
        await closeTask.value
    }

    private func performClose(timeout: Duration) async {
        let sender = sender
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                if timeout > .zero { await self.abortOpenTransactionOnClose() }
                await sender.close(force: timeout <= .zero)
            }
            if timeout > .zero {
                group.addTask {
                    do {
                        try await Task.sleep(for: timeout)
                        await sender.close(force: true)
                    } catch {}  // cancelled: the graceful close finished first
                }
            }
            await group.next()
            group.cancelAll()
        }
        await lifecycle.withLockedValue { $0.senderTask }?.value
        await cluster.shutdown()
        for interceptor in interceptors { interceptor.close() }
    }

    /// The partitions of `topic`, from the metadata (refreshed when the topic is not known yet).
    ///
    /// - Throws: ``KafkaProducerError/Kind/unknownTopic`` when the topic is not in the metadata within
    ///   `max.block.ms`.
    public func partitions(for topic: String) async throws(KafkaProducerError) -> [PartitionMetadata] {
        _ = try await topicInfo(topic, deadline: .now + configuration.maxBlock)
        return cluster.cachedMetadata.topics[topic]?.partitions ?? []
    }
}

import Atomics
public import KafkaNetwork
import KafkaProtocol
public import Logging
public import Metrics
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
import Tracing

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
/// record and appends it to the record accumulator, suspending while `buffer.memory` is exhausted. A background
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
    package let cluster: KafkaClusterClient

    let accumulator: RecordAccumulator<RecordCompletion>
    /// How records without an explicit partition are placed (chosen inside the accumulator, see `PartitionRule`).
    let partitioner: PartitionerStrategy
    /// `partitioner.ignore.keys`: the default partitioner places keyed records like unkeyed ones.
    let ignoresKeys: Bool
    let interceptors: [any ProducerInterceptor]
    let sender: ProducerSender
    let wakeup: SenderWakeup
    let metrics: ProducerMetrics
    let logger: Logger
    /// The producer's state (lifecycle, idempotence, transaction, batches in flight), driven by the sender.
    let core: ProducerCoreBox
    /// Whether the producer has a `transactional.id`.
    let isTransactional: Bool
    /// Where the sender loop runs, and the close in progress.
    let lifecycle: NIOLockedValueBox<Lifecycle>
    /// Whether the sender loop was started (by ``run()`` or by the first use), read by the send path without the lock.
    let senderStarted = ManagedAtomic(false)
    /// Fired when the sender loop has ended (the producer is closed).
    let senderFinished = CloseSignal()
    /// Where ``sendReporting(_:)`` reports outcomes.
    let reportChannel = DeliveryReportChannel()
    /// The spans of sends, with ``KafkaProducerConfiguration/enableTracing``; `nil` (and no cost) otherwise.
    let tracing: ProducerTracing?

    struct Lifecycle {
        /// Where the sender loop runs.
        enum Sender {
            /// Not yet: nothing was sent, flushed or closed, and ``run()`` was not called.
            case notStarted
            /// In ``run()``, as a child of the service's task.
            case inRun
            /// In a task of its own, started by the first send, flush, close or transaction call of a producer whose
            /// ``run()`` had not been called.
            case ownTask(Task<Void, Never>)
        }

        var sender = Sender.notStarted
        var closeTask: Task<Void, Never>?
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
            do {
                try IdempotentProducerState.validate(maxInFlight: configuration.client.maxInFlightRequestsPerConnection)
            } catch {
                throw KafkaConfigurationError(property: "max.in.flight.requests.per.connection", message: error.message)
            }
        }
        self.configuration = configuration
        self.logger = logger
        self.tracing =
            configuration.enableTracing
            ? ProducerTracing(
                tracer: configuration.tracer ?? InstrumentationSystem.tracer, clientID: configuration.client.clientID)
            : nil
        // As Java's producer, metadata requests for the topics it sends to may create them (when the broker's
        // auto.create.topics.enable allows it).
        var clientConfiguration = configuration.client
        clientConfiguration.allowAutoTopicCreation = true
        self.cluster = try KafkaClusterClient(
            configuration: clientConfiguration, eventLoopGroup: eventLoopGroup, logger: logger,
            metricsFactory: metricsFactory)
        let factory = metricsFactory ?? MetricsSystem.factory
        self.metrics = ProducerMetrics(clientID: configuration.client.clientID, factory: factory)

        var accumulatorConfiguration = RecordAccumulator<RecordCompletion>.Configuration()
        accumulatorConfiguration.batchSize = configuration.batchSize
        accumulatorConfiguration.maxBatchSize = configuration.maxBatchSize
        accumulatorConfiguration.linger = configuration.linger
        accumulatorConfiguration.bufferMemory = configuration.bufferMemory
        accumulatorConfiguration.compression = configuration.compression
        accumulatorConfiguration.compressionLevel = configuration.compressionLevel
        accumulatorConfiguration.maxRequestSize = configuration.maxRequestSize
        accumulatorConfiguration.retryBackoff = configuration.client.retryBackoff
        accumulatorConfiguration.retryBackoffMax = configuration.client.retryBackoffMax
        accumulatorConfiguration.deliveryTimeout = configuration.deliveryTimeout
        accumulatorConfiguration.isTransactional = configuration.transactionalID != nil
        accumulatorConfiguration.adaptivePartitioning = configuration.adaptivePartitioning
        let pool = BufferPool(totalMemory: configuration.bufferMemory, poolableSize: configuration.batchSize)
        self.accumulator = RecordAccumulator(configuration: accumulatorConfiguration, pool: pool)
        self.partitioner = partitioner
        self.ignoresKeys = configuration.partitionerIgnoreKeys
        self.interceptors = interceptors
        self.wakeup = SenderWakeup(eventLoop: eventLoopGroup.any())
        let idempotence =
            configuration.isIdempotent
            ? IdempotentProducerState(
                maxInFlight: configuration.client.maxInFlightRequestsPerConnection,
                isTransactional: configuration.transactionalID != nil) : nil
        self.core = ProducerCoreBox(
            ProducerCore(idempotence: idempotence, transactionalID: configuration.transactionalID))
        self.isTransactional = configuration.transactionalID != nil
        self.lifecycle = NIOLockedValueBox(Lifecycle())
        let settings = ProducerSender.Settings(
            acks: configuration.acks.wireValue, requestTimeout: configuration.client.requestTimeout,
            maxRequestSize: configuration.maxRequestSize,
            maxInFlightPerConnection: configuration.client.maxInFlightRequestsPerConnection,
            retries: configuration.client.retries, retryBackoff: configuration.client.retryBackoff,
            deliveryTimeout: configuration.deliveryTimeout, transactionalID: configuration.transactionalID,
            transactionTimeout: configuration.transactionTimeout, idempotent: configuration.isIdempotent)
        self.sender = ProducerSender(
            accumulator: accumulator, cluster: cluster, settings: settings, wakeup: wakeup, metrics: metrics,
            interceptors: interceptors, logger: logger, core: core)
    }

    deinit {
        // A producer dropped without `close()`: its sender fails what is still queued and ends.
        guard case .ownTask = lifecycle.withLockedValue({ $0.sender }) else { return }
        let sender = sender
        Task { await sender.close(force: true) }
    }

    // MARK: the sender loop

    /// Starts the sender loop in a task of its own unless it runs already (in ``run()`` or in such a task).
    @inline(__always)
    func startSenderIfNeeded() {
        if !senderStarted.load(ordering: .acquiring) { startSenderTask() }
    }

    private func startSenderTask() {
        lifecycle.withLockedValue { state in
            guard case .notStarted = state.sender else { return }
            senderStarted.store(true, ordering: .releasing)
            state.sender = .ownTask(Task { [sender, senderFinished] in await Self.runSender(sender, senderFinished) })
        }
    }

    /// Claims the sender loop for ``run()``; `false` when it runs already.
    func claimSenderForRun() -> Bool {
        lifecycle.withLockedValue { state in
            guard case .notStarted = state.sender else { return false }
            senderStarted.store(true, ordering: .releasing)
            state.sender = .inRun
            return true
        }
    }

    static func runSender(_ sender: ProducerSender, _ finished: CloseSignal) async {
        await sender.run()
        finished.fire()
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
        if let pending = try appendNow(record, target: .promise(promise)) {
            try await appendWaiting(pending)
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
    @inlinable  // the common case then costs the caller no async call (a task-allocated frame per record)
    nonisolated(nonsending) public func send(
        _ record: ProducerRecord,
        completion: @escaping @Sendable (Result<RecordMetadata, KafkaProducerError>) -> Void
    ) async throws(KafkaProducerError) {
        if let pending = try appendNow(record, target: .callback(completion)) {
            try await appendWaiting(pending)
        }
    }

    // MARK: flush, close

    /// Makes every record sent so far sendable at once (ignoring `linger.ms`) and waits until each of them is
    /// acknowledged or failed.
    public func flush() async {
        startSenderIfNeeded()
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
        startSenderIfNeeded()  // the loop ends the close: it delivers or fails what is queued
        let sender = sender
        let (closeTask, first) = lifecycle.withLockedValue { state -> (Task<Void, Never>, Bool) in
            if let task = state.closeTask { return (task, false) }
            self.core.withCore { $0.lifecycle.close(force: false) }  // sends are refused from now on
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
        await senderFinished.wait()
        reportChannel.finish()
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

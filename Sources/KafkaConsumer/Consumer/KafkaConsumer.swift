public import KafkaNetwork
import KafkaProtocol
public import Logging
public import Metrics
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
import Tracing

/// A Kafka consumer, as the Java client's `KafkaConsumer`: a member of a consumer group that shares
/// the partitions of its subscribed topics with the other members (``subscribe(topics:listener:)``,
/// ``subscribe(pattern:listener:)``), or a reader of partitions the application assigns itself
/// (``assign(_:)``).
///
/// ```swift
/// let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(properties: [
///     "bootstrap.servers": "localhost:9092",
///     "group.id": "billing",
/// ]))
/// try consumer.subscribe(topics: ["orders"])
/// while !Task.isCancelled {
///     for record in try await consumer.poll(timeout: .seconds(1)) { … }
/// }
/// await consumer.close()  // commits (enable.auto.commit) and leaves the group
/// ```
///
/// Standalone:
///
/// ```swift
/// let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(properties: [
///     "bootstrap.servers": "localhost:9092",
///     "auto.offset.reset": "earliest",
/// ]))
/// consumer.assign([TopicPartition(topic: "orders", partition: 0)])
/// while !Task.isCancelled {
///     for record in try await consumer.poll(timeout: .seconds(1)) { … }
/// }
/// await consumer.close()
/// ```
///
/// Newly assigned partitions start at the group's committed offset when `group.id` is set (see
/// ``commit(_:)`` and ``committed(_:)``), otherwise — or when nothing is committed — where
/// `auto.offset.reset` says. ``poll(timeout:)`` resolves pending resets with ListOffsets, fetches from
/// each partition's leader through one incremental fetch session (KIP-227) per broker, and returns
/// at most `max.poll.records` records. Records of one partition come in offset order, each once,
/// unless the application seeks.
///
/// Group membership (heartbeats, rebalances) runs in the background on its own schedule; the rebalance
/// listener's callbacks run inside ``poll(timeout:)``. With `enable.auto.commit` (the default with a
/// `group.id`), `poll` commits the positions of what it returned every `auto.commit.interval.ms`, and
/// the positions are committed before partitions are revoked and on ``close()``.
///
/// Fetching happens inside ``poll(timeout:)``, and a poll that returns records starts fetching the
/// partitions it emptied, so the next records arrive while the application processes these.
///
/// The consumer is `Sendable`; assignment, seeks and pauses may be changed from any task, but only
/// one task polls at a time.
public final class KafkaConsumer: Sendable {
    /// The configuration the consumer was created with.
    public let configuration: KafkaConsumerConfiguration
    /// The cluster client (metadata, connections) the consumer fetches through.
    package let cluster: KafkaClusterClient

    let logger: Logger
    let interceptors: ConsumerInterceptorChain
    let metrics: ConsumerMetrics
    let state: NIOLockedValueBox<State>
    /// Fired once ``close()`` has closed the consumer; ``run()`` waits on it.
    let closed = CloseSignal()
    /// Record contexts and `process` spans, with ``KafkaConsumerConfiguration/enableTracing``; `nil` otherwise.
    let tracing: ConsumerTracing?

    struct State: Sendable {
        var subscriptions: SubscriptionState
        /// One incremental fetch session per broker.
        var sessions: [Int32: FetchSessionBuilder] = [:]
        /// Fetched records not yet handed out (more than `max.poll.records` arrived).
        var buffered: [TopicPartition: FetchedPartition] = [:]
        /// An error to report on the next poll (records before it were returned first).
        var pendingError: (any Error)?
        var isPolling = false
        var isClosed = false
        /// How partitions are chosen: by the application, or by the group for topics or a pattern.
        var mode: SubscriptionMode = .none
        /// Group membership while subscribed.
        var group: ConsumerGroupCoordinator?
        /// The rebalance listener of the subscription.
        var listener: any ConsumerRebalanceListener = NoRebalanceListener()
        /// Refreshes metadata while subscribed (patterns, partition count changes).
        var metadataWatcher: Task<Void, Never>?
        /// When the next automatic commit is due (`nil` until the first poll).
        var nextAutoCommit: ContinuousClock.Instant?
        /// ``KafkaConsumer/wakeup()`` was called: the current or next poll throws.
        var wakeupPending = false
        /// The fetch started when a poll returned records, so that the next records arrive while the
        /// application processes these; the next poll awaits it before fetching itself.
        var prefetch: Task<Void, Never>?
    }

    /// Creates a consumer. No connection is made until the first request.
    ///
    /// - Parameters:
    ///   - configuration: the settings (see ``KafkaConsumerConfiguration/init(properties:)`` for Java names).
    ///   - eventLoopGroup: where the connections run.
    ///   - logger: where the consumer logs; nothing is printed.
    ///   - interceptors: ``ConsumerInterceptor``s that see polled records and commits, in order.
    ///   - metricsFactory: where metrics go; by default swift-metrics' bootstrapped system.
    /// - Throws: `KafkaConfigurationError` for inconsistent settings, `KafkaNetworkError` for unusable TLS
    ///   material.
    public init(
        configuration: KafkaConsumerConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "swift-kafka.consumer"),
        interceptors: [any ConsumerInterceptor] = [],
        metricsFactory: (any MetricsFactory)? = nil
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.interceptors = ConsumerInterceptorChain(interceptors)
        self.tracing =
            configuration.enableTracing
            ? ConsumerTracing(
                tracer: configuration.tracer ?? InstrumentationSystem.tracer, clientID: configuration.client.clientID,
                groupID: configuration.groupId) : nil
        self.metrics = ConsumerMetrics(
            clientID: configuration.client.clientID, factory: metricsFactory ?? MetricsSystem.factory)
        var clientConfiguration = configuration.client
        clientConfiguration.allowAutoTopicCreation = configuration.allowAutoCreateTopics
        self.cluster = try KafkaClusterClient(
            configuration: clientConfiguration, eventLoopGroup: eventLoopGroup, logger: logger)
        self.state = NIOLockedValueBox(
            State(
                subscriptions: SubscriptionState(
                    defaultResetStrategy: configuration.offsetResetStrategy,
                    isolationLevel: configuration.fetchIsolationLevel)))
    }

    // MARK: Assignment and positions

    /// Replaces the assigned partitions (no group membership). Partitions kept keep their position and
    /// pause state; new ones start at the committed offset (with `group.id`) or where
    /// `auto.offset.reset` says, on the next poll.
    ///
    /// - Throws: ``KafkaConsumerError/Kind/subscriptionConflict(_:)`` while subscribed (call
    ///   ``unsubscribe()`` first).
    public func assign(_ partitions: [TopicPartition]) throws(KafkaConsumerError) {
        let refusal = state.withLockedValue { state -> KafkaConsumerError? in
            switch state.mode {
            case .topics, .pattern:
                return KafkaConsumerError(
                    .subscriptionConflict(
                        "Subscription to topics, partitions and pattern are mutually exclusive: unsubscribe() first"))
            case .none, .assigned:
                state.mode = partitions.isEmpty ? .none : .assigned
            }
            state.subscriptions.assign(partitions)
            state.buffered = state.buffered.filter { state.subscriptions.isAssigned($0.key) }
            return nil
        }
        if let refusal { throw refusal }
    }

    /// The assigned partitions, sorted.
    public var assignment: [TopicPartition] {
        state.withLockedValue { $0.subscriptions.assignedPartitions }
    }

    /// The paused partitions, sorted.
    public var paused: [TopicPartition] {
        state.withLockedValue { $0.subscriptions.pausedPartitions }
    }

    /// Makes the next poll read `partition` from `offset`.
    ///
    /// - Throws: ``KafkaConsumerError/Kind/notAssigned(_:)``.
    public func seek(_ partition: TopicPartition, to offset: Int64) throws(KafkaConsumerError) {
        try modifySubscriptions { (subscriptions) throws(SubscriptionState.NotAssignedError) in
            try subscriptions.seek(partition, to: offset)
        }
    }

    /// Makes the next poll read `partitions` from their first offset still in the log.
    ///
    /// - Throws: ``KafkaConsumerError/Kind/notAssigned(_:)``.
    public func seekToBeginning(_ partitions: [TopicPartition]) throws(KafkaConsumerError) {
        try modifySubscriptions { (subscriptions) throws(SubscriptionState.NotAssignedError) in
            try subscriptions.seekToBeginning(partitions)
        }
    }

    /// Makes the next poll read `partitions` from their end: only records written later.
    ///
    /// - Throws: ``KafkaConsumerError/Kind/notAssigned(_:)``.
    public func seekToEnd(_ partitions: [TopicPartition]) throws(KafkaConsumerError) {
        try modifySubscriptions { (subscriptions) throws(SubscriptionState.NotAssignedError) in
            try subscriptions.seekToEnd(partitions)
        }
    }

    /// Stops fetching `partitions`; their positions are kept and records already fetched are held
    /// back until ``resume(_:)``.
    ///
    /// - Throws: ``KafkaConsumerError/Kind/notAssigned(_:)``.
    public func pause(_ partitions: [TopicPartition]) throws(KafkaConsumerError) {
        try modifySubscriptions { (subscriptions) throws(SubscriptionState.NotAssignedError) in
            try subscriptions.pause(partitions)
        }
    }

    /// Resumes fetching `partitions`.
    ///
    /// - Throws: ``KafkaConsumerError/Kind/notAssigned(_:)``.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaConsumerError) {
        try modifySubscriptions { (subscriptions) throws(SubscriptionState.NotAssignedError) in
            try subscriptions.resume(partitions)
        }
    }

    /// The offset of the next record the consumer will return for `partition`, looking it up
    /// (ListOffsets) when a reset is pending; waits at most `request.timeout.ms` for that.
    ///
    /// - Throws: ``KafkaConsumerError`` of kind ``KafkaConsumerError/Kind/notAssigned(_:)``,
    ///   ``KafkaConsumerError/Kind/timedOut(_:)``, ``KafkaConsumerError/Kind/closed``,
    ///   ``KafkaConsumerError/Kind/fetch(_:)`` (a ``ConsumerFetchError`` of kind
    ///   ``ConsumerFetchError/Kind/noResetPolicy``) when the partition needs a reset and `auto.offset.reset` is
    ///   `none`, ``KafkaConsumerError/Kind/broker(_:)`` or ``KafkaConsumerError/Kind/network(_:)`` for the
    ///   cluster's errors, ``KafkaConsumerError/Kind/cancelled``.
    public func position(_ partition: TopicPartition) async throws(KafkaConsumerError) -> Int64 {
        let deadline = ContinuousClock.now.advanced(by: configuration.client.requestTimeout)
        do {
            while true {
                let current = state.withLockedValue { state -> (closed: Bool, PartitionStateSnapshot?) in
                    (state.isClosed, state.subscriptions[partition].map(PartitionStateSnapshot.init))
                }
                if current.closed { throw KafkaConsumerError(.closed) }
                guard let snapshot = current.1 else { throw KafkaConsumerError(.notAssigned(partition)) }
                if let offset = snapshot.settledOffset { return offset }
                try await updatePositions(only: [partition])
                if let offset = state.withLockedValue({
                    $0.subscriptions[partition].flatMap { PartitionStateSnapshot($0).settledOffset }
                }) {
                    return offset
                }
                guard ContinuousClock.now < deadline else { throw KafkaConsumerError(.timedOut(partition)) }
                try await Task.sleep(for: configuration.client.retryBackoff)
            }
        } catch {
            throw KafkaConsumerError(wrapping: error)
        }
    }

    /// The partitions of `topic` with their leaders and replicas, from (possibly refreshed) metadata.
    ///
    /// A topic the broker is creating (`allow.auto.create.topics` with the broker's `auto.create.topics.enable`) is
    /// answered LEADER_NOT_AVAILABLE until it has leaders: this waits for them, up to `request.timeout.ms`.
    ///
    /// - Throws: ``KafkaConsumerError`` of kind ``KafkaConsumerError/Kind/broker(_:)`` when the cluster reports
    ///   an error for the topic (such as UNKNOWN_TOPIC_OR_PARTITION), ``KafkaConsumerError/Kind/network(_:)``,
    ///   ``KafkaConsumerError/Kind/cancelled``.
    public func partitionsFor(topic: String) async throws(KafkaConsumerError) -> [PartitionMetadata] {
        let deadline = ContinuousClock.now + configuration.client.requestTimeout
        do {
            while true {
                let metadata = try await cluster.metadata(for: [topic])
                guard let info = metadata.topics[topic] else {
                    throw KafkaError(code: .unknownTopicOrPartition, api: .metadata, topic: topic)
                }
                let error = info.error ?? .none
                if error == .none && !info.partitions.isEmpty {
                    return info.partitions.sorted { $0.partition < $1.partition }
                }
                guard error == .leaderNotAvailable || error == .none, ContinuousClock.now < deadline else {
                    throw KafkaError(code: error == .none ? .leaderNotAvailable : error, api: .metadata, topic: topic)
                }
                cluster.invalidateMetadata(topic: topic)
                try await Task.sleep(for: configuration.client.retryBackoff)
            }
        } catch {
            throw KafkaConsumerError(wrapping: error)
        }
    }

    // MARK: Polling

    /// Returns the next records of the assigned, unpaused partitions: as soon as some are
    /// available (at most `max.poll.records`), or an empty array once `timeout` has passed.
    ///
    /// With ``KafkaConsumerConfiguration/enableTracing``, each record's ``ConsumerRecord/serviceContext`` is the
    /// trace context its headers carry; the records come without spans of the consumer's (``records`` and
    /// ``batches`` run a `process` span per record).
    ///
    /// Cancelling the calling task interrupts the wait (``KafkaConsumerError/Kind/cancelled`` is thrown), and so
    /// does ``wakeup()`` (within `fetch.max.wait.ms`). When subscribed, the poll also runs the rebalance
    /// listener's callbacks and the automatic commits.
    ///
    /// - Throws: ``KafkaConsumerError`` of kind ``KafkaConsumerError/Kind/fetch(_:)`` (corrupt data, a position
    ///   without reset policy, an error the broker reported that retrying does not fix),
    ///   ``KafkaConsumerError/Kind/closed``, ``KafkaConsumerError/Kind/pollInProgress``,
    ///   ``KafkaConsumerError/Kind/wakeup``, ``KafkaConsumerError/Kind/groupFailed(_:)``,
    ///   ``KafkaConsumerError/Kind/rebalanceListener(_:)`` (the listener's error in
    ///   ``KafkaConsumerError/underlying``), ``KafkaConsumerError/Kind/broker(_:)`` or
    ///   ``KafkaConsumerError/Kind/network(_:)`` for cluster errors retrying does not fix,
    ///   ``KafkaConsumerError/Kind/cancelled``.
    public func poll(timeout: Duration) async throws(KafkaConsumerError) -> [ConsumerRecord] {
        let refusal = state.withLockedValue { state -> KafkaConsumerError? in
            if state.isClosed { return KafkaConsumerError(.closed) }
            if state.isPolling { return KafkaConsumerError(.pollInProgress) }
            state.isPolling = true
            return nil
        }
        if let refusal { throw refusal }
        defer { state.withLockedValue { $0.isPolling = false } }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        do {
            while true {
                try Task.checkCancellation()
                try checkWakeup()
                await finishPrefetch()
                try await groupStep()
                try requireSubscriptionAuthorized()
                let records = try drainBuffered()
                if !records.isEmpty {
                    startPrefetch()
                    return withContexts(interceptors.onConsume(records))
                }
                if state.withLockedValue({ $0.isClosed }) { throw KafkaConsumerError(.closed) }
                // As Java's poll, a broker that cannot be reached (or a leader moving) is retried at the next step,
                // never thrown: an outage shorter than the application's patience must not end its poll loop.
                let outcome: FetchRoundOutcome
                do {
                    try await updatePositions(only: nil)
                    let remaining = ContinuousClock.now.duration(to: deadline)
                    let maxWait = max(.zero, min(configuration.fetchMaxWait, remaining))
                    outcome = try await fetchOnce(maxWait: maxWait)
                } catch  where Self.isTransient(error) {
                    logger.debug("fetching failed; retrying", metadata: ["error": "\(error)"])
                    outcome = .idle
                }
                if ContinuousClock.now >= deadline { return withContexts(interceptors.onConsume(try drainBuffered())) }
                try checkWakeup()
                if outcome == .idle {
                    let pause = min(configuration.client.retryBackoff, ContinuousClock.now.duration(to: deadline))
                    try await Task.sleep(for: max(.milliseconds(1), pause))
                }
            }
        } catch {
            throw KafkaConsumerError(wrapping: error)
        }
    }

    /// Whether `error` is a transient outage that the poll loop retries: a retriable network error (no broker
    /// reachable, a connection lost, a request timed out) or a retriable error code.
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as KafkaNetworkError: error.isRetriable
        case let error as KafkaError: error.code.isRetriable
        default: false
        }
    }

    /// Once every buffered record was handed out, starts fetching without waiting, so that the next records
    /// arrive while the application processes these. (Fetching each partition as soon as it alone is
    /// drained would split one large response into many small ones.) The fetch does not wait on the
    /// broker (max wait 0): it only brings what is already there, so the next poll, which awaits it, is
    /// never held up by more than a round trip. At most one fetch per broker is ever in flight and at most
    /// one response per broker is buffered, which bounds memory.
    func startPrefetch() {
        state.withLockedValue { state in
            guard state.prefetch == nil, !state.isClosed else { return }
            let drained = state.buffered.keys.allSatisfy { state.subscriptions.isPaused($0) }
            guard drained else { return }
            state.prefetch = Task { [self] in
                _ = try? await fetchOnce(maxWait: .zero)
            }
        }
    }

    /// Awaits the prefetch started by the previous poll, if any.
    func finishPrefetch() async {
        let task = state.withLockedValue { state -> Task<Void, Never>? in
            defer { state.prefetch = nil }
            return state.prefetch
        }
        await task?.value
    }

    /// Makes the poll running now (or the next one) throw ``KafkaConsumerError/Kind/wakeup`` (Java's
    /// `wakeup`): the way to stop a consumer loop from another task. Safe to call from any task.
    public func wakeup() {
        state.withLockedValue { $0.wakeupPending = true }
    }

    func checkWakeup() throws(KafkaConsumerError) {
        let woken = state.withLockedValue { state -> Bool in
            defer { state.wakeupPending = false }
            return state.wakeupPending
        }
        if woken { throw KafkaConsumerError(.wakeup) }
    }

    /// Closes the consumer: with `enable.auto.commit` the positions are committed; a subscribed
    /// consumer runs its listener's `partitionsRevoked` and leaves the group (LeaveGroup, waiting at
    /// most `request.timeout.ms`; a static member stays until its session expires, as KIP-345 wants);
    /// later polls fail with ``KafkaConsumerError/Kind/closed``; fetch sessions are closed (best effort)
    /// and every connection is closed.
    public func close() async {
        let (group, wasClosed) = state.withLockedValue { state in
            defer {
                state.metadataWatcher?.cancel()
                state.metadataWatcher = nil
            }
            return (state.group, state.isClosed)
        }
        if !wasClosed {
            if let group {
                await group.close(timeout: configuration.client.requestTimeout) { action in
                    _ = try? await self.apply(action)
                }
            } else {
                await commitBeforeLosingOwnership(nil)
            }
        }
        interceptors.close()
        let prefetch = state.withLockedValue { state -> Task<Void, Never>? in
            defer { state.prefetch = nil }
            return state.prefetch
        }
        prefetch?.cancel()
        await prefetch?.value
        let sessions = state.withLockedValue { state -> [(Int32, FetchSessionBuilder.Request)] in
            guard !state.isClosed else { return [] }
            state.isClosed = true
            var requests: [(Int32, FetchSessionBuilder.Request)] = []
            for node in state.sessions.keys.sorted() {
                if let request = state.sessions[node]?.close() { requests.append((node, request)) }
            }
            state.buffered = [:]
            return requests
        }
        closed.fire()
        for (node, session) in sessions {
            var request = FetchRequest(maxWaitMs: 0, minBytes: 0)
            session.apply(to: &request)
            _ = try? await cluster.send(request, to: .broker(node), kind: .fetch, timeout: .seconds(1))
        }
        await cluster.shutdown()
    }

    // MARK: Helpers

    private func modifySubscriptions(
        _ body: (inout SubscriptionState) throws(SubscriptionState.NotAssignedError) -> Void
    ) throws(KafkaConsumerError) {
        let result = state.withLockedValue { state -> SubscriptionState.NotAssignedError? in
            do throws(SubscriptionState.NotAssignedError) {
                try body(&state.subscriptions)
                return nil
            } catch {
                return error
            }
        }
        if let result { throw KafkaConsumerError(.notAssigned(result.partition)) }
    }
}

/// What ``KafkaConsumer/position(_:)`` needs of a partition's state.
struct PartitionStateSnapshot {
    var settledOffset: Int64?

    init(_ state: SubscriptionState.PartitionState) {
        let settled = state.pendingReset == nil && !state.needsResetWithoutPolicy
        settledOffset = settled ? state.position?.offset : nil
    }
}

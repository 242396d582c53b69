import Atomics
import KafkaNetwork
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The producer's background sender, as the Java client's `Sender`: one loop that finds the leaders with sendable
/// batches and drains them into one ProduceRequest per broker, and a loop per broker that writes those requests to
/// the broker's connection in drain order (so a partition's batches can never overtake each other on the way) and
/// keeps up to `max.in.flight.requests.per.connection` of them awaiting their responses.
///
/// The loop runs until ``close(force:)``; everything it decides comes from plain pieces tested without I/O —
/// ``RecordAccumulator`` (what is sendable), ``ProducerCore`` (the lifecycle, sequences and recovery, the
/// transaction, the batches in flight), ``ProduceRequestBuilder`` and ``ProduceResponseParser`` — and this actor only
/// wires them to the network. It is the core's driver. Responses are handled in `ProducerSender+Outcomes.swift`.
actor ProducerSender {
    /// The settings the sender needs, from the producer's configuration.
    struct Settings: Sendable {
        var acks: Int16
        var requestTimeout: Duration
        var maxRequestSize: Int
        var maxInFlightPerConnection: Int
        var retries: Int
        var retryBackoff: Duration
        var deliveryTimeout: Duration
        var transactionalID: String?
        var transactionTimeout: Duration
        var idempotent: Bool
    }

    struct FlushWaiter {
        let mark: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    // The actor runs on the global executor, not on an event loop: it calls the application's completion handlers
    // and interceptors, and an event loop is shared by every client of the process (a slow handler must not stall
    // their I/O). Running it on the connections' event loop gains nothing measurable.

    let accumulator: RecordAccumulator<RecordCompletion>
    let cluster: KafkaClusterClient
    let settings: Settings
    let wakeup: SenderWakeup
    let metrics: ProducerMetrics
    let interceptors: [any ProducerInterceptor]
    let logger: Logger
    /// The producer's state, which this actor drives.
    let core: ProducerCoreBox
    /// Whether the producer has a `transactional.id`.
    let isTransactional: Bool

    /// The number of requests in flight to all brokers, for `send`: a batch that fills while a request is in flight
    /// waits for that request's answer (which runs the loop) or its linger time, instead of waking the loop itself.
    nonisolated let requestsInFlight = ManagedAtomic<Int>(0)
    var flushWaiters: [FlushWaiter] = []
    var closeWaiters: [CheckedContinuation<Void, Never>] = []
    /// The connections produce requests go through, by broker (looked up in the cluster client only when none is
    /// open).
    var produceConnections: [Int32: BrokerConnection] = [:]
    /// Brokers a produce connection is being made to.
    var connecting: Set<Int32> = []
    /// The per-broker request loops' inputs.
    var brokerQueues: [Int32: AsyncStream<[DrainedBatch<RecordCompletion>]>.Continuation] = [:]

    init(
        accumulator: RecordAccumulator<RecordCompletion>, cluster: KafkaClusterClient, settings: Settings,
        wakeup: SenderWakeup, metrics: ProducerMetrics, interceptors: [any ProducerInterceptor], logger: Logger,
        core: ProducerCoreBox
    ) {
        self.core = core
        self.isTransactional = settings.transactionalID != nil
        self.accumulator = accumulator
        self.cluster = cluster
        self.settings = settings
        self.wakeup = wakeup
        self.metrics = metrics
        self.interceptors = interceptors
        self.logger = logger
    }

    /// Runs the loop until the producer is closed and every batch is delivered or failed.
    func run() async {
        await withDiscardingTaskGroup { group in
            while true {
                let now = ContinuousClock.now
                let (failsQueued, forced, needsProducerID) = core.withCore { core in
                    // A transactional producer's id comes from initTransactions() (its bumps from abortTransaction()).
                    (core.lifecycle.failsQueuedBatches, core.lifecycle.isForced, core.startProducerIDRequest())
                }
                if failsQueued { failQueuedBatches() }
                if forced { failInFlightBatches() }
                if needsProducerID { group.addTask { await self.initProducerID() } }
                if isTransactional { checkTransaction(group: &group) }

                let metadata = cluster.cachedMetadata
                let leaderOf: (TopicPartitionKey) -> Int32? = { key in
                    metadata.leaderID(topic: key.topic, partition: key.partition)
                }
                let check = accumulator.ready(now: now, leaderOf: leaderOf)
                if let oldest = check.oldestQueuedBatchCreatedAt, now - oldest >= settings.deliveryTimeout {
                    failExpiredBatches(now: now)
                }
                if !check.unknownLeaderTopics.isEmpty { core.withCore { $0.background.metadataRefreshWanted = true } }
                startMetadataRefreshIfWanted(now: now, group: &group)

                var sent = false
                // As the Java client's `client.ready(node)`: a node without an open produce connection is not drained;
                // its batches wait in the accumulator (bounded by delivery.timeout.ms, not by `retries`) while the
                // connection is made, after the pool's reconnect backoff.
                let accepting = core.withCore { core in
                    check.readyNodes.filter {
                        core.inFlight.acceptsRequest(to: $0, maxInFlight: settings.maxInFlightPerConnection)
                    }
                }
                let nodes = accepting.filter { isConnected($0, group: &group) }
                if !nodes.isEmpty {
                    for (node, batches) in drain(nodes: nodes, leaderOf: leaderOf, now: now) {
                        core.withCore { $0.inFlight.sent(batches, to: node) }
                        requestsInFlight.wrappingIncrement(ordering: .relaxed)
                        for batch in batches {
                            if batch.attempts == 0 {
                                metrics.queueTime.recordInterval(since: batch.createdAt, now: now)
                            }
                        }
                        metrics.requests.increment()
                        brokerQueue(for: node, group: &group).yield(batches)
                        sent = true
                    }
                }

                let incomplete = accumulator.hasIncomplete
                if core.withCore({ $0.mayFinish(batchesIncomplete: incomplete) }) { break }
                if sent { continue }
                var timeout = check.nextCheckDelay
                if check.hasIncomplete {
                    // Expiry, unknown leaders and blocked partitions are re-checked at least this often.
                    timeout = min(timeout ?? .milliseconds(250), .milliseconds(250))
                }
                await wakeup.wait(timeout: timeout)
            }
            for queue in brokerQueues.values { queue.finish() }
            brokerQueues = [:]
        }
        core.withCore { $0.lifecycle.finish() }
        resumeFlushWaiters(all: true)
        for waiter in closeWaiters { waiter.resume() }
        closeWaiters = []
    }

    /// Drains the ready nodes, asking the idempotence bookkeeping which batches may go and with which sequence.
    ///
    /// Two ordering rules hold whatever the broker checks: with `max.in.flight.requests.per.connection=1` a partition
    /// with a batch in flight is not drained (as the Java client's `guaranteeMessageOrder`), and a partition whose
    /// batches in flight went to another broker than its current leader waits for them (a leader change must not
    /// let new batches overtake the ones still on their way to the old leader).
    private func drain(
        nodes: Set<Int32>, leaderOf: (TopicPartitionKey) -> Int32?, now: ContinuousClock.Instant
    ) -> [Int32: [DrainedBatch<RecordCompletion>]] {
        let strictOrder = settings.maxInFlightPerConnection == 1
        // The accumulator's lock is taken without the core's: the drain works on copies, and only this actor changes
        // what it copied.
        let (inFlight, added, idempotence) = core.withCore { core in
            // A transaction's partitions are drained only once the coordinator added them.
            (core.inFlight, core.transaction?.addedPartitions, core.idempotence)
        }
        func held(_ partition: TopicPartitionKey) -> Bool {
            if let added, !added.contains(partition) { return true }
            return inFlight.holds(partition, leader: leaderOf(partition), strictOrder: strictOrder)
        }
        guard var state = idempotence else {
            return accumulator.drain(
                nodes: nodes, leaderOf: leaderOf, maxRequestSize: settings.maxRequestSize, now: now
            ) { partition, _, _ in held(partition) ? .skip : .take(sequence: nil) }
        }
        let drained = accumulator.drain(
            nodes: nodes, leaderOf: leaderOf, maxRequestSize: settings.maxRequestSize, now: now
        ) { partition, sequence, recordCount in
            if held(partition) { return .skip }
            guard let sequence else {
                guard state.canSend(partition) else { return .skip }
                return .take(sequence: state.assignSequence(partition, recordCount: recordCount))
            }
            guard state.canResend(partition, sequence) else { return .skip }
            // A retry keeping its sequence goes only as the partition's oldest batch in flight, so that the
            // partition's retries reach the broker in order.
            if state.isTracked(partition, sequence) && !state.isOldestInFlight(partition, sequence) { return .skip }
            return .take(sequence: state.resequenceIfNeeded(partition, sequence))
        }
        core.withCore { $0.idempotence = state }
        return drained
    }

    /// Forgets an answered batch; `false` when it was no longer in flight (failed by a forced close).
    func removeInFlight(_ batch: DrainedBatch<RecordCompletion>) -> Bool {
        core.withCore { $0.inFlight.remove(batch) }
    }

    /// Starts a metadata refresh when one is wanted, at most once per `retry.backoff.ms`.
    private func startMetadataRefreshIfWanted(
        now: ContinuousClock.Instant, group: inout DiscardingTaskGroup
    ) {
        guard core.withCore({ $0.startMetadataRefresh(now: now, backoff: settings.retryBackoff) }) else { return }
        let cluster = cluster
        group.addTask {
            do {
                try await cluster.refreshMetadata()
            } catch {
                self.logger.debug("metadata refresh failed", metadata: ["error": "\(error)"])
            }
            await self.metadataRefreshFinished()
        }
    }

    private func metadataRefreshFinished() {
        core.withCore { $0.background.metadataRefreshRunning = false }
        wakeup.wake()
    }

    /// Whether `node` has an open produce connection; when it has none, starts making one (once at a time) and wakes
    /// the loop when that attempt ends. A failed attempt asks for fresh metadata (the broker may be gone for good,
    /// its partitions led elsewhere); the next attempt waits for the pool's reconnect backoff.
    private func isConnected(_ node: Int32, group: inout DiscardingTaskGroup) -> Bool {
        if let open = produceConnections[node], open.isActive { return true }
        produceConnections[node] = nil
        guard !connecting.contains(node), !core.withCore({ $0.lifecycle.isForced }) else { return false }
        connecting.insert(node)
        let cluster = cluster
        group.addTask {
            do {
                let open = try await cluster.connection(to: .broker(node), kind: .produce)
                await self.connected(node, open)
            } catch {
                await self.connectFailed(node, error)
            }
        }
        return false
    }

    private func connected(_ node: Int32, _ connection: BrokerConnection) {
        connecting.remove(node)
        produceConnections[node] = connection
        wakeup.wake()
    }

    private func connectFailed(_ node: Int32, _ error: any Error) {
        connecting.remove(node)
        core.withCore { $0.background.metadataRefreshWanted = true }
        logger.debug("produce connection failed", metadata: ["broker": "\(node)", "error": "\(error)"])
        wakeup.wake()
    }

    /// The input of `node`'s request loop, starting the loop on first use.
    private func brokerQueue(
        for node: Int32, group: inout DiscardingTaskGroup
    ) -> AsyncStream<[DrainedBatch<RecordCompletion>]>.Continuation {
        if let queue = brokerQueues[node] { return queue }
        let (stream, queue) = AsyncStream.makeStream(of: [DrainedBatch<RecordCompletion>].self)
        brokerQueues[node] = queue
        group.addTask { await self.runBrokerLoop(node: node, requests: stream) }
        return queue
    }

    /// One written request (or one that could not be written) whose outcome is still to be handled.
    struct PendingProduce: Sendable {
        enum Outcome: Sendable {
            case response(PendingResponse<ProduceRequest>)
            /// `acks=0`: no response; the outcome is the write.
            case written(PendingWrite)
            case failed(any Error)
        }

        let batches: [DrainedBatch<RecordCompletion>]
        let connection: BrokerConnection?
        let outcome: Outcome
    }

    /// Writes `node`'s ProduceRequests one after another, in the order they were drained, and handles their outcomes
    /// in the same order from a second task (the number in flight is bounded by the drain loop). Both run on the
    /// actor.
    private func runBrokerLoop(node: Int32, requests: AsyncStream<[DrainedBatch<RecordCompletion>]>) async {
        let (pending, pendingQueue) = AsyncStream.makeStream(of: PendingProduce.self)
        await withDiscardingTaskGroup { group in
            // Each loop is an actor method, so that it iterates (and is resumed) on the actor rather than hopping
            // to it and back for every request.
            group.addTask { await self.handleOutcomes(node: node, pending) }
            await writeRequests(node: node, requests, into: pendingQueue)
        }
    }

    private func writeRequests(
        node: Int32, _ requests: AsyncStream<[DrainedBatch<RecordCompletion>]>,
        into pending: AsyncStream<PendingProduce>.Continuation
    ) async {
        for await batches in requests {
            pending.yield(await write(batches, to: node))
        }
        pending.finish()
    }

    private func handleOutcomes(node: Int32, _ pending: AsyncStream<PendingProduce>) async {
        for await item in pending { await handleOutcome(node: node, consume item) }
    }

    /// The connection for produce requests to `node`: the one in use while it is open, otherwise a new one.
    private func produceConnection(to node: Int32) async throws -> BrokerConnection {
        if let open = produceConnections[node], open.isActive { return open }
        let open = try await cluster.connection(to: .broker(node), kind: .produce)
        produceConnections[node] = open
        return open
    }

    /// Writes one ProduceRequest (without waiting for its response).
    private func write(_ batches: [DrainedBatch<RecordCompletion>], to node: Int32) async -> PendingProduce {
        var connection: BrokerConnection?
        do {
            let open = try await produceConnection(to: node)
            connection = open
            let version = try open.versions.version(
                for: .produce, clientRange: ProduceRequestBuilder.supportedVersions)
            let request = try ProduceRequestBuilder.build(
                batches: batches.map { ($0.topicPartition, $0.records) }, acks: settings.acks,
                timeout: settings.requestTimeout, transactionalID: settings.transactionalID, version: version)
            if settings.acks == 0 {
                let written = try open.writeWithoutResponse(request, version: version)
                return PendingProduce(batches: batches, connection: open, outcome: .written(written))
            }
            let response = try open.write(request, version: version)
            return PendingProduce(batches: batches, connection: open, outcome: .response(response))
        } catch {
            return PendingProduce(batches: batches, connection: connection, outcome: .failed(error))
        }
    }

    /// Awaits one request's outcome and handles it; a connection that failed is discarded.
    private func handleOutcome(node: Int32, _ item: consuming PendingProduce) async {
        let keys = item.batches.map { $0.topicPartition }
        let result: Result<[TopicPartitionKey: PartitionProduceOutcome], any Error>
        do {
            switch item.outcome {
            case .response(let response):
                result = .success(ProduceResponseParser.outcomes(try await response.response(), sent: keys))
            case .written(let written):
                try await written.written()
                var outcomes: [TopicPartitionKey: PartitionProduceOutcome] = [:]
                for key in keys { outcomes[key] = PartitionProduceOutcome(topicPartition: key, error: .none) }
                result = .success(outcomes)
            case .failed(let error):
                throw error
            }
        } catch {
            if let connection = item.connection, let error = error as? KafkaNetworkError,
                error.kind != .unsupportedVersion, error.kind != .undecodableResponse
            {
                if produceConnections[node] === connection { produceConnections[node] = nil }
                await cluster.discard(connection)
            }
            result = .failure(error)
        }
        var batches = item.batches
        _ = consume item
        requestCompleted(node: node, batches: &batches, result: result)
        // The last copy of the batches: their buffers go back to the pool unshared, to be written into again.
        accumulator.recycle(consume batches)
    }

    /// Obtains a producer id and epoch (`InitProducerId`) for the idempotent producer.
    private nonisolated func initProducerID() async {
        let timeoutMs = Int32(clamping: settings.transactionTimeout.components.seconds * 1000)
        let request = InitProducerIdRequest(
            transactionalId: settings.transactionalID, transactionTimeoutMs: timeoutMs, producerId: -1,
            producerEpoch: -1)
        do {
            let connection = try await cluster.connection(to: .anyBroker, kind: .admin)
            let (response, version) = try await cluster.send(on: connection) { _ in request }
            let code = KafkaErrorCode(rawValue: response.errorCode)
            if code != .none {
                throw KafkaError(code: code, api: .initProducerId)
            }
            await producerIDReceived(
                ProducerIdentity(producerID: response.producerId, epoch: response.producerEpoch),
                epochBumpsLocally: version >= 3)
        } catch {
            await producerIDFailed(error)
            try? await Task.sleep(for: settings.retryBackoff)
            await producerIDRetryDue()
        }
    }

    private func producerIDReceived(_ identity: ProducerIdentity, epochBumpsLocally: Bool) {
        core.withCore { core in
            core.background.producerIDRunning = false
            core.idempotence?.epochBumpsLocally = epochBumpsLocally
            core.idempotence?.producerIDReceived(identity)
        }
        logger.debug("producer id received", metadata: ["producer": "\(identity)"])
        wakeup.wake()
    }

    private func producerIDFailed(_ error: any Error) {
        let code: KafkaErrorCode =
            switch error {
            case let error as KafkaError: error.code
            case let error as KafkaNetworkError where !error.isRetriable: .unknownServerError
            default: .networkException
            }
        logger.debug("InitProducerId failed", metadata: ["error": "\(error)"])
        let reason = core.withCore { core -> String? in
            guard core.idempotence?.producerIDRequestFailed(code) == true else { return nil }
            return core.idempotence?.fatalReason
        }
        if let reason { becomeFatal("\(reason) (\(error))") }
    }

    private func producerIDRetryDue() {
        core.withCore { $0.background.producerIDRunning = false }
        wakeup.wake()
    }

    // MARK: flush and close

    /// Makes every batch created so far sendable at once and waits until each is delivered or failed.
    func flush() async {
        let mark = accumulator.lastBatchID
        guard !isFlushed(mark: mark) else { return }
        // The accumulator makes every batch sendable while the lifecycle is flushing.
        let (closed, first) = core.withCore { core in
            core.lifecycle == .closed ? (true, false) : (false, core.lifecycle.beginFlush())
        }
        guard !closed else { return }
        if first { accumulator.beginFlush() }
        wakeup.wake()
        await withCheckedContinuation { continuation in
            flushWaiters.append(FlushWaiter(mark: mark, continuation: continuation))
        }
        if core.withCore({ $0.lifecycle.endFlush() }) { accumulator.endFlush() }
    }

    private func isFlushed(mark: UInt64) -> Bool {
        guard let oldest = accumulator.oldestIncompleteBatchID else { return true }
        return oldest > mark
    }

    func resumeFlushWaiters(all: Bool = false) {
        guard !flushWaiters.isEmpty else { return }
        var waiting: [FlushWaiter] = []
        for waiter in flushWaiters {
            if all || isFlushed(mark: waiter.mark) {
                waiter.continuation.resume()
            } else {
                waiting.append(waiter)
            }
        }
        flushWaiters = waiting
    }

    /// Stops accepting work: queued batches are still sent (`force == false`) or failed at once (`force == true`,
    /// in-flight records are then failed too, as the Java client's forced close does). Returns when the loop ended.
    func close(force: Bool) async {
        let closed = core.withCore { core in
            core.lifecycle.close(force: force)
            return core.lifecycle == .closed
        }
        wakeup.wake()
        guard !closed else { return }
        await withCheckedContinuation { closeWaiters.append($0) }
    }
}

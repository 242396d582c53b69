import KafkaNetwork
import Testing

@testable import KafkaProducer

/// The producer's state without I/O: its lifecycle, what the send path and the caller's transactional calls may do,
/// and the bookkeeping of batches in flight.
@Suite(.timeLimit(.minutes(1))) struct ProducerCoreTests {
    private let fatal = KafkaProducerError(.fatal, "not authorized")
    private let partition = TopicPartitionKey(topic: "t", partition: 0)

    @Test func aGracefulCloseWaitsForQueuedAndInFlightBatches() {
        var lifecycle = ProducerLifecycle.running
        #expect(!lifecycle.isClosing && !lifecycle.refusesSends)
        #expect(!lifecycle.mayFinish(requestsInFlight: false, batchesIncomplete: false))
        lifecycle.close(force: false)
        #expect(lifecycle == .closing(forced: false))
        #expect(lifecycle.refusesSends && !lifecycle.isForced && !lifecycle.failsQueuedBatches)
        #expect(lifecycle.refusal?.kind == .closed)
        #expect(!lifecycle.mayFinish(requestsInFlight: true, batchesIncomplete: false))
        #expect(!lifecycle.mayFinish(requestsInFlight: false, batchesIncomplete: true))
        #expect(lifecycle.mayFinish(requestsInFlight: false, batchesIncomplete: false))
        lifecycle.finish()
        #expect(lifecycle == .closed)
        #expect(!lifecycle.isClosing && lifecycle.refusesSends)
    }

    @Test func aForcedCloseOverridesAGracefulOneAndDoesNotWaitForQueuedBatches() {
        var lifecycle = ProducerLifecycle.running
        lifecycle.close(force: false)
        lifecycle.close(force: true)
        #expect(lifecycle == .closing(forced: true))
        #expect(lifecycle.isForced && lifecycle.failsQueuedBatches)
        #expect(lifecycle.mayFinish(requestsInFlight: false, batchesIncomplete: true))
        #expect(!lifecycle.mayFinish(requestsInFlight: true, batchesIncomplete: true))
        lifecycle.close(force: false)  // a later graceful close does not soften it
        #expect(lifecycle == .closing(forced: true))
    }

    @Test func nothingReopensAClosedProducer() {
        var lifecycle = ProducerLifecycle.running
        lifecycle.close(force: true)
        lifecycle.finish()
        lifecycle.close(force: false)
        #expect(lifecycle == .closed)
        let result1 = lifecycle.fail(fatal)
        #expect(!result1)
        #expect(lifecycle == .closed)
    }

    @Test func flushesCountAndOnlyTheFirstAndLastChangeTheAccumulator() {
        var lifecycle = ProducerLifecycle.running
        let result2 = lifecycle.beginFlush()
        #expect(result2)
        let result3 = lifecycle.beginFlush()
        #expect(!result3)
        #expect(lifecycle == .flushing(waiters: 2))
        #expect(!lifecycle.refusesSends)
        let result4 = lifecycle.endFlush()
        #expect(!result4)
        let result5 = lifecycle.endFlush()
        #expect(result5)
        #expect(lifecycle == .running)
        let result6 = lifecycle.endFlush()
        #expect(!result6)
    }

    @Test func theFirstFatalErrorStaysAndRefusesSendsUntilTheClose() {
        var lifecycle = ProducerLifecycle.flushing(waiters: 1)
        let result7 = lifecycle.fail(fatal)
        #expect(result7)
        let result8 = lifecycle.fail(KafkaProducerError(.fenced, "later"))
        #expect(!result8)
        #expect(lifecycle.fatalError == fatal && lifecycle.refusal == fatal)
        #expect(lifecycle.failsQueuedBatches && !lifecycle.isForced)
        let result9 = lifecycle.beginFlush()
        #expect(!result9 && !lifecycle.endFlush())
        lifecycle.close(force: false)
        #expect(lifecycle == .closing(forced: false))
        #expect(lifecycle.refusal?.kind == .closed)
    }

    @Test func theSendPathIsRefusedThroughTheFlagOnceTheCoreRefuses() throws {
        let box = ProducerCoreBox(ProducerCore(idempotence: nil, transactionalID: nil))
        let refusedBefore = box.refusesSends.load(ordering: .relaxed)
        #expect(!refusedBefore)
        let admitted = try box.withCore(throwing: { core throws(KafkaProducerError) in try core.admit(partition) })
        #expect(!admitted)
        box.withCore { _ = $0.lifecycle.fail(fatal) }
        let refusedAfter = box.refusesSends.load(ordering: .relaxed)
        #expect(refusedAfter)
        #expect(box.withCore { $0.refusal } == fatal)
    }

    @Test func aTransactionAdmitsPartitionsOnlyWhileOpen() throws {
        var core = ProducerCore(idempotence: nil, transactionalID: "tx")
        #expect(throws: KafkaProducerError.self) { try core.admit(partition) }
        try core.withTransaction { state throws(KafkaProducerError) in
            try state.startInitialization()
            state.initializationSucceeded(ProducerIdentity(producerID: 7, epoch: 0))
            try state.beginTransaction()
        }
        let first = try core.admit(partition)
        let second = try core.admit(partition)
        #expect(first, "a partition new to the transaction must be added")
        #expect(!second, "and only once")
        core.lifecycle.close(force: false)
        #expect {
            try core.withTransaction { state throws(KafkaProducerError) in try state.beginAbort() }
        } throws: { ($0 as? KafkaProducerError)?.kind == .closed }
        try core.withTransaction(whileClosing: true) { state throws(KafkaProducerError) in try state.beginAbort() }
        #expect(core.transaction?.state == .aborting)
    }

    @Test func withoutATransactionalIDTransactionalCallsAreInvalid() {
        var core = ProducerCore(idempotence: nil, transactionalID: nil)
        #expect {
            try core.withTransaction { state throws(KafkaProducerError) in try state.beginTransaction() }
        } throws: { ($0 as? KafkaProducerError)?.kind == .invalidTransactionState }
    }

    @Test func aFencedTransactionFailsTheProducerAndAnAbortableOneDoesNot() throws {
        var core = ProducerCore(idempotence: nil, transactionalID: "tx")
        try core.withTransaction { state throws(KafkaProducerError) in
            try state.startInitialization()
            state.initializationSucceeded(ProducerIdentity(producerID: 7, epoch: 0))
            try state.beginTransaction()
        }
        _ = core.failTransaction(.abortable, KafkaProducerError(.broker(.invalidTxnState), "refused"))
        #expect(core.lifecycle == .running)
        #expect(core.transaction?.state == .abortableError)
        let fenced = core.failTransaction(.fenced, KafkaProducerError(.fenced, "another producer took over"))
        #expect(fenced.kind == .fenced)
        #expect(core.lifecycle.fatalError?.kind == .fenced)
        #expect(core.refusal?.kind == .fenced)
    }

    @Test func aBatchFailingInATransactionMakesItAbortable() throws {
        var core = ProducerCore(idempotence: nil, transactionalID: "tx")
        try core.withTransaction { state throws(KafkaProducerError) in
            try state.startInitialization()
            state.initializationSucceeded(ProducerIdentity(producerID: 7, epoch: 0))
            try state.beginTransaction()
        }
        core.batchFailed(KafkaProducerError(.deliveryTimedOut, "expired"))
        #expect(core.transaction?.state == .abortableError)
        #expect(core.lifecycle == .running)
        core.batchFailed(KafkaProducerError(.fatal, "not authorized"))
        #expect(core.lifecycle.fatalError != nil)
    }

    @Test func backgroundRequestsRunOneAtATime() {
        var core = ProducerCore(
            idempotence: IdempotentProducerState(maxInFlight: 5, isTransactional: false), transactionalID: nil)
        let result10 = core.startProducerIDRequest()
        #expect(result10)
        let result11 = core.startProducerIDRequest()
        #expect(!result11, "one InitProducerId at a time")
        let now = ContinuousClock.now
        let result12 = core.startMetadataRefresh(now: now, backoff: .milliseconds(100))
        #expect(!result12, "not wanted")
        core.background.metadataRefreshWanted = true
        let result13 = core.startMetadataRefresh(now: now, backoff: .milliseconds(100))
        #expect(result13)
        core.background.metadataRefreshRunning = false
        core.background.metadataRefreshWanted = true
        let result14 = core.startMetadataRefresh(now: now + .milliseconds(50), backoff: .milliseconds(100))
        #expect(!result14, "backoff")
        let result15 = core.startMetadataRefresh(now: now + .milliseconds(150), backoff: .milliseconds(100))
        #expect(result15)
        core.lifecycle.close(force: true)
        core.background.producerIDRunning = false
        let result16 = core.startProducerIDRequest()
        #expect(!result16, "nothing new starts on a forced close")
    }

    private struct Batch: InFlightBatch, Sendable {
        let id: UInt64
        let topicPartition: TopicPartitionKey
    }

    @Test func inFlightBatchesCountRequestsPerBrokerAndBatchesPerPartition() {
        var inFlight = InFlightBatches<Batch>()
        let other = TopicPartitionKey(topic: "t", partition: 1)
        #expect(inFlight.acceptsRequest(to: 1, maxInFlight: 1))
        inFlight.sent([Batch(id: 1, topicPartition: partition), Batch(id: 2, topicPartition: other)], to: 1)
        inFlight.sent([Batch(id: 3, topicPartition: partition)], to: 1)
        #expect(!inFlight.acceptsRequest(to: 1, maxInFlight: 2))
        #expect(inFlight.acceptsRequest(to: 2, maxInFlight: 2))
        #expect(inFlight.partitions[partition]?.count == 2)
        // A partition waits for its batches in flight with strict order, or when its leader moved.
        #expect(inFlight.holds(partition, leader: 1, strictOrder: true))
        #expect(!inFlight.holds(partition, leader: 1, strictOrder: false))
        #expect(inFlight.holds(partition, leader: 2, strictOrder: false))
        let removed = inFlight.remove(Batch(id: 1, topicPartition: partition))
        let removedAgain = inFlight.remove(Batch(id: 1, topicPartition: partition))
        #expect(removed)
        #expect(!removedAgain, "answered twice")
        #expect(inFlight.partitions[partition]?.count == 1)
        inFlight.requestFinished(to: 1)
        #expect(inFlight.acceptsRequest(to: 1, maxInFlight: 2))
        let all = inFlight.takeAll()
        #expect(all.map(\.id) == [2, 3])
        #expect(inFlight.isEmpty && inFlight.partitions.isEmpty)
        #expect(!inFlight.holds(partition, leader: 2, strictOrder: true))
    }
}

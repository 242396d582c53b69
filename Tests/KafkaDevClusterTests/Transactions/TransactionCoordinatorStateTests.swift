import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// ``TransactionCoordinatorState`` and ``TransactionIndex`` as plain values: every transition and
/// error, no handlers.
@Suite(.timeLimit(.minutes(5))) struct TransactionCoordinatorStateTests {
    typealias State = TransactionCoordinatorState
    static let p0 = TransactionPartition(topic: "t", partition: 0)
    static let p1 = TransactionPartition(topic: "t", partition: 1)

    /// A coordinator with "tx" initialised as producer 7 at epoch 2.
    static func coordinator() -> State {
        var state = State()
        state.initialized("tx", producerID: 7, epoch: 2, timeoutMs: 1000)
        return state
    }

    @Test func initialisedIsEmpty() {
        let state = Self.coordinator()
        #expect(state["tx"]?.state == .empty)
        #expect(state["tx"]?.partitions.isEmpty == true)
        #expect(state.transactionalID(of: 7) == "tx")
    }

    @Test func addStartsAndExtendsATransaction() {
        var state = Self.coordinator()
        #expect(state.add("tx", producerID: 7, epoch: 2, partitions: [Self.p0], now: 100) == .none)
        #expect(state["tx"]?.state == .ongoing)
        #expect(state["tx"]?.startTimestamp == 100)
        #expect(state.add("tx", producerID: 7, epoch: 2, partitions: [Self.p1], groups: ["g"], now: 200) == .none)
        #expect(state["tx"]?.partitions == [Self.p0, Self.p1])
        #expect(state["tx"]?.groups == ["g"])
        // Adding to an open transaction keeps its start time.
        #expect(state["tx"]?.startTimestamp == 100)
        #expect(state.includes(group: "g", in: "tx"))
    }

    @Test func validationErrors() {
        var state = Self.coordinator()
        #expect(
            state.add("unknown", producerID: 7, epoch: 2, partitions: [Self.p0], now: 0) == .invalidProducerIdMapping)
        #expect(state.add("tx", producerID: 8, epoch: 2, partitions: [Self.p0], now: 0) == .invalidProducerIdMapping)
        #expect(state.add("tx", producerID: 7, epoch: 1, partitions: [Self.p0], now: 0) == .producerFenced)
        #expect(state.add("tx", producerID: 7, epoch: 3, partitions: [Self.p0], now: 0) == .producerFenced)
        #expect(state["tx"]?.state == .empty)
        #expect(state.end("tx", producerID: 7, epoch: 1, commit: true) == .failed(.producerFenced))
        #expect(state.end("tx", producerID: 9, epoch: 2, commit: true) == .failed(.invalidProducerIdMapping))
    }

    @Test(arguments: [true, false])
    func endCompletesAndIsIdempotent(commit: Bool) {
        var state = Self.coordinator()
        _ = state.add("tx", producerID: 7, epoch: 2, partitions: [Self.p1, Self.p0], groups: ["g"], now: 0)
        let outcome = state.end("tx", producerID: 7, epoch: 2, commit: commit)
        let expected = TransactionCompletion(
            transactionalID: "tx", producerID: 7, producerEpoch: 2, commit: commit, partitions: [Self.p0, Self.p1],
            groups: ["g"])
        #expect(outcome == .complete(expected))
        #expect(state["tx"]?.state == (commit ? .prepareCommit : .prepareAbort))
        // While the markers are written: the same result is concurrent, the other one invalid, adds wait.
        #expect(state.end("tx", producerID: 7, epoch: 2, commit: commit) == .failed(.concurrentTransactions))
        #expect(state.end("tx", producerID: 7, epoch: 2, commit: !commit) == .failed(.invalidTxnState))
        #expect(state.add("tx", producerID: 7, epoch: 2, partitions: [Self.p0], now: 0) == .concurrentTransactions)
        state.complete("tx")
        #expect(state["tx"]?.state == (commit ? .completeCommit : .completeAbort))
        #expect(state["tx"]?.partitions.isEmpty == true)
        #expect(state["tx"]?.groups.isEmpty == true)
        #expect(state.end("tx", producerID: 7, epoch: 2, commit: commit) == .alreadyComplete)
        #expect(state.end("tx", producerID: 7, epoch: 2, commit: !commit) == .failed(.invalidTxnState))
        // A new transaction starts afresh.
        #expect(state.add("tx", producerID: 7, epoch: 2, partitions: [Self.p1], now: 50) == .none)
        #expect(state["tx"]?.partitions == [Self.p1])
        #expect(state["tx"]?.startTimestamp == 50)
    }

    @Test func endWithoutTransactionIsInvalid() {
        var state = Self.coordinator()
        #expect(state.end("tx", producerID: 7, epoch: 2, commit: true) == .failed(.invalidTxnState))
        #expect(state.end("tx", producerID: 7, epoch: 2, commit: false) == .failed(.invalidTxnState))
    }

    @Test func fenceAndAbortBumpsTheEpoch() {
        var state = Self.coordinator()
        #expect(state.fenceAndAbort("tx", fencedEpoch: 3) == nil)
        _ = state.add("tx", producerID: 7, epoch: 2, partitions: [Self.p0], now: 0)
        let completion = state.fenceAndAbort("tx", fencedEpoch: 3)
        #expect(completion?.producerEpoch == 3)
        #expect(completion?.commit == false)
        state.complete("tx")
        #expect(state["tx"]?.state == .completeAbort)
        #expect(state.end("tx", producerID: 7, epoch: 2, commit: true) == .failed(.producerFenced))
        #expect(state.add("tx", producerID: 7, epoch: 2, partitions: [Self.p0], now: 0) == .producerFenced)
    }

    @Test func timeouts() {
        var state = Self.coordinator()
        #expect(state.timedOut(now: 10_000).isEmpty)
        _ = state.add("tx", producerID: 7, epoch: 2, partitions: [Self.p0], now: 1000)
        #expect(state.timedOut(now: 2000).isEmpty)
        #expect(state.timedOut(now: 2001) == ["tx"])
        // Overflowing start times never time out.
        var huge = Self.coordinator()
        _ = huge.add("tx", producerID: 7, epoch: 2, partitions: [Self.p0], now: .max)
        #expect(huge.timedOut(now: .max).isEmpty)
    }

    @Test func produceVerification() {
        var state = Self.coordinator()
        #expect(state.verify(producerID: 99, epoch: 0, partition: Self.p0) == .invalidProducerIdMapping)
        #expect(state.verify(producerID: 7, epoch: 2, partition: Self.p0) == .invalidTxnState)
        _ = state.add("tx", producerID: 7, epoch: 2, partitions: [Self.p0], now: 0)
        #expect(state.verify(producerID: 7, epoch: 2, partition: Self.p0) == .none)
        #expect(state.verify(producerID: 7, epoch: 2, partition: Self.p1) == .invalidTxnState)
        #expect(state.verify(producerID: 7, epoch: 1, partition: Self.p0) == .invalidProducerEpoch)
    }

    @Test func rotatedProducerIDsAreRemapped() {
        var state = Self.coordinator()
        state.initialized("tx", producerID: 8, epoch: 0, timeoutMs: 1000)
        #expect(state.transactionalID(of: 7) == nil)
        #expect(state.transactionalID(of: 8) == "tx")
    }

    @Test func allocatorFenceAndAccepts() {
        var allocator = ProducerIDAllocator()
        let first = allocator.initTransactional("tx", timeoutMs: 1000, expected: nil)
        #expect(first?.epoch == 0)
        #expect(allocator.accepts("tx", expected: (1000, 0)))
        #expect(!allocator.accepts("tx", expected: (1000, 5)))
        #expect(allocator.accepts("other", expected: (1, 1)))
        #expect(allocator.fence("tx")?.epoch == 1)
        #expect(allocator.fence("missing") == nil)
        #expect(!allocator.accepts("tx", expected: (1000, 0)))
    }

    // MARK: - The log's transaction index

    @Test func indexTracksOpenAndAbortedTransactions() {
        var index = TransactionIndex()
        index.open(producerID: 1, at: 10)
        index.open(producerID: 1, at: 12)
        index.open(producerID: 2, at: 11)
        #expect(index.firstOpenOffset == 10)
        index.close(producerID: 1, commit: false, markerOffset: 13)
        #expect(index.firstOpenOffset == 11)
        index.close(producerID: 2, commit: true, markerOffset: 14)
        #expect(index.firstOpenOffset == nil)
        index.close(producerID: 3, commit: false, markerOffset: 15)
        #expect(
            index.aborted == [
                .init(producerID: 1, firstOffset: 10, lastOffset: 13),
                .init(producerID: 3, firstOffset: 15, lastOffset: 15),
            ])
        #expect(index.abortedTransactions(from: 0, before: 11).map(\.producerID) == [1])
        #expect(index.abortedTransactions(from: 14, before: 100).map(\.producerID) == [3])
        #expect(index.abortedTransactions(from: 16, before: 100).isEmpty)
        #expect(index.abortedTransactions(from: 0, before: 10).isEmpty)
    }

    @Test func logMarkersMoveTheLastStableOffset() throws {
        var log = PartitionLog()
        let batch = try ProduceTestSupport.batch(count: 2, producerID: 5, epoch: 0, sequence: 0, transactional: true)
        log.append(batch: try ProduceTestSupport.batch(count: 1), lastOffsetDelta: 0, leaderEpoch: 0, maxTimestamp: 1)
        log.append(batch: batch, lastOffsetDelta: 1, leaderEpoch: 0, maxTimestamp: 1, transactionalProducerID: 5)
        #expect(log.lastStableOffset == 1)
        #expect(log.highWatermark == 3)
        let marker = log.appendMarker(producerID: 5, epoch: 1, commit: false, leaderEpoch: 0, timestamp: 9)
        #expect(marker == 3)
        #expect(log.lastStableOffset == 4)
        #expect(log.transactions.aborted == [.init(producerID: 5, firstOffset: 1, lastOffset: 3)])
        #expect(log.producerStates.entry(for: 5)?.epoch == 1)
        let stored = try RecordBatch(decoding: try #require(log.batches.last?.bytes))
        #expect(stored.isControlBatch)
        #expect(stored.isTransactional)
        #expect(stored.producerId == 5)
        #expect(stored.producerEpoch == 1)
        let record = try #require(try stored.records().collect().first)
        let decoded = try EndTransactionMarker(record: record)
        #expect(decoded.type == .abort)
        #expect(decoded.coordinatorEpoch == 0)
        // A restored copy of the log rebuilds the index.
        var restored = PartitionLog()
        for stored in log.batches {
            let added = restored.restore(
                stored.bytes, baseOffset: stored.baseOffset, lastOffset: stored.lastOffset,
                maxTimestamp: stored.maxTimestamp)
            #expect(added)
        }
        #expect(restored.transactions == log.transactions)
    }
}

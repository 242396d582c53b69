import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// The transaction APIs through their handlers, requests and answers round-tripped through the
/// wire format: commit, abort, the last stable offset in Fetch and ListOffsets, fencing, produce
/// verification and timeouts.
@Suite(.timeLimit(.minutes(5))) struct TransactionHandlerTests {
    typealias E = KafkaErrorCode

    @Test(arguments: [Int16(0), 3])
    func commitMakesBatchesVisibleToReadCommitted(version: Int16) throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        #expect(try fixture.producePlain().errorCode == 0)  // offset 0
        #expect(try fixture.addPartitions([0, 1], version: version) == ["t-0": 0, "t-1": 0])
        #expect(try fixture.produce(partition: 0, count: 2).baseOffset == 1)  // 1...2
        #expect(try fixture.produce(partition: 0, count: 1).baseOffset == 3)  // 3
        #expect(try fixture.produce(partition: 1, count: 1).errorCode == 0)
        // Open transaction: the last stable offset holds at its first offset.
        #expect(try fixture.log().lastStableOffset == 1)
        var committed = try fixture.fetch(readCommitted: true)
        #expect(try TransactionFixture.batches(committed).map(\.base) == [0])
        #expect(committed.lastStableOffset == 1)
        #expect(committed.highWatermark == 4)
        #expect(committed.abortedTransactions == [])
        let uncommitted = try fixture.fetch(readCommitted: false)
        #expect(try TransactionFixture.batches(uncommitted).map(\.base) == [0, 1, 3])
        #expect(uncommitted.lastStableOffset == 1)
        #expect(uncommitted.abortedTransactions == nil)
        #expect(try fixture.latestOffset(readCommitted: true) == 1)
        #expect(try fixture.latestOffset(readCommitted: false) == 4)

        #expect(try fixture.end(commit: true, version: version) == 0)
        #expect(try fixture.log().lastStableOffset == 5)
        #expect(try fixture.log(1).lastStableOffset == 2)
        committed = try fixture.fetch(readCommitted: true)
        let batches = try TransactionFixture.batches(committed)
        #expect(batches.map(\.base) == [0, 1, 3, 4])
        #expect(batches.map(\.control) == [false, false, false, true])
        #expect(committed.lastStableOffset == 5)
        #expect(committed.abortedTransactions == [])
        #expect(try fixture.latestOffset(readCommitted: true) == 5)
        #expect(fixture.harness.state.transactions["tx"]?.state == .completeCommit)
        // Retrying the commit succeeds; the opposite result does not.
        #expect(try fixture.end(commit: true, version: version) == 0)
        #expect(try fixture.end(commit: false, version: version) == E.invalidTxnState.rawValue)
        #expect(try fixture.log().highWatermark == 5)
    }

    @Test func abortListsTheAbortedTransaction() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        _ = try fixture.addPartitions([0])
        #expect(try fixture.produce(count: 3).errorCode == 0)  // 0...2
        #expect(try fixture.end(commit: false) == 0)  // marker at 3
        let committed = try fixture.fetch(readCommitted: true)
        #expect(try TransactionFixture.batches(committed).map(\.base) == [0, 3])
        #expect(committed.abortedTransactions == [.init(producerId: fixture.producerID, firstOffset: 0)])
        #expect(committed.lastStableOffset == 4)
        let uncommitted = try fixture.fetch(readCommitted: false)
        #expect(try TransactionFixture.batches(uncommitted).map(\.base) == [0, 3])
        #expect(uncommitted.abortedTransactions == nil)
        // A fetch past the aborted range does not list it.
        let later = try fixture.fetch(offset: 4, readCommitted: true)
        #expect(later.abortedTransactions == [])
        #expect(try fixture.end(commit: false) == 0)
        #expect(try fixture.end(commit: true) == E.invalidTxnState.rawValue)
    }

    @Test func fetchBeforeV4HasNoTransactionFields() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        _ = try fixture.addPartitions([0])
        _ = try fixture.produce()
        let data = try fixture.fetch(readCommitted: false, version: 3)
        #expect(try TransactionFixture.batches(data).count == 1)
    }

    @Test func endWithoutTransactionAndValidation() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        #expect(try fixture.end(commit: true) == E.invalidTxnState.rawValue)
        #expect(try fixture.end(commit: false, id: "nobody") == E.invalidProducerIdMapping.rawValue)
        #expect(try fixture.end(commit: true, id: "") == E.invalidRequest.rawValue)
        #expect(try fixture.end(commit: true, epoch: 9) == E.producerFenced.rawValue)
        #expect(try fixture.end(commit: true, epoch: 9, version: 1) == E.invalidProducerEpoch.rawValue)
        #expect(try fixture.addPartitions([0], epoch: 9) == ["t-0": E.producerFenced.rawValue])
        #expect(try fixture.addPartitions([0], epoch: 9, version: 0) == ["t-0": E.invalidProducerEpoch.rawValue])
        #expect(try fixture.addPartitions([0], producerID: 5) == ["t-0": E.invalidProducerIdMapping.rawValue])
        #expect(try fixture.addOffsets(epoch: 9) == E.producerFenced.rawValue)
        #expect(try fixture.addOffsets(epoch: 9, version: 1) == E.invalidProducerEpoch.rawValue)
    }

    @Test func unknownPartitionsAreNotAttempted() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        #expect(
            try fixture.addPartitions([0, 7])
                == ["t-0": E.operationNotAttempted.rawValue, "t-7": E.unknownTopicOrPartition.rawValue])
        #expect(fixture.harness.state.transactions["tx"]?.state == .empty)
        #expect(try fixture.addPartitions([0], topic: "nope") == ["nope-0": E.unknownTopicOrPartition.rawValue])
    }

    @Test func notCoordinator() throws {
        var fixture = TransactionFixture()
        fixture.harness = HandlerHarness(brokers: 2)
        fixture.harness.state.createTopic("t", partitions: 1, replicationFactor: 1)
        fixture.harness.state.coordinatorOverrides[.init(type: 1, key: "tx")] = 2
        #expect(try fixture.addPartitions([0]) == ["t-0": E.notCoordinator.rawValue])
        #expect(try fixture.end(commit: true) == E.notCoordinator.rawValue)
        #expect(try fixture.addOffsets() == E.notCoordinator.rawValue)
    }

    @Test func produceToAnUnaddedPartitionIsInvalid() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        var answer = try fixture.produce(partition: 0)
        #expect(answer.errorCode == E.invalidTxnState.rawValue)
        _ = try fixture.addPartitions([0])
        #expect(try fixture.produce(partition: 0).errorCode == 0)
        answer = try fixture.produce(partition: 1)
        #expect(answer.errorCode == E.invalidTxnState.rawValue)
        // Idempotent (non-transactional) batches of the same producer id are not verified.
        #expect(try fixture.produce(partition: 1, transactional: false).errorCode == 0)
        // Unknown producers.
        fixture.producerID = 4242
        #expect(try fixture.produce(partition: 0).errorCode == E.invalidProducerIdMapping.rawValue)
    }

    @Test func secondInitProducerIdFencesAndAborts() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        let old = (id: fixture.producerID, epoch: fixture.epoch)
        _ = try fixture.addPartitions([0])
        _ = try fixture.produce(count: 2)  // 0...1
        var second = fixture
        let answer = try second.initProducer()
        #expect(answer.producerId == old.id)
        #expect(answer.producerEpoch == old.epoch + 2)
        fixture.harness = second.harness
        // The open transaction was aborted with the fencing epoch.
        let log = try fixture.log()
        #expect(log.lastStableOffset == 3)
        #expect(log.transactions.aborted == [.init(producerID: old.id, firstOffset: 0, lastOffset: 2)])
        let marker = try RecordBatch(decoding: try #require(log.batches.last?.bytes))
        #expect(marker.isControlBatch && marker.producerEpoch == old.epoch + 1)
        #expect(fixture.harness.state.transactions["tx"]?.state == .empty)
        // The old instance is fenced everywhere.
        #expect(try fixture.addPartitions([0]) == ["t-0": E.producerFenced.rawValue])
        #expect(try fixture.end(commit: true) == E.producerFenced.rawValue)
        #expect(try fixture.produce(partition: 0).errorCode == E.invalidProducerEpoch.rawValue)
        // The new one works.
        second.harness = fixture.harness
        #expect(try second.addPartitions([0]) == ["t-0": 0])
        #expect(try second.produce(partition: 0).errorCode == 0)
        #expect(try second.end(commit: true) == 0)
        #expect(try second.fetch(readCommitted: true).lastStableOffset == 6)
    }

    @Test func timedOutTransactionsAreAbortedAndFenced() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer(timeoutMs: 1000)
        _ = try fixture.addPartitions([0])
        _ = try fixture.produce(count: 2)
        fixture.harness.now += 1000
        #expect(try fixture.fetch(readCommitted: true).lastStableOffset == 0)
        fixture.harness.now += 1
        // Any request past the deadline sees the transaction aborted.
        let data = try fixture.fetch(readCommitted: true)
        #expect(data.lastStableOffset == 3)
        #expect(data.abortedTransactions == [.init(producerId: fixture.producerID, firstOffset: 0)])
        #expect(fixture.harness.state.transactions["tx"]?.state == .completeAbort)
        #expect(fixture.harness.state.transactions["tx"]?.producerEpoch == fixture.epoch + 1)
        #expect(try fixture.end(commit: true) == E.producerFenced.rawValue)
        #expect(try fixture.produce().errorCode == E.invalidProducerEpoch.rawValue)
        // A new InitProducerId continues after the fencing epoch.
        let again = try fixture.initProducer(timeoutMs: 1000)
        #expect(again.producerEpoch == 2)
    }

    @Test func parkedReadCommittedFetchWakesOnCommit() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        _ = try fixture.addPartitions([0])
        _ = try fixture.produce(count: 2)
        let request = FetchFixtures.request(
            "t", partitions: [(0, 0)], version: 12, maxWaitMs: 5000, minBytes: 1, isolationLevel: 1)
        guard case .park(_, let poll) = fixture.harness.reply(FetchHandler.self, request, version: 12) else {
            Issue.record("a read_committed fetch below an open transaction must wait")
            return
        }
        #expect(poll(&fixture.harness.state, fixture.harness.now, false) == nil)
        #expect(try fixture.end(commit: true) == 0)
        let answer = try #require(poll(&fixture.harness.state, fixture.harness.now, false))
        #expect(answer.responses.first?.partitions.first?.lastStableOffset == 3)
    }

    @Test func transactionalOffsetsCommitOnlyWithTheTransaction() throws {
        for commit in [true, false] {
            var fixture = TransactionFixture()
            try fixture.initProducer()
            #expect(try fixture.addOffsets() == 0)
            #expect(try txnOffsetCommit(&fixture, offset: 42) == [0])
            #expect(try offsetFetch(&fixture, requireStable: false) == (-1, 0))
            #expect(try offsetFetch(&fixture, requireStable: true) == (-1, E.unstableOffsetCommit.rawValue))
            #expect(try offsetFetch(&fixture, requireStable: true, version: 8) == (-1, E.unstableOffsetCommit.rawValue))
            #expect(try fixture.end(commit: commit) == 0)
            #expect(try offsetFetch(&fixture, requireStable: true) == (commit ? 42 : -1, 0))
            #expect(fixture.harness.state.groups.pendingTransactionalOffsets.isEmpty)
        }
    }

    @Test func txnOffsetCommitErrors() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        // The group is not part of a transaction yet.
        #expect(try txnOffsetCommit(&fixture, offset: 1) == [E.invalidTxnState.rawValue])
        #expect(try fixture.addOffsets() == 0)
        #expect(try txnOffsetCommit(&fixture, offset: 1, epoch: 7) == [E.invalidProducerEpoch.rawValue])
        #expect(try txnOffsetCommit(&fixture, offset: 1, partition: 9) == [E.unknownTopicOrPartition.rawValue])
        #expect(try txnOffsetCommit(&fixture, offset: 1, memberID: "ghost") == [E.unknownMemberId.rawValue])
        #expect(try txnOffsetCommit(&fixture, offset: 1, generation: 3) == [E.illegalGeneration.rawValue])
        // Before v3 the member fields do not exist.
        #expect(try txnOffsetCommit(&fixture, offset: 1, version: 2) == [0])
        #expect(try txnOffsetCommit(&fixture, offset: 1, group: "") == [E.invalidGroupId.rawValue])
    }

    @Test func advertisesTheClientVersionsOnly() throws {
        let advertised = DevApiVersions.advertised(configuration: DevClusterConfiguration())
        for key in [KafkaAPIKey.addPartitionsToTxn, .addOffsetsToTxn, .endTxn, .txnOffsetCommit] {
            #expect(advertised[key] == 0...3)
        }
        // A request at a broker-only version closes the connection.
        var fixture = TransactionFixture()
        guard case .close = fixture.harness.reply(EndTxnHandler.self, EndTxnRequest(), version: 5) else {
            Issue.record("EndTxn v5 must close the connection")
            return
        }
    }

    // MARK: - Helpers

    func txnOffsetCommit(
        _ fixture: inout TransactionFixture, offset: Int64, group: String = "g", partition: Int32 = 0,
        epoch: Int16? = nil, generation: Int32 = -1, memberID: String = "", version: Int16 = 3
    ) throws -> [Int16] {
        let request = TxnOffsetCommitRequest(
            transactionalId: "tx", groupId: group, producerId: fixture.producerID,
            producerEpoch: epoch ?? fixture.epoch, generationId: generation, memberId: memberID,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: partition, committedOffset: offset)])])
        let response = try fixture.harness.respond(TxnOffsetCommitHandler.self, request, version: version)
        return response.topics.flatMap { $0.partitions.map(\.errorCode) }
    }

    func offsetFetch(_ fixture: inout TransactionFixture, requireStable: Bool, version: Int16 = 7) throws -> (
        Int64, Int16
    ) {
        var request = OffsetFetchRequest()
        if version >= 8 {
            request.groups = [.init(groupId: "g", topics: [.init(name: "t", partitionIndexes: [0])])]
        } else {
            request.groupId = "g"
            request.topics = [.init(name: "t", partitionIndexes: [0])]
        }
        request.requireStable = requireStable
        let response = try fixture.harness.respond(OffsetFetchHandler.self, request, version: version)
        let partition =
            version >= 8
            ? response.groups.first?.topics.first?.partitions.first.map { ($0.committedOffset, $0.errorCode) }
            : response.topics.first?.partitions.first.map { ($0.committedOffset, $0.errorCode) }
        return try #require(partition)
    }
}

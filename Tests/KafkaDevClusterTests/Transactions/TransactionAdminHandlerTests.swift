import KafkaProtocol
import Testing

@testable import KafkaDevCluster

/// The admin side of transactions through their handlers: ListTransactions, DescribeTransactions, DescribeProducers
/// and an admin client's WriteTxnMarkers abort, requests and answers round-tripped through the wire format.
@Suite(.timeLimit(.minutes(2))) struct TransactionAdminHandlerTests {
    typealias E = KafkaErrorCode

    func list(
        _ fixture: inout TransactionFixture, states: [String] = [], producers: [Int64] = [], duration: Int64 = -1,
        version: Int16 = 1
    ) throws -> ListTransactionsResponse {
        try fixture.harness.respond(
            ListTransactionsHandler.self,
            ListTransactionsRequest(stateFilters: states, producerIdFilters: producers, durationFilter: duration),
            version: version)
    }

    func producers(_ fixture: inout TransactionFixture, partition: Int32 = 0, broker: Int32 = 1) throws
        -> DescribeProducersResponse.PartitionResponse
    {
        let response = try fixture.harness.respond(
            DescribeProducersHandler.self,
            DescribeProducersRequest(topics: [.init(name: "t", partitionIndexes: [partition])]), broker: broker)
        return try #require(response.topics.first?.partitions.first)
    }

    func abort(
        _ fixture: inout TransactionFixture, partition: Int32 = 0, epoch: Int16? = nil, coordinatorEpoch: Int32 = 0,
        topic: String = "t", broker: Int32 = 1
    ) throws -> Int16 {
        let request = WriteTxnMarkersRequest(markers: [
            .init(
                producerId: fixture.producerID, producerEpoch: epoch ?? fixture.epoch, transactionResult: false,
                topics: [.init(name: topic, partitionIndexes: [partition])], coordinatorEpoch: coordinatorEpoch)
        ])
        let response = try fixture.harness.respond(WriteTxnMarkersHandler.self, request, broker: broker)
        #expect(response.markers.first?.producerId == fixture.producerID)
        return try #require(response.markers.first?.topics.first?.partitions.first?.errorCode)
    }

    @Test func listAndDescribeShowTheOngoingTransactionWithItsPartitions() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer(timeoutMs: 90_000)
        var listed = try list(&fixture)
        #expect(listed.transactionStates.map(\.transactionState) == ["Empty"])
        let started = fixture.harness.now
        #expect(try fixture.addPartitions([0, 1]) == ["t-0": 0, "t-1": 0])
        listed = try list(&fixture)
        #expect(
            listed.transactionStates == [
                .init(transactionalId: "tx", producerId: fixture.producerID, transactionState: "Ongoing")
            ])
        #expect(try list(&fixture, states: ["Empty"]).transactionStates.isEmpty)
        #expect(try list(&fixture, states: ["Ongoing"]).transactionStates.count == 1)
        let unknown = try list(&fixture, states: ["Bogus"])
        #expect(unknown.unknownStateFilters == ["Bogus"])
        #expect(unknown.transactionStates.isEmpty)
        #expect(try list(&fixture, producers: [fixture.producerID + 1]).transactionStates.isEmpty)
        #expect(try list(&fixture, producers: [fixture.producerID]).transactionStates.count == 1)
        // The duration filter (v1) keeps transactions open longer than it; v0 has none.
        fixture.harness.now += 10_000
        #expect(try list(&fixture, duration: 10_000).transactionStates.isEmpty)
        #expect(try list(&fixture, duration: 9_999).transactionStates.count == 1)
        #expect(try list(&fixture, version: 0).transactionStates.count == 1)

        let described = try fixture.harness.respond(
            DescribeTransactionsHandler.self, DescribeTransactionsRequest(transactionalIds: ["tx", "nope", ""]))
        #expect(
            described.transactionStates.map(\.errorCode) == [
                0, E.transactionalIdNotFound.rawValue, E.invalidRequest.rawValue,
            ])
        let state = try #require(described.transactionStates.first)
        #expect(state.transactionState == "Ongoing")
        #expect(state.producerId == fixture.producerID)
        #expect(state.producerEpoch == fixture.epoch)
        #expect(state.transactionTimeoutMs == 90_000)
        #expect(state.transactionStartTimeMs == started)
        #expect(state.topics == [.init(topic: "t", partitions: [0, 1])])

        #expect(try fixture.end(commit: true) == 0)
        let completed = try fixture.harness.respond(
            DescribeTransactionsHandler.self, DescribeTransactionsRequest(transactionalIds: ["tx"]))
        #expect(completed.transactionStates.first?.transactionState == "CompleteCommit")
        #expect(completed.transactionStates.first?.transactionStartTimeMs == -1)
        #expect(completed.transactionStates.first?.topics == [])
    }

    @Test func describeTransactionsAnswersNotCoordinatorOnAnotherBroker() throws {
        var harness = HandlerHarness(brokers: 3)
        let coordinator = harness.state.coordinator(type: 1, key: "tx")
        let other = try #require([Int32(1), 2, 3].first { $0 != coordinator })
        let response = try harness.respond(
            DescribeTransactionsHandler.self, DescribeTransactionsRequest(transactionalIds: ["tx"]), broker: other)
        #expect(response.transactionStates.first?.errorCode == E.notCoordinator.rawValue)
        let listed = try harness.respond(ListTransactionsHandler.self, ListTransactionsRequest(), broker: other)
        #expect(listed.transactionStates.isEmpty)
    }

    @Test func describeProducersReportsSequenceTimestampCoordinatorEpochAndOpenTransaction() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        _ = try fixture.addPartitions([0])
        #expect(try fixture.produce(count: 2).errorCode == 0)  // 0...1, timestamps 1000, 1001
        var answer = try producers(&fixture)
        #expect(answer.errorCode == 0)
        #expect(
            answer.activeProducers == [
                .init(
                    producerId: fixture.producerID, producerEpoch: Int32(fixture.epoch), lastSequence: 1,
                    lastTimestamp: 1001, coordinatorEpoch: -1, currentTxnStartOffset: 0)
            ])
        #expect(try fixture.end(commit: true) == 0)  // marker at 2, at the harness's time
        answer = try producers(&fixture)
        #expect(
            answer.activeProducers == [
                .init(
                    producerId: fixture.producerID, producerEpoch: Int32(fixture.epoch), lastSequence: 1,
                    lastTimestamp: fixture.harness.now, coordinatorEpoch: 0, currentTxnStartOffset: -1)
            ])
        #expect(try producers(&fixture, partition: 1).activeProducers == [])
        #expect(try producers(&fixture, partition: 7).errorCode == E.unknownTopicOrPartition.rawValue)
    }

    @Test func describeProducersNeedsAReplicaOnTheBroker() throws {
        var harness = HandlerHarness(brokers: 2)
        harness.state.createTopic("t", partitions: 1, replicationFactor: 1)
        let replica = try #require(harness.state.partition("t", 0)?.replicas.first)
        let other: Int32 = replica == 1 ? 2 : 1
        let request = DescribeProducersRequest(topics: [.init(name: "t", partitionIndexes: [0])])
        let onReplica = try harness.respond(DescribeProducersHandler.self, request, broker: replica)
        #expect(onReplica.topics.first?.partitions.first?.errorCode == 0)
        let elsewhere = try harness.respond(DescribeProducersHandler.self, request, broker: other)
        #expect(elsewhere.topics.first?.partitions.first?.errorCode == E.notLeaderOrFollower.rawValue)
    }

    @Test func anAdminAbortClosesTheTransactionOnThePartitionAndLeavesTheCoordinatorAsKafkaDoes() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        _ = try fixture.addPartitions([0, 1])
        #expect(try fixture.produce(partition: 0, count: 2).errorCode == 0)  // 0...1
        #expect(try fixture.produce(partition: 1, count: 1).errorCode == 0)
        #expect(try fixture.producePlain(partition: 0).baseOffset == 2)
        #expect(try fixture.latestOffset(readCommitted: true) == 0)

        // Refused: an older epoch, a broker that does not lead the partition, an unknown partition.
        #expect(try abort(&fixture, epoch: fixture.epoch - 1) == E.invalidProducerEpoch.rawValue)
        #expect(try abort(&fixture, broker: 2) == E.notLeaderOrFollower.rawValue)
        #expect(try abort(&fixture, topic: "missing") == E.unknownTopicOrPartition.rawValue)
        #expect(try fixture.log().highWatermark == 3)

        #expect(try abort(&fixture) == 0)  // marker at 3
        #expect(try fixture.log().lastStableOffset == 4)
        #expect(try fixture.latestOffset(readCommitted: true) == 4)
        let committed = try fixture.fetch(readCommitted: true)
        #expect(committed.abortedTransactions == [.init(producerId: fixture.producerID, firstOffset: 0)])
        #expect(try producers(&fixture).activeProducers.first?.currentTxnStartOffset == -1)
        #expect(try producers(&fixture).activeProducers.first?.coordinatorEpoch == 0)
        // t-1 is still open, and the coordinator still sees the whole transaction.
        #expect(try fixture.log(1).lastStableOffset == 0)
        let metadata = try #require(fixture.harness.state.transactions["tx"])
        #expect(metadata.state == .ongoing)
        #expect(metadata.partitions.count == 2)

        // The producer's commit writes markers everywhere; on t-0 it finds no open transaction and the aborted
        // records stay aborted.
        #expect(try fixture.end(commit: true) == 0)
        #expect(try fixture.log().highWatermark == 5)
        #expect(try fixture.log(1).lastStableOffset == 2)
        let after = try fixture.fetch(readCommitted: true)
        #expect(after.abortedTransactions == [.init(producerId: fixture.producerID, firstOffset: 0)])
        #expect(fixture.harness.state.transactions["tx"]?.state == .completeCommit)
    }

    @Test func aMarkerWithAnOlderCoordinatorEpochIsFenced() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        _ = try fixture.addPartitions([0])
        _ = try fixture.produce(count: 1)
        #expect(try abort(&fixture, coordinatorEpoch: 5) == 0)
        #expect(try abort(&fixture, coordinatorEpoch: 4) == E.transactionCoordinatorFenced.rawValue)
        #expect(try abort(&fixture, coordinatorEpoch: 5) == 0)
    }

    @Test func withoutPartitionVerificationATransactionalBatchOpensAnUnlistedTransaction() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer()
        #expect(try fixture.produce(partition: 1, count: 1).errorCode == E.invalidTxnState.rawValue)
        fixture.harness.state.brokerConfigs[-1] = ["transaction.partition.verification.enable": "false"]
        #expect(try fixture.produce(partition: 1, count: 1).errorCode == 0)
        #expect(try fixture.log(1).transactions.open[fixture.producerID] == 0)
        #expect(fixture.harness.state.transactions["tx"]?.state == .empty)
        #expect(try abort(&fixture, partition: 1) == 0)
        #expect(try fixture.log(1).lastStableOffset == 2)
    }
}

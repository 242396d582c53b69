import KafkaAdmin
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import NIOCore
import Testing

/// The admin client's transaction operations against the dev cluster: a result per transactional id, broker or
/// partition, and the errors of each.
@Suite(.timeLimit(.minutes(2))) struct AdminTransactionsTests {
    /// InitProducerId for `transactionalID` (nil: an idempotent producer id); the producer id and epoch.
    static func initProducer(_ admin: KafkaAdminClient, _ transactionalID: String?) async throws -> (Int64, Int16) {
        let destination: RequestDestination = transactionalID.map { .transactionCoordinator($0) } ?? .anyBroker
        let response = try await admin.cluster.send(
            InitProducerIdRequest(
                transactionalId: transactionalID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1),
            to: destination, kind: .produce)
        #expect(response.errorCode == 0)
        return (response.producerId, response.producerEpoch)
    }

    @Test func describeAndListTransactionsPerIDAndPerBroker() async throws {
        try await AdminTests.withAdmin(brokers: 3, topics: ["t": 1]) { cluster, admin in
            let (producerID, epoch) = try await Self.initProducer(admin, "tx-a")
            let described = try await admin.describeTransactions(["tx-a", "nope"])
            let description = try #require(try described["tx-a"]?.get())
            #expect(description.state == .empty)
            #expect(description.producerID == producerID)
            #expect(description.producerEpoch == epoch)
            #expect(description.transactionTimeoutMs == 60_000)
            #expect(description.transactionStartTimeMs == nil)
            #expect(description.topicPartitions.isEmpty)
            guard case .failure(let unknown)? = described["nope"] else {
                Issue.record("an unknown id is described: \(String(describing: described["nope"]))")
                return
            }
            #expect(unknown.code == .transactionalIdNotFound)
            #expect(unknown.resourceKind == .transactionalID)
            #expect(unknown.resourceName == "nope")

            let listed = try await admin.listTransactions()
            #expect(Set(listed.keys) == Set(cluster.brokers.map(\.nodeID)))
            let all = try listed.values.flatMap { try $0.get() }
            #expect(all == [TransactionListing(transactionalID: "tx-a", producerID: producerID, state: .empty)])
            #expect(try listed[description.coordinatorID]?.get().count == 1)
            let ongoing = try await admin.listTransactions(states: [.ongoing])
            #expect(try ongoing.values.flatMap { try $0.get() }.isEmpty)
            let byProducer = try await admin.listTransactions(producerIDs: [producerID + 1])
            #expect(try byProducer.values.flatMap { try $0.get() }.isEmpty)
            let byDuration = try await admin.listTransactions(minimumDurationMs: 0)
            #expect(try byDuration.values.flatMap { try $0.get() }.count == 1, "an id without a transaction passes")
        }
    }

    @Test func describeProducersPerPartition() async throws {
        try await AdminTests.withAdmin(brokers: 2, topics: ["t": 1]) { cluster, admin in
            let (producerID, epoch) = try await Self.initProducer(admin, nil)
            var builder = RecordBatchBuilder(producerId: producerID, producerEpoch: epoch, baseSequence: 0)
            try builder.append(key: nil, value: ByteBuffer(string: "v"), timestamp: 1_234)
            try builder.append(key: nil, value: ByteBuffer(string: "w"), timestamp: 1_235)
            let produced = try await admin.cluster.send(
                ProduceRequest(
                    acks: -1, timeoutMs: 5_000,
                    topicData: [.init(name: "t", partitionData: [.init(index: 0, records: try builder.finish())])]),
                to: .leader(topic: "t", partition: 0), kind: .produce)
            #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)

            let partition = TopicPartitionKey(topic: "t", partition: 0)
            let missing = TopicPartitionKey(topic: "t", partition: 4)
            let results = try await admin.describeProducers([partition, missing])
            #expect(
                try results[partition]?.get() == [
                    ProducerState(
                        producerID: producerID, producerEpoch: Int32(epoch), lastSequence: 1, lastTimestamp: 1_235,
                        coordinatorEpoch: nil, currentTransactionStartOffset: nil)
                ])
            guard case .failure(let error)? = results[missing] else {
                Issue.record("a missing partition is described")
                return
            }
            #expect(error.code == .unknownTopicOrPartition)
            #expect(error.topicPartition == missing)

            let leader = try #require(cluster.leader(topic: "t", partition: 0))
            let other = try #require(cluster.brokers.map(\.nodeID).first { $0 != leader })
            let onLeader = try await admin.describeProducers([partition], brokerID: leader)
            #expect(try onLeader[partition]?.get().count == 1)
            let elsewhere = try await admin.describeProducers([partition], brokerID: other)
            guard case .failure(let notReplica)? = elsewhere[partition] else {
                Issue.record("a broker without a replica describes the partition")
                return
            }
            #expect(notReplica.code == .notLeaderOrFollower)
        }
    }

    @Test func abortTransactionChecksEpochsAndPartition() async throws {
        try await AdminTests.withAdmin(brokers: 1, topics: ["t": 1]) { _, admin in
            let (producerID, epoch) = try await Self.initProducer(admin, nil)
            var builder = RecordBatchBuilder(producerId: producerID, producerEpoch: epoch, baseSequence: 0)
            try builder.append(key: nil, value: ByteBuffer(string: "v"), timestamp: 1_000)
            _ = try await admin.cluster.send(
                ProduceRequest(
                    acks: -1, timeoutMs: 5_000,
                    topicData: [.init(name: "t", partitionData: [.init(index: 0, records: try builder.finish())])]),
                to: .leader(topic: "t", partition: 0), kind: .produce)
            let partition = TopicPartitionKey(topic: "t", partition: 0)
            func spec(epoch: Int16, coordinatorEpoch: Int32, on partition: TopicPartitionKey = partition)
                -> AbortTransactionSpec
            {
                AbortTransactionSpec(
                    partition: partition, producerID: producerID, producerEpoch: epoch,
                    coordinatorEpoch: coordinatorEpoch)
            }
            await #expect(throws: AdminError(code: .invalidProducerEpoch, api: .writeTxnMarkers, partition: partition))
            {
                try await admin.abortTransaction(spec(epoch: epoch - 1, coordinatorEpoch: 0))
            }
            try await admin.abortTransaction(spec(epoch: epoch, coordinatorEpoch: 3))
            await #expect(
                throws: AdminError(code: .transactionCoordinatorFenced, api: .writeTxnMarkers, partition: partition)
            ) {
                try await admin.abortTransaction(spec(epoch: epoch, coordinatorEpoch: 2))
            }
            let state = try await admin.describeProducers([partition])[partition]?.get().first
            #expect(state?.coordinatorEpoch == 3)
            let elsewhere = TopicPartitionKey(topic: "missing", partition: 0)
            do {
                try await admin.abortTransaction(spec(epoch: epoch, coordinatorEpoch: 3, on: elsewhere))
                Issue.record("a marker was written to a missing topic")
            } catch let error as AdminError {
                #expect(error.code == .unknownTopicOrPartition)
                #expect(error.topicPartition == elsewhere)
            }
        }
    }

    @Test func aDurationFilterNeedsListTransactionsV1() async throws {
        var configuration = DevClusterConfiguration()
        configuration.apiVersions[.listTransactions] = 0...0
        let cluster = try await DevCluster(configuration: configuration)
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
        let results = try await admin.listTransactions(minimumDurationMs: 1)
        let plain = try await admin.listTransactions()
        await admin.close()
        await cluster.shutdown()
        let broker = try #require(results.keys.first)
        guard case .failure(let error)? = results[broker] else {
            Issue.record("a duration filter was sent at v0")
            return
        }
        #expect(error.code == .unsupportedVersion)
        #expect(
            error.description
                == "ListTransactions failed for broker '\(broker)': UNSUPPORTED_VERSION (35): filtering transactions by "
                + "duration needs ListTransactions v1 or later (Kafka 3.8); broker \(broker) supports ListTransactions "
                + "v0–v0")
        #expect(try plain[broker]?.get() == [])
    }
}

import Foundation
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// The transaction APIs over a real socket with this package's connection (versions negotiated from
/// the dev cluster's ApiVersions): a read_committed long poll woken by a commit, and a transaction
/// aborted by its timeout on a hand-moved clock.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct TransactionSocketTests {

    /// Runs `body` against a one-broker cluster with topic `t` on a manual clock.
    static func withCluster(_ body: (DevCluster, BrokerConnection, ManualDevClock) async throws -> Void) async throws {
        let clock = ManualDevClock()
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 1
        configuration.clock = clock
        configuration.topics = ["t": 1]
        try await DevClusterClientTests.withConnection(configuration) { cluster, connection in
            try await body(cluster, connection, clock)
        }
    }

    /// InitProducerId + AddPartitionsToTxn for `t-0` + one transactional batch of `count` records.
    static func begin(_ connection: BrokerConnection, timeoutMs: Int32 = 60_000, count: Int = 3) async throws -> (
        Int64, Int16
    ) {
        let producer = try await connection.send(
            InitProducerIdRequest(
                transactionalId: "tx", transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1),
            timeout: .seconds(10))
        #expect(producer.errorCode == 0)
        let added = try await connection.send(
            AddPartitionsToTxnRequest(
                v3AndBelowTransactionalId: "tx", v3AndBelowProducerId: producer.producerId,
                v3AndBelowProducerEpoch: producer.producerEpoch, v3AndBelowTopics: [.init(name: "t", partitions: [0])]),
            timeout: .seconds(10))
        #expect(added.resultsByTopicV3AndBelow.first?.resultsByPartition.first?.partitionErrorCode == 0)
        var produce = ProduceTestSupport.request(
            records: try ProduceTestSupport.batch(
                count: count, producerID: producer.producerId, epoch: producer.producerEpoch, sequence: 0,
                transactional: true))
        produce.transactionalId = "tx"
        let written = try await connection.send(produce, timeout: .seconds(10))
        #expect(written.responses.first?.partitionResponses.first?.errorCode == 0)
        return (producer.producerId, producer.producerEpoch)
    }

    static func latest(_ connection: BrokerConnection, readCommitted: Bool) async throws -> Int64 {
        var request = ListOffsetsRequest(replicaId: -1, isolationLevel: readCommitted ? 1 : 0)
        request.topics = [.init(name: "t", partitions: [.init(partitionIndex: 0, timestamp: -1)])]
        let response = try await connection.send(request, timeout: .seconds(10))
        return try #require(response.topics.first?.partitions.first?.offset)
    }

    @Test func readCommittedLongPollWakesOnCommit() async throws {
        try await Self.withCluster { cluster, connection, _ in
            let (producerID, epoch) = try await Self.begin(connection)
            #expect(try await Self.latest(connection, readCommitted: true) == 0)
            #expect(try await Self.latest(connection, readCommitted: false) == 3)
            var fetch = FetchFixtures.request("t", partitions: [(0, 0)], version: 12, maxWaitMs: 10_000, minBytes: 1)
            fetch.isolationLevel = 1
            let id = try #require(cluster.core.state.withLockedValue { $0.cluster.topics["t"]?.id })
            fetch.topics[0].topicId = id
            let pending = try connection.write(fetch, timeout: .seconds(20))
            let end = try await connection.send(
                EndTxnRequest(transactionalId: "tx", producerId: producerID, producerEpoch: epoch, committed: true),
                timeout: .seconds(10))
            #expect(end.errorCode == 0)
            let response = try await pending.response()
            let partition = try #require(response.responses.first?.partitions.first)
            #expect(partition.lastStableOffset == 4)
            #expect(partition.abortedTransactions == [])
            #expect(try FetchFixtures.offsets(partition.records) == [0...2, 3...3])
            #expect(try await Self.latest(connection, readCommitted: true) == 4)
        }
    }

    @Test func timedOutTransactionIsAbortedAndTheProducerFenced() async throws {
        try await Self.withCluster { _, connection, clock in
            let (producerID, epoch) = try await Self.begin(connection, timeoutMs: 1000)
            clock.advance(byMillis: 1001)
            #expect(try await Self.latest(connection, readCommitted: true) == 4)
            let end = try await connection.send(
                EndTxnRequest(transactionalId: "tx", producerId: producerID, producerEpoch: epoch, committed: true),
                timeout: .seconds(10))
            #expect(end.errorCode == KafkaErrorCode.producerFenced.rawValue)
        }
    }
}

/// Transactions across a restart with a data directory: the index is rebuilt from the stored
/// batches, and a transaction left open is aborted at load.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct TransactionDataDirectoryTests {
    @Test func openTransactionsAreAbortedAtLoad() async throws {
        let directory = NSTemporaryDirectory() + "dev-cluster-txn-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 1
        configuration.dataDirectory = directory
        configuration.topics = ["t": 1]
        let first = try await DevCluster(configuration: configuration)
        let batch = try ProduceTestSupport.batch(count: 2, producerID: 77, epoch: 0, sequence: 0, transactional: true)
        first.core.mutate { state in
            _ = state.withPartition("t", 0) { partition in
                partition.log.append(
                    batch: batch, lastOffsetDelta: 1, leaderEpoch: 0, maxTimestamp: 1, transactionalProducerID: 77)
                partition.log.appendMarker(producerID: 77, epoch: 0, commit: false, leaderEpoch: 0, timestamp: 1)
                partition.log.append(
                    batch: batch, lastOffsetDelta: 1, leaderEpoch: 0, maxTimestamp: 1, transactionalProducerID: 77)
            }
        }
        #expect(first.core.mutate { $0.partition("t", 0)?.log.lastStableOffset } == 3)
        await first.shutdown()

        let second = try await DevCluster(configuration: configuration)
        let log = try #require(second.core.mutate { $0.partition("t", 0)?.log })
        await second.shutdown()
        #expect(log.highWatermark == 6)
        #expect(log.lastStableOffset == 6)
        #expect(
            log.transactions.aborted == [
                .init(producerID: 77, firstOffset: 0, lastOffset: 2),
                .init(producerID: 77, firstOffset: 3, lastOffset: 5),
            ])
    }
}

import Foundation
import KafkaAdmin
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

/// `kafka-transactions` against the real Kafka 2.3.0 broker, which has none of ListTransactions, DescribeProducers
/// (Kafka 2.8) and DescribeTransactions (Kafka 3.0): every command that needs one says so in one line naming the API
/// and the broker's versions, and exits 1. Aborting with producer id, epoch and coordinator epoch needs only
/// WriteTxnMarkers, which Kafka 2.3 has: it ends a hanging transaction there.
@Suite("Real broker: kafka-transactions on a broker without the transaction admin APIs", .timeLimit(.minutes(5)))
struct RealBrokerTransactionsToolTests {
    static func expectTooOld(
        _ outcome: ChildProcess.Outcome, prefix: String, api: String, kafka: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(outcome.status == 1, "\(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stdout == "", sourceLocation: sourceLocation)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(outcome.stderr)", sourceLocation: sourceLocation)
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("kafka-transactions: \(prefix)"), "\(line)", sourceLocation: sourceLocation)
        #expect(line.contains("UNSUPPORTED_VERSION"), "\(line)", sourceLocation: sourceLocation)
        #expect(
            line.contains("needs \(api) v0 or later (Kafka \(kafka)); broker "), "\(line)",
            sourceLocation: sourceLocation)
        #expect(line.hasSuffix("supports \(api) not at all"), "\(line)", sourceLocation: sourceLocation)
    }

    @Test("list, describe, describe-producers, abort --start-offset and find-hanging say the broker is too old")
    func everyCommandNamesTheMissingAPI() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("txn-tool")
        try await RealBroker.createTopic(topic, on: broker)
        let server = ["--bootstrap-server", broker.bootstrapServers]

        Self.expectTooOld(
            try await RealBroker.runOurs("kafka-transactions", server + ["list"]),
            prefix: "Failed to list transactions: ", api: "ListTransactions", kafka: "2.8")
        Self.expectTooOld(
            try await RealBroker.runOurs("kafka-transactions", server + ["describe", "--transactional-id", "tx"]),
            prefix: "Failed to describe transaction state of transactional-id `tx`: ", api: "DescribeTransactions",
            kafka: "3.0")
        Self.expectTooOld(
            try await RealBroker.runOurs(
                "kafka-transactions", server + ["describe-producers", "--topic", topic, "--partition", "0"]),
            prefix: "Failed to describe producers for partition \(topic)-0 on leader: ", api: "DescribeProducers",
            kafka: "2.8")
        Self.expectTooOld(
            try await RealBroker.runOurs(
                "kafka-transactions",
                server + ["abort", "--topic", topic, "--partition", "0", "--start-offset", "0"]),
            prefix: "Failed to validate producer state for partition \(topic)-0: ", api: "DescribeProducers",
            kafka: "2.8")
        Self.expectTooOld(
            try await RealBroker.runOurs("kafka-transactions", server + ["find-hanging", "--topic", topic]),
            prefix: "Failed to describe producers for 1 partitions on broker (any): ", api: "DescribeProducers",
            kafka: "2.8")
    }

    @Test("abort with producer id, epoch and coordinator epoch ends a hanging transaction on Kafka 2.3")
    func abortBySpecWorks() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("txn-abort")
        try await RealBroker.createTopic(topic, on: broker)
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": broker.bootstrapServers])
        do {
            // A transactional batch from a producer id no coordinator knows (Kafka 2.3 does not check that the
            // partition is in a transaction): a hanging transaction.
            let initialized = try await admin.cluster.send(
                InitProducerIdRequest(
                    transactionalId: nil, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1),
                to: .anyBroker, kind: .admin)
            #expect(initialized.errorCode == 0)
            var builder = RecordBatchBuilder(
                producerId: initialized.producerId, producerEpoch: initialized.producerEpoch, baseSequence: 0,
                isTransactional: true)
            try builder.append(
                key: nil, value: ByteBuffer(string: "hanging"), timestamp: Int64(Date().timeIntervalSince1970 * 1000))
            let produced = try await admin.cluster.send(
                ProduceRequest(
                    transactionalId: "hanging-\(topic)", acks: -1, timeoutMs: 10_000,
                    topicData: [.init(name: topic, partitionData: [.init(index: 0, records: try builder.finish())])]),
                to: .leader(topic: topic, partition: 0), kind: .produce)
            #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)
            let partition = TopicPartitionKey(topic: topic, partition: 0)
            let before = try await admin.listOffsets([partition: .latest], isolationLevel: .readCommitted)
            #expect(try before[partition]?.get().offset == 0, "the open transaction holds the last stable offset")

            let aborted = try await RealBroker.runOurs(
                "kafka-transactions",
                [
                    "--bootstrap-server", broker.bootstrapServers, "abort", "--topic", topic, "--partition", "0",
                    "--producer-id", "\(initialized.producerId)", "--producer-epoch", "\(initialized.producerEpoch)",
                    "--coordinator-epoch", "-1",
                ])
            #expect(aborted.status == 0, "\(aborted.stderr)")
            #expect(aborted.stdout == "")
            let after = try await admin.listOffsets([partition: .latest], isolationLevel: .readCommitted)
            #expect(try after[partition]?.get().offset == 2, "the record and its abort marker are stable")
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
    }
}

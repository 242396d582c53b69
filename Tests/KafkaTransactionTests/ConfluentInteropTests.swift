import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaTestSupport
import Testing

/// Transactions written by librdkafka's transactional producer (PyPI `confluent-kafka`) are read correctly by our
/// consumer: read_committed returns exactly the committed records in order per partition, read_uncommitted every
/// data record, and the offsets it sent to the transaction are the group's committed offsets.
@Suite("confluent-kafka transactions read by our consumer", .serialized, .timeLimit(.minutes(3)))
struct ConfluentInteropTests {
    @Test(
        .enabled(
            if: ConfluentTransactions.isAvailable || ConfluentTransactions.isRequired,
            "python3 with confluent-kafka is missing: python3 -m pip install -r Tools/interop/requirements-confluent-kafka.txt"
        ))
    func librdkafkaTransactionsReadByOurConsumer() async throws {
        #expect(ConfluentTransactions.isAvailable, "python3 cannot import confluent_kafka (CI must install it)")
        try await TransactionTests.withCluster(topics: ["confluent-txn": 3]) { cluster in
            let result = try await ConfluentTransactions.write(
                bootstrap: cluster.bootstrapServers, topic: "confluent-txn", group: "confluent-group")
            func perPartition(_ records: [ConsumerRecord]) -> [Int32: [String]] {
                var values: [Int32: [String]] = [:]
                for record in records.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
                    values[record.partition, default: []].append(TransactionTests.values([record])[0])
                }
                return values
            }
            let committed = try await TransactionTests.readAll(
                cluster, topic: "confluent-txn", partitions: 3, isolation: "read_committed")
            #expect(!committed.isEmpty)
            #expect(perPartition(committed) == result.values(committed: true))
            let all = try await TransactionTests.readAll(
                cluster, topic: "confluent-txn", partitions: 3, isolation: "read_uncommitted")
            #expect(perPartition(all) == result.values(committed: nil))

            // The offsets librdkafka sent to its committed transaction are the group's committed offsets.
            let reader = try TransactionTests.consumer(cluster, ["group.id": "confluent-group"])
            let partition0 = TopicPartition(topic: "confluent-txn", partition: 0)
            let offsets = try await reader.committed([partition0])
            await reader.close()
            #expect(offsets[partition0]??.offset == result.groupOffset)
        }
    }
}

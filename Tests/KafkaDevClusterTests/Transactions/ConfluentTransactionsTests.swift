import KafkaDevCluster
import KafkaTestSupport
import Testing

/// librdkafka's transactional producer (through confluent-kafka) writes committed and aborted
/// transactions to the dev cluster; kcat reads them back with both isolation levels.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ConfluentTransactionsTests {
    @Test(
        .enabled(
            if: ConfluentTransactions.isAvailable || ConfluentTransactions.isRequired,
            "python3 with confluent-kafka is missing: python3 -m pip install -r Tools/interop/requirements-confluent-kafka.txt"
        ))
    func librdkafkaTransactionsReadBackByKcat() async throws {
        #expect(ConfluentTransactions.isAvailable, "python3 cannot import confluent_kafka (CI must install it)")
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 3
        configuration.topics = ["confluent-txn": 3]
        let cluster = try await DevCluster(configuration: configuration)
        let result: ConfluentTransactions.Result
        do {
            result = try await ConfluentTransactions.write(bootstrap: cluster.bootstrapServers, topic: "confluent-txn")
        } catch {
            await cluster.shutdown()
            throw error
        }
        let bootstrap = cluster.bootstrapServers
        let readCommitted = try await Kcat.consume(
            bootstrap: bootstrap, topic: "confluent-txn", extraProperties: ["isolation.level": "read_committed"])
        let readUncommitted = try await Kcat.consume(
            bootstrap: bootstrap, topic: "confluent-txn", extraProperties: ["isolation.level": "read_uncommitted"])
        await cluster.shutdown()

        #expect(result.committed.count == 12)
        #expect(result.aborted.count == 12)
        #expect(result.groupOffset == 7)
        func perPartition(_ records: [KcatRecord]) -> [Int32: [String]] {
            var values: [Int32: [String]] = [:]
            for record in records.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
                values[record.partition, default: []].append(
                    record.value.map { String(decoding: $0, as: UTF8.self) } ?? "<null>")
            }
            return values
        }
        #expect(perPartition(readCommitted) == result.values(committed: true))
        // read_uncommitted sees every record, committed and aborted, in produce order per partition.
        #expect(perPartition(readUncommitted) == result.values(committed: nil))
        #expect(readUncommitted.count == 24)
    }
}

import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import KafkaTestSupport
import MetricsTestKit
import NIOCore
import Testing

/// Growing batches against the dev cluster: a backlog is sent in batches larger than `batch.size`, and a batch
/// the topic refuses as too large (`max.message.bytes` below `batch.max.size`) is split and resent, as the Java
/// client does: nothing fails, nothing is duplicated, order per partition holds.
@Suite("Producer batch growth on the dev cluster", .serialized, .timeLimit(.minutes(3)))
struct ProducerBatchGrowthTests {
    static let topic = "growth"
    static let partitions = 2

    func record(_ index: Int) -> ProducerRecord {
        // The harness reads records back by value ("r-<index>"); the key carries the bulk.
        ProducerRecord(
            topic: Self.topic, key: "key-\(index % 8)-" + String(repeating: "x", count: 90), value: "r-\(index)")
    }

    @Test(arguments: [true, false])
    func aBatchTheTopicRefusesAsTooLargeIsSplitAndDelivered(idempotent: Bool) async throws {
        var configuration = DevClusterConfiguration()
        configuration.port = 0
        let cluster = try await DevCluster(configuration: configuration)
        try cluster.createTopic(
            Self.topic, partitions: Int32(Self.partitions), configs: ["max.message.bytes": "12000"])
        let metrics = TestMetrics()
        let clientID = "growth-\(idempotent)"
        let producer = try KafkaProducer(
            configuration: try KafkaProducerConfiguration(properties: [
                "bootstrap.servers": cluster.bootstrapServers, "client.id": clientID, "batch.size": "2000",
                "batch.max.size": "64000", "linger.ms": "20", "enable.idempotence": "\(idempotent)",
                // Without idempotence only one request in flight keeps order across retries (as in Java).
                "max.in.flight.requests.per.connection": idempotent ? "5" : "1", "retries": "10",
            ]), metricsFactory: metrics)
        // Answers come late, so that records pile up behind the batches in flight and the next batches grow.
        cluster.delayResponses(to: .produce, by: .milliseconds(30))
        let collector = OutcomeCollector()
        let count = 6_000
        let records = (0..<count).map(record)
        for (index, record) in records.enumerated() {
            try await producer.send(record, completion: collector.handler(for: index))
        }
        await producer.flush()
        await producer.close()
        cluster.delayResponses(to: .produce, by: .zero)
        let results = collector.snapshot
        let sent = records.enumerated().map {
            SentRecord(index: $0.offset, record: $0.element, result: results[$0.offset])
        }
        let read = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: Self.topic)
        verifyReadBack(sent: sent, read: read, partitions: Self.partitions)

        // The fault fired: batches grew past batch.size, the broker refused some, and they were resent.
        let sizes = try metrics.expectRecorder("kafka_producer_batch_size_bytes", [("client_id", clientID)]).values
        #expect(sizes.contains { $0 > 2_000 }, "no batch grew past batch.size")
        let retries = try metrics.expectCounter("kafka_producer_batch_retries_total", [("client_id", clientID)])
        #expect(retries.totalValue > 0, "no batch was refused and split")
        await cluster.shutdown()
    }

    @Test(arguments: [true, false])
    func aTopicLimitBelowBatchSizeIsLearnedFromSplitsAndNothingFails(idempotent: Bool) async throws {
        var configuration = DevClusterConfiguration()
        configuration.port = 0
        let cluster = try await DevCluster(configuration: configuration)
        // Batches of batch.size (16384) are refused; halves (8 KiB) too; quarters of those (2 KiB) are taken.
        try cluster.createTopic(
            Self.topic, partitions: Int32(Self.partitions), configs: ["max.message.bytes": "3000"])
        let metrics = TestMetrics()
        let clientID = "small-limit-\(idempotent)"
        let producer = try KafkaProducer(
            configuration: try KafkaProducerConfiguration(properties: [
                "bootstrap.servers": cluster.bootstrapServers, "client.id": clientID, "linger.ms": "50",
                "enable.idempotence": "\(idempotent)",
                "max.in.flight.requests.per.connection": idempotent ? "5" : "1", "retries": "10",
            ]), metricsFactory: metrics)
        let collector = OutcomeCollector()
        let records = (0..<3_000).map(record)
        for (index, record) in records.enumerated() {
            try await producer.send(record, completion: collector.handler(for: index))
        }
        await producer.flush()
        await producer.close()
        let results = collector.snapshot
        let sent = records.enumerated().map {
            SentRecord(index: $0.offset, record: $0.element, result: results[$0.offset])
        }
        let read = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: Self.topic)
        verifyReadBack(sent: sent, read: read, partitions: Self.partitions)
        #expect(results.values.allSatisfy { (try? $0.get()) != nil }, "a record failed")

        // The fault fired (batches were refused and split, twice), and later batches were made small enough.
        let retries = try metrics.expectCounter("kafka_producer_batch_retries_total", [("client_id", clientID)])
        #expect(retries.totalValue >= 2, "no batch was refused and split")
        let sizes = try metrics.expectRecorder("kafka_producer_batch_size_bytes", [("client_id", clientID)]).values
        #expect(
            sizes.allSatisfy { $0 <= 3_000 },
            "an acknowledged batch is larger than the topic allows: \(sizes.max() ?? 0)")
        #expect(sizes.count > 3_000 * 120 / 3_000, "the records went in batches the topic accepts")
        await cluster.shutdown()
    }
}

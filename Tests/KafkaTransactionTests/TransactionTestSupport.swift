import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaTestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Helpers for the transaction suites, which run against the in-process dev cluster (its transaction coordinator
/// writes commit and abort markers, as Kafka's does).
enum TransactionTests {
    /// Runs `body` against a fresh dev cluster with `topics` (name: partition count), shut down afterwards.
    static func withCluster(
        brokers: Int = 3, topics: [String: Int32], _ body: (DevCluster) async throws -> Void
    ) async throws {
        try await DevCluster.withRunning(brokers: brokers, topics: topics, body)
    }

    static func producer(
        _ cluster: DevCluster, transactionalID: String?, _ properties: [String: String] = [:]
    ) throws -> KafkaProducer {
        var all = [
            "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "2", "retry.backoff.ms": "20",
            "max.block.ms": "15000",
        ]
        if let transactionalID { all["transactional.id"] = transactionalID }
        all.merge(properties) { $1 }
        return try KafkaProducer(configuration: KafkaProducerConfiguration(properties: all))
    }

    static func consumer(_ cluster: DevCluster, _ properties: [String: String]) throws -> KafkaConsumer {
        var all = ["bootstrap.servers": cluster.bootstrapServers, "auto.offset.reset": "earliest"]
        all.merge(properties) { $1 }
        return try KafkaConsumer(configuration: KafkaConsumerConfiguration(properties: all))
    }

    /// Every record of `topic` (`partitions` partitions) from the beginning up to the end the given isolation level
    /// sees, read by a consumer with assigned partitions; polls until `idle` passes without a record.
    static func readAll(
        _ cluster: DevCluster, topic: String, partitions: Int32, isolation: String,
        idle: Duration = .seconds(2), timeout: Duration = .seconds(30)
    ) async throws -> [ConsumerRecord] {
        let consumer = try consumer(cluster, ["isolation.level": isolation])
        let all = (0..<partitions).map { TopicPartition(topic: topic, partition: $0) }
        try consumer.assign(all)
        try consumer.seekToBeginning(all)
        var records: [ConsumerRecord] = []
        let deadline = ContinuousClock.now + timeout
        var lastRecord = ContinuousClock.now
        while ContinuousClock.now < deadline, ContinuousClock.now - lastRecord < idle {
            let batch = try await consumer.poll(timeout: .milliseconds(300))
            if !batch.isEmpty { lastRecord = .now }
            records += batch
        }
        await consumer.close()
        return records
    }

    static func values(_ records: [ConsumerRecord]) -> [String] {
        records.map { $0.value.map { String(buffer: $0) } ?? "<null>" }
    }

    /// Sends `values` (keyed by themselves) to `topic` inside the current transaction; returns the outcomes.
    static func send(
        _ values: [String], topic: String, with producer: KafkaProducer
    ) async throws -> Outcomes {
        let outcomes = Outcomes()
        for value in values {
            try await producer.send(ProducerRecord(topic: topic, key: value, value: value)) { result in
                outcomes.add(value, result)
            }
        }
        return outcomes
    }
}

/// Completion results collected by value.
final class Outcomes: Sendable {
    private let results = NIOLockedValueBox<[String: Result<RecordMetadata, KafkaProducerError>]>([:])

    func add(_ value: String, _ result: Result<RecordMetadata, KafkaProducerError>) {
        results.withLockedValue { $0[value] = result }
    }

    var snapshot: [String: Result<RecordMetadata, KafkaProducerError>] { results.withLockedValue { $0 } }

    var failures: [String: KafkaProducerError] {
        snapshot.compactMapValues { result in
            if case .failure(let error) = result { return error }
            return nil
        }
    }
}

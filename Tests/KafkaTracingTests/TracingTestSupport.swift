import InMemoryTracing
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Tracing

/// Clients of a dev cluster with tracing on or off, each test with a tracer of its own (never the global one, which
/// a process can bootstrap once and which parallel suites would share).
enum TracingTests {
    static let topic = "traced"

    /// Runs `body` against a fresh one-broker dev cluster holding ``topic`` (one partition, so that records come back
    /// in the order they were sent).
    static func withCluster(
        configure: (inout DevClusterConfiguration) -> Void = { _ in },
        _ body: (DevCluster) async throws -> Void
    ) async throws {
        try await DevCluster.withRunning(brokers: 1, topics: [topic: 1], configure: configure, body)
    }

    /// A producer of `cluster` tracing into `tracer` when `tracing`.
    static func producer(
        _ cluster: DevCluster, tracer: InMemoryTracer, tracing: Bool = true, _ properties: [String: String] = [:]
    ) throws -> KafkaProducer {
        var all = [
            "bootstrap.servers": cluster.bootstrapServers, "client.id": "traced-producer", "linger.ms": "0",
            "tracing.enable": tracing ? "true" : "false",
        ]
        all.merge(properties) { $1 }
        var configuration = try KafkaProducerConfiguration(properties: all)
        configuration.tracer = tracer
        return try KafkaProducer(configuration: configuration)
    }

    /// A consumer of ``topic`` (assigned, from the start) in group `traced-group`, tracing into `tracer` when
    /// `tracing`.
    static func consumer(
        _ cluster: DevCluster, tracer: InMemoryTracer, tracing: Bool = true, _ properties: [String: String] = [:]
    ) throws -> KafkaConsumer {
        var all = [
            "bootstrap.servers": cluster.bootstrapServers, "client.id": "traced-consumer", "group.id": "traced-group",
            "enable.auto.commit": "false", "auto.offset.reset": "earliest",
            "tracing.enable": tracing ? "true" : "false",
        ]
        all.merge(properties) { $1 }
        var configuration = try KafkaConsumerConfiguration(properties: all)
        configuration.tracer = tracer
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.assign([TopicPartition(topic: topic, partition: 0)])
        return consumer
    }

    /// Polls until `count` records arrived or `timeout` passed.
    static func poll(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(60)) async throws
        -> [ConsumerRecord]
    {
        let deadline = ContinuousClock.now + timeout
        var records: [ConsumerRecord] = []
        while records.count < count, ContinuousClock.now < deadline {
            records += try await consumer.poll(timeout: .seconds(1))
        }
        return records
    }

    /// The finished spans named `name`.
    static func spans(_ tracer: InMemoryTracer, named name: String) -> [FinishedInMemorySpan] {
        tracer.finishedSpans.filter { $0.operationName == name }
    }

    /// The header keys of a consumed record.
    static func headerKeys(_ record: ConsumerRecord) throws -> [String] {
        try record.headers.decoded().map(\.key)
    }
}

struct TimedOut: Error {}

/// Runs `body`, failing with `TimedOut` (and cancelling it) if it takes longer than `timeout`.
func withTimeout<T: Sendable>(
    _ timeout: Duration, _ body: @Sendable @escaping () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut() }
        return value
    }
}

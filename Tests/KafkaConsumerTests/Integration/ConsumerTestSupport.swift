import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaTestSupport
import Metrics
import NIOCore

/// Helpers shared by the consumer suites that run against the in-process dev cluster, with data written by kcat.
enum ConsumerTests {
    /// The topic most suites use, with ``partitionCount`` partitions (the default of ``withCluster(brokers:topics:_:)``).
    static let topic = "t"
    static let partitionCount: Int32 = 3
    static let allPartitions = (0..<partitionCount).map { TopicPartition(topic: topic, partition: $0) }

    /// Runs `body` against a fresh dev cluster of `brokers` brokers with `topics` (name: partition count),
    /// shutting the cluster down afterwards, also when `body` throws.
    static func withCluster(
        brokers: Int = 3, topics: [String: Int32] = [topic: partitionCount],
        _ body: (DevCluster) async throws -> Void
    ) async throws {
        try await DevCluster.withRunning(brokers: brokers, topics: topics, body)
    }

    /// A consumer of `cluster` with `client.id` `clientID` and `properties` (which win over both).
    static func makeConsumer(
        _ cluster: DevCluster, _ properties: [String: String] = [:], clientID: String,
        interceptors: [any ConsumerInterceptor] = [], metricsFactory: (any MetricsFactory)? = nil
    ) throws -> KafkaConsumer {
        var all = ["bootstrap.servers": cluster.bootstrapServers, "client.id": clientID]
        all.merge(properties) { $1 }
        return try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(properties: all), interceptors: interceptors,
            metricsFactory: metricsFactory)
    }

    /// Produces `key:value` `lines` to `topic` with kcat, compressed with `codec` if given.
    static func produce(
        _ cluster: DevCluster, topic: String = topic, _ lines: [String], codec: String? = nil
    ) async throws {
        try await Kcat.produce(
            bootstrap: cluster.bootstrapServers, topic: topic, lines: lines, keyDelimiter: ":",
            extraProperties: codec.map { ["compression.codec": $0] } ?? [:])
    }

    /// Polls (1 s at a time) until `count` records arrived, `stopWhen` holds for them, or `timeout` passed.
    /// The generous default is for the start of a full test run, when every suite starts at once on two cores
    /// (a first fetch then took 49 s); a passing test returns as soon as the records are there.
    static func poll(
        _ consumer: KafkaConsumer, until count: Int, timeout: Duration = .seconds(120),
        stopWhen: ([ConsumerRecord]) -> Bool = { _ in false }
    ) async throws -> [ConsumerRecord] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var records: [ConsumerRecord] = []
        while records.count < count, ContinuousClock.now < deadline, !stopWhen(records) {
            records += try await consumer.poll(timeout: .seconds(1))
        }
        return records
    }

    /// The buffer as a string, `<null>` for none.
    static func string(_ buffer: ByteBuffer?) -> String {
        buffer.map { String(buffer: $0) } ?? "<null>"
    }
}

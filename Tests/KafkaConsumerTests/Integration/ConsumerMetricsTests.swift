import Foundation
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import KafkaConsumer

/// The consumer's swift-metrics instruments against the in-process dev cluster; data is written by kcat.
///
/// swift-metrics' `MetricsTestKit` is not a dependency of this test target, so a small recording factory stands in.
@Suite("Consumer metrics on the dev cluster", .serialized, .timeLimit(.minutes(5)))
struct ConsumerMetricsTests {
    static let topic = ConsumerTests.topic
    static let allPartitions = ConsumerTests.allPartitions
    static let clientID = "metrics-test"

    @Test func countsRecordsBytesFetchesAndLag() async throws {
        try await ConsumerTests.withCluster { cluster in
            let lines = (0..<120).map { "key-\($0):value-\(String(repeating: "x", count: $0 % 17))" }
            try await ConsumerTests.produce(cluster, lines)
            let metrics = RecordingMetricsFactory()
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest", "max.poll.records": "25"], clientID: Self.clientID,
                metricsFactory: metrics)
            try consumer.assign(Self.allPartitions)
            let records = try await ConsumerTests.poll(consumer, until: lines.count)
            try #require(records.count == lines.count)
            // Everything consumed: the next fetch answers with high watermark == position everywhere.
            #expect(try await consumer.poll(timeout: .milliseconds(500)).isEmpty)
            await consumer.close()

            #expect(metrics.counter("kafka_consumer_records_consumed_total") == Int64(lines.count))
            let expectedBytes = lines.reduce(0) { $0 + $1.utf8.count - 1 }  // key + value, without the ':'
            let receivedBytes = records.reduce(0) { $0 + ($1.key?.readableBytes ?? 0) + ($1.value?.readableBytes ?? 0) }
            #expect(receivedBytes == expectedBytes)
            #expect(metrics.counter("kafka_consumer_bytes_consumed_total") == Int64(expectedBytes))

            let fetches = try #require(metrics.counter("kafka_consumer_fetch_requests_total"))
            let latencies = metrics.values("kafka_consumer_fetch_latency")
            #expect(fetches >= 1)
            #expect(!latencies.isEmpty && latencies.count <= Int(fetches), "one latency per answered fetch")
            #expect(latencies.allSatisfy { $0 > 0 })

            let lags = metrics.values("kafka_consumer_records_lag")
            #expect(lags.contains { $0 > 0 }, "lag while records were still to be handed out: \(lags)")
            #expect(lags.allSatisfy { $0 >= 0 && $0 <= Int64(lines.count) })
            #expect(lags.last == 0, "no lag once everything was consumed: \(lags)")

            #expect(metrics.labels.allSatisfy { $0.hasPrefix("kafka_consumer_") })
            #expect(metrics.dimensionsSeen.allSatisfy { $0 == ["client_id=\(Self.clientID)"] })
        }
    }

    @Test func bytesAreKeyAndValueBytesOfWhatPollReturned() async throws {
        try await ConsumerTests.withCluster { cluster in
            // Empty (or null) keys count nothing.
            try await ConsumerTests.produce(cluster, (0..<10).map { ":v\($0)" })
            let metrics = RecordingMetricsFactory()
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID, metricsFactory: metrics)
            try consumer.assign(Self.allPartitions)
            let records = try await ConsumerTests.poll(consumer, until: 10)
            await consumer.close()
            try #require(records.count == 10)
            let bytes = records.reduce(0) { $0 + max(0, $1.serializedKeySize) + max(0, $1.serializedValueSize) }
            #expect(metrics.counter("kafka_consumer_records_consumed_total") == 10)
            #expect(metrics.counter("kafka_consumer_bytes_consumed_total") == Int64(bytes))
        }
    }

    @Test func rebalanceAndCommitInstruments() throws {
        let metrics = RecordingMetricsFactory()
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(properties: [
                "bootstrap.servers": "127.0.0.1:1", "client.id": Self.clientID,
            ]),
            metricsFactory: metrics)
        consumer.metrics.rebalanceCompleted()
        consumer.metrics.rebalanceCompleted()
        consumer.metrics.commitCompleted(since: ContinuousClock.now.advanced(by: .milliseconds(-5)))
        #expect(metrics.counter("kafka_consumer_rebalances_total") == 2)
        let commits = metrics.values("kafka_consumer_commit_latency")
        #expect(commits.count == 1)
        #expect(commits.allSatisfy { $0 >= 5_000_000 && $0 < 60_000_000_000 })
        #expect(metrics.dimensionsSeen.allSatisfy { $0 == ["client_id=\(Self.clientID)"] })
    }

    // MARK: Helpers

}

/// A `MetricsFactory` that records every value by label: counters as running totals, recorders, gauges and timers
/// as the list of values recorded (timers in nanoseconds).
final class RecordingMetricsFactory: MetricsFactory, Sendable {
    private struct Store {
        var counters: [String: Int64] = [:]
        var values: [String: [Int64]] = [:]
        var dimensions: [String: [String]] = [:]
    }

    private let store = NIOLockedValueBox(Store())

    /// The total of the counter `label`, `nil` if it was never created.
    func counter(_ label: String) -> Int64? {
        store.withLockedValue { $0.counters[label] }
    }

    /// The values recorded by the recorder, gauge or timer `label`, in order.
    func values(_ label: String) -> [Int64] {
        store.withLockedValue { $0.values[label] ?? [] }
    }

    /// Every label created.
    var labels: [String] {
        store.withLockedValue { Array($0.dimensions.keys) }
    }

    /// The dimensions of every instrument created, as `name=value` strings.
    var dimensionsSeen: [[String]] {
        store.withLockedValue { Array($0.dimensions.values) }
    }

    private func register(_ label: String, _ dimensions: [(String, String)]) {
        store.withLockedValue { $0.dimensions[label] = dimensions.map { "\($0.0)=\($0.1)" } }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        register(label, dimensions)
        store.withLockedValue { $0.counters[label] = $0.counters[label] ?? 0 }
        return Handler(label: label, store: store)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        register(label, dimensions)
        return Handler(label: label, store: store)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        register(label, dimensions)
        return Handler(label: label, store: store)
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let label: String
        let store: NIOLockedValueBox<Store>

        init(label: String, store: NIOLockedValueBox<Store>) {
            self.label = label
            self.store = store
        }

        func increment(by amount: Int64) { store.withLockedValue { $0.counters[label, default: 0] += amount } }
        func reset() { store.withLockedValue { $0.counters[label] = 0 } }
        func record(_ value: Int64) { store.withLockedValue { $0.values[label, default: []].append(value) } }
        func record(_ value: Double) { record(Int64(value)) }
        func recordNanoseconds(_ duration: Int64) { record(duration) }
    }
}

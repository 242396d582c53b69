import Foundation
import KafkaConsumer
import KafkaProducer
import KafkaTestSupport
import Metrics
import MetricsTestKit
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// The producer while the real broker process is killed and restarted, or frozen past `request.timeout.ms`.
///
/// Each test asserts that its fault fired (connections refused while the broker was down, requests timed out while
/// it was frozen, records acknowledged both before the fault and after it), then reads the topic back and counts
/// records failed, lost, duplicated and out of order per key.
@Suite(
    "Real broker: faults on the broker process (killed and restarted, frozen)", .serialized, .timeLimit(.minutes(10)))
struct RealBrokerProducerFaultTests {
    /// A broker of this suite's own: it is killed, restarted and frozen.
    private static let startedBroker = Task<RealKafkaBroker, any Error> { try await RealKafkaBroker.start() }

    /// The suite's broker, running (a test that failed while the broker was down does not fail the next ones).
    static var faultBroker: RealKafkaBroker {
        get async throws {
            let broker = try await startedBroker.value
            try await broker.ensureBrokerRunning()
            return broker
        }
    }

    /// What one run measured.
    struct Figures: CustomStringConvertible {
        var sent = 0
        var failed = 0
        var lost = 0
        var duplicated = 0
        var outOfOrder = 0
        var failures: [String] = []

        var description: String {
            "sent \(sent), failed \(failed), lost \(lost), duplicated \(duplicated), out of order \(outOfOrder)"
                + (failures.isEmpty ? "" : "; first failures: \(failures.prefix(3))")
        }
    }

    /// Records each acknowledgement: success or the error, and when.
    final class Outcomes: Sendable {
        private let state = NIOLockedValueBox<[Int: (ok: Bool, error: String?, at: ContinuousClock.Instant)]>([:])

        func record(_ index: Int, _ result: Result<RecordMetadata, KafkaProducerError>) {
            let now = ContinuousClock.now
            state.withLockedValue {
                switch result {
                case .success: $0[index] = (true, nil, now)
                case .failure(let error): $0[index] = (false, "\(error)", now)
                }
            }
        }

        var snapshot: [Int: (ok: Bool, error: String?, at: ContinuousClock.Instant)] { state.withLockedValue { $0 } }
    }

    static let keys = 6

    /// Sends `count` records paced over `duration` (key `k<i % keys>`, value `i`) while `fault` runs beside them,
    /// flushes, and reads the topic back.
    func run(
        count: Int, over duration: Duration, producer properties: [String: String],
        fault:
            @escaping @Sendable (RealKafkaBroker) async throws -> (
                start: ContinuousClock.Instant, end: ContinuousClock.Instant
            )
    ) async throws -> (
        Figures, TestMetrics, [Int: (ok: Bool, error: String?, at: ContinuousClock.Instant)],
        (start: ContinuousClock.Instant, end: ContinuousClock.Instant)
    ) {
        let broker = try await Self.faultBroker
        let topic = RealBroker.topic("fault")
        try await RealBroker.createTopic(topic, partitions: 3, on: broker)
        let metrics = TestMetrics()
        let producer = try KafkaProducer(
            configuration: RealBroker.producerConfiguration(broker, properties.merging(["client.id": "fault"]) { $1 }),
            metricsFactory: metrics)
        let outcomes = Outcomes()
        let faultTask = Task { try await fault(broker) }
        let steps = 100
        let perStep = count / steps
        let pause = duration / steps
        for step in 0..<steps {
            for index in (step * perStep)..<((step + 1) * perStep) {
                try await producer.send(
                    ProducerRecord(topic: topic, key: "k\(index % Self.keys)", value: "\(index)")
                ) { outcomes.record(index, $0) }
            }
            try await Task.sleep(for: pause)
        }
        let window = try await faultTask.value
        await producer.flush()
        await producer.close()

        let results = outcomes.snapshot
        var figures = Figures()
        figures.sent = steps * perStep
        for (_, result) in results where !result.ok {
            figures.failed += 1
            if figures.failures.count < 3, let error = result.error { figures.failures.append(error) }
        }
        #expect(results.count == figures.sent, "every record handed over must be completed")

        let read = try await RealBroker.readAll(topic, count: figures.sent - figures.failed, from: broker)
        var seen: [Int: Int] = [:]
        var lastPerKey: [String: Int] = [:]
        for record in read {
            guard let index = Int(record.text) else { continue }
            seen[index, default: 0] += 1
            let key = record.key.map { String(buffer: $0) } ?? ""
            if let last = lastPerKey[key], index < last { figures.outOfOrder += 1 }
            lastPerKey[key] = max(lastPerKey[key] ?? index, index)
        }
        figures.duplicated = seen.values.reduce(0) { $0 + max($1 - 1, 0) }
        figures.lost = (0..<figures.sent).filter { results[$0]?.ok == true && seen[$0] == nil }.count
        return (figures, metrics, results, window)
    }

    static func counter(_ metrics: TestMetrics, _ label: String) -> Int64 {
        (try? metrics.expectCounter(label, [("client_id", "fault")]).totalValue) ?? 0
    }

    /// What both producer fault tests assert once the fault fired: records acknowledged before and after it,
    /// nothing failed or lost, and, idempotent, nothing duplicated or reordered.
    static func expectDelivered(
        _ figures: Figures, _ results: [Int: (ok: Bool, error: String?, at: ContinuousClock.Instant)],
        around window: (start: ContinuousClock.Instant, end: ContinuousClock.Instant), idempotent: Bool
    ) {
        #expect(results.values.contains { $0.ok && $0.at < window.start })
        #expect(results.values.contains { $0.ok && $0.at > window.end })
        #expect(figures.failed == 0, "\(figures)")
        #expect(figures.lost == 0, "\(figures)")
        if idempotent {
            #expect(figures.duplicated == 0, "\(figures)")
            #expect(figures.outOfOrder == 0, "\(figures)")
        }
    }

    @Test(
        "a broker killed (SIGKILL) and restarted: nothing fails, and the idempotent producer duplicates none and keeps order",
        arguments: [true, false])
    func restart(idempotent: Bool) async throws {
        let (figures, metrics, results, window) = try await run(
            count: 20_000, over: .seconds(14),
            producer: ["enable.idempotence": "\(idempotent)", "acks": "all", "retries": "3", "linger.ms": "5"]
        ) { broker in
            try await Task.sleep(for: .seconds(3))
            return try await Self.restartFault(broker)
        }
        print("real broker restart, idempotence \(idempotent): \(figures)")
        // The fault fired: connections were refused while the broker was down.
        #expect(Self.counter(metrics, "kafka_client_connection_failures_total") > 0)
        Self.expectDelivered(figures, results, around: window, idempotent: idempotent)
    }

    @Test(
        "a broker frozen (SIGSTOP) past request.timeout.ms and resumed: nothing fails; idempotent, no duplicate, in order",
        arguments: [true, false])
    func frozen(idempotent: Bool) async throws {
        let (figures, metrics, results, window) = try await run(
            count: 10_000, over: .seconds(10),
            producer: [
                "enable.idempotence": "\(idempotent)", "acks": "all", "retries": "3", "linger.ms": "5",
                "request.timeout.ms": "2000", "delivery.timeout.ms": "60000",
            ]
        ) { broker in
            try await Task.sleep(for: .seconds(2))
            return try await Self.freezeFault(broker)
        }
        print("real broker frozen, idempotence \(idempotent): \(figures)")
        // The fault fired: requests timed out and their batches were retried.
        #expect(Self.counter(metrics, "kafka_producer_batch_retries_total") > 0)
        Self.expectDelivered(figures, results, around: window, idempotent: idempotent)
    }
}

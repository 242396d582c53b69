import Foundation
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// `records` and `batches` (AsyncSequences over poll) and the `Service` conformance, against the in-process dev
/// cluster; data is written by kcat.
@Suite("Consumer async sequences and Service on the dev cluster", .serialized)
struct ConsumerAsyncSequenceTests {
    static let topic = "t"
    static let allPartitions = (0..<3).map { TopicPartition(topic: topic, partition: Int32($0)) }

    @Test func recordsYieldsEveryRecordInOrderPerPartition() async throws {
        try await withCluster { cluster in
            let lines = (0..<50).map { "k\($0):v\($0)" }
            try produce(cluster, lines)
            let consumer = try makeConsumer(cluster, ["auto.offset.reset": "earliest", "max.poll.records": "8"])
            try consumer.assign(Self.allPartitions)
            let records = try await withTimeout(.seconds(30)) {
                var records: [ConsumerRecord] = []
                for try await record in consumer.records {
                    records.append(record)
                    if records.count == lines.count { break }
                }
                return records
            }
            await consumer.close()
            #expect(Set(records.map { "\(string($0.key)):\(string($0.value))" }) == Set(lines))
            for partition in Self.allPartitions {
                let offsets = records.filter { $0.partition == partition.partition }.map(\.offset)
                let end = try #require(cluster.highWatermark(topic: Self.topic, partition: partition.partition))
                #expect(offsets == Array(0..<end), "partition \(partition.partition)")
            }
        }
    }

    @Test func batchesAreNonEmptyPollResults() async throws {
        try await withCluster { cluster in
            let lines = (0..<50).map { "k\($0):v\($0)" }
            try produce(cluster, lines)
            let consumer = try makeConsumer(cluster, ["auto.offset.reset": "earliest", "max.poll.records": "7"])
            try consumer.assign(Self.allPartitions)
            let batches = try await withTimeout(.seconds(30)) {
                var batches: [[ConsumerRecord]] = []
                for try await batch in consumer.batches {
                    batches.append(batch)
                    if batches.joined().count >= lines.count { break }
                }
                return batches
            }
            await consumer.close()
            #expect(batches.count >= 8)
            #expect(batches.allSatisfy { !$0.isEmpty && $0.count <= 7 })
            let records = Array(batches.joined())
            #expect(records.count == lines.count)
            #expect(Set(records.map { "\(string($0.key)):\(string($0.value))" }) == Set(lines))
            for partition in Self.allPartitions {
                let offsets = records.filter { $0.partition == partition.partition }.map(\.offset)
                #expect(offsets == offsets.sorted() && Set(offsets).count == offsets.count)
            }
        }
    }

    @Test func closingFromAnotherTaskEndsTheIterations() async throws {
        try await withCluster { cluster in
            try produce(cluster, (0..<20).map { "k\($0):v\($0)" })
            for useBatches in [false, true] {
                let consumer = try makeConsumer(cluster, ["auto.offset.reset": "earliest"])
                try consumer.assign(Self.allPartitions)
                let iteration = Task {
                    var count = 0
                    if useBatches {
                        for try await batch in consumer.batches { count += batch.count }
                    } else {
                        for try await _ in consumer.records { count += 1 }
                    }
                    return count
                }
                // Let it consume everything, then wait in poll for more.
                try await Task.sleep(for: .seconds(2))
                let closedAt = ContinuousClock.now
                await consumer.close()
                let count = try await withTimeout(.seconds(10)) { try await iteration.value }
                #expect(count == 20, "batches: \(useBatches)")
                #expect(ContinuousClock.now - closedAt < .seconds(5))
                await #expect(throws: KafkaConsumerError(.closed)) { try await consumer.poll(timeout: .zero) }
            }
        }
    }

    @Test func cancellingTheIteratingTaskEndsTheIteration() async throws {
        try await withCluster { cluster in
            let consumer = try makeConsumer(cluster, ["auto.offset.reset": "earliest"])
            try consumer.assign(Self.allPartitions)
            let iteration = Task {
                var count = 0
                for try await _ in consumer.records { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(500))
            iteration.cancel()
            let count = try await withTimeout(.seconds(10)) { try await iteration.value }
            #expect(count == 0)
            // The consumer stays usable: a new iteration (or poll) works after a cancelled one.
            #expect(try await consumer.poll(timeout: .milliseconds(100)).isEmpty)
            await consumer.close()
        }
    }

    @Test func serviceGroupGracefulShutdownClosesTheConsumer() async throws {
        try await withCluster { cluster in
            try produce(cluster, (0..<30).map { "k\($0):v\($0)" })
            let consumer = try makeConsumer(cluster, ["auto.offset.reset": "earliest"])
            try consumer.assign(Self.allPartitions)
            let group = ServiceGroup(services: [consumer], gracefulShutdownSignals: [], logger: Logger(label: "test"))
            try await withTimeout(.seconds(30)) {
                try await withThrowingTaskGroup(of: Int.self) { tasks in
                    tasks.addTask {
                        try await group.run()
                        return -1
                    }
                    tasks.addTask {
                        var count = 0
                        for try await _ in consumer.records { count += 1 }
                        return count
                    }
                    try await Task.sleep(for: .seconds(2))
                    await group.triggerGracefulShutdown()
                    var results: [Int] = []
                    for try await result in tasks { results.append(result) }
                    #expect(results.sorted() == [-1, 30], "run() returned and the iteration ended with every record")
                }
            }
            await #expect(throws: KafkaConsumerError(.closed)) { try await consumer.poll(timeout: .seconds(1)) }
        }
    }

    @Test func runReturnsWhenTheConsumerIsClosedDirectly() async throws {
        try await withCluster { cluster in
            let consumer = try makeConsumer(cluster)
            let run = Task { try await consumer.run() }
            try await Task.sleep(for: .milliseconds(300))
            await consumer.close()
            try await withTimeout(.seconds(5)) { try await run.value }
        }
    }

    // MARK: Helpers

    struct TimedOut: Error {}

    /// Runs `body`, failing with `TimedOut` (and cancelling it) if it takes longer than `timeout`.
    private func withTimeout<T: Sendable>(
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

    private func withCluster(_ body: (DevCluster) async throws -> Void) async throws {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 3
        configuration.topics = [Self.topic: 3]
        let cluster = try await DevCluster(configuration: configuration)
        do {
            try await body(cluster)
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    private func makeConsumer(_ cluster: DevCluster, _ extra: [String: String] = [:]) throws -> KafkaConsumer {
        var properties = ["bootstrap.servers": cluster.bootstrapServers, "client.id": "sequence-test"]
        properties.merge(extra) { $1 }
        return try KafkaConsumer(configuration: KafkaConsumerConfiguration(properties: properties))
    }

    private func produce(_ cluster: DevCluster, _ lines: [String]) throws {
        try Kcat.produce(bootstrap: cluster.bootstrapServers, topic: Self.topic, lines: lines, keyDelimiter: ":")
    }

    private func string(_ buffer: ByteBuffer?) -> String {
        buffer.map { String(buffer: $0) } ?? "<null>"
    }
}

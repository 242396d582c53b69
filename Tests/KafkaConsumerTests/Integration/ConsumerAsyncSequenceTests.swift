import Foundation
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

@testable import KafkaConsumer

/// `records` and `batches` (AsyncSequences over poll) and the `Service` conformance, against the in-process dev
/// cluster; data is written by kcat.
@Suite("Consumer async sequences and Service on the dev cluster", .serialized, .timeLimit(.minutes(5)))
struct ConsumerAsyncSequenceTests {
    static let topic = ConsumerTests.topic
    static let allPartitions = ConsumerTests.allPartitions
    static let clientID = "sequence-test"

    @Test func recordsYieldsEveryRecordInOrderPerPartition() async throws {
        try await ConsumerTests.withCluster { cluster in
            let lines = (0..<50).map { "k\($0):v\($0)" }
            try await ConsumerTests.produce(cluster, lines)
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest", "max.poll.records": "8"], clientID: Self.clientID)
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
            #expect(
                Set(records.map { "\(ConsumerTests.string($0.key)):\(ConsumerTests.string($0.value))" }) == Set(lines))
            for partition in Self.allPartitions {
                let offsets = records.filter { $0.partition == partition.partition }.map(\.offset)
                let end = try #require(cluster.highWatermark(topic: Self.topic, partition: partition.partition))
                #expect(offsets == Array(0..<end), "partition \(partition.partition)")
            }
        }
    }

    @Test func batchesAreNonEmptyPollResults() async throws {
        try await ConsumerTests.withCluster { cluster in
            let lines = (0..<50).map { "k\($0):v\($0)" }
            try await ConsumerTests.produce(cluster, lines)
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest", "max.poll.records": "7"], clientID: Self.clientID)
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
            #expect(
                Set(records.map { "\(ConsumerTests.string($0.key)):\(ConsumerTests.string($0.value))" }) == Set(lines))
            for partition in Self.allPartitions {
                let offsets = records.filter { $0.partition == partition.partition }.map(\.offset)
                #expect(offsets == offsets.sorted() && Set(offsets).count == offsets.count)
            }
        }
    }

    @Test func closingFromAnotherTaskEndsTheIterations() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<20).map { "k\($0):v\($0)" })
            for useBatches in [false, true] {
                let consumer = try ConsumerTests.makeConsumer(
                    cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID)
                try consumer.assign(Self.allPartitions)
                let progress = IterationProgress()
                let iteration = Task {
                    var count = 0
                    if useBatches {
                        for try await batch in consumer.batches {
                            count += batch.count
                            progress.count.store(count, ordering: .relaxed)
                        }
                    } else {
                        for try await _ in consumer.records {
                            count += 1
                            progress.count.store(count, ordering: .relaxed)
                        }
                    }
                    return count
                }
                // Let it consume everything (however loaded the machine), then wait in poll for more.
                let deadline = ContinuousClock.now + .seconds(30)
                while progress.count.load(ordering: .relaxed) < 20 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(300))
                let closedAt = ContinuousClock.now
                await consumer.close()
                let count = try await withTimeout(.seconds(30)) { try await iteration.value }
                #expect(count == 20, "batches: \(useBatches)")
                #expect(ContinuousClock.now - closedAt < .seconds(20))
                await #expect(throws: KafkaConsumerError(.closed)) { try await consumer.poll(timeout: .zero) }
            }
        }
    }

    @Test func cancellingTheIteratingTaskEndsTheIteration() async throws {
        try await ConsumerTests.withCluster { cluster in
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID)
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
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<30).map { "k\($0):v\($0)" })
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID)
            try consumer.assign(Self.allPartitions)
            let group = ServiceGroup(services: [consumer], gracefulShutdownSignals: [], logger: Logger(label: "test"))
            try await withTimeout(.seconds(30)) {
                try await withThrowingTaskGroup(of: Int.self) { tasks in
                    tasks.addTask {
                        try await group.run()
                        return -1
                    }
                    let seen = NIOLockedValueBox(0)
                    tasks.addTask {
                        var count = 0
                        for try await _ in consumer.records {
                            count += 1
                            seen.withLockedValue { $0 = count }
                        }
                        return count
                    }
                    // Shut down once every record was handed out (however long a loaded machine takes), and still
                    // while the iteration is waiting for more.
                    while seen.withLockedValue({ $0 }) < 30 { try await Task.sleep(for: .milliseconds(20)) }
                    try await Task.sleep(for: .milliseconds(200))
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
        try await ConsumerTests.withCluster { cluster in
            let consumer = try ConsumerTests.makeConsumer(cluster, clientID: Self.clientID)
            let run = Task { try await consumer.run() }
            try await Task.sleep(for: .milliseconds(300))
            await consumer.close()
            try await withTimeout(.seconds(5)) { try await run.value }
        }
    }

    @Test func runReturnsAndClosesTheConsumerWhenItsTaskIsCancelled() async throws {
        try await ConsumerTests.withCluster { cluster in
            let consumer = try ConsumerTests.makeConsumer(cluster, clientID: Self.clientID)
            let run = Task { try await consumer.run() }
            try await Task.sleep(for: .milliseconds(300))
            run.cancel()
            try await withTimeout(.seconds(5)) { try await run.value }
            await #expect(throws: KafkaConsumerError(.closed)) { try await consumer.poll(timeout: .seconds(1)) }
        }
    }

    @Test func aWaitForTheCloseEndsWithTheClose() async throws {
        try await ConsumerTests.withCluster { cluster in
            let consumer = try ConsumerTests.makeConsumer(cluster, clientID: Self.clientID)
            let ended = NIOLockedValueBox(0)
            let waiters = (0..<3).map { _ in
                Task {
                    await consumer.waitUntilClosed()
                    ended.withLockedValue { $0 += 1 }
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(ended.withLockedValue { $0 } == 0, "a wait ended before the close")
            await consumer.close()
            for waiter in waiters { try await withTimeout(.seconds(5)) { await waiter.value } }
            #expect(ended.withLockedValue { $0 } == 3)
            try await withTimeout(.seconds(5)) { await consumer.waitUntilClosed() }  // already closed: at once
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

}

/// How far an iteration running on another task got.
final class IterationProgress: Sendable {
    let count = Atomic<Int>(0)
}

import Foundation
import KafkaConsumer
import KafkaDevCluster
import KafkaProducer
import KafkaTestSupport
import NIOCore
import Testing

/// The README's exactly-once example (`Examples/exactly-once`, built as `exactly-once-example`) run as a process and
/// killed with SIGKILL ten times, each inside a transaction, while orders keep arriving, then restarted: the invoices, read with
/// read_committed, hold exactly one per order. Offset commits to the transaction are answered 400 ms late (the
/// commit is stored at once), and each instance is killed inside that window, while its transaction holds written
/// invoices: the test asserts that aborted invoices are in the log.
@Suite("Exactly-once example killed and restarted", .serialized, .timeLimit(.minutes(4)))
struct KilledPipelineTests {
    static let orderCount = 600

    /// The example's executable, built next to the test bundle by `swift build --build-tests`.
    static func example() throws -> URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("exactly-once-example")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw CocoaError(
            .fileNoSuchFile, userInfo: [NSFilePathErrorKey: "exactly-once-example (swift build --build-tests)"])
    }

    static func launch(bootstrap: String) throws -> Process {
        let process = Process()
        process.executableURL = try example()
        process.environment = ProcessInfo.processInfo.environment.merging(["KAFKA_BOOTSTRAP_SERVERS": bootstrap]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func kill(_ process: Process) async {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func killedAndRestartedExampleInvoicesEveryOrderOnce() async throws {
        try await TransactionTests.withCluster(topics: ["orders": 3, "invoices": 3]) { cluster in
            let bootstrap = cluster.bootstrapServers
            cluster.delayResponses(to: .txnOffsetCommit, by: .milliseconds(400))
            // Orders keep arriving (10 every 50 ms) while instances are killed, so that kills land mid-stream.
            let feeder = Task {
                let producer = try TransactionTests.producer(cluster, transactionalID: nil)
                for index in 0..<Self.orderCount {
                    try await producer.send(
                        ProducerRecord(topic: "orders", key: "c\(index % 7)", value: "order-\(index)")
                    ) { _ in }
                    if index % 10 == 9 { try await Task.sleep(for: .milliseconds(50)) }
                }
                await producer.flush()
                await producer.close()
            }
            // Each instance is killed 150 ms after it asked to commit its offsets to a transaction (the answer is
            // 400 ms late): its invoices are written by then, and the transaction is still open.
            for _ in 0..<10 {
                let asked = cluster.requestCount(.txnOffsetCommit)
                let instance = try Self.launch(bootstrap: bootstrap)
                let deadline = ContinuousClock.now + .seconds(10)
                while cluster.requestCount(.txnOffsetCommit) == asked, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                try await Task.sleep(for: .milliseconds(150))
                await Self.kill(instance)
            }
            try await feeder.value
            let beforeLast = try await TransactionTests.readAll(
                cluster, topic: "invoices", partitions: 3, isolation: "read_committed", idle: .seconds(1))
            print("killed pipeline: \(beforeLast.count) invoices committed by the killed instances")

            cluster.delayResponses(to: .txnOffsetCommit, by: .zero)
            // The last instance runs until every order has its committed invoice (or a minute passed).
            let last = try Self.launch(bootstrap: bootstrap)
            var invoices: [String] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                invoices = TransactionTests.values(
                    try await TransactionTests.readAll(
                        cluster, topic: "invoices", partitions: 3, isolation: "read_committed", idle: .seconds(1)))
                if invoices.count >= Self.orderCount { break }
            }
            // Let a transaction in progress finish, then read the final state.
            try await Task.sleep(for: .seconds(1))
            await Self.kill(last)
            invoices = TransactionTests.values(
                try await TransactionTests.readAll(
                    cluster, topic: "invoices", partitions: 3, isolation: "read_committed", idle: .seconds(1)))

            var seen: [String: Int] = [:]
            for invoice in invoices { seen[invoice, default: 0] += 1 }
            let expected = (0..<Self.orderCount).map { "invoice for order-\($0)" }
            let duplicated = seen.filter { $0.value > 1 }.keys.sorted()
            let missing = Set(expected).subtracting(seen.keys).sorted()
            #expect(duplicated.isEmpty, "invoiced more than once: \(duplicated.prefix(10))")
            #expect(missing.isEmpty, "never invoiced: \(missing.count), e.g. \(missing.prefix(10))")
            #expect(invoices.count == Self.orderCount)
            let written = try await TransactionTests.readAll(
                cluster, topic: "invoices", partitions: 3, isolation: "read_uncommitted", idle: .seconds(1))
            print("killed pipeline: \(written.count) invoices written, \(invoices.count) committed")
            #expect(
                written.count > invoices.count, "no kill landed inside a transaction: no aborted invoice in the log")
        }
    }
}

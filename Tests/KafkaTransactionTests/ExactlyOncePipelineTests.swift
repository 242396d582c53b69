import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaTestSupport
import NIOCore
import Testing

/// A consume-transform-produce pipeline (read `in`, write `out-<value>` to `out`, commit the input offsets in the
/// same transaction) crashed at random points and restarted: the output, read with read_committed, holds every
/// input exactly once.
@Suite("Exactly-once pipeline", .serialized, .timeLimit(.minutes(3)))
struct ExactlyOncePipelineTests {
    static let input = "in"
    static let output = "out"
    static let inputCount = 400

    /// Where an instance stops without cleaning up (its producer is closed with no grace, so no EndTxn is sent).
    enum Crash: CaseIterable, Sendable {
        /// Records of the transaction written (flushed), offsets not yet sent.
        case afterSending
        /// Records written and offsets sent to the transaction, not committed.
        case beforeCommit
        /// Right after a commit.
        case afterCommit
    }

    /// One pipeline instance: runs transactions until `crash` hits after `transactions` of them, or until the input
    /// is idle for two seconds. Returns the number of records it committed.
    static func runInstance(
        _ cluster: DevCluster, crash: Crash?, after transactions: Int
    ) async throws -> Int {
        let producer = try TransactionTests.producer(cluster, transactionalID: "eos-pipeline")
        // Fences the previous instance and aborts whatever it left open, before the consumer reads the offsets.
        try await producer.initTransactions()
        let consumer = try TransactionTests.consumer(
            cluster,
            [
                "group.id": "eos", "enable.auto.commit": "false", "isolation.level": "read_committed",
                "max.poll.records": "10",
            ])
        try consumer.subscribe(topics: [Self.input])
        var committed = 0
        var done = 0
        var idleSince = ContinuousClock.now
        while true {
            let records = try await consumer.poll(timeout: .milliseconds(300))
            if records.isEmpty {
                // Idle for two seconds: the input is done (a crash round that ran out of input just stops too).
                if ContinuousClock.now - idleSince > .seconds(2) { break }
                continue
            }
            idleSince = .now
            try producer.beginTransaction()
            var next: [TopicPartition: OffsetAndMetadata] = [:]
            for record in records {
                let value = "out-" + (record.value.map { String(buffer: $0) } ?? "")
                try await producer.send(ProducerRecord(topic: Self.output, key: nil, value: value)) { _ in }
                let partition = TopicPartition(topic: record.topic, partition: record.partition)
                next[partition] = OffsetAndMetadata(offset: max(next[partition]?.offset ?? 0, record.offset + 1))
            }
            if crash == .afterSending && done == transactions {
                // Written to the log, not committed: without the flush, whether a lingering batch left before the
                // crash depended on the machine's speed (an idle machine wrote none).
                await producer.flush()
                break
            }
            let group = try #require(consumer.groupMetadata)
            try await producer.sendOffsetsToTransaction(next, groupMetadata: group)
            if crash == .beforeCommit && done == transactions {
                await producer.flush()
                break
            }
            try await producer.commitTransaction()
            committed += records.count
            done += 1
            if crash == .afterCommit && done == transactions { break }
        }
        if crash != nil {
            // A crash: no abort, no EndTxn; in-flight records are dropped by the client.
            await producer.close(timeout: .zero)
        } else {
            await producer.close()
        }
        await consumer.close()
        return committed
    }

    @Test func crashedAndRestartedPipelineWritesEveryInputExactlyOnce() async throws {
        try await TransactionTests.withCluster(topics: [Self.input: 3, Self.output: 3]) { cluster in
            let feeder = try TransactionTests.producer(cluster, transactionalID: nil)
            for index in 0..<Self.inputCount {
                try await feeder.send(ProducerRecord(topic: Self.input, key: "k\(index % 17)", value: "v\(index)")) {
                    _ in
                }
            }
            await feeder.flush()
            await feeder.close()

            var generator = SplitMix64(seed: 0x5EED_0F_E05)
            var committedBeforeCrashes = 0
            for _ in 0..<8 {
                let crash = Crash.allCases[Int(generator.next() % UInt64(Crash.allCases.count))]
                let after = 1 + Int(generator.next() % 4)
                committedBeforeCrashes += try await Self.runInstance(cluster, crash: crash, after: after)
            }
            #expect(committedBeforeCrashes < Self.inputCount, "the crashes should leave work for the last instance")
            _ = try await Self.runInstance(cluster, crash: nil, after: 0)

            let output = TransactionTests.values(
                try await TransactionTests.readAll(
                    cluster, topic: Self.output, partitions: 3, isolation: "read_committed"))
            let expected = (0..<Self.inputCount).map { "out-v\($0)" }
            #expect(output.count == Self.inputCount, "\(output.count) committed outputs for \(Self.inputCount) inputs")
            var seen: [String: Int] = [:]
            for value in output { seen[value, default: 0] += 1 }
            let duplicated = seen.filter { $0.value > 1 }.keys.sorted()
            let missing = Set(expected).subtracting(seen.keys).sorted()
            #expect(duplicated.isEmpty, "written more than once: \(duplicated.prefix(10))")
            // The crashes did leave aborted output behind: read_uncommitted sees more than read_committed.
            let dirty = try await TransactionTests.readAll(
                cluster, topic: Self.output, partitions: 3, isolation: "read_uncommitted")
            #expect(dirty.count > output.count, "no crash left uncommitted output (\(dirty.count) records)")
            print(
                "exactly-once pipeline: \(committedBeforeCrashes) committed before the crashes, \(dirty.count) written")
            #expect(missing.isEmpty, "never written: \(missing.prefix(10))")
        }
    }
}

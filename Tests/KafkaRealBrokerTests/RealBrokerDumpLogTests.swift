import Foundation
import KafkaProducer
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

/// `kafka-dump-log` on the real broker's own segment files, beside Kafka's `kafka-dump-log.sh` on the same files.
@Suite("Real broker: kafka-dump-log compared with kafka-dump-log.sh", .timeLimit(.minutes(10)))
struct RealBrokerDumpLogTests {
    /// Writes batches with every codec, headers and a tombstone, a committed and an aborted transaction, to a topic
    /// whose small segments roll (so that the directory holds producer snapshots); returns the partition's folder.
    static func writeSegments(_ broker: RealKafkaBroker, segmentBytes: Int = 1000) async throws -> String {
        let topic = RealBroker.topic("dumplog")
        try await RealBroker.createTopic(
            topic, partitions: 1, on: broker, configs: ["segment.bytes": "\(segmentBytes)"])
        for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
            let producer = try KafkaProducer(
                configuration: RealBroker.producerConfiguration(broker, ["compression.type": codec, "linger.ms": "20"]))
            for index in 0..<12 {
                let value = String(repeating: "\(codec)-value-\(index) ", count: 4)
                try await producer.send(
                    ProducerRecord(
                        topic: topic, partition: 0, key: "k\(index)", value: value,
                        headers: index == 0
                            ? [
                                RecordHeader(key: "h1", value: ByteBuffer(string: "x")),
                                RecordHeader(key: "h2", value: nil),
                            ] : [])
                ) { _ in }
            }
            _ = try await producer.send(ProducerRecord(topic: topic, partition: 0, key: "gone", value: nil as String?))
            await producer.close()
        }
        let transactional = try KafkaProducer(
            configuration: RealBroker.producerConfiguration(broker, ["transactional.id": "dump-\(topic)"]))
        try await transactional.initTransactions()
        for commit in [true, false] {
            try transactional.beginTransaction()
            for index in 0..<3 {
                try await transactional.send(
                    ProducerRecord(topic: topic, partition: 0, key: "t\(index)", value: commit ? "kept" : "dropped")
                ) { _ in }
            }
            if commit {
                try await transactional.commitTransaction()
            } else {
                await transactional.flush()
                try await transactional.abortTransaction()
            }
        }
        await transactional.close()
        // The coordinator writes the abort marker (and with it the transaction index entry) after EndTxn answered.
        let folder = broker.directory + "/kafka-logs/\(topic)-0"
        for _ in 0..<100 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            if names.contains(where: { $0.hasSuffix(".txnindex") }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return folder
    }

    /// Kafka 2.3's parser prints no key for a record without a value; ours prints it, as Kafka does since 2.8.
    static func withoutTombstoneKeys(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard line.contains("valuesize: -1"), let key = line.range(of: " key: ") else { return String(line) }
            return String(line[..<key.lowerBound])
        }
    }

    @Test("every file of a partition with every codec and transactions: the same lines as kafka-dump-log.sh")
    func dumpsWhatKafkaDumps() async throws {
        let broker = try await RealKafkaBroker.shared()
        let folder = try await Self.writeSegments(broker)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let files = names.filter { name in
            [".log", ".index", ".timeindex", ".txnindex", ".snapshot"].contains { name.hasSuffix($0) }
        }.map { "\(folder)/\($0)" }
        #expect(names.contains { $0.hasSuffix(".txnindex") }, "the aborted transaction is indexed: \(names)")
        #expect(names.contains { $0.hasSuffix(".snapshot") }, "a rolled segment left a producer snapshot: \(names)")
        #expect(files.filter { $0.hasSuffix(".log") }.count >= 2, "\(names)")

        for flags in [["--deep-iteration", "--print-data-log"], []] {
            let arguments = ["--files", files.joined(separator: ",")] + flags
            let ours = try await RealBroker.runOurs("kafka-dump-log", arguments)
            let kafka = try await broker.runTool("kafka-dump-log.sh", arguments)
            #expect(ours.status == 0, "\(ours.stderr)")
            #expect(kafka.status == 0, "\(kafka.stderr)")
            let mine = Self.withoutTombstoneKeys(ours.stdout)
            let theirs = kafka.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(mine.count == theirs.count, "\(flags): \(mine.count) lines against \(theirs.count)")
            for (line, (mineLine, theirLine)) in zip(mine, theirs).enumerated() where mineLine != theirLine {
                Issue.record("\(flags) line \(line + 1):\nours:   \(mineLine)\nKafka's: \(theirLine)")
                break
            }
            // Kafka prints its end-of-run reports from hash maps, in no fixed order: compare the lines as a multiset.
            #expect(
                ours.stderr.split(separator: "\n").sorted() == kafka.stderr.split(separator: "\n").sorted(),
                "\(flags)")
        }
        let deep = try await RealBroker.runOurs(
            "kafka-dump-log", ["--files", files.joined(separator: ","), "--print-data-log"])
        for codec in ["NONE", "GZIP", "SNAPPY", "LZ4", "ZSTD"] {
            #expect(deep.stdout.contains("compresscodec: \(codec) "), "\(codec)")
        }
        #expect(deep.stdout.contains("endTxnMarker: ABORT coordinatorEpoch: "))
        #expect(deep.stdout.contains("endTxnMarker: COMMIT coordinatorEpoch: "))
        #expect(
            deep.stdout.contains("headerKeys: [h1,h2] key: k0 payload: gzip-value-0 "), "\(deep.stdout.prefix(3000))")
        #expect(deep.stdout.contains("key: gone"))
        #expect(deep.stdout.contains("version: 0 producerId: "), "the aborted transaction's entry")
    }

    @Test("a truncated copy is reported as Kafka reports it; a corrupt batch gets an error line and the dump goes on")
    func truncatedAndCorruptCopies() async throws {
        let broker = try await RealKafkaBroker.shared()
        let folder = try await Self.writeSegments(broker, segmentBytes: 1 << 20)
        let original = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/00000000000000000000.log"))
        let copies = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID())")
        try FileManager.default.createDirectory(at: copies, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: copies) }

        let truncated = copies.appendingPathComponent("00000000000000000000.log")
        try original.prefix(original.count - 7).write(to: truncated)
        let arguments = ["--files", truncated.path, "--deep-iteration", "--print-data-log"]
        let ours = try await RealBroker.runOurs("kafka-dump-log", arguments)
        let kafka = try await broker.runTool("kafka-dump-log.sh", arguments)
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(
            Self.withoutTombstoneKeys(ours.stdout)
                == kafka.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        #expect(ours.stdout.contains("invalid bytes at the end of 00000000000000000000.log"), "\(ours.stdout)")

        // Corrupt the records of the second batch (the gzip one comes after the uncompressed batches): flip bytes in
        // the middle of every compressed batch's records section.
        var bytes = [UInt8](original)
        var position = 0
        var corrupted = 0
        while position + 61 <= bytes.count {
            let size = Int(
                UInt32(bytes[position + 8]) << 24 | UInt32(bytes[position + 9]) << 16
                    | UInt32(bytes[position + 10]) << 8 | UInt32(bytes[position + 11]))
            let attributes = bytes[position + 22]
            if attributes & 0x07 != 0 && size > 80 {
                for at in (position + 61 + 4)..<(position + 61 + 12) { bytes[at] ^= 0x5a }
                corrupted += 1
            }
            position += size + 12
        }
        #expect(corrupted >= 4, "every codec's batch was found")
        let corrupt = copies.appendingPathComponent("00000000000000000000.log")
        try Data(bytes).write(to: corrupt)
        let damaged = try await RealBroker.runOurs("kafka-dump-log", ["--files", corrupt.path, "--print-data-log"])
        #expect(damaged.status == 1)
        #expect(damaged.signal == nil, "no crash")
        #expect(damaged.stdout.contains("isvalid: false"))
        #expect(damaged.stdout.contains("| error: the records of the batch at position "), "\(damaged.stdout)")
        #expect(damaged.stdout.contains("compresscodec: ZSTD"), "batches after a corrupt one are still dumped")
        // Kafka's report of the offsets the unreadable records left out, then the one-line reason for the status.
        let reportLines = damaged.stderr.split(separator: "\n")
        #expect(reportLines.first?.hasPrefix("Non-consecutive offsets in :") == true, "\(damaged.stderr)")
        #expect(reportLines.last?.hasPrefix("kafka-dump-log: ") == true, "\(damaged.stderr)")
        #expect(reportLines.filter { $0.hasPrefix("kafka-dump-log: ") }.count == 1, "\(damaged.stderr)")
    }
}

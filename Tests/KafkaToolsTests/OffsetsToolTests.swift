import Foundation
import KafkaDevCluster
import KafkaProducer
import Testing

/// `kafka-get-offsets` and `kafka-delete-records` run as a user runs them, against an in-process dev cluster.
@Suite(.timeLimit(.minutes(5))) struct OffsetsToolTests {
    /// Writes `counts[p]` records to partition `p` of `topic`, record `i` with timestamp 1700000000000 + 1000 × i.
    private static func seed(_ cluster: DevCluster, _ topic: String, counts: [Int]) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(properties: ["bootstrap.servers": cluster.bootstrapServers]))
        for (partition, count) in counts.enumerated() {
            for index in 0..<count {
                _ = try await producer.send(
                    ProducerRecord(
                        topic: topic, partition: Int32(partition), key: "k\(index)", value: "v\(index)",
                        timestamp: 1_700_000_000_000 + 1000 * Int64(index)))
            }
        }
        await producer.close()
    }

    private static func run(
        _ tool: String, _ cluster: DevCluster, _ arguments: [String]
    ) async throws -> ToolRunner.Outcome {
        try await ToolRunner.run(tool, ["--bootstrap-server", cluster.bootstrapServers] + arguments)
    }

    @Test func printsLatestEarliestAndTimestampOffsetsInKafkasOrder() async throws {
        // 12 partitions, so that Kafka's text order (orders-10 before orders-2) shows.
        try await withDevCluster(topics: ["orders": 12, "other": 1]) { cluster in
            try await Self.seed(cluster, "orders", counts: [5, 0, 3] + Array(repeating: 1, count: 9))
            try await Self.seed(cluster, "other", counts: [2])

            let latest = try await Self.run("kafka-get-offsets", cluster, ["--topic", "orders"])
            #expect(latest.status == 0, "\(latest.stderr)")
            let expectedLatest =
                ["orders:0:5", "orders:1:0", "orders:10:1", "orders:11:1", "orders:2:3"]
                + (3...9).map { "orders:\($0):1" }
            #expect(latest.stdout == expectedLatest.map { $0 + "\n" }.joined())

            let earliest = try await Self.run(
                "kafka-get-offsets", cluster, ["--topic-partitions", "orders:0-2,oth.*", "--time", "-2"])
            #expect(earliest.stdout == "orders:0:0\norders:1:0\nother:0:0\n", "\(earliest.stderr)")

            // The first record at or after the time: record 2 of partition 0; partition 2 has records 0…2 only, and
            // a time after every record gives no offset, so the partition is left out.
            let byTime = try await Self.run(
                "kafka-get-offsets", cluster,
                ["--topic", "orders", "--partitions", "0,2", "--time", "1700000002000"])
            #expect(byTime.stdout == "orders:0:2\norders:2:2\n", "\(byTime.stderr)")
            let afterAll = try await Self.run(
                "kafka-get-offsets", cluster, ["--topic", "orders", "--partitions", "2", "--time", "1800000000000"])
            #expect(afterAll.status == 0)
            #expect(afterAll.stdout == "")

            let json = try await Self.run(
                "kafka-get-offsets", cluster, ["--topic", "other", "--json"])
            let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
            #expect(decoded?.count == 1)
            #expect(decoded?.first?["topic"] as? String == "other")
            #expect(decoded?.first?["offset"] as? Int == 2)
        }
    }

    @Test func noMatchingPartitionAndBadArgumentsFailWithOneLine() async throws {
        try await withDevCluster(topics: ["orders": 2]) { cluster in
            let none = try await Self.run("kafka-get-offsets", cluster, ["--topic", "missing.*"])
            #expect(none.status == 1)
            #expect(
                none.stderr == "kafka-get-offsets: Could not match any topic-partitions with the specified filters\n")

            let both = try await Self.run(
                "kafka-get-offsets", cluster, ["--topic", "orders", "--topic-partitions", "orders:0"])
            #expect(both.status == 2)
            #expect(both.stderr.contains("--topic-partitions cannot be used with --topic or --partitions"))

            let badTime = try await Self.run("kafka-get-offsets", cluster, ["--time", "yesterday"])
            #expect(badTime.status == 2)
            #expect(badTime.stderr.contains("Malformed time argument yesterday"))
        }
    }

    @Test func deletesRecordsBeforeOffsetsAndReportsPerPartition() async throws {
        try await withDevCluster(topics: ["orders": 3]) { cluster in
            try await Self.seed(cluster, "orders", counts: [10, 4, 2])
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("delete-\(UUID()).json")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(
                #"""
                {"partitions": [{"topic": "orders", "partition": 0, "offset": 6},
                                {"topic": "orders", "partition": 1, "offset": -1},
                                {"topic": "orders", "partition": 2, "offset": 99}], "version": 1}
                """#.utf8
            ).write(to: file)

            let outcome = try await Self.run("kafka-delete-records", cluster, ["--offset-json-file", file.path])
            #expect(outcome.status == 1, "partition 2's offset is past its end")
            let lines = outcome.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 5)
            #expect(
                lines.prefix(4) == [
                    "Executing records delete operation", "Records delete operation completed:",
                    "partition: orders-0\tlow_watermark: 6", "partition: orders-1\tlow_watermark: 4",
                ])
            #expect(lines.last?.hasPrefix("partition: orders-2\terror: ") == true)
            #expect(lines.last?.contains("OFFSET_OUT_OF_RANGE") == true)
            #expect(outcome.stderr == "kafka-delete-records: records of 1 of 3 partition(s) were not deleted\n")

            // The log start offsets moved: the earliest offsets are the new low watermarks.
            let earliest = try await Self.run(
                "kafka-get-offsets", cluster, ["--topic", "orders", "--time", "earliest"])
            #expect(earliest.stdout == "orders:0:6\norders:1:4\norders:2:0\n")
        }
    }

    @Test func malformedOffsetFilesAreRefusedBeforeAnythingIsDeleted() async throws {
        try await withDevCluster(topics: ["orders": 1]) { cluster in
            try await Self.seed(cluster, "orders", counts: [3])
            let cases: [(String, String)] = [
                ("not json", "The input string is not a valid JSON"),
                (#"{"version": 1}"#, "Missing partitions field"),
                (
                    #"{"partitions": [{"topic": "orders", "partition": 0}]}"#,
                    "missing field 'offset' at partitions[0] in the offset JSON"
                ),
                (
                    #"{"partitions": [{"topic": "orders", "partition": 0, "offset": 1}, {"topic": "orders", "partition": 0, "offset": 2}]}"#,
                    "Offset json file contains duplicate topic partitions: orders-0"
                ),
                (#"{"partitions": [], "version": 2}"#, "Not supported version field value 2"),
            ]
            for (text, reason) in cases {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).json")
                defer { try? FileManager.default.removeItem(at: file) }
                try Data(text.utf8).write(to: file)
                let outcome = try await Self.run("kafka-delete-records", cluster, ["--offset-json-file", file.path])
                #expect(outcome.status == 1, "\(text)")
                #expect(outcome.stderr == "kafka-delete-records: \(reason)\n", "\(text)")
                #expect(outcome.stdout == "")
            }
            let earliest = try await Self.run("kafka-get-offsets", cluster, ["--topic", "orders", "--time", "-2"])
            #expect(earliest.stdout == "orders:0:0\n")
        }
    }
}

import Foundation
import KafkaDevCluster
import KafkaTestSupport
import Testing

/// kafka-python's `KafkaAdminClient.list_consumer_group_offsets` (through `Tools/interop/kafka-python-admin-check.py
/// --group-offsets`) reports the offsets `kafka-consumer-groups --describe --output json` prints, after a reset and
/// after a console-consumer group run. Needs `python3` with kafka-python
/// (`python3 -m pip install -r Tools/interop/requirements-kafka-python.txt`).
@Suite(
    "group offsets and kafka-python", .timeLimit(.minutes(3)), .enabled(if: KafkaPython.isInstalled || TestPeers.isCI))
struct ToolKafkaPythonTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tools/interop/kafka-python-admin-check.py").path

    struct Offset: Hashable, CustomStringConvertible {
        var topic: String
        var partition: Int
        var offset: Int
        var description: String { "\(topic)-\(partition)@\(offset)" }
    }

    /// kafka-python's view of `group`.
    static func pythonOffsets(_ bootstrap: String, _ group: String) async throws -> [Offset] {
        let outcome = try await ToolRunner.runProgram(
            "/usr/bin/env", ["python3", script, "--group-offsets", bootstrap, group])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try outcome.stdout.split(separator: "\n").map { line in
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            return Offset(
                topic: try #require(object["topic"] as? String), partition: try #require(object["partition"] as? Int),
                offset: try #require(object["offset"] as? Int))
        }
    }

    /// `kafka-consumer-groups --describe --output json`'s view of `group` (partitions with a committed offset).
    static func toolOffsets(_ bootstrap: String, _ group: String) async throws -> [Offset] {
        let outcome = try await ToolRunner.run(
            "kafka-consumer-groups",
            ["--bootstrap-server", bootstrap, "--describe", "--group", group, "--output", "json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let groups = try #require(document["groups"] as? [[String: Any]])
        let partitions = try #require(groups.first?["partitions"] as? [[String: Any]])
        return try partitions.compactMap { entry -> Offset? in
            guard let offset = entry["currentOffset"] as? Int else { return nil }
            return Offset(
                topic: try #require(entry["topic"] as? String), partition: try #require(entry["partition"] as? Int),
                offset: offset)
        }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    @Test("after --reset-offsets --to-offset and after a console-consumer group run, both report the same offsets")
    func sameOffsets() async throws {
        try await withDevCluster(topics: ["orders": 3]) { cluster in
            let bootstrap = cluster.bootstrapServers
            let lines = (0..<30).map { "k\($0 % 3)\tv\($0)" }.joined(separator: "\n") + "\n"
            let produced = try await ToolRunner.run(
                "kafka-console-producer",
                ["--bootstrap-server", bootstrap, "--topic", "orders", "--property", "parse.key=true"], stdin: lines)
            #expect(produced.status == 0, "\(produced.stderr)")

            // A console-consumer group run that reads everything and commits on close.
            let consumed = try await ToolRunner.run(
                "kafka-console-consumer",
                [
                    "--bootstrap-server", bootstrap, "--topic", "orders", "--group", "readers", "--from-beginning",
                    "--max-messages", "30",
                ])
            #expect(consumed.status == 0, "\(consumed.stderr)")
            let afterRun = try await Self.toolOffsets(bootstrap, "readers")
            #expect(afterRun.map(\.offset).reduce(0, +) == 30, "\(afterRun)")
            #expect(afterRun.map(\.partition) == [0, 1, 2], "\(afterRun)")
            #expect(try await Self.pythonOffsets(bootstrap, "readers") == afterRun)

            // A reset to offset 2 on every partition (kept within each partition's log: a partition with fewer
            // records goes to its end, which the run above committed).
            let reset = try await ToolRunner.run(
                "kafka-consumer-groups",
                [
                    "--bootstrap-server", bootstrap, "--reset-offsets", "--group", "readers", "--topic", "orders",
                    "--to-offset", "2", "--execute",
                ])
            #expect(reset.status == 0, "\(reset.stderr)")
            let afterReset = try await Self.toolOffsets(bootstrap, "readers")
            #expect(
                afterReset
                    == afterRun.map { Offset(topic: $0.topic, partition: $0.partition, offset: min(2, $0.offset)) })
            #expect(try await Self.pythonOffsets(bootstrap, "readers") == afterReset)
        }
    }
}

/// Whether `python3` can import kafka-python.
enum KafkaPython {
    static let isInstalled: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import kafka"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()
}

import Foundation
import KafkaConsumer
import KafkaProducer
import KafkaTestSupport
import NIOCore
import Testing

/// Our admin tools beside Kafka's scripts on the real broker, and SASL against its SASL_PLAINTEXT listener.
@Suite("Real broker: admin views compared with Kafka's scripts, and SASL", .timeLimit(.minutes(10)))
struct RealBrokerAdminTests {
    /// `(partition, leader, replicas, isr)` of each partition line of a `kafka-topics --describe` output, whatever
    /// the spacing (Kafka 2.3 prints `Partition: 0\tLeader: 0`, newer versions the same with other columns).
    static func partitionRows(_ output: String) -> [[String]] {
        output.split(separator: "\n").compactMap { line -> [String]? in
            guard line.contains("Partition:") && line.contains("Leader:") else { return nil }
            func field(_ name: String) -> String {
                guard let range = line.range(of: "\(name):") else { return "?" }
                return line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                    .split(whereSeparator: { $0 == "\t" || $0 == " " }).first.map(String.init) ?? ""
            }
            return [field("Topic"), field("Partition"), field("Leader"), field("Replicas"), field("Isr")]
        }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    @Test("kafka-topics --list and --describe print what kafka-topics.sh prints")
    func topicsMatch() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("describe")
        let ours = try await RealBroker.runOurs(
            "kafka-topics",
            [
                "--bootstrap-server", broker.bootstrapServers, "--create", "--topic", topic, "--partitions", "4",
                "--replication-factor", "1", "--config", "retention.ms=3600000",
            ])
        #expect(ours.status == 0, "\(ours.stderr)")
        let javaDescribe = try await broker.runTool(
            "kafka-topics.sh", ["--bootstrap-server", broker.bootstrapServers, "--describe", "--topic", topic])
        let ourDescribe = try await RealBroker.runOurs(
            "kafka-topics", ["--bootstrap-server", broker.bootstrapServers, "--describe", "--topic", topic])
        #expect(ourDescribe.status == 0, "\(ourDescribe.stderr)")
        let javaRows = Self.partitionRows(javaDescribe.stdout)
        #expect(javaRows.count == 4, "\(javaDescribe.stdout)")
        #expect(
            Self.partitionRows(ourDescribe.stdout) == javaRows,
            "ours:\n\(ourDescribe.stdout)\nKafka's:\n\(javaDescribe.stdout)")
        #expect(javaDescribe.stdout.contains("retention.ms=3600000"))
        #expect(ourDescribe.stdout.contains("retention.ms=3600000"), "\(ourDescribe.stdout)")

        let javaList = try await broker.runTool(
            "kafka-topics.sh", ["--bootstrap-server", broker.bootstrapServers, "--list"])
        let ourList = try await RealBroker.runOurs(
            "kafka-topics", ["--bootstrap-server", broker.bootstrapServers, "--list"])
        // Other tests only add topics, and ours listed after Kafka's: ours holds every topic Kafka's listed
        // (internal ones included), and may hold topics created in between.
        let javaTopics = Set(javaList.stdout.split(separator: "\n").map(String.init))
        let ourTopics = Set(ourList.stdout.split(separator: "\n").map(String.init))
        #expect(javaTopics.contains(topic))
        #expect(javaTopics.isSubset(of: ourTopics), "only in Kafka's listing: \(javaTopics.subtracting(ourTopics))")
    }

    @Test("kafka-consumer-groups --describe shows the offsets kafka-consumer-groups.sh shows")
    func groupsMatch() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("groups")
        let group = "describe-\(UUID().uuidString.prefix(6))"
        try await RealBroker.createTopic(topic, partitions: 3, on: broker)
        _ = try await broker.runTool(
            "kafka-console-producer.sh", ["--broker-list", broker.bootstrapServers, "--topic", topic],
            stdin: (0..<90).map { "line \($0)" }.joined(separator: "\n") + "\n")
        // A Java consumer in the group reads 40 records and commits them on exit.
        let consumed = try await broker.runTool(
            "kafka-console-consumer.sh",
            [
                "--bootstrap-server", broker.bootstrapServers, "--topic", topic, "--group", group, "--from-beginning",
                "--max-messages", "40",
            ])
        #expect(consumed.status == 0, "\(consumed.stderr)")

        func rows(_ output: String) -> [[String]] {
            output.split(separator: "\n").map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
                .filter { $0.count >= 6 && $0[0] == group }.map { Array($0[1...5]) }.sorted {
                    $0.lexicographicallyPrecedes($1)
                }
        }
        let java = try await broker.runTool(
            "kafka-consumer-groups.sh", ["--bootstrap-server", broker.bootstrapServers, "--describe", "--group", group])
        let ours = try await RealBroker.runOurs(
            "kafka-consumer-groups", ["--bootstrap-server", broker.bootstrapServers, "--describe", "--group", group])
        #expect(ours.status == 0, "\(ours.stderr)")
        let javaRows = rows(java.stdout)
        #expect(javaRows.count == 3, "\(java.stdout)")
        #expect(rows(ours.stdout) == javaRows, "ours:\n\(ours.stdout)\nKafka's:\n\(java.stdout)")
        // TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG: 40 of 90 committed.
        #expect(javaRows.compactMap { Int($0[2]) }.reduce(0, +) == 40)
        #expect(javaRows.compactMap { Int($0[3]) }.reduce(0, +) == 90)

        // Reset by ours, described by Kafka's.
        let reset = try await RealBroker.runOurs(
            "kafka-consumer-groups",
            [
                "--bootstrap-server", broker.bootstrapServers, "--reset-offsets", "--group", group, "--topic", topic,
                "--to-earliest", "--execute",
            ])
        #expect(reset.status == 0, "\(reset.stderr)")
        let afterReset = try await broker.runTool(
            "kafka-consumer-groups.sh", ["--bootstrap-server", broker.bootstrapServers, "--describe", "--group", group])
        #expect(rows(afterReset.stdout).compactMap { Int($0[2]) } == [0, 0, 0], "\(afterReset.stdout)")
    }

    @Test(
        "SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512: our tools produce and consume; a wrong password is one line",
        arguments: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
    func sasl(mechanism: String) async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("sasl-\(mechanism.lowercased())")
        try await RealBroker.createTopic(topic, on: broker)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sasl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func config(password: String) throws -> String {
            let module =
                mechanism == "PLAIN"
                ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule"
            let path = directory.appendingPathComponent("client-\(password).properties").path
            try """
            security.protocol=SASL_PLAINTEXT
            sasl.mechanism=\(mechanism)
            sasl.jaas.config=\(module) required username="alice" password="\(password)";

            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let good = try config(password: "alice-secret")
        let sasl = ["--bootstrap-server", broker.saslBootstrapServers]
        let produced = try await RealBroker.runOurs(
            "kafka-console-producer", sasl + ["--topic", topic, "--producer.config", good], stdin: "a\nb\nc\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try await RealBroker.runOurs(
            "kafka-console-consumer",
            sasl + ["--topic", topic, "--consumer.config", good, "--from-beginning", "--max-messages", "3"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        #expect(consumed.stdout == "a\nb\nc\n")
        // Kafka's consumer, over the same listener with the same file, reads what ours wrote.
        let java = try await broker.runTool(
            "kafka-console-consumer.sh",
            sasl + ["--topic", topic, "--consumer.config", good, "--from-beginning", "--max-messages", "3"])
        #expect(java.stdout == "a\nb\nc\n", "\(java.stderr.suffix(1000))")

        let bad = try config(password: "wrong")
        let refused = try await RealBroker.runOurs("kafka-topics", sasl + ["--list", "--command-config", bad])
        #expect(refused.status == 1)
        let lines = refused.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("uthentication"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("wrong"), "the password must not be printed: \(refused.stderr)")
    }
}

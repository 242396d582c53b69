import Foundation
import KafkaTestSupport
import Testing

/// The tools against librdkafka's mock cluster (3 brokers, `MockKafkaCluster`), an independent protocol peer.
///
/// What the librdkafka 2.0.2 mock supports, as probed with these tools:
/// - Metadata and Produce: yes; it auto-creates a topic (4 partitions) on first use, so `kafka-console-producer`
///   needs no `kafka-topics --create`, and `kafka-topics --list` shows the topic.
/// - CreateTopics: not supported (its Metadata names controller 0, none of its brokers 1…3; the client then sends
///   controller requests to any broker), so `kafka-topics --create` exits 1 naming it (asserted below).
/// - DescribeConfigs: not supported, so `kafka-topics --describe` (which shows config overrides) exits 1 naming it.
/// - DescribeGroups / ListGroups: the mock answers ApiVersions without them in a range our admin client uses, so
///   `kafka-consumer-groups --describe` and `--list` exit 1 with one line saying so (asserted below).
/// - ListOffsets v4+: the mock's answers carry 4 stray bytes per partition, so the tests pin it to v0–v2; then
///   `kafka-console-consumer` reads what `kafka-console-producer` wrote.
@Suite("tools on librdkafka's mock cluster", .timeLimit(.minutes(3)), .enabled(if: Kcat.runsTests))
struct ToolMockClusterTests {
    @Test("kafka-console-producer writes to the mock's auto-created topic; kcat and kafka-topics --list see it")
    func produceToMock() async throws {
        let mock = try MockKafkaCluster(brokers: 3)
        let bootstrap = mock.bootstrapServers
        let produced = try await ToolRunner.run(
            "kafka-console-producer",
            ["--bootstrap-server", bootstrap, "--topic", "lines", "--property", "parse.key=true"],
            stdin: "k1\tone\nk2\ttwo\nk3\tthree\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.stderr.isEmpty, "\(produced.stderr)")

        let records = try await Kcat.consume(bootstrap: bootstrap, topic: "lines")
        let pairs = records.map { record in
            [record.key, record.value].map { $0.map { String(decoding: $0, as: UTF8.self) } ?? "null" }
        }
        #expect(pairs.sorted { $0[0] < $1[0] } == [["k1", "one"], ["k2", "two"], ["k3", "three"]])

        let listed = try await ToolRunner.run("kafka-topics", ["--bootstrap-server", bootstrap, "--list"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout == "lines\n")
    }

    @Test("console producer to console consumer round trip through the mock, with a group")
    func roundTrip() async throws {
        let mock = try MockKafkaCluster(brokers: 3)
        try mock.createTopic("events", partitions: 1, replicationFactor: 3)
        // librdkafka 2.0.2's mock writes 4 stray bytes per partition into ListOffsets v4+ answers, which the
        // consumer rightly refuses to decode; v0–v2 are well formed.
        try mock.setSupportedVersions(.listOffsets, min: 0, max: 2)
        let bootstrap = mock.bootstrapServers
        let produced = try await ToolRunner.run(
            "kafka-console-producer", ["--bootstrap-server", bootstrap, "--topic", "events"], stdin: "a\nb\nc\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try await ToolRunner.run(
            "kafka-console-consumer",
            [
                "--bootstrap-server", bootstrap, "--topic", "events", "--group", "mock-group", "--from-beginning",
                "--max-messages", "3", "--timeout-ms", "10000",
            ])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        #expect(consumed.stdout == "a\nb\nc\n")
        #expect(consumed.stderr.hasSuffix("Processed a total of 3 messages\n"), "\(consumed.stderr)")

        // kafka-consumer-groups on the mock: DescribeGroups is not available, reported on one line (an AdminError
        // in the tool's `[API] CODE (n): message` form).
        let described = try await ToolRunner.run(
            "kafka-consumer-groups", ["--bootstrap-server", bootstrap, "--describe", "--group", "mock-group"])
        #expect(described.status == 1, "\(described.stderr)")
        #expect(
            described.stderr
                == "kafka-consumer-groups: [DescribeGroups] UNSUPPORTED_VERSION (35): the broker does not support "
                + "DescribeGroups (client supports v0–v5) [DescribeGroups]\n")
    }

    @Test("an answer the consumer cannot decode (the mock's ListOffsets v4+) is one error line and exit 1, not a hang")
    func undecodableListOffsets() async throws {
        let mock = try MockKafkaCluster(brokers: 1)
        try mock.createTopic("events", partitions: 1)
        let consumed = try await ToolRunner.run(
            "kafka-console-consumer",
            [
                "--bootstrap-server", mock.bootstrapServers, "--topic", "events", "--from-beginning", "--timeout-ms",
                "20000",
            ],
            timeout: .seconds(15))
        #expect(consumed.status == 1, "\(consumed.stderr)")
        let errorLines = consumed.stderr.split(separator: "\n").filter { $0.hasPrefix("kafka-console-consumer:") }
        #expect(errorLines.count == 1, "\(consumed.stderr)")
        #expect(errorLines.first?.contains("could not decode ListOffsetsResponse") == true, "\(consumed.stderr)")
    }

    @Test("kafka-topics --create and --describe on the mock: what it cannot do is one error line")
    func createAndDescribe() async throws {
        let mock = try MockKafkaCluster(brokers: 3)
        let bootstrap = ["--bootstrap-server", mock.bootstrapServers]
        let created = try await ToolRunner.run(
            "kafka-topics",
            bootstrap + ["--create", "--topic", "made", "--partitions", "3", "--replication-factor", "2"])
        // The mock has no CreateTopics (its metadata names controller 0, none of its brokers 1…3, so the client
        // asks any broker): one line, exit 1.
        #expect(created.status == 1, "\(created.stderr)")
        #expect(
            created.stderr
                == "kafka-topics: CreateTopics failed for topic 'made': UNSUPPORTED_VERSION (35): the broker does not "
                + "support CreateTopics (client supports v0–v7) [CreateTopics]\n")
        // --describe needs DescribeConfigs (for the overrides), which the mock does not have: one line, exit 1.
        try mock.createTopic("ready", partitions: 2, replicationFactor: 3)
        let described = try await ToolRunner.run("kafka-topics", bootstrap + ["--describe", "--topic", "ready"])
        #expect(described.status == 1, "\(described.stderr)")
        #expect(
            described.stderr
                == "kafka-topics: DescribeConfigs failed for topic 'ready': UNSUPPORTED_VERSION (35): the broker does "
                + "not support DescribeConfigs (client supports v0–v4) [DescribeConfigs]\n")
    }
}

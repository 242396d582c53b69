import Foundation
import KafkaDevCluster
import Testing

/// What the four tools do with bad input: an unreachable cluster, a topic that does not exist, a malformed
/// `key=value` option and an unknown flag. Exit statuses: 0 ok, 1 error (one line on standard error), 2 usage.
@Suite("tools with bad input", .timeLimit(.minutes(3)))
struct ToolBadInputTests {
    static let unreachable = "127.0.0.1:1"

    /// A `--command-config` file with a short request timeout (`default.api.timeout.ms` is not a known property).
    static func shortTimeoutConfig() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("bad-input-\(UUID().uuidString).properties").path
        try "request.timeout.ms=2000\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func stderrLines(_ outcome: ToolRunner.Outcome) -> [Substring] {
        outcome.stderr.split(separator: "\n")
    }

    /// Runs `tool`, measuring how long it took.
    static func timed(
        _ tool: String, _ arguments: [String], stdin: String = "", timeout: Duration = .seconds(30)
    ) async throws -> (ToolRunner.Outcome, Duration) {
        let start = ContinuousClock.now
        let outcome = try await ToolRunner.run(tool, arguments, stdin: stdin, timeout: timeout)
        return (outcome, ContinuousClock.now - start)
    }

    /// Runs `body` with a one-broker dev cluster holding the topic `present` and no auto-created topics.
    static func withCluster(_ body: (DevCluster) async throws -> Void) async throws {
        var configuration = DevClusterConfiguration()
        configuration.autoCreateTopics = false
        configuration.topics = ["present": 1]
        let cluster = try await DevCluster(configuration: configuration)
        do {
            try await body(cluster)
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    // MARK: - Unreachable cluster

    @Test("kafka-topics and kafka-consumer-groups: an unreachable cluster is one error line, exit 1")
    func unreachableAdminTools() async throws {
        let config = try Self.shortTimeoutConfig()
        defer { try? FileManager.default.removeItem(atPath: config) }
        let runs: [(String, [String])] = [
            ("kafka-topics", ["--list"]),
            ("kafka-topics", ["--describe", "--topic", "t"]),
            ("kafka-consumer-groups", ["--list"]),
            ("kafka-consumer-groups", ["--describe", "--group", "g"]),
        ]
        for (tool, arguments) in runs {
            let (outcome, elapsed) = try await Self.timed(
                tool, ["--bootstrap-server", Self.unreachable, "--command-config", config] + arguments)
            #expect(outcome.status == 1, "\(tool) \(arguments): \(outcome.stderr)")
            #expect(elapsed < .seconds(15), "\(tool) \(arguments) took \(elapsed)")
            let lines = Self.stderrLines(outcome)
            #expect(lines.count == 1, "\(tool) \(arguments): \(outcome.stderr)")
            #expect(lines.first?.hasPrefix("\(tool): ") == true, "\(outcome.stderr)")
            #expect(outcome.stderr.contains(Self.unreachable), "\(outcome.stderr)")
        }
        // The tool's own --timeout works as well.
        let (groups, elapsed) = try await Self.timed(
            "kafka-consumer-groups", ["--bootstrap-server", Self.unreachable, "--timeout", "2000", "--list"])
        #expect(groups.status == 1, "\(groups.stderr)")
        #expect(elapsed < .seconds(15))
        #expect(Self.stderrLines(groups).count == 1, "\(groups.stderr)")
    }

    @Test("kafka-console-producer: an unreachable cluster fails the record after max.block.ms, exit 1")
    func unreachableProducer() async throws {
        // request.timeout.ms (--request-timeout-ms or --command-config) does not bound the wait for metadata:
        // as in Kafka, that is max.block.ms (60 s by default), so it is set here.
        let (outcome, elapsed) = try await Self.timed(
            "kafka-console-producer",
            [
                "--bootstrap-server", Self.unreachable, "--topic", "t", "--request-timeout-ms", "2000",
                "--producer-property", "max.block.ms=2000",
            ], stdin: "hello\n")
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(elapsed < .seconds(15), "took \(elapsed)")
        let lines = Self.stderrLines(outcome)
        #expect(lines.count == 1, "\(outcome.stderr)")
        #expect(
            lines.first?.hasPrefix("kafka-console-producer: Error when sending the record on line number 1 to topic t")
                == true, "\(outcome.stderr)")
    }

    @Test("kafka-console-consumer: an unreachable cluster waits for --timeout-ms and exits 0 with no records")
    func unreachableConsumer() async throws {
        let config = try Self.shortTimeoutConfig()
        defer { try? FileManager.default.removeItem(atPath: config) }
        // Like Kafka's console consumer, it keeps trying to reach the cluster until --timeout-ms passes without a
        // record; it does not report the connection failures.
        let (outcome, elapsed) = try await Self.timed(
            "kafka-console-consumer",
            [
                "--bootstrap-server", Self.unreachable, "--command-config", config, "--topic", "t", "--timeout-ms",
                "2000",
            ]
        )
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(elapsed < .seconds(15), "took \(elapsed)")
        #expect(outcome.stdout.isEmpty)
        #expect(Self.stderrLines(outcome) == ["Processed a total of 0 messages"], "\(outcome.stderr)")
    }

    // MARK: - Unknown topic

    @Test("an unknown topic: kafka-topics --describe and kafka-console-producer exit 1 naming it")
    func unknownTopic() async throws {
        try await Self.withCluster { cluster in
            let bootstrap = cluster.bootstrapServers
            for action in ["--describe", "--delete"] {
                let (outcome, _) = try await Self.timed(
                    "kafka-topics", ["--bootstrap-server", bootstrap, action, "--topic", "missing"])
                #expect(outcome.status == 1, "\(action): \(outcome.stderr)")
                #expect(
                    Self.stderrLines(outcome) == ["kafka-topics: Topic 'missing' does not exist as expected"],
                    "\(action): \(outcome.stderr)")
            }

            let (produced, elapsed) = try await Self.timed(
                "kafka-console-producer",
                ["--bootstrap-server", bootstrap, "--topic", "missing", "--producer-property", "max.block.ms=2000"],
                stdin: "hello\n")
            #expect(produced.status == 1, "\(produced.stderr)")
            #expect(elapsed < .seconds(15), "took \(elapsed)")
            let lines = Self.stderrLines(produced)
            #expect(lines.count == 1, "\(produced.stderr)")
            #expect(lines.first?.contains("to topic missing") == true, "\(produced.stderr)")
            #expect(lines.first?.contains("UNKNOWN_TOPIC_OR_PARTITION") == true, "\(produced.stderr)")
        }
    }

    @Test("an unknown topic: kafka-console-consumer ends at --timeout-ms with exit 0 and does not name the topic")
    func unknownTopicConsumer() async throws {
        try await Self.withCluster { cluster in
            for extra in [[], ["--partition", "0"]] {
                let (outcome, elapsed) = try await Self.timed(
                    "kafka-console-consumer",
                    ["--bootstrap-server", cluster.bootstrapServers, "--topic", "missing", "--timeout-ms", "2000"]
                        + extra)
                #expect(elapsed < .seconds(15), "\(extra) took \(elapsed)")
                #expect(outcome.stdout.isEmpty)
                #expect(outcome.stderr.contains("Processed a total of 0 messages"), "\(outcome.stderr)")
                withKnownIssue("kafka-console-consumer exits 0 on a topic that does not exist, without naming it") {
                    #expect(outcome.status == 1, "\(extra)")
                    #expect(outcome.stderr.contains("missing"), "\(extra): \(outcome.stderr)")
                }
            }
        }
    }

    // MARK: - Usage errors

    @Test("a key=value option without '=' is a usage error naming the option")
    func malformedProperty() async throws {
        let cases: [(String, String, [String])] = [
            ("kafka-console-producer", "--property", ["--topic", "t", "--property", "parse.key"]),
            ("kafka-console-producer", "--producer-property", ["--topic", "t", "--producer-property", "acks"]),
            ("kafka-console-consumer", "--property", ["--topic", "t", "--property", "print.key"]),
            ("kafka-console-consumer", "--consumer-property", ["--topic", "t", "--consumer-property", "group.id"]),
            ("kafka-topics", "--config", ["--create", "--topic", "t", "--config", "retention.ms"]),
        ]
        for (tool, option, arguments) in cases {
            let (outcome, _) = try await Self.timed(tool, ["--bootstrap-server", Self.unreachable] + arguments)
            #expect(outcome.status == 2, "\(tool) \(arguments): \(outcome.stderr)")
            let first = Self.stderrLines(outcome).first.map(String.init)
            #expect(first == "Error: \(option) expects key=value, not '\(arguments.last!)'", "\(outcome.stderr)")
            #expect(outcome.stderr.contains("Usage: \(tool)"), "\(outcome.stderr)")
            #expect(outcome.stdout.isEmpty)
        }
    }

    @Test(
        "an unknown flag is a usage error",
        arguments: ["kafka-topics", "kafka-console-producer", "kafka-console-consumer", "kafka-consumer-groups"])
    func unknownFlag(tool: String) async throws {
        let action = tool == "kafka-topics" || tool == "kafka-consumer-groups" ? ["--list"] : ["--topic", "t"]
        let (outcome, elapsed) = try await Self.timed(
            tool, ["--bootstrap-server", Self.unreachable] + action + ["--no-such-flag"])
        #expect(outcome.status == 2, "\(outcome.stderr)")
        #expect(elapsed < .seconds(5))
        #expect(Self.stderrLines(outcome).first == "Error: Unknown option '--no-such-flag'", "\(outcome.stderr)")
        #expect(outcome.stderr.contains("See '\(tool) --help'"), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }
}

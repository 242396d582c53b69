import Foundation
import KafkaDevCluster
import Testing

/// What the four tools do with bad input: an unreachable cluster, a topic that does not exist, a malformed
/// `key=value` option and an unknown flag. Exit statuses: 0 ok, 1 error (one line on standard error), 2 usage.
@Suite("tools with bad input", .timeLimit(.minutes(3)))
struct ToolBadInputTests {
    static let unreachable = "127.0.0.1:1"

    /// A `--command-config` file with a short request timeout.
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

    @Test(
        "kafka-console-producer: an unreachable cluster fails the first record after max.block.ms, then stops, exit 1")
    func unreachableProducer() async throws {
        // request.timeout.ms (--request-timeout-ms or --command-config) does not bound the wait for metadata:
        // as in Kafka, that is max.block.ms (60 s by default), so it is set here. The first line fails after it;
        // the other lines are not read (each would wait max.block.ms again).
        let (outcome, _) = try await Self.timed(
            "kafka-console-producer",
            [
                "--bootstrap-server", Self.unreachable, "--topic", "t", "--request-timeout-ms", "2000",
                "--producer-property", "max.block.ms=2000",
            ], stdin: "hello\nworld\nagain\n")
        #expect(outcome.status == 1, "\(outcome.stderr)")
        // (No bound on the elapsed time: a loaded machine stretches it. That the later lines were not tried is what
        // the single error line below shows — each would have failed with a line of its own.)
        #expect(
            Self.stderrLines(outcome) == [
                "kafka-console-producer: Error when sending the record on line number 1 to topic t: t: topic not "
                    + "present in metadata after 2000 ms (max.block.ms) (bootstrap servers \(Self.unreachable)); the "
                    + "remaining input was not sent"
            ], "\(outcome.stderr)")
    }

    @Test("kafka-console-consumer: an unreachable cluster is one error line naming it, exit 1")
    func unreachableConsumer() async throws {
        let config = try Self.shortTimeoutConfig()
        defer { try? FileManager.default.removeItem(atPath: config) }
        // As kafka-topics and kafka-consumer-groups: the topic is looked up first, and a cluster that cannot be
        // reached fails the tool (Kafka's console consumer would wait for --timeout-ms silently).
        let (outcome, elapsed) = try await Self.timed(
            "kafka-console-consumer",
            [
                "--bootstrap-server", Self.unreachable, "--command-config", config, "--topic", "t", "--timeout-ms",
                "2000",
            ]
        )
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(elapsed < .seconds(15), "took \(elapsed)")
        #expect(outcome.stdout.isEmpty)
        let lines = Self.stderrLines(outcome)
        #expect(lines.count == 1, "\(outcome.stderr)")
        #expect(
            lines.first?.hasPrefix("kafka-console-consumer: cannot reach the cluster at \(Self.unreachable): ") == true,
            "\(outcome.stderr)")
    }

    // MARK: - Unknown topic

    @Test("an unknown topic: kafka-topics --describe and kafka-console-producer exit 1 naming it")
    func unknownTopic() async throws {
        try await withDevCluster(topics: ["present": 1]) { cluster in
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

    @Test("an unknown topic: kafka-console-consumer exits 1 at once naming it; a pattern matching nothing waits")
    func unknownTopicConsumer() async throws {
        try await withDevCluster(topics: ["present": 1]) { cluster in
            let bootstrap = cluster.bootstrapServers
            // The tools' dev cluster does not auto-create topics, so the topic will not appear by waiting.
            for extra in [[], ["--partition", "0"], ["--group", "g"]] {
                let (outcome, elapsed) = try await Self.timed(
                    "kafka-console-consumer",
                    ["--bootstrap-server", bootstrap, "--topic", "missing", "--timeout-ms", "20000"] + extra)
                #expect(outcome.status == 1, "\(extra): \(outcome.stderr)")
                #expect(elapsed < .seconds(15), "\(extra) took \(elapsed): it must not wait for --timeout-ms")
                #expect(outcome.stdout.isEmpty)
                #expect(
                    Self.stderrLines(outcome) == [
                        "kafka-console-consumer: Topic 'missing' does not exist (UNKNOWN_TOPIC_OR_PARTITION)"
                    ], "\(extra): \(outcome.stderr)")
            }

            let (partition, _) = try await Self.timed(
                "kafka-console-consumer",
                ["--bootstrap-server", bootstrap, "--topic", "present", "--partition", "3", "--timeout-ms", "20000"])
            #expect(partition.status == 1, "\(partition.stderr)")
            #expect(
                Self.stderrLines(partition) == [
                    "kafka-console-consumer: Partition 3 of topic 'present' does not exist (the topic has 1 partitions)"
                ], "\(partition.stderr)")

            // --include with no matching topic is not an error: it waits for one, as Kafka does.
            let (pattern, elapsed) = try await Self.timed(
                "kafka-console-consumer",
                ["--bootstrap-server", bootstrap, "--include", "miss.*", "--timeout-ms", "2000"])
            #expect(pattern.status == 0, "\(pattern.stderr)")
            #expect(elapsed >= .seconds(2), "took \(elapsed)")
            #expect(Self.stderrLines(pattern) == ["Processed a total of 0 messages"], "\(pattern.stderr)")
        }
    }

    // MARK: - Java client properties

    @Test("Java client properties this client does not use are accepted with a warning naming each")
    func javaOnlyProperties() async throws {
        try await withDevCluster(topics: ["present": 1]) { cluster in
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("java-props-\(UUID().uuidString).properties").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            // client.dns.lookup and reconnect.backoff.ms are known to the client (no warning).
            try "default.api.timeout.ms=5000\nclient.dns.lookup=use_all_dns_ips\nreconnect.backoff.ms=100\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            let warning =
                "warning: ignoring the Java client property 'default.api.timeout.ms' (the tools bound each call "
                + "with request.timeout.ms and their own --timeout)"
            let bootstrap = ["--bootstrap-server", cluster.bootstrapServers, "--command-config", path]
            let topics = try await ToolRunner.run("kafka-topics", bootstrap + ["--list"])
            #expect(topics.status == 0, "\(topics.stderr)")
            #expect(topics.stdout == "present\n")
            #expect(Self.stderrLines(topics) == ["kafka-topics: \(warning)"], "\(topics.stderr)")

            let groups = try await ToolRunner.run("kafka-consumer-groups", bootstrap + ["--list"])
            #expect(groups.status == 0, "\(groups.stderr)")
            #expect(Self.stderrLines(groups) == ["kafka-consumer-groups: \(warning)"], "\(groups.stderr)")

            let produced = try await ToolRunner.run(
                "kafka-console-producer",
                bootstrap + ["--topic", "present", "--producer-property", "default.api.timeout.ms=1000"],
                stdin: "one\n")
            #expect(produced.status == 0, "\(produced.stderr)")
            #expect(Self.stderrLines(produced) == ["kafka-console-producer: \(warning)"], "\(produced.stderr)")

            let consumed = try await ToolRunner.run(
                "kafka-console-consumer",
                bootstrap + [
                    "--topic", "present", "--from-beginning", "--max-messages", "1", "--consumer-property",
                    "allow.auto.create.topics=false",
                ])
            #expect(consumed.status == 0, "\(consumed.stderr)")
            #expect(consumed.stdout == "one\n")
            #expect(
                Self.stderrLines(consumed) == [
                    "kafka-console-consumer: \(warning)",
                    "Processed a total of 1 messages",
                ], "\(consumed.stderr)")
        }
    }

    // MARK: - kafka-consumer-groups messages

    @Test("kafka-consumer-groups: a bad --to-datetime is one usage line without a doubled 'Error:'")
    func badDatetime() async throws {
        let (outcome, _) = try await Self.timed(
            "kafka-consumer-groups",
            [
                "--bootstrap-server", Self.unreachable, "--reset-offsets", "--group", "g", "--topic", "t",
                "--to-datetime", "2020-13", "--dry-run",
            ])
        let expected =
            "Error: Invalid --to-datetime '2020-13': expected the format YYYY-MM-DDTHH:mm:SS.sss, in UTC or "
            + "followed by Z or an offset like +01:00"
        #expect(outcome.status == 2, "\(outcome.stderr)")
        #expect(Self.stderrLines(outcome).first.map(String.init) == expected, "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("Error: Error"), "\(outcome.stderr)")
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
        #expect(elapsed < .seconds(15), "took \(elapsed): a usage error must not try to connect")
        #expect(Self.stderrLines(outcome).first == "Error: Unknown option '--no-such-flag'", "\(outcome.stderr)")
        #expect(outcome.stderr.contains("See '\(tool) --help'"), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }
}

import Foundation
import KafkaTestSupport
import Testing

/// `kafka-configs` beside Kafka 2.3's `kafka-configs.sh` on the real broker: topic configs through ZooKeeper (2.3's
/// script has no `--bootstrap-server` for topics), broker configs through the broker, and the one-line refusals for
/// the APIs Kafka 2.3 lacks.
@Suite("Real broker: kafka-configs compared with Kafka's script", .timeLimit(.minutes(6)), .serialized)
struct RealBrokerConfigsToolTests {
    /// The pairs of 2.3's `Configs for topic 'T' are k=v,k2=v2`; values may contain commas, so a pair starts only
    /// where one of `keys` and `=` follows the start or a comma.
    static func zookeeperConfigs(_ output: String, keys: [String]) -> [String: String] {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("Configs for ") }),
            let are = line.range(of: " are ")
        else { return [:] }
        let text = String(line[are.upperBound...])
        var starts: [(index: String.Index, key: String)] = []
        for key in keys {
            var search = text.startIndex..<text.endIndex
            while let found = text.range(of: key + "=", range: search) {
                if found.lowerBound == text.startIndex || text[text.index(before: found.lowerBound)] == "," {
                    starts.append((found.lowerBound, key))
                }
                search = found.upperBound..<text.endIndex
            }
        }
        starts.sort { $0.index < $1.index }
        var pairs: [String: String] = [:]
        for (position, start) in starts.enumerated() {
            let valueStart = text.index(start.index, offsetBy: start.key.count + 1)
            let end = position + 1 < starts.count ? text.index(before: starts[position + 1].index) : text.endIndex
            pairs[start.key] = valueStart <= end ? String(text[valueStart..<end]) : ""
        }
        return pairs
    }

    /// The config lines (`  k=v sensitive=… synonyms={…}`) of either tool's describe output, sorted: Kafka 2.3's
    /// script prints them in the broker's order, recent ones (and ours) sorted by name.
    static func configLines(_ output: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasPrefix("  ") }.map(String.init).sorted()
    }

    @Test("topic configs altered by ours are what kafka-configs.sh --zookeeper describes, and the reverse")
    func topicConfigsBothWays() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("configs")
        try await RealBroker.createTopic(topic, on: broker)
        let keys = ["retention.ms", "cleanup.policy", "segment.ms", "max.message.bytes"]

        let alter = try await RealBroker.runOurs(
            "kafka-configs",
            [
                "--bootstrap-server", broker.bootstrapServers, "--alter", "--entity-type", "topics", "--entity-name",
                topic, "--add-config", "retention.ms=1000,cleanup.policy=[compact,delete]",
            ])
        #expect(alter.status == 0, "\(alter.stderr)")
        #expect(alter.stdout == "Completed updating config for topic \(topic).\n")
        let theirs = try await broker.runTool(
            "kafka-configs.sh",
            ["--zookeeper", broker.zookeeper, "--describe", "--entity-type", "topics", "--entity-name", topic])
        #expect(theirs.status == 0, "\(theirs.stderr)")
        #expect(
            Self.zookeeperConfigs(theirs.stdout, keys: keys)
                == ["retention.ms": "1000", "cleanup.policy": "compact,delete"], "\(theirs.stdout)")

        let kafkaAlter = try await broker.runTool(
            "kafka-configs.sh",
            [
                "--zookeeper", broker.zookeeper, "--alter", "--entity-type", "topics", "--entity-name", topic,
                "--add-config", "segment.ms=100000,retention.ms=2000", "--delete-config", "cleanup.policy",
            ])
        #expect(kafkaAlter.status == 0, "\(kafkaAlter.stderr)")
        // The broker applies ZooKeeper's change notification shortly after.
        var described: [String] = []
        for _ in 0..<50 {
            let ours = try await RealBroker.runOurs(
                "kafka-configs", ["--bootstrap-server", broker.bootstrapServers, "--describe", "--topic", topic])
            #expect(ours.status == 0, "\(ours.stderr)")
            described = Self.configLines(ours.stdout)
            if described.count == 2 && ours.stdout.contains("retention.ms=2000") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(
            described == [
                "  retention.ms=2000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=2000}",
                "  segment.ms=100000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:segment.ms=100000}",
            ])

        let delete = try await RealBroker.runOurs(
            "kafka-configs",
            [
                "--bootstrap-server", broker.bootstrapServers, "--alter", "--topic", topic, "--delete-config",
                "segment.ms",
            ])
        #expect(delete.status == 0, "\(delete.stderr)")
        let afterDelete = try await broker.runTool(
            "kafka-configs.sh",
            ["--zookeeper", broker.zookeeper, "--describe", "--entity-type", "topics", "--entity-name", topic])
        #expect(
            Self.zookeeperConfigs(afterDelete.stdout, keys: keys) == ["retention.ms": "2000"], "\(afterDelete.stdout)")
    }

    @Test("broker configs and defaults altered by either tool are described alike by both")
    func brokerConfigsBothWays() async throws {
        let broker = try await RealKafkaBroker.shared()
        let ours = { (arguments: [String]) in
            try await RealBroker.runOurs("kafka-configs", ["--bootstrap-server", broker.bootstrapServers] + arguments)
        }
        let kafka = { (arguments: [String]) in
            try await broker.runTool("kafka-configs.sh", ["--bootstrap-server", broker.bootstrapServers] + arguments)
        }
        let describeBroker = ["--describe", "--entity-type", "brokers", "--entity-name", "0"]
        let describeDefaults = ["--describe", "--entity-type", "brokers", "--entity-default"]

        let alter = try await ours([
            "--alter", "--broker", "0", "--add-config", "log.cleaner.backoff.ms=20000,log.cleaner.threads=2",
        ])
        #expect(alter.status == 0, "\(alter.stderr)")
        #expect(alter.stdout == "Completed updating config for broker 0.\n")
        let defaults = try await ours([
            "--alter", "--entity-type", "brokers", "--entity-default", "--add-config", "log.cleaner.backoff.ms=25000",
        ])
        #expect(defaults.status == 0, "\(defaults.stderr)")
        #expect(defaults.stdout == "Completed updating default config for brokers in the cluster.\n")

        let oursBroker = try await ours(describeBroker)
        let kafkaBroker = try await kafka(describeBroker)
        #expect(kafkaBroker.status == 0, "\(kafkaBroker.stderr)")
        #expect(oursBroker.stdout.hasPrefix("Dynamic configs for broker 0 are:\n"))
        #expect(Self.configLines(oursBroker.stdout) == Self.configLines(kafkaBroker.stdout), "\(kafkaBroker.stdout)")
        #expect(
            Self.configLines(oursBroker.stdout).first
                == "  log.cleaner.backoff.ms=20000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:"
                + "log.cleaner.backoff.ms=20000, DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.backoff.ms=25000, "
                + "DEFAULT_CONFIG:log.cleaner.backoff.ms=15000}")
        let oursDefaults = try await ours(describeDefaults)
        let kafkaDefaults = try await kafka(describeDefaults)
        #expect(oursDefaults.stdout.hasPrefix("Default configs for brokers in the cluster are:\n"))
        #expect(Self.configLines(oursDefaults.stdout) == Self.configLines(kafkaDefaults.stdout))
        #expect(Self.configLines(oursDefaults.stdout).count == 1)

        // Kafka's script (AlterConfigs: the whole set) changes broker 0; ours sees what it sees.
        let kafkaAlter = try await kafka([
            "--alter", "--entity-type", "brokers", "--entity-name", "0", "--add-config", "log.cleaner.threads=3",
        ])
        #expect(kafkaAlter.status == 0, "\(kafkaAlter.stderr)")
        let oursAfter = try await ours(describeBroker)
        let kafkaAfter = try await kafka(describeBroker)
        #expect(Self.configLines(oursAfter.stdout) == Self.configLines(kafkaAfter.stdout))
        #expect(oursAfter.stdout.contains("  log.cleaner.threads=3 sensitive=false"))

        // Clean up with ours: a config the broker does not have is refused in Kafka's words.
        let cleanup = try await ours([
            "--alter", "--broker", "0", "--delete-config", "log.cleaner.threads,log.cleaner.backoff.ms",
        ])
        #expect(cleanup.status == 0, "\(cleanup.stderr)")
        let cleanupDefaults = try await ours([
            "--alter", "--broker-defaults", "--delete-config", "log.cleaner.backoff.ms",
        ])
        #expect(cleanupDefaults.status == 0, "\(cleanupDefaults.stderr)")
        #expect(Self.configLines(try await kafka(describeBroker).stdout).isEmpty)
        #expect(Self.configLines(try await kafka(describeDefaults).stdout).isEmpty)
        let missing = try await ours(["--alter", "--broker", "0", "--delete-config", "log.cleaner.threads"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "kafka-configs: Invalid config(s): log.cleaner.threads\n")
    }

    @Test(
        "quotas, SCRAM credentials and broker loggers on Kafka 2.3: one line naming the API and the broker's versions")
    func tooOldBroker() async throws {
        let broker = try await RealKafkaBroker.shared()
        let cases: [([String], String)] = [
            (["--describe", "--user", "alice"], "DescribeClientQuotas needs Kafka 2.6 or later"),
            (["--describe", "--entity-type", "clients"], "DescribeClientQuotas needs Kafka 2.6 or later"),
            (
                ["--alter", "--client", "c1", "--add-config", "producer_byte_rate=1024"],
                "DescribeClientQuotas needs Kafka 2.6 or later"
            ),
            (
                ["--alter", "--user", "alice", "--add-config", "SCRAM-SHA-256=[iterations=8192,password=secret]"],
                "AlterUserScramCredentials needs Kafka 2.7 or later"
            ),
            (["--describe", "--broker-logger", "0"], "broker loggers need Kafka 2.4 or later"),
        ]
        for (arguments, expected) in cases {
            let result = try await RealBroker.runOurs(
                "kafka-configs", ["--bootstrap-server", broker.bootstrapServers] + arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stdout == "")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            if expected.contains("needs Kafka 2.") {
                #expect(result.stderr.contains("supports no version of"), "\(result.stderr)")
            }
        }
    }
}

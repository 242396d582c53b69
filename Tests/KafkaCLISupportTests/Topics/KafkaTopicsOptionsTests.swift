import ArgumentParser
import KafkaCLISupport
import Testing

@Suite struct KafkaTopicsOptionsTests {
    /// The usage error `arguments` give, or nil when they are valid.
    static func usageError(_ arguments: [String]) -> String? {
        do {
            _ = try KafkaTopicsOptions.parse(arguments)
            return nil
        } catch {
            return KafkaTopicsOptions.message(for: error)
        }
    }

    @Test("valid combinations parse, the action and its values read back")
    func valid() throws {
        let create = try KafkaTopicsOptions.parse(
            ["--create", "--topic", "orders", "--partitions", "6", "--config", " retention.ms = 1000 "])
        #expect(create.action == .create)
        #expect(create.partitions == 6)
        #expect(try create.topicConfigs() == ["retention.ms": "1000"])
        let describe = try KafkaTopicsOptions.parse([
            "--describe", "--under-replicated-partitions", "--at-min-isr-partitions",
        ])
        #expect(describe.action == .describe)
        #expect(describe.report == PartitionReport(underReplicated: true, atMinIsr: true))
    }

    @Test(
        "invalid combinations and values give Kafka's messages",
        arguments: [
            ([], "Command must include exactly one action: --list, --describe, --create, --alter or --delete"),
            (
                ["--list", "--delete"],
                "Command must include exactly one action: --list, --describe, --create, --alter or --delete"
            ),
            (["--list", "--partitions", "2"], "Option \"--partitions\" can't be used with option \"--list\""),
            (
                ["--alter", "--topic", "t", "--partitions", "2", "--config", "a=b"],
                "Option \"--config\" can't be used with option \"--alter\" (To alter topic configurations, the kafka-configs tool can be used.)"
            ),
            (["--create"], "Missing required option '--topic' (with --create)"),
            (["--alter", "--topic", "t"], "Missing required option '--partitions' (with --alter)"),
            (
                ["--create", "--topic", "t", "--partitions", "0"],
                "The partitions must be greater than 0 (--partitions 0)"
            ),
            (
                ["--create", "--topic", "t", "--replica-assignment", "1:2", "--partitions", "2"],
                "Option \"--replica-assignment\" can't be used with option \"--partitions\""
            ),
            (
                ["--create", "--topic", "t", "--replica-assignment", "1:a"],
                "--replica-assignment: 'a' is not a broker id (expected for example 1:2,2:3)"
            ),
            (
                ["--describe", "--topics-with-overrides", "--unavailable-partitions"],
                "Option \"--topics-with-overrides\" can't be used with option \"--unavailable-partitions\""
            ),
            (["--describe", "--if-exists"], "--topic or --topic-id is required to describe a topic with --if-exists"),
            (["--describe", "--topic", "a("], "--topic: 'a(' is an invalid regex."),
            (
                ["--describe", "--topic-id", "xyz"],
                "--topic-id 'xyz' is not a topic id (22 base64 characters, as Kafka prints)"
            ),
            (["--create", "--topic", "t", "--config", "=1"], "--config expects key=value, not '=1'"),
        ])
    func invalid(arguments: [String], message: String) {
        #expect(Self.usageError(arguments) == message)
    }

    @Test("--topic is a whole-name regular expression with Kafka's rewriting")
    func topicFilter() throws {
        let filter = try TopicFilter(" 'orders,pay.*' ")
        #expect(filter.pattern == "orders|pay.*")
        #expect(filter.matches("orders"))
        #expect(filter.matches("payments"))
        #expect(!filter.matches("orders-2"))
        #expect(TopicFilter.isInternal("__consumer_offsets"))
        #expect(!TopicFilter.isInternal("orders"))
    }
}

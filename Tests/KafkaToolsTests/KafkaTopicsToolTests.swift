import Foundation
import KafkaAdmin
import KafkaDevCluster
import KafkaProtocol
import Testing

/// `kafka-topics` run as a user runs it, against an in-process dev cluster.
@Suite(.timeLimit(.minutes(5))) struct KafkaTopicsToolTests {
    /// Runs `kafka-topics --bootstrap-server <cluster> arguments...`.
    private static func topics(
        _ cluster: DevCluster, _ arguments: [String]
    ) async throws -> ToolRunner.Outcome {
        try await ToolRunner.run("kafka-topics", ["--bootstrap-server", cluster.bootstrapServers] + arguments)
    }

    /// Runs the tool and expects exit status 0.
    @discardableResult
    private static func succeeds(
        _ cluster: DevCluster, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let outcome = try await topics(cluster, arguments)
        #expect(outcome.status == 0, "\(arguments): \(outcome.stderr)", sourceLocation: sourceLocation)
        return outcome.stdout
    }

    /// The topic id of `topic` as Kafka prints it (URL-safe base64 without padding).
    private static func printedTopicID(_ cluster: DevCluster, _ topic: String) async throws -> String {
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
        let described = try await admin.describeTopics([topic])
        await admin.close()
        let id = try #require(try described[topic]?.get().topicID)
        var bytes: [UInt8] = []
        for half in [id.high, id.low] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: half >> shift)) }
        }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    @Test func createsTopicsAndDescribesThemInKafkasFormat() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            let created = try await Self.succeeds(
                cluster,
                [
                    "--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "2",
                    "--config", "retention.ms=86400000", "--config", "cleanup.policy=compact",
                ])
            #expect(created == "Created topic orders.\n")
            try await Self.succeeds(cluster, ["--create", "--topic", "placed", "--replica-assignment", "1:2,2:3"])

            let placedID = try await Self.printedTopicID(cluster, "placed")
            #expect(placedID.count == 22)
            let placed = try await Self.succeeds(cluster, ["--describe", "--topic", "placed"])
            #expect(
                placed
                    == "Topic: placed\tTopicId: \(placedID)\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: \n"
                    + "\tTopic: placed\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\n"
                    + "\tTopic: placed\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2,3\n")

            let ordersID = try await Self.printedTopicID(cluster, "orders")
            let orders = Self.lines(try await Self.succeeds(cluster, ["--describe", "--topic", "orders"]))
            #expect(orders.count == 4)
            #expect(
                orders.first
                    == "Topic: orders\tTopicId: \(ordersID)\tPartitionCount: 3\tReplicationFactor: 2\t"
                    + "Configs: cleanup.policy=compact,retention.ms=86400000")
            for (index, line) in orders.dropFirst().enumerated() {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                #expect(fields.count == 6, "\(line)")
                #expect(fields.prefix(3) == ["", "Topic: orders", "Partition: \(index)"])
                #expect(fields.count > 4 && fields[4].hasPrefix("Replicas: "))
                #expect(fields.count > 4 && fields[4].split(separator: ",").count == 2)
            }

            // --topics-with-overrides: only the topic line of topics with overrides.
            let overrides = try await Self.succeeds(cluster, ["--describe", "--topics-with-overrides"])
            #expect(Self.lines(overrides) == [orders[0]])

            // Every topic, sorted, without --topic.
            let all = Self.lines(try await Self.succeeds(cluster, ["--describe", "--exclude-internal"]))
            #expect(
                all.filter { $0.hasPrefix("Topic: ") }.map { $0.split(separator: "\t")[0] } == [
                    "Topic: orders", "Topic: placed",
                ])
        }
    }

    @Test func createOfAnExistingTopicFailsUnlessIfNotExists() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            try await Self.succeeds(cluster, ["--create", "--topic", "orders", "--partitions", "2"])
            let again = try await Self.topics(cluster, ["--create", "--topic", "orders", "--partitions", "2"])
            #expect(again.status == 1)
            #expect(again.stdout.isEmpty)
            #expect(Self.lines(again.stderr).count == 1)
            #expect(again.stderr.contains("'orders'"))
            #expect(again.stderr.contains("already exists"))

            let tolerated = try await Self.succeeds(
                cluster, ["--create", "--topic", "orders", "--partitions", "2", "--if-not-exists"])
            #expect(tolerated.isEmpty)

            // A bad config fails with the topic named, and creates nothing.
            let badConfig = try await Self.topics(
                cluster, ["--create", "--topic", "bad", "--config", "retention.ms=soon"])
            #expect(badConfig.status == 1)
            #expect(badConfig.stderr.contains("'bad'"))
            #expect(cluster.topicNames == ["orders"])

            // As Kafka: names with '.' or '_' get a warning on standard output.
            let dotted = try await Self.succeeds(cluster, ["--create", "--topic", "my.topic"])
            #expect(dotted.hasPrefix("WARNING: Due to limitations in metric names"))
            #expect(dotted.hasSuffix("\nCreated topic my.topic.\n"))
        }
    }

    @Test func listsTopicsSortedAndFiltered() async throws {
        try await withDevCluster(brokers: 1) { cluster in
            for name in ["zeta", "alpha", "mid", "alphabet"] {
                try await Self.succeeds(cluster, ["--create", "--topic", name])
            }
            #expect(try await Self.succeeds(cluster, ["--list"]) == "alpha\nalphabet\nmid\nzeta\n")
            #expect(
                try await Self.succeeds(cluster, ["--list", "--exclude-internal"]) == "alpha\nalphabet\nmid\nzeta\n")
            // Whole names: 'alpha' is not 'alphabet'; a comma separates alternatives as in Kafka.
            #expect(try await Self.succeeds(cluster, ["--list", "--topic", "alpha"]) == "alpha\n")
            #expect(
                try await Self.succeeds(cluster, ["--list", "--topic", "alpha.*|z.*"]) == "alpha\nalphabet\nzeta\n")
            #expect(try await Self.succeeds(cluster, ["--list", "--topic", "mid,zeta"]) == "mid\nzeta\n")
        }
    }

    @Test func describesTopicsMatchingARegex() async throws {
        try await withDevCluster(brokers: 1) { cluster in
            for name in ["orders-1", "orders-2", "payments"] {
                try await Self.succeeds(cluster, ["--create", "--topic", name, "--partitions", "2"])
            }
            let described = Self.lines(try await Self.succeeds(cluster, ["--describe", "--topic", "orders-.*"]))
            #expect(described.count == 6)
            #expect(
                described.filter { $0.hasPrefix("Topic: ") }.map { String($0.split(separator: "\t")[0]) } == [
                    "Topic: orders-1", "Topic: orders-2",
                ])
            #expect(described.filter { $0.hasPrefix("\t") }.allSatisfy { $0.contains("Topic: orders-") })

            // The regex must match the whole name.
            let partial = try await Self.topics(cluster, ["--describe", "--topic", "orders"])
            #expect(partial.status == 1)
            #expect(partial.stderr.contains("Topic 'orders' does not exist as expected"))
            #expect(try await Self.succeeds(cluster, ["--describe", "--topic", "orders", "--if-exists"]).isEmpty)
        }
    }

    @Test func alterGrowsPartitions() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            try await Self.succeeds(cluster, ["--create", "--topic", "orders", "--partitions", "1"])
            try await Self.succeeds(cluster, ["--alter", "--topic", "orders", "--partitions", "4"])
            let described = Self.lines(try await Self.succeeds(cluster, ["--describe", "--topic", "orders"]))
            #expect(described.first?.contains("\tPartitionCount: 4\t") == true)
            #expect(described.count == 5)

            // With an assignment: the entries past the current count place the new partitions.
            try await Self.succeeds(
                cluster, ["--alter", "--topic", "orders", "--partitions", "5", "--replica-assignment", "1,1,1,1,3"])
            let grown = Self.lines(try await Self.succeeds(cluster, ["--describe", "--topic", "orders"]))
            #expect(grown.last?.contains("\tPartition: 4\tLeader: 3\tReplicas: 3\t") == true)

            // Partitions cannot shrink: the topic is named.
            let shrink = try await Self.topics(cluster, ["--alter", "--topic", "orders", "--partitions", "2"])
            #expect(shrink.status == 1)
            #expect(shrink.stderr.contains("'orders'"))

            let missing = try await Self.topics(cluster, ["--alter", "--topic", "nope", "--partitions", "2"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("Topic 'nope' does not exist as expected"))
            try await Self.succeeds(cluster, ["--alter", "--topic", "nope", "--partitions", "2", "--if-exists"])
        }
    }

    @Test func deletesTopicsMatchingARegex() async throws {
        try await withDevCluster(brokers: 1) { cluster in
            for name in ["tmp-a", "tmp-b", "keep", "tmp"] {
                try await Self.succeeds(cluster, ["--create", "--topic", name])
            }
            try await Self.succeeds(cluster, ["--delete", "--topic", "tmp-.*"])
            #expect(cluster.topicNames == ["keep", "tmp"])

            let again = try await Self.topics(cluster, ["--delete", "--topic", "tmp-.*"])
            #expect(again.status == 1)
            #expect(again.stderr.contains("Topic 'tmp-.*' does not exist as expected"))
            try await Self.succeeds(cluster, ["--delete", "--topic", "tmp-.*", "--if-exists"])
            #expect(cluster.topicNames == ["keep", "tmp"])

            try await Self.succeeds(cluster, ["--delete", "--topic", "tmp"])
            #expect(cluster.topicNames == ["keep"])
        }
    }

    @Test func reportsUnderReplicatedPartitionsAfterABrokerStops() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            try await Self.succeeds(
                cluster, ["--create", "--topic", "replicated", "--partitions", "2", "--replication-factor", "3"])
            try await Self.succeeds(cluster, ["--create", "--topic", "single", "--replica-assignment", "1"])
            #expect(try await Self.succeeds(cluster, ["--describe", "--under-replicated-partitions"]).isEmpty)

            try await cluster.stopBroker(3)
            let report = Self.lines(try await Self.succeeds(cluster, ["--describe", "--under-replicated-partitions"]))
            #expect(report.count == 2)
            for (index, line) in report.enumerated() {
                #expect(line.hasPrefix("\tTopic: replicated\tPartition: \(index)\tLeader: "))
                let isr = line.components(separatedBy: "\tIsr: ").last ?? ""
                #expect(isr.split(separator: ",").count == 2)
                #expect(!isr.contains("3"))
            }
            // Every partition still has a live leader.
            #expect(try await Self.succeeds(cluster, ["--describe", "--unavailable-partitions"]).isEmpty)
        }
    }

    @Test func usageErrorsExit2WithAReason() async throws {
        let cases: [([String], String)] = [
            (["--topic", "t"], "exactly one action"),
            (["--create", "--list", "--topic", "t"], "exactly one action"),
            (["--list", "--partitions", "3"], "\"--partitions\" can't be used with option \"--list\""),
            (["--alter", "--topic", "t", "--partitions", "3", "--config", "a=b"], "kafka-configs"),
            (["--delete", "--topic", "t", "--if-not-exists"], "\"--if-not-exists\" can't be used"),
            (["--describe", "--replication-factor", "2"], "\"--replication-factor\" can't be used"),
            (["--create", "--partitions", "3"], "--topic"),
            (["--alter", "--topic", "t"], "--partitions"),
            (["--create", "--topic", "t", "--partitions", "0"], "partitions must be greater than 0"),
            (["--create", "--topic", "t", "--replica-assignment", "1:1"], "duplicate entries: 1"),
            (["--create", "--topic", "t", "--replica-assignment", "1:2", "--partitions", "2"], "can't be used"),
            (["--create", "--topic", "t", "--config", "retention.ms"], "key=value"),
            (["--describe", "--topic", "("], "invalid regex"),
            (["--describe", "--under-replicated-partitions", "--topics-with-overrides"], "can't be used"),
            (["--list", "--no-such-flag"], "no-such-flag"),
        ]
        for (arguments, reason) in cases {
            let outcome = try await ToolRunner.run("kafka-topics", ["--bootstrap-server", "127.0.0.1:1"] + arguments)
            #expect(outcome.status == 2, "\(arguments)")
            #expect(outcome.stderr.contains(reason), "\(arguments): \(outcome.stderr)")
            #expect(outcome.stdout.isEmpty, "\(arguments)")
        }
    }

    @Test func bootstrapServersComeFromTheEnvironment() async throws {
        try await withDevCluster(brokers: 1) { cluster in
            let environment = ["KAFKA_BOOTSTRAP_SERVERS": cluster.bootstrapServers]
            let created = try await ToolRunner.run(
                "kafka-topics", ["--create", "--topic", "env"], environment: environment)
            #expect(created.status == 0, "\(created.stderr)")
            let listed = try await ToolRunner.run("kafka-topics", ["--list"], environment: environment)
            #expect(listed.status == 0)
            #expect(listed.stdout == "env\n")
        }
    }

    @Test func missingBootstrapServerExits2() async throws {
        let outcome = try await ToolRunner.run(
            "kafka-topics", ["--list"], environment: ["KAFKA_BOOTSTRAP_SERVERS": ""])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--bootstrap-server"))
    }

    @Test func helpExits0() async throws {
        let outcome = try await ToolRunner.run("kafka-topics", ["--help"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("--replica-assignment"))
        #expect(outcome.stdout.contains("--under-replicated-partitions"))
    }
}

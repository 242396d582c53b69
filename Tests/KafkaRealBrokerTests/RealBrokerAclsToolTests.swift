import Foundation
import KafkaProducer
import KafkaTestSupport
import Testing

/// `kafka-acls` beside Kafka 2.3's `kafka-acls.sh --bootstrap-server` on the real broker (which runs
/// SimpleAclAuthorizer with super users User:ANONYMOUS, User:admin and User:alice, see `Tools/kafka-broker.sh`).
@Suite("Real broker: kafka-acls compared with Kafka's script", .timeLimit(.minutes(8)))
struct RealBrokerAclsToolTests {
    /// The ACLs of either tool's "Current ACLs for resource `…`:" blocks, as `pattern | entry` lines (Kafka prints
    /// its sets in hash order, so only the sets compare).
    static func acls(_ output: String) -> Set<String> {
        var result = Set<String>()
        var pattern: String?
        for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("Current ACLs for resource `"), let start = line.firstIndex(of: "`"),
                let end = line.lastIndex(of: "`"), start < end
            {
                pattern = String(line[line.index(after: start)..<end])
                continue
            }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("(principal="), let pattern { result.insert("\(pattern) | \(text)") }
        }
        return result
    }

    static func kafka(_ broker: RealKafkaBroker, _ arguments: [String]) async throws -> ChildProcess.Outcome {
        let outcome = try await broker.runTool(
            "kafka-acls.sh", ["--bootstrap-server", broker.bootstrapServers] + arguments)
        #expect(outcome.status == 0, "kafka-acls.sh \(arguments): \(outcome.stderr.prefix(800))")
        return outcome
    }

    static func ours(_ broker: RealKafkaBroker, _ arguments: [String], stdin: String? = nil) async throws
        -> ChildProcess.Outcome
    {
        let outcome = try await RealBroker.runOurs(
            "kafka-acls", ["--bootstrap-server", broker.bootstrapServers] + arguments, stdin: stdin)
        #expect(outcome.status == 0, "kafka-acls \(arguments): \(outcome.stderr)")
        return outcome
    }

    @Test("ACLs added by Kafka's script are listed by ours, literal and prefixed, and removed by ours")
    func kafkasAclsListedByOurs() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("acl-kafka")
        let prefix = RealBroker.topic("acl-prefix") + "-"
        _ = try await Self.kafka(
            broker,
            [
                "--add", "--allow-principal", "User:carol", "--allow-principal", "User:dave", "--operation", "Read",
                "--operation", "Write", "--topic", topic,
            ])
        _ = try await Self.kafka(
            broker,
            [
                "--add", "--deny-principal", "User:carol", "--deny-host", "10.1.2.3", "--operation", "Describe",
                "--group", prefix, "--resource-pattern-type", "prefixed",
            ])
        for (filter, count) in [
            (["--topic", topic], 4), (["--group", prefix, "--resource-pattern-type", "prefixed"], 1),
        ] {
            let theirs = Self.acls(try await Self.kafka(broker, ["--list"] + filter).stdout)
            let mine = Self.acls(try await Self.ours(broker, ["--list"] + filter).stdout)
            #expect(theirs.count == count, "\(theirs)")
            #expect(mine == theirs)
        }
        // MATCH: the prefixed group ACL applies to a group named with the prefix.
        let matching = Self.acls(
            try await Self.ours(broker, ["--list", "--group", prefix + "app", "--resource-pattern-type", "match"])
                .stdout)
        #expect(matching.count == 1 && matching.first?.contains("patternType=PREFIXED") == true, "\(matching)")
        // Our removal of one principal's ACLs is seen by Kafka's script.
        _ = try await Self.ours(
            broker,
            [
                "--remove", "--force", "--topic", topic, "--allow-principal", "User:dave", "--operation", "Read",
                "--operation", "Write",
            ])
        let left = Self.acls(try await Self.kafka(broker, ["--list", "--topic", topic]).stdout)
        #expect(left.count == 2 && left.allSatisfy { $0.contains("User:carol") }, "\(left)")
        _ = try await Self.ours(broker, ["--remove", "--topic", topic], stdin: "y\n")
        _ = try await Self.ours(
            broker, ["--remove", "--force", "--group", prefix, "--resource-pattern-type", "prefixed"])
        #expect(Self.acls(try await Self.kafka(broker, ["--list", "--topic", topic]).stdout).isEmpty)
        #expect(
            Self.acls(
                try await Self.kafka(broker, ["--list", "--group", prefix, "--resource-pattern-type", "prefixed"])
                    .stdout
            ).isEmpty)
    }

    @Test("ACLs added by ours (the producer and consumer conveniences) are listed by Kafka's script")
    func oursListedByKafkas() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("acl-ours")
        let group = RealBroker.topic("acl-group")
        let transactionalID = RealBroker.topic("acl-tx")
        let added = try await Self.ours(
            broker,
            [
                "--add", "--producer", "--idempotent", "--consumer", "--topic", topic, "--group", group,
                "--transactional-id", transactionalID, "--allow-principal", "User:erin",
            ])
        #expect(added.stdout.contains("Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=\(topic)"))
        for filter in [
            ["--topic", topic], ["--group", group], ["--transactional-id", transactionalID], ["--cluster"],
        ] {
            let theirs = Self.acls(try await Self.kafka(broker, ["--list"] + filter).stdout)
            let mine = Self.acls(try await Self.ours(broker, ["--list"] + filter).stdout)
            #expect(mine == theirs, "\(filter)")
            #expect(!theirs.filter { $0.contains("User:erin") }.isEmpty, "\(filter): \(theirs)")
        }
        let topicACLs = Self.acls(try await Self.kafka(broker, ["--list", "--topic", topic]).stdout)
        #expect(
            Set(topicACLs.compactMap { $0.split(separator: "operation=").last?.split(separator: ",").first })
                == ["WRITE", "DESCRIBE", "CREATE", "READ"])
        _ = try await Self.kafka(
            broker,
            [
                "--remove", "--force", "--producer", "--idempotent", "--consumer", "--topic", topic, "--group", group,
                "--transactional-id", transactionalID, "--allow-principal", "User:erin",
            ])
        #expect(Self.acls(try await Self.ours(broker, ["--list", "--topic", topic]).stdout).isEmpty)
        let cluster = Self.acls(try await Self.ours(broker, ["--list", "--cluster"]).stdout)
        #expect(cluster.filter { $0.contains("User:erin") }.isEmpty)
    }

    @Test("the broker enforces a DENY ACL on a user that is not a super user, against our producer")
    func denyIsEnforced() async throws {
        let broker = try await RealKafkaBroker.shared()
        let denied = RealBroker.topic("acl-denied")
        let open = RealBroker.topic("acl-open")
        try await RealBroker.createTopic(denied, on: broker)
        try await RealBroker.createTopic(open, on: broker)
        _ = try await Self.ours(
            broker, ["--add", "--deny-principal", "User:bob", "--operation", "Write", "--topic", denied])
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(properties: [
                "bootstrap.servers": broker.saslBootstrapServers, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": "PLAIN", "sasl.username": "bob", "sasl.password": "bob-secret",
                "max.block.ms": "10000", "delivery.timeout.ms": "15000", "request.timeout.ms": "10000",
                // Kafka 2.3 wants IDEMPOTENT_WRITE on the cluster for an idempotent producer, and the cluster has
                // ACLs of other tests.
                "enable.idempotence": "false",
            ]))
        // No ACL applies to the open topic: allow.everyone.if.no.acl.found lets bob write.
        _ = try await producer.send(ProducerRecord(topic: open, key: "k", value: "allowed"))
        do {
            _ = try await producer.send(ProducerRecord(topic: denied, key: "k", value: "denied"))
            Issue.record("a write denied by a DENY ACL succeeded")
        } catch {
            #expect("\(error)".contains("TOPIC_AUTHORIZATION_FAILED"), "\(error)")
        }
        await producer.close()
        _ = try await Self.ours(broker, ["--remove", "--force", "--topic", denied])
    }
}

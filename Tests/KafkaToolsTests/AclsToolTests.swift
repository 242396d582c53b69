import Foundation
import KafkaAdmin
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import Testing

/// `kafka-acls` run as a user runs it, against a dev cluster with its authorizer on; and the authorizer enforcing
/// the ACLs on this package's producer and consumer.
@Suite(.timeLimit(.minutes(4))) struct AclsToolTests {
    /// Runs `body` with a one-broker dev cluster whose authorizer is on; PLAINTEXT clients are User:ANONYMOUS, a
    /// super user.
    static func withAuthorizer(_ body: (DevCluster) async throws -> Void) async throws {
        try await DevCluster.withRunning(
            brokers: 1, topics: [:],
            configure: { $0.authorizer = .init(superUsers: ["User:ANONYMOUS"]) }, body)
    }

    static func acls(_ cluster: DevCluster, _ arguments: [String], stdin: String? = nil) async throws
        -> ToolRunner.Outcome
    {
        try await ToolRunner.run(
            "kafka-acls", ["--bootstrap-server", cluster.bootstrapServers] + arguments, stdin: stdin)
    }

    static let orders = "ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)"

    @Test func addsListsAndRemovesWithKafkasOutput() async throws {
        try await Self.withAuthorizer { cluster in
            let added = try await Self.acls(
                cluster,
                [
                    "--add", "--allow-principal", "User:alice", "--operation", "Read", "--operation", "Write",
                    "--topic", "orders",
                ])
            #expect(added.status == 0, "\(added.stderr)")
            #expect(
                added.stdout
                    == "Adding ACLs for resource `\(Self.orders)`: \n"
                    + " \t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)\n"
                    + "\t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW) \n\n")

            let producer = try await Self.acls(
                cluster,
                [
                    "--add", "--producer", "--topic", "logs-", "--resource-pattern-type", "prefixed",
                    "--allow-principal", "User:bob", "--allow-host", "10.0.0.1",
                ])
            #expect(producer.status == 0, "\(producer.stderr)")
            let listed = try await Self.acls(cluster, ["--list"])
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(
                listed.stdout
                    == "Current ACLs for resource `\(Self.orders)`: \n"
                    + " \t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)\n"
                    + "\t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW) \n\n"
                    + "Current ACLs for resource "
                    + "`ResourcePattern(resourceType=TOPIC, name=logs-, patternType=PREFIXED)`: \n"
                    + " \t(principal=User:bob, host=10.0.0.1, operation=WRITE, permissionType=ALLOW)\n"
                    + "\t(principal=User:bob, host=10.0.0.1, operation=CREATE, permissionType=ALLOW)\n"
                    + "\t(principal=User:bob, host=10.0.0.1, operation=DESCRIBE, permissionType=ALLOW) \n\n")

            // MATCH lists every pattern that applies to a name; a literal filter only the name's own.
            let matching = try await Self.acls(
                cluster, ["--list", "--topic", "logs-app", "--resource-pattern-type", "match"])
            #expect(matching.stdout.contains("name=logs-, patternType=PREFIXED") && !matching.stdout.contains("orders"))
            let literal = try await Self.acls(cluster, ["--list", "--topic", "logs-app"])
            #expect(literal.status == 0 && literal.stdout.isEmpty)
            let byPrincipal = try await Self.acls(cluster, ["--list", "--principal", "User:bob"])
            #expect(byPrincipal.stdout.hasPrefix("ACLs for principal `User:bob`\n"))
            #expect(!byPrincipal.stdout.contains("User:alice"))

            let json = try await Self.acls(cluster, ["--list", "--topic", "orders", "--json"])
            let rows = try #require(
                try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]])
            #expect(rows.count == 2)
            #expect(rows.first?["operation"] == "READ" && rows.first?["resourceType"] == "TOPIC")

            // --remove asks first: "n" keeps the ACLs, "y" removes them.
            let question =
                "Are you sure you want to remove ACLs: \n"
                + " \t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW) \n"
                + " from resource filter `\(Self.orders)`? (y/n)\n"
            let kept = try await Self.acls(
                cluster,
                ["--remove", "--topic", "orders", "--allow-principal", "User:alice", "--operation", "Write"],
                stdin: "n\n")
            #expect(kept.status == 0 && kept.stdout == question)
            #expect(try await Self.acls(cluster, ["--list", "--topic", "orders"]).stdout.contains("WRITE"))
            let removed = try await Self.acls(
                cluster,
                ["--remove", "--topic", "orders", "--allow-principal", "User:alice", "--operation", "Write"],
                stdin: "y\n")
            #expect(removed.status == 0, "\(removed.stderr)")
            let after = try await Self.acls(cluster, ["--list", "--topic", "orders"]).stdout
            #expect(after.contains("READ") && !after.contains("WRITE"))
            let all = try await Self.acls(
                cluster, ["--remove", "--force", "--topic", "logs-", "--resource-pattern-type", "prefixed"])
            #expect(all.status == 0 && all.stdout.isEmpty, "\(all.stderr)")
            #expect(!(try await Self.acls(cluster, ["--list"])).stdout.contains("logs-"))
        }
    }

    @Test("kafka-dev-cluster --authorizer --super-user as a process: ACLs added and listed by kafka-acls")
    func devClusterExecutableWithAuthorizer() async throws {
        let file = NSTemporaryDirectory() + "acls-bs-\(UUID().uuidString)"
        let process = Process()
        process.executableURL = try ToolRunner.executable("kafka-dev-cluster")
        process.arguments = [
            "--port", "0", "--authorizer", "--super-user", "User:ANONYMOUS", "--bootstrap-file", file,
        ]
        process.standardOutput = Pipe()
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: file) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let bootstrap = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let added = try await ToolRunner.run(
            "kafka-acls",
            [
                "--bootstrap-server", bootstrap, "--add", "--consumer", "--topic", "orders", "--group", "billing",
                "--allow-principal", "User:carol",
            ])
        #expect(added.status == 0, "\(added.stderr)")
        let listed = try await ToolRunner.run(
            "kafka-acls", ["--bootstrap-server", bootstrap, "--list", "--group", "billing"])
        #expect(
            listed.stdout
                == "Current ACLs for resource `ResourcePattern(resourceType=GROUP, name=billing, patternType=LITERAL)`: \n"
                + " \t(principal=User:carol, host=*, operation=READ, permissionType=ALLOW) \n\n")
        // Without --authorizer the flags that need it are refused.
        let refused = try await ToolRunner.run("kafka-dev-cluster", ["--super-user", "User:a"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--super-user and --allow-everyone-if-no-acl-found need --authorizer."))
    }

    @Test func refusalsAreOneLineAndUsageErrorsExitTwo() async throws {
        try await withDevCluster { cluster in
            let disabled = try await Self.acls(cluster, ["--list"])
            #expect(disabled.status == 1)
            #expect(disabled.stderr.contains("SECURITY_DISABLED"), "\(disabled.stderr)")
            #expect(disabled.stderr.split(separator: "\n").count == 1, "\(disabled.stderr)")
            let usage = try await Self.acls(cluster, ["--add", "--topic", "t"])
            #expect(usage.status == 2)
            #expect(
                usage.stderr.contains(
                    "You must specify one of: --allow-principal, --deny-principal when trying to add ACLs."),
                "\(usage.stderr)")
            let any = try await Self.acls(
                cluster, ["--add", "--topic", "t", "--allow-principal", "User:a", "--resource-pattern-type", "any"])
            #expect(any.status == 2)
            #expect(any.stderr.contains("A '--resource-pattern-type' value of 'ANY' is not valid when adding acls."))
        }
    }
}

/// The dev cluster's authorizer against this package's producer, consumer and admin client, for a SASL user that
/// is not a super user.
@Suite(.timeLimit(.minutes(4))) struct DevClusterAuthorizerTests {
    static func withSASLCluster(everyone: Bool, _ body: (DevCluster) async throws -> Void) async throws {
        try await DevCluster.withRunning(
            brokers: 1, topics: ["open": 1, "secret": 1, "readonly": 1],
            configure: {
                $0.saslMechanisms = ["PLAIN"]
                $0.users = ["admin": "admin-secret", "alice": "alice-secret"]
                $0.authorizer = .init(superUsers: ["User:admin"], allowEveryoneIfNoACLFound: everyone)
                $0.autoCreateTopics = false
            }, body)
    }

    static func properties(_ cluster: DevCluster, user: String) -> [String: String] {
        [
            "bootstrap.servers": cluster.bootstrapServers, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN", "sasl.username": user, "sasl.password": "\(user)-secret",
            "request.timeout.ms": "5000",
        ]
    }

    static func admin(_ cluster: DevCluster, user: String) throws -> KafkaAdminClient {
        try KafkaAdminClient(properties: properties(cluster, user: user))
    }

    @Test func theProducerGetsTopicAuthorizationFailed() async throws {
        try await Self.withSASLCluster(everyone: true) { cluster in
            let admin = try Self.admin(cluster, user: "admin")
            let created = try await admin.createAcls([
                AclBinding(
                    pattern: ResourcePattern(resourceType: .topic, name: "secret"),
                    entry: AccessControlEntry(principal: "User:alice", operation: .write, permissionType: .deny)),
                AclBinding(
                    pattern: ResourcePattern(resourceType: .topic, name: "readonly"),
                    entry: AccessControlEntry(principal: "User:alice", operation: .describe, permissionType: .allow)),
            ])
            #expect(created.values.allSatisfy { (try? $0.get()) != nil })
            await admin.close()

            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    properties: Self.properties(cluster, user: "alice").merging([
                        "max.block.ms": "5000", "delivery.timeout.ms": "8000",
                    ]) { $1 }))
            _ = try await producer.send(ProducerRecord(topic: "open", key: "k", value: "allowed"))
            let start = ContinuousClock.now
            do {
                _ = try await producer.send(ProducerRecord(topic: "secret", key: "k", value: "denied"))
                Issue.record("a write denied by a DENY ACL succeeded")
            } catch {
                #expect((error as? KafkaProducerError)?.kind == .broker(.topicAuthorizationFailed), "\(error)")
                #expect("\(error)".contains("TOPIC_AUTHORIZATION_FAILED"), "\(error)")
            }
            // At once, not after max.block.ms (5 s).
            #expect(ContinuousClock.now - start < .seconds(4))
            // A topic alice may describe but not write: the Produce answer's TOPIC_AUTHORIZATION_FAILED.
            do {
                _ = try await producer.send(ProducerRecord(topic: "readonly", key: "k", value: "denied"))
                Issue.record("a write without WRITE succeeded")
            } catch {
                #expect((error as? KafkaProducerError)?.kind == .broker(.topicAuthorizationFailed), "\(error)")
            }
            await producer.close()
        }
    }

    @Test func theConsumerGetsGroupAndTopicAuthorizationFailed() async throws {
        try await Self.withSASLCluster(everyone: true) { cluster in
            let admin = try Self.admin(cluster, user: "admin")
            _ = try await admin.createAcls([
                AclBinding(
                    pattern: ResourcePattern(resourceType: .group, name: "closed-"),
                    entry: AccessControlEntry(principal: "User:alice", operation: .read, permissionType: .deny)),
                AclBinding(
                    pattern: ResourcePattern(resourceType: .topic, name: "secret"),
                    entry: AccessControlEntry(principal: "User:alice", operation: .read, permissionType: .deny)),
            ])
            #expect(try await admin.describeAcls().count == 2)
            await admin.close()
            var groupProperties = Self.properties(cluster, user: "alice")
            groupProperties["group.id"] = "closed-"
            let grouped = try KafkaConsumer(configuration: KafkaConsumerConfiguration(properties: groupProperties))
            try grouped.subscribe(topics: ["open"])
            await #expect {
                for _ in 0..<20 { _ = try await grouped.poll(timeout: .milliseconds(500)) }
            } throws: { error in
                "\(error)".contains("GROUP_AUTHORIZATION_FAILED")
            }
            await grouped.close()

            // A subscribed topic the principal may not describe fails the poll too.
            groupProperties["group.id"] = "open-group"
            let subscribed = try KafkaConsumer(configuration: KafkaConsumerConfiguration(properties: groupProperties))
            try subscribed.subscribe(topics: ["secret"])
            await #expect {
                for _ in 0..<20 { _ = try await subscribed.poll(timeout: .milliseconds(500)) }
            } throws: { error in
                "\(error)".contains("TOPIC_AUTHORIZATION_FAILED")
            }
            await subscribed.close()

            let assigned = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(properties: Self.properties(cluster, user: "alice")))
            try assigned.assign([TopicPartition(topic: "secret", partition: 0)])
            await #expect {
                for _ in 0..<20 { _ = try await assigned.poll(timeout: .milliseconds(500)) }
            } throws: { error in
                "\(error)".contains("TOPIC_AUTHORIZATION_FAILED")
            }
            await assigned.close()
        }
    }

    @Test func adminOperationsNeedTheirPermissions() async throws {
        try await Self.withSASLCluster(everyone: false) { cluster in
            let alice = try Self.admin(cluster, user: "alice")
            // Nothing is open without ACLs: Metadata leaves every topic out, CreateTopics and the ACL APIs refuse.
            #expect(try await alice.listTopics().isEmpty)
            let created = try await alice.createTopics([NewTopic(name: "new", partitions: 1, replicationFactor: 1)])
            #expect(
                created["new"].map {
                    if case .failure(let e) = $0 { e.code == .topicAuthorizationFailed } else { false }
                } == true)
            await #expect {
                _ = try await alice.describeAcls()
            } throws: { ($0 as? AdminError)?.code == .clusterAuthorizationFailed }

            let admin = try Self.admin(cluster, user: "admin")
            _ = try await admin.createAcls([
                AclBinding(
                    pattern: ResourcePattern(resourceType: .topic, name: "ne", patternType: .prefixed),
                    entry: AccessControlEntry(principal: "User:alice", operation: .create, permissionType: .allow)),
                AclBinding(
                    pattern: ResourcePattern(resourceType: .topic, name: "open"),
                    entry: AccessControlEntry(principal: "User:alice", operation: .read, permissionType: .allow)),
            ])
            let again = try await alice.createTopics([NewTopic(name: "new", partitions: 1, replicationFactor: 1)])
            #expect(again["new"].map { if case .success = $0 { true } else { false } } == true)
            // READ implies DESCRIBE: the topic is listed; "secret" stays hidden.
            #expect(try await alice.listTopics() == ["open"])
            let deleted = try await admin.deleteAcls([
                AclBindingFilter(pattern: ResourcePatternFilter(resourceType: .topic))
            ])
            #expect((try deleted.values.first?.get())?.count == 2)
            await admin.close()
            await alice.close()
        }
    }
}

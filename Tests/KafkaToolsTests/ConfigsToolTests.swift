import Foundation
import KafkaAdmin
import KafkaDevCluster
import Testing

/// `kafka-configs` run as a user runs it, against dev clusters.
@Suite(.timeLimit(.minutes(4))) struct ConfigsToolTests {
    static func configs(_ cluster: DevCluster, _ arguments: [String], extra: [String] = []) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let result = try await ToolRunner.run(
            "kafka-configs", ["--bootstrap-server", cluster.bootstrapServers] + extra + arguments)
        return (result.status, result.stdout, result.stderr)
    }

    @Test func topicConfigsAreAlteredDescribedAndDeleted() async throws {
        try await withDevCluster(brokers: 1, topics: ["orders": 1]) { cluster in
            let alter = try await Self.configs(
                cluster,
                [
                    "--alter", "--entity-type", "topics", "--entity-name", "orders", "--add-config",
                    "retention.ms=1000,cleanup.policy=[compact,delete]",
                ])
            #expect(alter.status == 0, "\(alter.stderr)")
            #expect(alter.stdout == "Completed updating config for topic orders.\n")

            let describe = try await Self.configs(cluster, ["--describe", "--topic", "orders"])
            #expect(describe.status == 0, "\(describe.stderr)")
            #expect(
                describe.stdout == """
                    Dynamic configs for topic orders are:
                      cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}
                      retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, DEFAULT_CONFIG:log.retention.ms=604800000}

                    """)

            let all = try await Self.configs(cluster, ["--describe", "--topic", "orders", "--all"])
            #expect(all.stdout.hasPrefix("All configs for topic orders are:\n"))
            #expect(all.stdout.contains("\n  segment.bytes=1073741824 sensitive=false synonyms={DEFAULT_CONFIG:"))

            let json = try await Self.configs(cluster, ["--describe", "--topic", "orders", "--json"])
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
            #expect(document.first?["entityName"] as? String == "orders")
            let names = (document.first?["configs"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["cleanup.policy", "retention.ms"])

            let delete = try await Self.configs(
                cluster, ["--alter", "--topic", "orders", "--delete-config", "retention.ms"])
            #expect(delete.status == 0, "\(delete.stderr)")
            let after = try await Self.configs(cluster, ["--describe", "--topic", "orders"])
            #expect(!after.stdout.contains("retention.ms"))

            let missing = try await Self.configs(
                cluster, ["--alter", "--topic", "orders", "--delete-config", "segment.ms"])
            #expect(missing.status == 1)
            #expect(missing.stderr == "kafka-configs: Invalid config(s): segment.ms\n")
            let bad = try await Self.configs(cluster, ["--alter", "--topic", "orders", "--add-config", "retention.ms"])
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("all configs to be added must be in the format \"key=val\""))
            let unknownTopic = try await Self.configs(cluster, ["--describe", "--topic", "nope"])
            #expect(unknownTopic.status == 1)
            #expect(unknownTopic.stderr.contains("UNKNOWN_TOPIC_OR_PARTITION"))
            #expect(unknownTopic.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func brokerConfigsDefaultsAndLoggers() async throws {
        try await withDevCluster(brokers: 2) { cluster in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("configs-\(UUID()).properties")
            try "log.cleanup.policy=compact\n".write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let perBroker = try await Self.configs(
                cluster, ["--alter", "--broker", "2", "--add-config-file", file.path])
            #expect(perBroker.status == 0, "\(perBroker.stderr)")
            #expect(perBroker.stdout == "Completed updating config for broker 2.\n")
            let defaults = try await Self.configs(
                cluster,
                ["--alter", "--entity-type", "brokers", "--entity-default", "--add-config", "min.insync.replicas=2"])
            #expect(defaults.status == 0, "\(defaults.stderr)")
            #expect(defaults.stdout == "Completed updating default config for brokers in the cluster.\n")

            let described = try await Self.configs(cluster, ["--describe", "--entity-type", "brokers"])
            #expect(
                described.stdout == """
                    Dynamic configs for broker 1 are:
                    Dynamic configs for broker 2 are:
                      log.cleanup.policy=compact sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}
                    Default configs for brokers in the cluster are:
                      min.insync.replicas=2 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:min.insync.replicas=2}

                    """)

            let logger = try await Self.configs(
                cluster, ["--alter", "--broker-logger", "1", "--add-config", "kafka.controller=DEBUG"])
            #expect(logger.status == 0, "\(logger.stderr)")
            #expect(logger.stdout == "Completed updating config for broker-logger 1.\n")
            let loggers = try await Self.configs(cluster, ["--describe", "--broker-logger", "1"])
            #expect(loggers.stdout.hasPrefix("Dynamic configs for broker-logger 1 are:\n"))
            #expect(loggers.stdout.contains("\n  kafka.controller=DEBUG sensitive=false synonyms={}\n"))
            let unknown = try await Self.configs(
                cluster, ["--alter", "--broker-logger", "1", "--add-config", "no.such=DEBUG"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr == "kafka-configs: Invalid broker logger(s): no.such\n")
        }
    }

    @Test func quotasOfUsersClientsAndTheirCombination() async throws {
        try await withDevCluster(brokers: 1) { cluster in
            for arguments in [
                ["--alter", "--user", "alice", "--add-config", "producer_byte_rate=1024,request_percentage=12.5"],
                [
                    "--alter", "--entity-type", "clients", "--entity-default", "--add-config",
                    "consumer_byte_rate=20000000",
                ],
                [
                    "--alter", "--entity-type", "users", "--entity-name", "alice", "--entity-type", "clients",
                    "--entity-name", "reports", "--add-config", "consumer_byte_rate=10",
                ],
            ] {
                let result = try await Self.configs(cluster, arguments)
                #expect(result.status == 0, "\(arguments): \(result.stderr)")
            }
            let alice = try await Self.configs(cluster, ["--describe", "--user", "alice"])
            #expect(
                alice.stdout == """
                    Quota configs for user-principal 'alice' are producer_byte_rate=1024.0, request_percentage=12.5
                    Error retrieving SCRAM credential configs for user-principal 'alice': ResourceNotFoundException: Attempt to describe a user credential that does not exist: alice

                    """)
            let clients = try await Self.configs(cluster, ["--describe", "--entity-type", "clients"])
            #expect(clients.stdout == "Quota configs for the default client-id are consumer_byte_rate=2.0E7\n")
            let both = try await Self.configs(
                cluster, ["--describe", "--entity-type", "users", "--entity-type", "clients"])
            #expect(
                both.stdout
                    == "Quota configs for user-principal 'alice', client-id 'reports' are consumer_byte_rate=10.0\n")

            let delete = try await Self.configs(
                cluster, ["--alter", "--user", "alice", "--delete-config", "request_percentage"])
            #expect(delete.status == 0, "\(delete.stderr)")
            let after = try await Self.configs(cluster, ["--describe", "--user", "alice", "--json"])
            #expect(after.stdout.contains(#"{"entity":{"user":"alice"},"values":{"producer_byte_rate":1024.0}}"#))

            let notQuota = try await Self.configs(
                cluster, ["--alter", "--client", "c", "--add-config", "SCRAM-SHA-256=[password=x]"])
            #expect(notQuota.status == 1)
            #expect(
                notQuota.stderr
                    == "kafka-configs: Only quota configs can be added for 'clients' using --bootstrap-server. "
                    + "Unexpected config names: Set(SCRAM-SHA-256)\n")
            let badValue = try await Self.configs(
                cluster, ["--alter", "--user", "bob", "--add-config", "producer_byte_rate=fast"])
            #expect(
                badValue.stderr
                    == "kafka-configs: Cannot parse quota configuration value for producer_byte_rate: fast\n")
            let refused = try await Self.configs(
                cluster, ["--alter", "--user", "bob", "--add-config", "producer_byte_rate=1.5"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("producer_byte_rate cannot be a fractional value."))
        }
    }

    @Test("SCRAM credentials set by the tool authenticate a SCRAM client; deleted ones no longer do")
    func scramCredentialsTakeEffect() async throws {
        var configuration = DevClusterConfiguration()
        configuration.saslMechanisms = ["SCRAM-SHA-256", "SCRAM-SHA-512"]
        configuration.users = ["admin": "admin-secret"]
        try await DevCluster.withRunning(configuration) { cluster in
            let directory = FileManager.default.temporaryDirectory
            func commandConfig(_ user: String, _ password: String, _ mechanism: String) throws -> String {
                let file = directory.appendingPathComponent("scram-\(UUID()).properties")
                try """
                security.protocol=SASL_PLAINTEXT
                sasl.mechanism=\(mechanism)
                sasl.username=\(user)
                sasl.password=\(password)

                """.write(to: file, atomically: true, encoding: .utf8)
                return file.path
            }
            let admin = try commandConfig("admin", "admin-secret", "SCRAM-SHA-256")
            let add = try await Self.configs(
                cluster,
                [
                    "--alter", "--entity-type", "users", "--entity-name", "alice", "--add-config",
                    "SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-512]",
                ], extra: ["--command-config", admin])
            #expect(add.status == 0, "\(add.stderr)")
            #expect(add.stdout == "Completed updating config for user alice.\n")
            let describe = try await Self.configs(
                cluster, ["--describe", "--entity-type", "users", "--entity-name", "alice"],
                extra: ["--command-config", admin])
            #expect(
                describe.stdout
                    == "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, "
                    + "SCRAM-SHA-512=iterations=4096\n")

            // alice logs in with her new passwords, with both mechanisms; a wrong password fails.
            for (mechanism, password) in [("SCRAM-SHA-256", "alice-secret"), ("SCRAM-SHA-512", "alice-512")] {
                let login = try await Self.configs(
                    cluster, ["--describe", "--broker", "1"],
                    extra: ["--command-config", try commandConfig("alice", password, mechanism)])
                #expect(login.status == 0, "\(mechanism): \(login.stderr)")
                #expect(login.stdout == "Dynamic configs for broker 1 are:\n")
            }
            let wrong = try await Self.configs(
                cluster, ["--describe", "--broker", "1"],
                extra: ["--command-config", try commandConfig("alice", "guess", "SCRAM-SHA-256")])
            #expect(wrong.status == 1)

            let delete = try await Self.configs(
                cluster, ["--alter", "--user", "alice", "--delete-config", "SCRAM-SHA-512"],
                extra: ["--command-config", admin])
            #expect(delete.status == 0, "\(delete.stderr)")
            let deleted = try await Self.configs(
                cluster, ["--describe", "--broker", "1"],
                extra: ["--command-config", try commandConfig("alice", "alice-512", "SCRAM-SHA-512")])
            #expect(deleted.status == 1, "the deleted credential no longer authenticates")
            let still = try await Self.configs(
                cluster, ["--describe", "--broker", "1"],
                extra: ["--command-config", try commandConfig("alice", "alice-secret", "SCRAM-SHA-256")])
            #expect(still.status == 0, "\(still.stderr)")

            let tooFew = try await Self.configs(
                cluster, ["--alter", "--user", "bob", "--add-config", "SCRAM-SHA-256=[iterations=10,password=x]"],
                extra: ["--command-config", admin])
            #expect(
                tooFew.stderr
                    == "kafka-configs: Iterations 10 is less than the minimum 4096 required for SCRAM-SHA-256\n")
            let mixed = try await Self.configs(
                cluster,
                ["--alter", "--user", "bob", "--add-config", "SCRAM-SHA-256=[password=x],producer_byte_rate=1"],
                extra: ["--command-config", admin])
            #expect(
                mixed.stderr
                    == "kafka-configs: Cannot alter both quota and SCRAM credential configs simultaneously for 'users' "
                    + "using --bootstrap-server.\n")
        }
    }

    @Test("a broker whose quota versions this client does not speak: one line naming the API and those versions")
    func quotaVersionsOutOfReach() async throws {
        try await DevCluster.withRunning(
            brokers: 1, topics: [:], configure: { $0.apiVersions = [.describeClientQuotas: 7...9] }
        ) { cluster in
            let result = try await Self.configs(cluster, ["--describe", "--entity-type", "users"])
            #expect(result.status == 1)
            #expect(result.stdout == "")
            #expect(
                result.stderr
                    == "kafka-configs: DescribeClientQuotas failed for the cluster: UNSUPPORTED_VERSION (35): "
                    + "DescribeClientQuotas needs Kafka 2.6 or later: the broker at \(cluster.bootstrapServers) supports "
                    + "only v7–v9 of DescribeClientQuotas (this client speaks v0–v1)\n")
        }
    }
}

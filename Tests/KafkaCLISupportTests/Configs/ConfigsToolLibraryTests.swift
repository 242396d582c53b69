import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaProtocol
import Testing

/// `kafka-configs`' `--add-config` syntax, its argument checks and its output, without a cluster.
@Suite struct ConfigAssignmentsTests {
    @Test("pairs, brackets that group commas and '=', spaces around '=', empty values, trailing commas")
    func parsesKafkasSyntax() throws {
        #expect(try ConfigAssignments.parse("retention.ms=1000") == ["retention.ms": "1000"])
        #expect(
            try ConfigAssignments.parse("cleanup.policy=[compact,delete],retention.ms = 5 ,segment.ms=7")
                == ["cleanup.policy": "compact,delete", "retention.ms": "5", "segment.ms": "7"])
        #expect(
            try ConfigAssignments.parse("SCRAM-SHA-256=[iterations=8192,password=a=b,c]")
                == ["SCRAM-SHA-256": "iterations=8192,password=a=b,c"])
        #expect(
            try ConfigAssignments.parse("ssl.endpoint.identification.algorithm=") == [
                "ssl.endpoint.identification.algorithm": ""
            ])
        #expect(try ConfigAssignments.parse("a=1,") == ["a": "1"])
        #expect(try ConfigAssignments.parse("a=1,a=2") == ["a": "2"], "a later pair wins, as in Java's Properties")
    }

    @Test("what Kafka refuses: a pair without '=', two '=', an empty item, a key with other characters")
    func refusesBadInput() {
        let format = "Invalid entity config: all configs to be added must be in the format \"key=val\"."
        for bad in ["retention.ms", "a=1=2", "a=1,,b=2", "", ",a=1", "k=[x=y]=z"] {
            #expect(throws: ToolError(format), "\(bad)") { try ConfigAssignments.parse(bad) }
        }
        #expect(throws: ToolError("Invalid character found for config key: a b")) {
            try ConfigAssignments.parse("a b=1")
        }
        #expect(throws: ToolError("Invalid character found for config key: k$")) { try ConfigAssignments.parse("k$=1") }
    }

    @Test func deletionsAreTrimmedAndSplitAtCommas() {
        #expect(ConfigAssignments.deletions(["a, b", "c", ""]) == ["a", "b", "c"])
    }

    @Test("SCRAM values: iterations optional (4096; -1 means the default), Kafka's messages for the rest")
    func scramCredentials() throws {
        #expect(try ConfigAssignments.scramCredential(mechanism: "SCRAM-SHA-256", "password=pw") == (4096, "pw"))
        #expect(
            try ConfigAssignments.scramCredential(mechanism: "SCRAM-SHA-256", "iterations=8192,password=a,b")
                == (8192, "a,b"))
        #expect(
            try ConfigAssignments.scramCredential(mechanism: "SCRAM-SHA-512", "iterations=-1,password=x") == (4096, "x")
        )
        #expect(throws: ToolError("Iterations 100 is less than the minimum 4096 required for SCRAM-SHA-512")) {
            try ConfigAssignments.scramCredential(mechanism: "SCRAM-SHA-512", "iterations=100,password=x")
        }
        for bad in ["pw", "iterations=x,password=y", "iterations=8192", "iterations=,password=y"] {
            #expect(throws: ToolError("Invalid credential property SCRAM-SHA-256=\(bad)")) {
                try ConfigAssignments.scramCredential(mechanism: "SCRAM-SHA-256", bad)
            }
        }
    }
}

@Suite struct ConfigsOptionsTests {
    static func parse(_ arguments: [String]) throws -> ConfigsOptions {
        try ConfigsOptions.parse(arguments)
    }

    static func message(_ arguments: [String]) -> String {
        do {
            _ = try parse(arguments)
            return "accepted"
        } catch {
            return ConfigsOptions.message(for: error)
        }
    }

    @Test("entity types and names as Kafka pairs them: generic options in order, then the shorthands")
    func entities() throws {
        let arguments = [
            "--describe", "--entity-type", "users", "--entity-default", "--entity-type", "clients", "--entity-name",
            "c1",
        ]
        let generic = try Self.parse(arguments)
        #expect(generic.types == ["users", "clients"])
        #expect(generic.names(order: ConfigsOptions.entityNameOrder(in: arguments)) == ["", "c1"])
        #expect(generic.names() == ["c1", ""], "without the order, names come before defaults")
        let shorthand = try Self.parse(["--alter", "--user", "alice", "--client", "c1", "--add-config", "a=1"])
        #expect(shorthand.types == ["clients", "users"])
        #expect(shorthand.names() == ["c1", "alice"])
        let defaults = try Self.parse(["--describe", "--broker-defaults"])
        #expect(defaults.types == ["brokers"] && defaults.names() == [""])
    }

    @Test("Kafka's argument checks, with its messages")
    func checks() {
        let cases: [([String], String)] = [
            (["--entity-type", "topics"], "Command must include exactly one action: --describe, --alter"),
            (
                ["--describe", "--alter", "--topic", "t"],
                "Command must include exactly one action: --describe, --alter"
            ),
            (["--describe"], "At least one entity type must be specified"),
            (
                ["--describe", "--topic", "t", "--add-config", "a=1"],
                "Option \"[describe]\" can't be used with option \"[add-config]\""
            ),
            (
                ["--describe", "--entity-type", "groups"],
                "Invalid entity type groups, the entity type must be one of topics, clients, users, brokers, "
                    + "broker-loggers with a --bootstrap-server argument"
            ),
            (
                ["--describe", "--entity-type", "topics", "--entity-type", "brokers"],
                "Only 'users' and 'clients' entity types may be specified together"
            ),
            (
                ["--describe", "--entity-type", "users", "--entity-type", "users"],
                "Duplicate entity type(s) specified: users"
            ),
            (
                ["--describe", "--entity-name", "x", "--topic", "t"],
                "--entity-{type,name,default} should not be used in conjunction with specific entity flags"
            ),
            (
                ["--describe", "--broker", "zero"],
                "The entity name for brokers must be a valid integer broker id, but it is: zero"
            ),
            (
                ["--describe", "--entity-type", "broker-loggers"],
                "An entity name must be specified with --describe of broker-loggers"
            ),
            (
                ["--describe", "--entity-type", "topics", "--entity-default"],
                "--entity-default must not be specified with --describe of topics"
            ),
            (
                ["--alter", "--entity-type", "topics", "--add-config", "a=1"],
                "An entity name must be specified with --alter of topics"
            ),
            (
                ["--alter", "--entity-type", "brokers", "--add-config", "a=1"],
                "An entity-name or default entity must be specified with --alter of users, clients, brokers or ips"
            ),
            (
                ["--alter", "--topic", "t"],
                "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter"
            ),
            (
                ["--alter", "--topic", "t", "--add-config", "a=1", "--add-config-file", "f"],
                "Only one of --add-config or --add-config-file must be specified"
            ),
            (
                [
                    "--alter", "--entity-type", "users", "--entity-type", "clients", "--entity-name", "u",
                    "--add-config", "a=1",
                ],
                "An entity name must be specified for every entity type"
            ),
        ]
        for (arguments, expected) in cases {
            #expect(Self.message(arguments).contains(expected), "\(arguments): \(Self.message(arguments))")
        }
        #expect(Self.message(["--describe", "--topic", "t", "--all"]) == "accepted")
        #expect(Self.message(["--alter", "--user-defaults", "--add-config", "producer_byte_rate=1"]) == "accepted")
    }
}

@Suite struct ConfigsOutputTests {
    @Test("Kafka's describe lines: headers, one line per config with its synonyms, null for a missing value")
    func resourceLines() {
        #expect(ConfigsOutput.header(entityType: "topics", name: "t", all: false) == "Dynamic configs for topic t are:")
        #expect(ConfigsOutput.header(entityType: "brokers", name: "1", all: true) == "All configs for broker 1 are:")
        #expect(
            ConfigsOutput.header(entityType: "brokers", name: "", all: false)
                == "Default configs for brokers in the cluster are:")
        #expect(
            ConfigsOutput.header(entityType: "broker-loggers", name: "0", all: false)
                == "Dynamic configs for broker-logger 0 are:")
        let entry = ConfigEntry(
            name: "retention.ms", value: "1000", source: .dynamicTopicConfig,
            synonyms: [
                .init(name: "retention.ms", value: "1000", source: .dynamicTopicConfig),
                .init(name: "log.retention.hours", value: "168", source: .defaultConfig),
            ])
        #expect(
            ConfigsOutput.line(entry)
                == "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, "
                + "DEFAULT_CONFIG:log.retention.hours=168}")
        let secret = ConfigEntry(name: "ssl.key.password", value: nil, source: .dynamicBrokerConfig, isSensitive: true)
        #expect(ConfigsOutput.line(secret) == "  ssl.key.password=null sensitive=true synonyms={}")
    }

    @Test("quota lines name the entity as Kafka does and print values as Java's Double.toString")
    func quotaLines() {
        #expect(
            ConfigsOutput.quotaLine(
                .user("alice", clientID: "c1"), ["producer_byte_rate": 1024, "consumer_byte_rate": 2e7])
                == "Quota configs for user-principal 'alice', client-id 'c1' are consumer_byte_rate=2.0E7, "
                + "producer_byte_rate=1024.0")
        #expect(
            ConfigsOutput.quotaLine(.client(nil), ["request_percentage": 12.5])
                == "Quota configs for the default client-id are request_percentage=12.5")
        let doubles: [(Double, String)] = [
            (1024, "1024.0"), (0.5, "0.5"), (1e7, "1.0E7"), (1.25e7, "1.25E7"), (9_999_999, "9999999.0"),
            (0.001, "0.001"), (0.0001, "1.0E-4"), (1.5e-5, "1.5E-5"), (1e16, "1.0E16"), (1.2345e20, "1.2345E20"),
            (-3, "-3.0"), (0, "0.0"),
        ]
        for (value, text) in doubles { #expect(ConfigsOutput.javaDouble(value) == text, "\(value)") }
    }

    @Test func scramLines() {
        #expect(
            ConfigsOutput.scramLine(
                user: "alice",
                .success([
                    .init(mechanism: .scramSHA256, iterations: 8192), .init(mechanism: .scramSHA512, iterations: 4096),
                ]))
                == "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, "
                + "SCRAM-SHA-512=iterations=4096")
        let missing = AdminError(
            code: .resourceNotFound, api: .describeUserScramCredentials, resourceKind: .user, resourceName: "bob",
            message: "Attempt to describe a user credential that does not exist: bob")
        #expect(
            ConfigsOutput.scramLine(user: "bob", .failure(missing))
                == "Error retrieving SCRAM credential configs for user-principal 'bob': ResourceNotFoundException: "
                + "Attempt to describe a user credential that does not exist: bob")
    }

    @Test func quotasJSON() {
        let json = ConfigsOutput.quotasJSON(
            quotas: [.user(nil): ["producer_byte_rate": 1024]],
            scram: ["alice": .success([.init(mechanism: .scramSHA512, iterations: 4096)])])
        #expect(
            json
                == #"{"quotas":[{"entity":{"user":null},"values":{"producer_byte_rate":1024.0}}],"#
                + #""scramCredentials":[{"user":"alice","credentials":[{"mechanism":"SCRAM-SHA-512","iterations":4096}]}]}"#
        )
    }
}

@Suite struct ScramAlterationRedactionTests {
    @Test func thePasswordIsNeverPrinted() {
        let change = UserScramCredentialAlteration.upsert(
            user: "alice", mechanism: .scramSHA256, iterations: 8192, password: "hunter2")
        var dumped = ""
        dump(change, to: &dumped)
        for text in ["\(change)", String(reflecting: change), dumped] {
            #expect(!text.contains("hunter2"), "\(text)")
            #expect(text.contains("alice"))
        }
    }
}

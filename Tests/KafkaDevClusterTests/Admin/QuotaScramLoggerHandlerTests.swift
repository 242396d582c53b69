import KafkaNetwork
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// DescribeClientQuotas/AlterClientQuotas, DescribeUserScramCredentials/AlterUserScramCredentials and broker-logger
/// configs through ``HandlerHarness``.
@Suite(.timeLimit(.minutes(5))) struct QuotaScramLoggerHandlerTests {
    typealias QuotaEntity = AlterClientQuotasRequest.EntityData

    static func alter(
        _ entity: [(String, String?)], _ ops: [(String, Double?)], validateOnly: Bool = false
    ) -> AlterClientQuotasRequest {
        AlterClientQuotasRequest(
            entries: [
                .init(
                    entity: entity.map { .init(entityType: $0.0, entityName: $0.1) },
                    ops: ops.map { .init(key: $0.0, value: $0.1 ?? 0, remove: $0.1 == nil) })
            ], validateOnly: validateOnly)
    }

    static func describe(_ components: [(String, Int8, String?)], strict: Bool) -> DescribeClientQuotasRequest {
        DescribeClientQuotasRequest(
            components: components.map { .init(entityType: $0.0, matchType: $0.1, match: $0.2) }, strict: strict)
    }

    @Test func quotasAreSetRemovedAndFilteredAsKafkaDoes() throws {
        var harness = HandlerHarness()
        for request in [
            Self.alter([("user", "alice")], [("producer_byte_rate", 1024), ("request_percentage", 12.5)]),
            Self.alter([("user", nil)], [("consumer_byte_rate", 2048)]),
            Self.alter([("user", "alice"), ("client-id", "c1")], [("consumer_byte_rate", 10)]),
            Self.alter([("client-id", "c1")], [("producer_byte_rate", 5)]),
        ] {
            let response = try harness.respond(AlterClientQuotasHandler.self, request)
            #expect(response.entries.map(\.errorCode) == [0])
        }
        let alice = try harness.respond(
            DescribeClientQuotasHandler.self, Self.describe([("user", 0, "alice")], strict: true))
        #expect(alice.errorCode == 0)
        #expect(alice.entries?.count == 1)
        #expect(alice.entries?.first?.values.map(\.key) == ["producer_byte_rate", "request_percentage"])
        let aliceAny = try harness.respond(
            DescribeClientQuotasHandler.self, Self.describe([("user", 0, "alice")], strict: false))
        #expect(aliceAny.entries?.count == 2, "not strict: also alice's client c1")
        let defaults = try harness.respond(
            DescribeClientQuotasHandler.self, Self.describe([("user", 1, nil)], strict: true))
        #expect(defaults.entries?.first?.entity.map(\.entityName) == [nil])
        let anyUser = try harness.respond(
            DescribeClientQuotasHandler.self, Self.describe([("user", 2, nil)], strict: true))
        #expect(anyUser.entries?.count == 2)
        let all = try harness.respond(DescribeClientQuotasHandler.self, Self.describe([], strict: false))
        #expect(all.entries?.count == 4)

        // Removing every quota of an entity removes the entity; removing an unset quota is fine.
        let removal = try harness.respond(
            AlterClientQuotasHandler.self,
            Self.alter([("user", "alice")], [("producer_byte_rate", nil), ("request_percentage", nil)]))
        #expect(removal.entries.map(\.errorCode) == [0])
        let gone = try harness.respond(
            DescribeClientQuotasHandler.self, Self.describe([("user", 0, "alice")], strict: true))
        #expect(gone.entries?.isEmpty == true)

        // validateOnly changes nothing.
        _ = try harness.respond(
            AlterClientQuotasHandler.self,
            Self.alter([("user", "bob")], [("producer_byte_rate", 1)], validateOnly: true))
        #expect(harness.state.clientQuotas.keys.contains { $0.components.first?.name == "bob" } == false)
    }

    @Test("bad entities, keys and values are INVALID_REQUEST with Kafka's messages, and change nothing")
    func quotaRefusals() throws {
        var harness = HandlerHarness()
        let cases: [(AlterClientQuotasRequest, String)] = [
            (Self.alter([], [("producer_byte_rate", 1)]), "Invalid empty client quota entity"),
            (Self.alter([("group", "g")], [("producer_byte_rate", 1)]), "Unhandled client quota entity type: group"),
            (Self.alter([("user", "u")], [("bogus", 1)]), "Invalid configuration key bogus"),
            (
                Self.alter([("user", "u")], [("producer_byte_rate", 0)]),
                "Quota producer_byte_rate must be greater than 0"
            ),
            (
                Self.alter([("user", "u")], [("producer_byte_rate", 1.5)]),
                "producer_byte_rate cannot be a fractional value."
            ),
            (
                Self.alter([("ip", "1.2.3.4")], [("producer_byte_rate", 1)]),
                "Invalid configuration key producer_byte_rate"
            ),
            (
                Self.alter([("ip", "1.2.3.4"), ("user", "u")], [("connection_creation_rate", 1)]),
                "Invalid quota entity combination"
            ),
            (Self.alter([("user", "")], [("producer_byte_rate", 1)]), "Empty user not supported"),
        ]
        for (request, message) in cases {
            let response = try harness.respond(AlterClientQuotasHandler.self, request)
            #expect(response.entries.map(\.errorCode) == [KafkaErrorCode.invalidRequest.rawValue])
            #expect(response.entries.first?.errorMessage == message)
        }
        #expect(harness.state.clientQuotas.isEmpty)
        let exactWithoutName = try harness.respond(
            DescribeClientQuotasHandler.self, Self.describe([("user", 0, nil)], strict: false))
        #expect(exactWithoutName.errorCode == KafkaErrorCode.invalidRequest.rawValue)
        let badMatch = try harness.respond(
            DescribeClientQuotasHandler.self, Self.describe([("user", 7, nil)], strict: false))
        #expect(badMatch.errorCode == KafkaErrorCode.invalidRequest.rawValue)
    }

    static func upsert(_ user: String, _ mechanism: Int8, iterations: Int32, password: String) throws
        -> AlterUserScramCredentialsRequest.ScramCredentialUpsertion
    {
        let salt: [UInt8] = Array("some-salt".utf8)
        // The salted password as the admin client computes it (an unknown mechanism id is salted as SHA-256).
        let salted = try SCRAMSaltedPassword.compute(
            mechanism: mechanism == 2 ? .scramSHA512 : .scramSHA256, password: Array(password.utf8), salt: salt,
            iterations: Int(iterations))
        return .init(
            name: user, mechanism: mechanism, iterations: iterations, salt: ByteBuffer(bytes: salt),
            saltedPassword: ByteBuffer(bytes: salted))
    }

    @Test func scramCredentialsAreUpsertedDescribedAndDeleted() throws {
        var harness = HandlerHarness {
            $0.saslMechanisms = ["SCRAM-SHA-256"]; $0.users = ["admin": "admin-secret"]
        }
        #expect(harness.state.scramCredentials["admin"]?.keys.sorted() == [1, 2], "configured users have credentials")
        let upsert = AlterUserScramCredentialsRequest(
            deletions: [],
            upsertions: [try Self.upsert("alice", 1, iterations: 8192, password: "pw")])
        let altered = try harness.respond(AlterUserScramCredentialsHandler.self, upsert)
        #expect(altered.results.map(\.errorCode) == [0])
        #expect(harness.state.scramCredentials["alice"]?[1]?.iterations == 8192)
        // The stored keys are those of the password: a SCRAM exchange with it succeeds.
        let expected = try SCRAMStoredCredential(
            hash: .sha256, password: "pw", salt: Array("some-salt".utf8), iterations: 8192)
        #expect(harness.state.scramCredentials["alice"]?[1] == expected)

        let all = try harness.respond(
            DescribeUserScramCredentialsHandler.self, DescribeUserScramCredentialsRequest(users: nil))
        #expect(all.results.map(\.user) == ["admin", "alice"])
        #expect(all.results.last?.credentialInfos.map(\.iterations) == [8192])
        let named = try harness.respond(
            DescribeUserScramCredentialsHandler.self,
            DescribeUserScramCredentialsRequest(users: [
                .init(name: "alice"), .init(name: "nobody"), .init(name: "x"), .init(name: "x"),
            ]))
        #expect(
            named.results.map(\.errorCode) == [
                0, KafkaErrorCode.resourceNotFound.rawValue, KafkaErrorCode.duplicateResource.rawValue,
            ])

        let refused = AlterUserScramCredentialsRequest(
            deletions: [.init(name: "alice", mechanism: 2), .init(name: "bob", mechanism: 1)],
            upsertions: [
                try Self.upsert("carol", 1, iterations: 100, password: "x"),
                try Self.upsert("", 1, iterations: 4096, password: "x"),
                try Self.upsert("dave", 1, iterations: 4096, password: "x"),
                try Self.upsert("dave", 1, iterations: 4096, password: "y"),
                try Self.upsert("erin", 3, iterations: 4096, password: "x"),
            ])
        let response = try harness.respond(AlterUserScramCredentialsHandler.self, refused)
        #expect(response.results.map(\.user) == ["alice", "bob", "carol", "", "dave", "erin"])
        #expect(
            response.results.map(\.errorCode) == [
                KafkaErrorCode.resourceNotFound.rawValue, KafkaErrorCode.resourceNotFound.rawValue,
                KafkaErrorCode.unacceptableCredential.rawValue, KafkaErrorCode.unacceptableCredential.rawValue,
                KafkaErrorCode.duplicateResource.rawValue, KafkaErrorCode.unsupportedSaslMechanism.rawValue,
            ])
        #expect(harness.state.scramCredentials["dave"] == nil)

        let deletion = try harness.respond(
            AlterUserScramCredentialsHandler.self,
            AlterUserScramCredentialsRequest(deletions: [.init(name: "alice", mechanism: 1)], upsertions: []))
        #expect(deletion.results.map(\.errorCode) == [0])
        #expect(harness.state.scramCredentials["alice"] == nil)
    }

    static func loggers(_ ops: [(String, Int8, String?)], broker: String = "1") -> IncrementalAlterConfigsRequest {
        IncrementalAlterConfigsRequest(resources: [
            .init(
                resourceType: 8, resourceName: broker,
                configs: ops.map { .init(name: $0.0, configOperation: $0.1, value: $0.2) })
        ])
    }

    static func levels(_ harness: inout HandlerHarness, broker: Int32 = 1) throws -> [String: String] {
        let response = try harness.respond(
            DescribeConfigsHandler.self,
            DescribeConfigsRequest(resources: [
                .init(resourceType: 8, resourceName: "\(broker)", configurationKeys: nil)
            ]),
            version: 2, broker: broker)
        let configs = try #require(response.results.first?.configs)
        #expect(configs.allSatisfy { $0.configSource == 6 })
        return Dictionary(uniqueKeysWithValues: configs.map { ($0.name, $0.value ?? "") })
    }

    @Test func brokerLoggerLevelsAreSetInheritedAndReset() throws {
        var harness = HandlerHarness()
        #expect(try Self.levels(&harness)["kafka.controller"] == "TRACE")
        let set = try harness.respond(
            IncrementalAlterConfigsHandler.self, Self.loggers([("kafka", 0, "DEBUG"), ("kafka.controller", 1, nil)]))
        #expect(set.responses.map(\.errorCode) == [0])
        var levels = try Self.levels(&harness)
        #expect(levels["kafka"] == "DEBUG")
        #expect(levels["kafka.controller"] == "DEBUG", "a deleted level is inherited from the parent")
        #expect(levels["kafka.request.logger"] == "WARN")
        #expect(levels["root"] == "INFO")
        #expect(try Self.levels(&harness, broker: 2)["kafka"] == "INFO", "levels are per broker")

        let refusals: [([(String, Int8, String?)], KafkaErrorCode, String)] = [
            ([("no.such.logger", 0, "INFO")], .invalidConfig, "Logger no.such.logger does not exist!"),
            (
                [("kafka", 0, "LOUD")], .invalidConfig,
                "Cannot set the log level of kafka to LOUD as it is not a supported log level. Valid log4j levels "
                    + "are FATAL, ERROR, WARN, INFO, DEBUG, TRACE"
            ),
            ([("root", 1, nil)], .invalidRequest, "Removing the log level of the root logger is not allowed"),
            ([("kafka", 2, "INFO")], .invalidRequest, "APPEND operation is not allowed for the BROKER_LOGGER resource"),
        ]
        for (ops, code, message) in refusals {
            let response = try harness.respond(IncrementalAlterConfigsHandler.self, Self.loggers(ops))
            #expect(response.responses.first?.errorCode == code.rawValue)
            #expect(response.responses.first?.errorMessage == message)
        }
        let otherBroker = try harness.respond(
            IncrementalAlterConfigsHandler.self, Self.loggers([("kafka", 0, "WARN")], broker: "2"))
        #expect(otherBroker.responses.first?.errorCode == KafkaErrorCode.invalidRequest.rawValue)
        levels = try Self.levels(&harness)
        #expect(levels["kafka"] == "DEBUG")
    }
}

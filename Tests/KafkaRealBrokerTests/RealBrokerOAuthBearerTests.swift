import Foundation
import KafkaConsumer
import KafkaNetwork
import KafkaProducer
import KafkaTestSupport
import Testing

/// SASL/OAUTHBEARER against the real broker's SASL_PLAINTEXT listener (Kafka's default unsecured validator): our
/// SDK and our `kafka-topics` with unsecured tokens from `OAuthBearerLoginModule`, Kafka's `kafka-topics.sh` with
/// the same properties file, and a refused token reported on one line.
@Suite("Real broker: SASL/OAUTHBEARER with unsecured tokens", .timeLimit(.minutes(10)))
struct RealBrokerOAuthBearerTests {
    static let jaas =
        #"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";"#

    static let properties = [
        "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER", "sasl.jaas.config": jaas,
    ]

    @Test("our SDK produces and consumes with unsecured OAUTHBEARER tokens")
    func sdk() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("oauth-sdk")
        try await RealBroker.createTopic(topic, on: broker)
        let sasl = Self.properties.merging(["bootstrap.servers": broker.saslBootstrapServers]) { $1 }
        let producer = try KafkaProducer(configuration: RealBroker.producerConfiguration(broker, sasl))
        _ = try await producer.send(ProducerRecord(topic: topic, key: nil, value: "over oauth"))
        await producer.close()
        let records = try await RealBroker.readAll(topic, count: 1, from: broker, properties: sasl)
        #expect(records.map(\.text) == ["over oauth"])
    }

    @Test("our kafka-topics and Kafka's kafka-topics.sh use the same --command-config file")
    func tools() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("oauth-tools")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oauth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("client.properties").path
        try """
        security.protocol=SASL_PLAINTEXT
        sasl.mechanism=OAUTHBEARER
        sasl.jaas.config=\(Self.jaas)

        """.write(toFile: file, atomically: true, encoding: .utf8)
        let sasl = ["--bootstrap-server", broker.saslBootstrapServers, "--command-config", file]
        let created = try await RealBroker.runOurs(
            "kafka-topics", sasl + ["--create", "--topic", topic, "--partitions", "2", "--replication-factor", "1"])
        #expect(created.status == 0, "\(created.stderr)")
        let ours = try await RealBroker.runOurs("kafka-topics", sasl + ["--list"])
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout.split(separator: "\n").contains(Substring(topic)), "\(ours.stdout)")
        let java = try await broker.runTool("kafka-topics.sh", sasl + ["--list"])
        #expect(java.status == 0, "\(java.stderr.suffix(1500))")
        #expect(java.stdout.split(separator: "\n").contains(Substring(topic)), "\(java.stdout)")
    }

    @Test("a token the broker's unsecured validator refuses is one clear line without the token")
    func refusedToken() async throws {
        let broker = try await RealKafkaBroker.shared()
        var configuration = try KafkaClientConfiguration(properties: [
            "bootstrap.servers": broker.saslBootstrapServers, "security.protocol": "SASL_PLAINTEXT",
        ])
        // A signed JWT (alg HS256): the unsecured validator accepts only alg none.
        let token =
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"
        configuration.oauthBearerTokenProvider = SignedToken(value: token)
        configuration.retries = 0
        configuration.requestTimeout = .seconds(20)
        let client = try KafkaClusterClient(configuration: configuration)
        let error = await #expect(throws: (any Error).self) { _ = try await client.metadata(for: []) }
        await client.shutdown()
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(
            text.contains("SASL/OAUTHBEARER authentication failed: broker refused the token (invalid_token)"), "\(text)"
        )
        #expect(!text.contains(token))
        #expect(!text.contains("\n"))
    }
}

/// A fixed signed-looking token valid for an hour.
struct SignedToken: OAuthBearerTokenProvider {
    var value: String
    func token() async throws -> OAuthBearerToken {
        OAuthBearerToken(value: value, lifetime: .seconds(3600), principalName: "alice")
    }
}

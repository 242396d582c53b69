import Foundation
import KafkaDevCluster
import KafkaProtocol
import KafkaTestSupport
import Logging
import Testing

@testable import KafkaNetwork

/// TLS and SASL end to end: our connection setup against a one-broker dev cluster, with
/// certificates generated at test time.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SecureConnectionTests {
    static let logger = Logger(label: "secure-tests")

    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "swift-kafka-tls-\(UUID().uuidString)"
    }

    static func port(_ broker: DevCluster) -> Int {
        broker.brokers.first?.port ?? 0
    }

    static func configuration(
        _ broker: DevCluster, host: String = "localhost", protocol securityProtocol: SecurityProtocol
    ) -> KafkaClientConfiguration {
        var configuration = KafkaClientConfiguration(bootstrapServers: [
            BrokerAddress(host: host, port: port(broker))
        ])
        configuration.securityProtocol = securityProtocol
        configuration.requestTimeout = .seconds(5)
        configuration.retryBackoff = .milliseconds(10)
        configuration.retryBackoffMax = .milliseconds(50)
        configuration.reconnectBackoff = .milliseconds(10)
        configuration.reconnectBackoffMax = .milliseconds(50)
        return configuration
    }

    static func connect(_ configuration: KafkaClientConfiguration) async throws -> BrokerConnection {
        let settings = try ConnectionSettings(configuration: configuration)
        let address = try #require(configuration.bootstrapServers.first)
        return try await BrokerConnection.connect(to: address, kind: .admin, settings: settings, logger: logger)
    }

    /// A one-broker cluster that creates no topics on demand.
    static func broker(_ edit: (inout DevClusterConfiguration) throws -> Void = { _ in }) async throws -> DevCluster {
        var configuration = DevClusterConfiguration()
        configuration.autoCreateTopics = false
        try edit(&configuration)
        return try await DevCluster(configuration: configuration)
    }

    /// A TLS broker with the server certificate of `certificates`; with `requireClientCertificate`, it
    /// requires a client certificate issued by their CA.
    static func tlsBroker(
        _ certificates: TestCertificates, requireClientCertificate: Bool = false, sasl: [String] = []
    ) async throws -> DevCluster {
        let files = try certificates.writeFiles(to: temporaryDirectory())
        return try await broker { configuration in
            configuration.tls = try DevClusterConfiguration.tlsContext(
                certificateChainFile: files.serverCertificateFile, privateKeyFile: files.serverKeyFile,
                clientCertificateAuthorityFile: requireClientCertificate ? files.caFile : nil)
            configuration.saslMechanisms = sasl
            configuration.users = ["alice": "alice-secret"]
            configuration.topics = ["secure": 2]
        }
    }

    @Test func tlsWithTheRightCAConnectsAndServesRequests() async throws {
        let certificates = try TestCertificates()
        let files = try certificates.writeFiles(to: Self.temporaryDirectory())
        let broker = try await Self.tlsBroker(certificates)
        var configuration = Self.configuration(broker, protocol: .ssl)
        configuration.tls.caFile = files.caFile
        let client = try KafkaClusterClient(configuration: configuration)
        let metadata = try await client.metadata(for: ["secure"])
        #expect(metadata.topics["secure"]?.partitions.count == 2)
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func tlsWithAnUnrelatedCAFailsClearlyAndIsNotRetried() async throws {
        let certificates = try TestCertificates()
        let broker = try await Self.tlsBroker(certificates)
        var configuration = Self.configuration(broker, protocol: .ssl)
        configuration.tls.caPEM = certificates.otherCACertificatePEM
        let error = try await #require(throws: KafkaNetworkError.self) { try await Self.connect(configuration) }
        #expect(error.kind == .tlsFailed)
        #expect(!error.isRetriable)
        await broker.shutdown()
    }

    @Test func hostnameVerificationIsOnByDefault() async throws {
        // The certificate names another host only.
        let certificates = try TestCertificates(serverDNSNames: ["broker.example.com"], serverIPAddresses: [])
        let broker = try await Self.tlsBroker(certificates)
        var configuration = Self.configuration(broker, protocol: .ssl)
        configuration.tls.caPEM = certificates.caCertificatePEM
        let error = try await #require(throws: KafkaNetworkError.self) { try await Self.connect(configuration) }
        #expect(error.kind == .tlsFailed)

        // ssl.endpoint.identification.algorithm= (empty) turns it off; the chain is still verified.
        configuration.tls.verifyHostname = false
        let connection = try await Self.connect(configuration)
        #expect(connection.isActive)
        await connection.close()
        await broker.shutdown()
    }

    @Test func mutualTLSNeedsTheClientCertificate() async throws {
        let certificates = try TestCertificates()
        let files = try certificates.writeFiles(to: Self.temporaryDirectory())
        let broker = try await Self.tlsBroker(certificates, requireClientCertificate: true)
        var configuration = Self.configuration(broker, protocol: .ssl)
        configuration.tls.caFile = files.caFile
        await #expect(throws: KafkaNetworkError.self) { try await Self.connect(configuration) }

        configuration.tls.certificateFile = files.clientCertificateFile
        configuration.tls.keyFile = files.clientKeyFile
        let connection = try await Self.connect(configuration)
        let response = try await connection.send(MetadataRequest())
        #expect(response.brokers.first?.port == Int32(Self.port(broker)))
        await connection.close()
        await broker.shutdown()
    }

    @Test(arguments: [SASLMechanism.plain, .scramSHA256, .scramSHA512])
    func saslAuthenticates(_ mechanism: SASLMechanism) async throws {
        let broker = try await Self.broker {
            $0.saslMechanisms = SASLMechanism.allCases.map(\.rawValue)
            $0.users = ["alice": "alice-secret"]
        }
        var configuration = Self.configuration(broker, host: "127.0.0.1", protocol: .saslPlaintext)
        configuration.sasl = SASLCredentials(mechanism: mechanism, username: "alice", password: "alice-secret")
        let connection = try await Self.connect(configuration)
        _ = try await connection.send(MetadataRequest())
        #expect(broker.authenticatedUsers == ["alice"])
        await connection.close()
        await broker.shutdown()
    }

    @Test func saslOverTLS() async throws {
        let certificates = try TestCertificates()
        let broker = try await Self.tlsBroker(certificates, sasl: ["SCRAM-SHA-512"])
        var configuration = Self.configuration(broker, protocol: .saslSSL)
        configuration.tls.caPEM = certificates.caCertificatePEM
        configuration.sasl = SASLCredentials(mechanism: .scramSHA512, username: "alice", password: "alice-secret")
        let client = try KafkaClusterClient(configuration: configuration)
        _ = try await client.metadata(for: ["secure"])
        #expect(broker.authenticatedUsers.contains("alice"))
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func wrongPasswordIsFatalNotARetryLoop() async throws {
        let broker = try await Self.broker {
            $0.saslMechanisms = ["SCRAM-SHA-256"]
            $0.users = ["alice": "alice-secret"]
        }
        var configuration = Self.configuration(broker, host: "127.0.0.1", protocol: .saslPlaintext)
        configuration.sasl = SASLCredentials(mechanism: .scramSHA256, username: "alice", password: "wrong")
        let client = try KafkaClusterClient(configuration: configuration)
        let error = try await #require(throws: KafkaNetworkError.self) { try await client.metadata(for: ["x"]) }
        #expect(error.kind == .authenticationFailed)
        #expect(error.message.contains("alice"))
        #expect(!error.message.contains("wrong"))
        #expect(broker.connectionCount == 1, "authentication failures are not retried")
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func mechanismTheBrokerDoesNotEnable() async throws {
        let broker = try await Self.broker {
            $0.saslMechanisms = ["PLAIN"]
            $0.users = ["alice": "alice-secret"]
        }
        var configuration = Self.configuration(broker, host: "127.0.0.1", protocol: .saslPlaintext)
        configuration.sasl = SASLCredentials(mechanism: .scramSHA512, username: "alice", password: "alice-secret")
        let error = try await #require(throws: KafkaNetworkError.self) { try await Self.connect(configuration) }
        #expect(error.kind == .authenticationFailed)
        #expect(error.message.contains("SCRAM-SHA-512"))
        #expect(error.message.contains("PLAIN"))
        await broker.shutdown()
    }
}

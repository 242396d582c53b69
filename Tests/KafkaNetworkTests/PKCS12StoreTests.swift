import Foundation
import KafkaDevCluster
import KafkaProtocol
import KafkaTestSupport
import Testing

@testable import KafkaNetwork

/// PKCS12 key and trust stores made at test time by `openssl pkcs12 -export` and Java's `keytool`, used for (mutual)
/// TLS against the dev cluster; and the errors for wrong passwords, files that are not PKCS12, and JKS stores.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PKCS12StoreTests {
    /// The certificates as PEM files, and a folder for the stores.
    struct Material {
        var certificates: TestCertificates
        var files: TestCertificates.Files
        var directory: String
    }

    static func material() throws -> Material {
        let directory = SecureConnectionTests.temporaryDirectory()
        let certificates = try TestCertificates()
        return Material(
            certificates: certificates, files: try certificates.writeFiles(to: directory), directory: directory)
    }

    static func run(_ tool: String, _ arguments: [String]) async throws {
        let outcome = try await ChildProcess.run(tool, arguments, timeout: .seconds(120))
        guard outcome.status == 0 else {
            Issue.record("\(tool) \(arguments.joined(separator: " ")) failed: \(outcome.stderr)")
            throw ChildProcessFailed()
        }
    }

    struct ChildProcessFailed: Error {}

    /// `openssl` (Debian's `openssl`, installed by Tools/install-deps.sh).
    static let openssl = "/usr/bin/openssl"

    /// Java's `keytool`: the Java 11 runtime Tools/kafka-broker.sh installs, else one on the system.
    static var keytool: String {
        let cache =
            ProcessInfo.processInfo.environment["KAFKA_BROKER_CACHE"]
            ?? (NSHomeDirectory() + "/.cache/swift-kafka")
        let candidates = [cache + "/jdk-11.0.13/bin/keytool", "/usr/bin/keytool", "/usr/local/bin/keytool"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// A key store with the client key and certificate, by `openssl pkcs12 -export` (`legacy`: RC2/3DES and
    /// SHA-1, as OpenSSL 1.x and old Java write them; otherwise AES-256 and PBKDF2).
    static func opensslKeystore(_ material: Material, password: String, legacy: Bool = false) async throws -> String {
        let path = material.directory + (legacy ? "/client-legacy.p12" : "/client.p12")
        try await run(
            openssl,
            [
                "pkcs12", "-export", "-in", material.files.clientCertificateFile, "-inkey",
                material.files.clientKeyFile,
                "-name", "client", "-out", path, "-passout", "pass:\(password)",
            ] + (legacy ? ["-legacy"] : []))
        return path
    }

    /// A trust store with only the CA certificate, by `openssl pkcs12 -export -nokeys`.
    static func opensslTruststore(_ material: Material, password: String) async throws -> String {
        let path = material.directory + "/truststore.p12"
        try await run(
            openssl,
            [
                "pkcs12", "-export", "-nokeys", "-in", material.files.caFile, "-out", path, "-passout",
                "pass:\(password)",
            ])
        return path
    }

    /// A trust store as Java users make one: `keytool -importcert` of the CA into a new PKCS12 store.
    static func keytoolTruststore(_ material: Material, password: String, type: String = "PKCS12") async throws
        -> String
    {
        let path = material.directory + (type == "JKS" ? "/truststore.jks" : "/truststore-keytool.p12")
        try await run(
            keytool,
            [
                "-importcert", "-noprompt", "-alias", "kafka-ca", "-file", material.files.caFile, "-keystore", path,
                "-storetype", type, "-storepass", password,
            ])
        return path
    }

    /// A key store rewritten by Java: `keytool -importkeystore` of an openssl-made one into a new PKCS12 store.
    static func keytoolKeystore(_ material: Material, password: String) async throws -> String {
        let source = try await opensslKeystore(material, password: "source-secret")
        let path = material.directory + "/client-keytool.p12"
        try await run(
            keytool,
            [
                "-importkeystore", "-noprompt", "-srckeystore", source, "-srcstoretype", "PKCS12", "-srcstorepass",
                "source-secret", "-destkeystore", path, "-deststoretype", "PKCS12", "-deststorepass", password,
                "-destkeypass", password,
            ])
        return path
    }

    /// The client properties of an `SSL` connection to `broker` with PKCS12 stores.
    static func properties(
        _ broker: DevCluster, keystore: String?, keystorePassword: String, truststore: String,
        truststorePassword: String
    ) -> [String: String] {
        var properties = [
            "bootstrap.servers": "localhost:\(SecureConnectionTests.port(broker))", "security.protocol": "SSL",
            "request.timeout.ms": "5000", "ssl.truststore.type": "PKCS12", "ssl.truststore.location": truststore,
            "ssl.truststore.password": truststorePassword,
        ]
        if let keystore {
            properties["ssl.keystore.type"] = "PKCS12"
            properties["ssl.keystore.location"] = keystore
            properties["ssl.keystore.password"] = keystorePassword
        }
        return properties
    }

    static func metadata(_ properties: [String: String]) async throws -> MetadataResponse {
        let configuration = try KafkaClientConfiguration(properties: properties)
        try configuration.validate()
        let connection = try await SecureConnectionTests.connect(configuration)
        let response = try await connection.send(MetadataRequest())
        await connection.close()
        return response
    }

    @Test(arguments: [false, true])
    func mutualTLSWithOpenSSLStores(legacy: Bool) async throws {
        let material = try Self.material()
        let keystore = try await Self.opensslKeystore(material, password: "store-secret", legacy: legacy)
        let truststore = try await Self.opensslTruststore(material, password: "trust-secret")
        let broker = try await SecureConnectionTests.tlsBroker(material.certificates, requireClientCertificate: true)
        let response = try await Self.metadata(
            Self.properties(
                broker, keystore: keystore, keystorePassword: "store-secret", truststore: truststore,
                truststorePassword: "trust-secret"))
        #expect(response.brokers.first?.port == Int32(SecureConnectionTests.port(broker)))

        // Without the key store, the broker refuses the connection: the key store is what got the client in.
        let refused = Self.properties(
            broker, keystore: nil, keystorePassword: "", truststore: truststore, truststorePassword: "trust-secret")
        await #expect(throws: KafkaNetworkError.self) { try await Self.metadata(refused) }
        await broker.shutdown()
    }

    @Test func mutualTLSWithStoresMadeByKeytool() async throws {
        let material = try Self.material()
        let truststore = try await Self.keytoolTruststore(material, password: "changeit")
        let keystore = try await Self.keytoolKeystore(material, password: "keystore-secret")
        // A keytool trust store holds only certificates, no key.
        let trust = try PKCS12Store(
            path: truststore, setting: "ssl.truststore.location", password: "changeit",
            passwordSetting: "ssl.truststore.password")
        #expect(trust.bundle == nil)
        #expect(trust.certificates.count == 1)
        let broker = try await SecureConnectionTests.tlsBroker(material.certificates, requireClientCertificate: true)
        var properties = Self.properties(
            broker, keystore: keystore, keystorePassword: "keystore-secret", truststore: truststore,
            truststorePassword: "changeit")
        properties["ssl.key.password"] = "keystore-secret"
        let response = try await Self.metadata(properties)
        #expect(response.brokers.count == 1)
        await broker.shutdown()
    }

    @Test func storesWithAnEmptyPasswordNeedNoPasswordSetting() async throws {
        let material = try Self.material()
        let keystore = try await Self.opensslKeystore(material, password: "")
        let store = try PKCS12Store(
            path: keystore, setting: "ssl.keystore.location", password: nil, passwordSetting: "ssl.keystore.password")
        #expect(store.bundle != nil)
        #expect(store.certificates.count == 1)
        var tls = KafkaTLSConfiguration()
        tls.keystoreFile = keystore
        _ = try tls.makeClientContext()
    }

    @Test func aTrustStoreOfAnotherCAIsNotTrusted() async throws {
        let material = try Self.material()
        let other = material.directory + "/other.p12"
        let otherCA = material.directory + "/other-ca.pem"
        try material.certificates.otherCACertificatePEM.write(toFile: otherCA, atomically: true, encoding: .utf8)
        try await Self.run(
            Self.openssl, ["pkcs12", "-export", "-nokeys", "-in", otherCA, "-out", other, "-passout", "pass:x"])
        let broker = try await SecureConnectionTests.tlsBroker(material.certificates)
        let properties = Self.properties(
            broker, keystore: nil, keystorePassword: "", truststore: other, truststorePassword: "x")
        let error = try await #require(throws: KafkaNetworkError.self) { try await Self.metadata(properties) }
        #expect(error.kind == .tlsFailed)
        await broker.shutdown()
    }

    static func contextError(_ edit: (inout KafkaTLSConfiguration) -> Void) -> String {
        var tls = KafkaTLSConfiguration()
        edit(&tls)
        do {
            _ = try tls.makeClientContext()
            Issue.record("expected the TLS context to fail")
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func errorsNameTheFileAndTheSetting() async throws {
        let material = try Self.material()
        let keystore = try await Self.opensslKeystore(material, password: "store-secret")
        let truststore = try await Self.opensslTruststore(material, password: "trust-secret")

        let wrong = Self.contextError {
            $0.keystoreFile = keystore
            $0.keystorePassword = "not-the-password"
        }
        #expect(wrong.contains("ssl.keystore.location '\(keystore)'"))
        #expect(wrong.contains("wrong password (ssl.keystore.password)"))
        #expect(!wrong.contains("not-the-password"))

        let wrongTrust = Self.contextError {
            $0.truststoreFile = truststore
            $0.truststorePassword = "nope"
        }
        #expect(wrongTrust.contains("ssl.truststore.location '\(truststore)'"))
        #expect(wrongTrust.contains("wrong password (ssl.truststore.password)"))

        let pem = Self.contextError { $0.keystoreFile = material.files.clientCertificateFile }
        #expect(pem.contains("is a PEM file, not a PKCS12 store"))

        let garbage = material.directory + "/garbage.p12"
        try Data("this is not a store".utf8).write(to: URL(fileURLWithPath: garbage))
        let notPKCS12 = Self.contextError { $0.truststoreFile = garbage }
        #expect(notPKCS12.contains("ssl.truststore.location '\(garbage)' is not a PKCS12 file"))

        let missing = Self.contextError { $0.keystoreFile = material.directory + "/missing.p12" }
        #expect(missing.contains("missing.p12': no such file"))

        let noKey = Self.contextError {
            $0.keystoreFile = truststore
            $0.keystorePassword = "trust-secret"
        }
        #expect(noKey.contains("holds no private key"))

        let differentKeyPassword = Self.contextError {
            $0.keystoreFile = keystore
            $0.keystorePassword = "store-secret"
            $0.keyPassword = "other"
        }
        #expect(differentKeyPassword.contains("ssl.key.password differs from ssl.keystore.password"))
    }

    @Test func jksStoresAreRefusedWithTheConversionCommand() async throws {
        let material = try Self.material()
        let jks = try await Self.keytoolTruststore(material, password: "changeit", type: "JKS")
        let fromFile = Self.contextError {
            $0.truststoreFile = jks
            $0.truststorePassword = "changeit"
        }
        let command =
            "keytool -importkeystore -srckeystore \(jks) -destkeystore \(material.directory)/truststore.p12 "
            + "-deststoretype PKCS12"
        #expect(fromFile.contains("is a JKS store"))
        #expect(fromFile.contains(command), "\(fromFile)")

        let byType = try #require(throws: KafkaConfigurationError.self) {
            try KafkaClientConfiguration(properties: [
                "bootstrap.servers": "localhost:9093", "ssl.truststore.type": "JKS", "ssl.truststore.location": jks,
            ])
        }
        #expect(byType.property == "ssl.truststore.type")
        #expect(byType.message.contains(command))
    }
}

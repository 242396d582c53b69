import Foundation
import KafkaTestSupport
import NIOSSL
import Testing

@testable import KafkaNetwork

/// ``KafkaTLSConfiguration``: building client contexts from files and inline PEM, errors that name the
/// setting and file, redaction, and the SNI host name.
@Suite(.timeLimit(.minutes(5))) struct TLSConfigurationTests {
    /// A fresh directory with the generated certificates written into it.
    struct Fixture {
        let certificates: TestCertificates
        let files: TestCertificates.Files
        let directory: String

        init() throws {
            certificates = try TestCertificates()
            directory =
                FileManager.default.temporaryDirectory
                .appendingPathComponent("swift-kafka-tls-\(UUID().uuidString)").path
            files = try certificates.writeFiles(to: directory)
        }

        func write(_ name: String, _ content: String) throws -> String {
            let path = (directory as NSString).appendingPathComponent(name)
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// The message of the `KafkaTLSConfigurationError` that `makeClientContext()` throws.
    func errorMessage(_ configuration: KafkaTLSConfiguration) throws -> String {
        let error = try #require(throws: KafkaTLSConfigurationError.self) { try configuration.makeClientContext() }
        return error.message
    }

    @Test func contextsAreBuiltFromTheGeneratedFiles() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var configuration = KafkaTLSConfiguration()
        configuration.caFile = fixture.files.caFile
        _ = try configuration.makeClientContext()

        configuration.certificateFile = fixture.files.clientCertificateFile
        configuration.keyFile = fixture.files.clientKeyFile
        _ = try configuration.makeClientContext()

        // One PEM file holding both the certificate and the key (`ssl.keystore.location`).
        let combined = try fixture.write(
            "keystore.pem", fixture.certificates.clientCertificatePEM + fixture.certificates.clientKeyPEM)
        configuration.certificateFile = combined
        configuration.keyFile = combined
        _ = try configuration.makeClientContext()
    }

    @Test func contextsAreBuiltFromInlinePEM() throws {
        let certificates = try TestCertificates()
        var configuration = KafkaTLSConfiguration()
        configuration.caPEM = certificates.caCertificatePEM + certificates.otherCACertificatePEM
        configuration.certificatePEM = certificates.clientCertificatePEM
        configuration.keyPEM = certificates.clientKeyPEM
        _ = try configuration.makeClientContext()
    }

    @Test func verificationModesFollowTheSettings() {
        var configuration = KafkaTLSConfiguration()
        #expect(configuration.verifyHostname && configuration.verifyCertificate)
        guard case .fullVerification = configuration.certificateVerification else {
            Issue.record("default is not full verification")
            return
        }
        configuration.verifyHostname = false
        guard case .noHostnameVerification = configuration.certificateVerification else {
            Issue.record("verifyHostname = false is not noHostnameVerification")
            return
        }
        configuration.verifyCertificate = false
        guard case .none = configuration.certificateVerification else {
            Issue.record("verifyCertificate = false is not .none")
            return
        }
    }

    @Test func aMissingFileIsNamedInTheError() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let missing = (fixture.directory as NSString).appendingPathComponent("no-such-ca.pem")
        var configuration = KafkaTLSConfiguration()
        configuration.caFile = missing
        let message = try errorMessage(configuration)
        #expect(message.contains("ssl.ca.location"))
        #expect(message.contains(missing))
        #expect(message.contains("no such file"))

        configuration = KafkaTLSConfiguration()
        configuration.certificateFile = fixture.files.clientCertificateFile
        configuration.keyFile = missing
        let keyMessage = try errorMessage(configuration)
        #expect(keyMessage.contains("ssl.key.location"))
        #expect(keyMessage.contains(missing))
    }

    @Test func garbagePEMIsNamedInTheError() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let garbage = try fixture.write("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n")
        var configuration = KafkaTLSConfiguration()
        configuration.caFile = garbage
        let message = try errorMessage(configuration)
        #expect(message.contains("ssl.ca.location '\(garbage)'"))
        #expect(message.contains("certificate"))

        let empty = try fixture.write("empty.pem", "\n")
        configuration.caFile = empty
        #expect(try errorMessage(configuration).contains(empty))

        // A key file that holds a certificate, not a key.
        configuration = KafkaTLSConfiguration()
        configuration.certificateFile = fixture.files.clientCertificateFile
        configuration.keyFile = fixture.files.caFile
        let keyMessage = try errorMessage(configuration)
        #expect(keyMessage.contains("ssl.key.location '\(fixture.files.caFile)'"))
        #expect(keyMessage.contains("private key"))

        configuration = KafkaTLSConfiguration()
        configuration.caPEM = "hello"
        #expect(try errorMessage(configuration).contains("ssl.truststore.certificates"))
    }

    @Test func aCertificateWithoutAKeyAndTheReverseAreErrors() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var configuration = KafkaTLSConfiguration()
        configuration.certificateFile = fixture.files.clientCertificateFile
        let message = try errorMessage(configuration)
        #expect(message.contains("ssl.certificate.location '\(fixture.files.clientCertificateFile)'"))
        #expect(message.contains("no private key"))

        configuration = KafkaTLSConfiguration()
        configuration.keyPEM = fixture.certificates.clientKeyPEM
        let keyOnly = try errorMessage(configuration)
        #expect(keyOnly.contains("ssl.keystore.key"))
        #expect(keyOnly.contains("no client certificate"))

        configuration = KafkaTLSConfiguration()
        configuration.keyPassword = "secret"
        #expect(try errorMessage(configuration).contains("ssl.key.password"))
    }

    @Test func aKeyThatDoesNotMatchTheCertificateIsAnError() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var configuration = KafkaTLSConfiguration()
        configuration.certificateFile = fixture.files.clientCertificateFile
        configuration.keyFile = fixture.files.serverKeyFile
        let message = try errorMessage(configuration)
        #expect(message.contains("does not match"))
        #expect(message.contains(fixture.files.serverKeyFile))
    }

    @Test func aSettingGivenAsFileAndInlineIsAnError() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var configuration = KafkaTLSConfiguration()
        configuration.caFile = fixture.files.caFile
        configuration.caPEM = fixture.certificates.caCertificatePEM
        let message = try errorMessage(configuration)
        #expect(message.contains("ssl.ca.location") && message.contains("ssl.truststore.certificates"))
    }

    @Test func descriptionsRedactTheKeyAndItsPassword() throws {
        let certificates = try TestCertificates()
        var configuration = KafkaTLSConfiguration()
        configuration.caFile = "/etc/kafka/ca.pem"
        configuration.certificatePEM = certificates.clientCertificatePEM
        configuration.keyPEM = certificates.clientKeyPEM
        configuration.keyPassword = "hunter2-password"
        var dumped = ""
        dump(configuration, to: &dumped)
        // The key's lines that hold the private scalar (the public key also appears in the certificate).
        let keyBody = certificates.clientKeyPEM.split(separator: "\n").filter {
            !$0.hasPrefix("-----") && !certificates.clientCertificatePEM.contains($0)
        }
        try #require(!keyBody.isEmpty)
        for text in [configuration.description, String(reflecting: configuration), "\(configuration)", dumped] {
            #expect(!text.contains("hunter2-password"))
            #expect(!text.contains("PRIVATE KEY"))
            for line in keyBody { #expect(!text.contains(line)) }
            #expect(text.contains("redacted"))
        }
        #expect(configuration.description.contains("/etc/kafka/ca.pem"))
        #expect(configuration.description.contains("verifyHostname: true"))
    }

    @Test(
        arguments: [
            ("broker-1.example.com", "broker-1.example.com"),
            ("localhost", "localhost"),
            ("kafka.internal.", "kafka.internal"),
            ("127.0.0.1", nil),
            ("10.1.2.3", nil),
            ("::1", nil),
            ("[::1]", nil),
            ("2001:db8::17", nil),
            ("fe80::1%eth0", nil),
            ("", nil),
        ] as [(String, String?)])
    func serverHostnameIsNilForIPLiterals(host: String, expected: String?) {
        #expect(KafkaTLSConfiguration.serverHostname(for: host) == expected)
    }
}

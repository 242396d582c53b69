import Crypto
import Foundation
import X509

/// Certificates for TLS tests, generated at run time: a CA, a server certificate and a client
/// certificate signed by it, and a second, unrelated CA with a client certificate of its own (to test
/// "untrusted CA" failures). Every key is a fresh P-256 key.
///
/// Test support only: the keys are kept in memory as plain PEM and the certificates are valid for a
/// few days. Never use these for production.
public struct TestCertificates: Sendable {
    /// The paths written by ``writeFiles(to:)``.
    public struct Files: Sendable, Hashable {
        /// The CA certificate (PEM), to trust (`ssl.ca.location`).
        public var caFile: String
        /// The server certificate (PEM).
        public var serverCertificateFile: String
        /// The server's private key (PKCS#8 PEM).
        public var serverKeyFile: String
        /// The client certificate signed by the CA (PEM), for mutual TLS.
        public var clientCertificateFile: String
        /// The client's private key (PKCS#8 PEM).
        public var clientKeyFile: String
        /// The unrelated CA's certificate (PEM).
        public var otherCAFile: String
    }

    /// The CA certificate, PEM.
    public let caCertificatePEM: String
    /// The CA's private key, PEM.
    public let caKeyPEM: String
    /// The server certificate signed by the CA, PEM.
    public let serverCertificatePEM: String
    /// The server's private key, PEM.
    public let serverKeyPEM: String
    /// The client certificate signed by the CA, PEM.
    public let clientCertificatePEM: String
    /// The client's private key, PEM.
    public let clientKeyPEM: String
    /// A second CA that signed nothing the server or client use, PEM.
    public let otherCACertificatePEM: String
    /// A client certificate signed by the other CA (a server trusting only ``caCertificatePEM`` rejects it), PEM.
    public let untrustedClientCertificatePEM: String
    /// The private key of ``untrustedClientCertificatePEM``, PEM.
    public let untrustedClientKeyPEM: String
    /// The DNS names in the server certificate's subject alternative names.
    public let serverDNSNames: [String]
    /// The IP addresses in the server certificate's subject alternative names.
    public let serverIPAddresses: [String]

    /// A test certificate could not be generated.
    public struct GenerationError: Error, Sendable, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// Generates the certificates. The server certificate names `serverDNSNames` and
    /// `serverIPAddresses` (IPv4 or IPv6 literals) in its subject alternative names.
    public init(
        serverDNSNames: [String] = ["localhost"], serverIPAddresses: [String] = ["127.0.0.1"],
        clientCommonName: String = "test-client"
    ) throws {
        let now = Date()
        let validity = (now.addingTimeInterval(-3600), now.addingTimeInterval(7 * 24 * 3600))
        let ca = try Self.makeCA(commonName: "swift-kafka test CA", validity: validity)
        let otherCA = try Self.makeCA(commonName: "swift-kafka unrelated test CA", validity: validity)

        var sans: [GeneralName] = serverDNSNames.map { .dnsName($0) }
        for address in serverIPAddresses {
            guard let bytes = Self.ipAddressBytes(address) else {
                throw GenerationError(description: "'\(address)' is not an IPv4 or IPv6 address")
            }
            sans.append(.ipAddress(.init(contentBytes: bytes[...])))
        }
        let serverCommonName = serverDNSNames.first ?? serverIPAddresses.first ?? "test-broker"
        let server = try Self.makeLeaf(
            commonName: serverCommonName, usage: .serverAuth, sans: sans, issuer: ca, validity: validity)
        let client = try Self.makeLeaf(
            commonName: clientCommonName, usage: .clientAuth, sans: [], issuer: ca, validity: validity)
        let untrusted = try Self.makeLeaf(
            commonName: clientCommonName, usage: .clientAuth, sans: [], issuer: otherCA, validity: validity)

        caCertificatePEM = ca.certificatePEM
        caKeyPEM = ca.keyPEM
        serverCertificatePEM = server.certificatePEM
        serverKeyPEM = server.keyPEM
        clientCertificatePEM = client.certificatePEM
        clientKeyPEM = client.keyPEM
        otherCACertificatePEM = otherCA.certificatePEM
        untrustedClientCertificatePEM = untrusted.certificatePEM
        untrustedClientKeyPEM = untrusted.keyPEM
        self.serverDNSNames = serverDNSNames
        self.serverIPAddresses = serverIPAddresses
    }

    /// Writes the PEM files into `directory` (created if missing) and returns their paths.
    public func writeFiles(to directory: String) throws -> Files {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write(_ name: String, _ content: String) throws -> String {
            let path = (directory as NSString).appendingPathComponent(name)
            try Data(content.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            return path
        }
        return Files(
            caFile: try write("ca.pem", caCertificatePEM),
            serverCertificateFile: try write("server.pem", serverCertificatePEM),
            serverKeyFile: try write("server-key.pem", serverKeyPEM),
            clientCertificateFile: try write("client.pem", clientCertificatePEM),
            clientKeyFile: try write("client-key.pem", clientKeyPEM),
            otherCAFile: try write("other-ca.pem", otherCACertificatePEM))
    }

    // MARK: - Generation

    fileprivate struct Issued {
        var certificate: Certificate
        var key: P256.Signing.PrivateKey
        var certificatePEM: String
        var keyPEM: String
    }

    private static func makeCA(commonName: String, validity: (Date, Date)) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("swift-kafka tests")
            CommonName(commonName)
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: validity.0, notValidAfter: validity.1, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(key))
        return try Issued(certificate: certificate, key: key)
    }

    private static func makeLeaf(
        commonName: String, usage: ExtendedKeyUsage.Usage, sans: [GeneralName], issuer: Issued,
        validity: (Date, Date)
    ) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("swift-kafka tests")
            CommonName(commonName)
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([usage])
            SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            if !sans.isEmpty {
                SubjectAlternativeNames(sans)
            }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: validity.0, notValidAfter: validity.1, issuer: issuer.certificate.subject,
            subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(issuer.key))
        return try Issued(certificate: certificate, key: key)
    }

    /// The network-order bytes of an IPv4 or IPv6 literal.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

extension TestCertificates.Issued {
    fileprivate init(certificate: Certificate, key: P256.Signing.PrivateKey) throws {
        self.init(
            certificate: certificate, key: key,
            certificatePEM: Self.terminated(try certificate.serializeAsPEM().pemString),
            keyPEM: Self.terminated(key.pemRepresentation))
    }

    /// PEM text ending with a newline, so that PEM strings can be concatenated into bundles.
    fileprivate static func terminated(_ pem: String) -> String {
        pem.hasSuffix("\n") ? pem : pem + "\n"
    }
}

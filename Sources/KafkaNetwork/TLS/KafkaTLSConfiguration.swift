package import NIOSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// TLS settings for connections to brokers (`security.protocol=SSL` / `SASL_SSL`).
///
/// Certificates and keys are given as PEM files (librdkafka's `ssl.*.location` settings), as
/// inline PEM strings (Java's `ssl.truststore.certificates`, `ssl.keystore.certificate.chain`,
/// `ssl.keystore.key`), or as PKCS12 stores (`.p12`/`.pfx`: Java's `ssl.keystore.location` and
/// `ssl.truststore.location` with type `PKCS12`); JKS stores are not supported. The client loads and checks
/// everything when it is created, so a wrong setting fails when the client is created, with an error that names
/// the setting and file.
///
/// The textual, debug and reflected representations never show the key password or PEM key material.
public struct KafkaTLSConfiguration: Sendable, Hashable {
    /// PEM file with the CA certificates that sign broker certificates (`ssl.ca.location`); nil = system trust roots.
    public var caFile: String?
    /// PEM CA certificates given inline (Java's `ssl.truststore.certificates`).
    public var caPEM: String?
    /// Client certificate chain PEM file for mutual TLS (`ssl.certificate.location`).
    public var certificateFile: String?
    /// Client certificate chain as inline PEM (`ssl.keystore.certificate.chain`).
    public var certificatePEM: String?
    /// Client private key PEM file (`ssl.key.location`).
    public var keyFile: String?
    /// Client private key as inline PEM (`ssl.keystore.key`).
    public var keyPEM: String?
    /// The password of an encrypted client private key (`ssl.key.password`).
    ///
    /// With a PKCS12 key store it may be left nil; when set it must equal ``keystorePassword``, since a PKCS12
    /// store is read with one password.
    public var keyPassword: String?
    /// PKCS12 file with the client's private key and certificate chain for mutual TLS (`ssl.keystore.location`
    /// with `ssl.keystore.type=PKCS12`).
    public var keystoreFile: String?
    /// The password of ``keystoreFile`` (`ssl.keystore.password`); nil for a store without a password.
    public var keystorePassword: String?
    /// PKCS12 file with the certificates to trust, such as a truststore made by Java's `keytool`
    /// (`ssl.truststore.location` with `ssl.truststore.type=PKCS12`). Every certificate in it is a trust root.
    public var truststoreFile: String?
    /// The password of ``truststoreFile`` (`ssl.truststore.password`); nil for a store without a password.
    public var truststorePassword: String?
    /// Verify the broker's host name against its certificate (`ssl.endpoint.identification.algorithm=https`, the default).
    public var verifyHostname: Bool = true
    /// Verify the certificate chain at all (librdkafka's `enable.ssl.certificate.verification`; default true).
    public var verifyCertificate: Bool = true

    /// Creates a configuration that trusts the system roots and verifies certificate and host name.
    public init() {}

    /// The certificate verification mode these settings ask for.
    var certificateVerification: CertificateVerification {
        if !verifyCertificate { return .none }
        return verifyHostname ? .fullVerification : .noHostnameVerification
    }

    /// Builds the NIOSSL client context (TLS 1.2 or later).
    ///
    /// - Throws: ``KafkaTLSConfigurationError`` naming the file or setting that is wrong: a file that
    ///   cannot be read, a file or string without a valid PEM certificate or key, a certificate without a
    ///   key (or the reverse), a key that does not match the certificate, or both the file and the inline
    ///   form of one setting.
    package func makeClientContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = certificateVerification

        let ca = try Self.source(file: caFile, "ssl.ca.location", pem: caPEM, "ssl.truststore.certificates")
        if let ca {
            tls.trustRoots = .certificates(try Self.loadCertificates(ca))
        }
        if let truststoreFile {
            guard ca == nil else {
                throw KafkaTLSConfigurationError(
                    "set either a PKCS12 truststore (ssl.truststore.location '\(truststoreFile)') or PEM CA "
                        + "certificates (\(ca?.name ?? "ssl.ca.location")), not both")
            }
            let store = try PKCS12Store(
                path: truststoreFile, setting: "ssl.truststore.location", password: truststorePassword,
                passwordSetting: "ssl.truststore.password")
            guard !store.certificates.isEmpty else {
                throw KafkaTLSConfigurationError(
                    "ssl.truststore.location '\(truststoreFile)' holds no certificate to trust")
            }
            tls.trustRoots = .certificates(store.certificates)
        }
        let chain = try Self.source(
            file: certificateFile, "ssl.certificate.location", pem: certificatePEM, "ssl.keystore.certificate.chain")
        let key = try Self.source(file: keyFile, "ssl.key.location", pem: keyPEM, "ssl.keystore.key")
        if let keystoreFile {
            guard chain == nil, key == nil else {
                throw KafkaTLSConfigurationError(
                    "set either a PKCS12 key store (ssl.keystore.location '\(keystoreFile)') or a PEM certificate "
                        + "and key (\(chain?.name ?? key?.name ?? "")), not both")
            }
            if let keyPassword, keyPassword != (keystorePassword ?? "") {
                throw KafkaTLSConfigurationError(
                    "ssl.key.password differs from ssl.keystore.password: a PKCS12 key store "
                        + "('\(keystoreFile)') is read with one password")
            }
            let store = try PKCS12Store(
                path: keystoreFile, setting: "ssl.keystore.location", password: keystorePassword,
                passwordSetting: "ssl.keystore.password")
            guard let bundle = store.bundle else {
                throw KafkaTLSConfigurationError(
                    "ssl.keystore.location '\(keystoreFile)' holds no private key (is it a truststore?)")
            }
            tls.certificateChain = bundle.certificateChain.map { .certificate($0) }
            tls.privateKey = .privateKey(bundle.privateKey)
        }
        switch (chain, key) {
        case (nil, nil):
            if keyPassword != nil, keystoreFile == nil {
                throw KafkaTLSConfigurationError("ssl.key.password is set but no private key is configured")
            }
        case (let chain?, nil):
            throw KafkaTLSConfigurationError(
                "\(chain.name) is set but no private key (ssl.key.location or ssl.keystore.key) is configured")
        case (nil, let key?):
            throw KafkaTLSConfigurationError(
                "\(key.name) is set but no client certificate (ssl.certificate.location or "
                    + "ssl.keystore.certificate.chain) is configured")
        case (let chain?, let key?):
            tls.certificateChain = try Self.loadCertificates(chain).map { .certificate($0) }
            tls.privateKey = .privateKey(try Self.loadPrivateKey(key, password: keyPassword))
        }

        do {
            return try NIOSSLContext(configuration: tls)
        } catch NIOSSLError.failedToLoadPrivateKey {
            if let keystoreFile {
                throw KafkaTLSConfigurationError(
                    "the private key in ssl.keystore.location '\(keystoreFile)' does not match its certificate")
            }
            throw KafkaTLSConfigurationError(
                "the private key (\(key?.name ?? "ssl.key.location")) does not match the client certificate "
                    + "(\(chain?.name ?? "ssl.certificate.location"))")
        } catch {
            throw KafkaTLSConfigurationError("cannot create the TLS context: \(error)")
        }
    }

    /// The host name to send as SNI and verify the certificate against: `host` itself, or nil when it
    /// is an IPv4 or IPv6 literal (optionally in brackets), which NIOSSL verifies against the
    /// certificate's IP address SANs instead.
    package static func serverHostname(for host: String) -> String? {
        var name = Substring(host)
        if name.hasPrefix("["), name.hasSuffix("]"), name.count >= 2 {
            name = name.dropFirst().dropLast()
        }
        if name.isEmpty || isIPAddress(String(name)) { return nil }
        // SNI carries the name without the trailing dot of a fully qualified name.
        if name.hasSuffix(".") { name = name.dropLast() }
        return name.isEmpty ? nil : String(name)
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return true }
        var v6 = in6_addr()
        // A zone index (fe80::1%eth0) is not understood by inet_pton.
        let address = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return inet_pton(AF_INET6, String(address), &v6) == 1
    }
}

/// A TLS setting that is wrong: its ``message`` names the setting and file.
public struct KafkaTLSConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, for example `ssl.ca.location '/etc/kafka/ca.pem': no such file`.
    public var message: String

    /// Creates an error with a one-line message.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "TLS configuration error: \(message)" }
}

extension KafkaTLSConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings, with inline PEM summarised and the key and its password redacted.
    public var description: String {
        var parts: [String] = []
        if let caFile { parts.append("caFile: \"\(caFile)\"") }
        if let caPEM { parts.append("caPEM: <\(caPEM.utf8.count) bytes of PEM>") }
        if let certificateFile { parts.append("certificateFile: \"\(certificateFile)\"") }
        if let certificatePEM { parts.append("certificatePEM: <\(certificatePEM.utf8.count) bytes of PEM>") }
        if let keyFile { parts.append("keyFile: \"\(keyFile)\"") }
        if keyPEM != nil { parts.append("keyPEM: <redacted>") }
        if keyPassword != nil { parts.append("keyPassword: <redacted>") }
        if let keystoreFile { parts.append("keystoreFile: \"\(keystoreFile)\"") }
        if keystorePassword != nil { parts.append("keystorePassword: <redacted>") }
        if let truststoreFile { parts.append("truststoreFile: \"\(truststoreFile)\"") }
        if truststorePassword != nil { parts.append("truststorePassword: <redacted>") }
        parts.append("verifyHostname: \(verifyHostname)")
        parts.append("verifyCertificate: \(verifyCertificate)")
        return "KafkaTLSConfiguration(\(parts.joined(separator: ", ")))"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror without the key material or password, so that `dump` and debuggers do not reveal them.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "caFile": caFile as Any, "caPEM": caPEM as Any, "certificateFile": certificateFile as Any,
                "certificatePEM": certificatePEM as Any, "keyFile": keyFile as Any,
                "keyPEM": keyPEM == nil ? "nil" : "<redacted>",
                "keyPassword": keyPassword == nil ? "nil" : "<redacted>",
                "keystoreFile": keystoreFile as Any,
                "keystorePassword": keystorePassword == nil ? "nil" : "<redacted>",
                "truststoreFile": truststoreFile as Any,
                "truststorePassword": truststorePassword == nil ? "nil" : "<redacted>",
                "verifyHostname": verifyHostname, "verifyCertificate": verifyCertificate,
            ])
    }
}

// MARK: - Loading

extension KafkaTLSConfiguration {
    /// PEM bytes and where they came from, for error messages.
    struct PEMSource {
        /// The setting and, for files, the path: `ssl.ca.location '/path/ca.pem'`.
        var name: String
        var bytes: [UInt8]
    }

    /// The file or the inline PEM of one setting (reading the file); an error when both are set.
    static func source(file: String?, _ fileSetting: String, pem: String?, _ pemSetting: String) throws -> PEMSource? {
        switch (file, pem) {
        case (nil, nil):
            return nil
        case (let path?, nil):
            let name = "\(fileSetting) '\(path)'"
            return PEMSource(name: name, bytes: try readFile(path, name: name))
        case (nil, let pem?):
            return PEMSource(name: pemSetting, bytes: Array(pem.utf8))
        case (_?, _?):
            throw KafkaTLSConfigurationError("set either \(fileSetting) or \(pemSetting), not both")
        }
    }

    static func loadCertificates(_ source: PEMSource) throws -> [NIOSSLCertificate] {
        guard source.bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
            throw KafkaTLSConfigurationError("\(source.name) is empty")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(source.bytes)
        } catch {
            throw KafkaTLSConfigurationError("\(source.name) does not contain a valid PEM certificate")
        }
        guard !certificates.isEmpty else {
            throw KafkaTLSConfigurationError("\(source.name) does not contain a PEM certificate")
        }
        return certificates
    }

    static func loadPrivateKey(_ source: PEMSource, password: String?) throws -> NIOSSLPrivateKey {
        // Always pass a callback: without one, BoringSSL would prompt on the terminal for the passphrase
        // of an encrypted key.
        let passphrase = Array((password ?? "").utf8)
        do {
            return try NIOSSLPrivateKey(bytes: source.bytes, format: .pem) {
                (setter: NIOSSLPassphraseSetter<[UInt8]>) in
                setter(passphrase)
            }
        } catch {
            let hint =
                password == nil
                ? " (if the key is encrypted, set ssl.key.password)" : " (or ssl.key.password is wrong)"
            throw KafkaTLSConfigurationError("\(source.name) does not contain a valid PEM private key\(hint)")
        }
    }

    /// The whole content of the file at `path`, at most 16 MiB.
    static func readFile(_ path: String, name: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw KafkaTLSConfigurationError("\(name): \(errnoDescription(errno))")
        }
        defer { close(fd) }
        let limit = 16 * 1024 * 1024
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw KafkaTLSConfigurationError("\(name): \(errnoDescription(errno))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk.prefix(count))
            guard bytes.count <= limit else {
                throw KafkaTLSConfigurationError("\(name) is larger than \(limit) bytes")
            }
        }
        return bytes
    }

    static func errnoDescription(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES: return "permission denied"
        case EISDIR: return "is a directory"
        default:
            guard let text = strerror(code) else { return "error \(code)" }
            return String(cString: text).lowercased()
        }
    }
}

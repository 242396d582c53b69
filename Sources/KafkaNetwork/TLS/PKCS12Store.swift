internal import CNIOBoringSSL
import NIOSSL

/// A PKCS#12 key or trust store (`.p12`, `.pfx`), read with swift-nio-ssl's BoringSSL.
///
/// A key store holds a private key and its certificate chain: it is loaded as a `NIOSSLPKCS12Bundle`. A trust
/// store made by Java's `keytool` holds only certificates, which `NIOSSLPKCS12Bundle` cannot represent (it requires
/// a key), so the bundle is first opened with BoringSSL's own PKCS#12 reader: that tells whether a key is present
/// and yields every certificate. One password decrypts the whole file and checks its integrity MAC (BoringSSL
/// reads no bundle whose key password differs from its store password).
///
/// Every error names the setting and the file: a missing file, a file that is not PKCS#12 (a JKS store gets the
/// `keytool` command that converts it; a PEM file gets the store type to use), a wrong password.
struct PKCS12Store {
    /// The certificates in the file, in file order (for a key store, the chain of the key first).
    var certificates: [NIOSSLCertificate]
    /// The private key and its certificate chain, when the file holds a key.
    var bundle: NIOSSLPKCS12Bundle?

    /// `keytool -importkeystore` turning a JKS store into a PKCS12 one, for error messages.
    static func conversionCommand(for path: String) -> String {
        let target = path.hasSuffix(".jks") ? String(path.dropLast(4)) + ".p12" : path + ".p12"
        return "keytool -importkeystore -srckeystore \(path) -destkeystore \(target) -deststoretype PKCS12"
    }

    /// Reads the store at `path`; `setting` (`ssl.keystore.location`) and `passwordSetting` name them in errors.
    init(path: String, setting: String, password: String?, passwordSetting: String) throws {
        let name = "\(setting) '\(path)'"
        let bytes = try KafkaTLSConfiguration.readFile(path, name: name)
        try self.init(bytes: bytes, name: name, path: path, password: password, passwordSetting: passwordSetting)
    }

    /// Reads a store's bytes; `name` is what errors call it, `path` its file for the JKS conversion command.
    init(bytes: [UInt8], name: String, path: String, password: String?, passwordSetting: String) throws {
        if bytes.starts(with: [0xFE, 0xED, 0xFE, 0xED]) {
            throw KafkaTLSConfigurationError(
                "\(name) is a JKS store, which is not supported: convert it to PKCS12 with "
                    + "`\(Self.conversionCommand(for: path))` and set the store type to PKCS12")
        }
        if bytes.starts(with: Array("-----BEGIN".utf8)) {
            throw KafkaTLSConfigurationError("\(name) is a PEM file, not a PKCS12 store: set the store type to PEM")
        }
        guard bytes.first == 0x30 else {
            throw KafkaTLSConfigurationError("\(name) is not a PKCS12 file")
        }
        let (hasKey, derCertificates) = try Self.open(
            bytes, name: name, password: password ?? "", passwordSetting: passwordSetting)
        do {
            certificates = try derCertificates.map { try NIOSSLCertificate(bytes: $0, format: .der) }
        } catch {
            throw KafkaTLSConfigurationError("\(name) holds a certificate that cannot be read: \(error)")
        }
        if hasKey {
            do {
                bundle = try NIOSSLPKCS12Bundle(buffer: bytes, passphrase: Array((password ?? "").utf8))
            } catch {
                throw KafkaTLSConfigurationError("\(name): cannot read its private key: \(error)")
            }
        } else {
            bundle = nil
        }
    }

    /// Decrypts the bundle with BoringSSL: whether it holds a private key, and its certificates as DER.
    private static func open(
        _ bytes: [UInt8], name: String, password: String, passwordSetting: String
    ) throws -> (hasKey: Bool, certificates: [[UInt8]]) {
        ERR_clear_error()
        let p12: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var start = buffer.baseAddress
            return d2i_PKCS12(nil, &start, buffer.count)
        }
        guard let p12 else { throw KafkaTLSConfigurationError("\(name) is not a PKCS12 file") }
        defer { PKCS12_free(p12) }
        var key: OpaquePointer? = nil
        var certificate: OpaquePointer? = nil
        var others: OpaquePointer? = nil
        let status = password.withCString { PKCS12_parse(p12, $0, &key, &certificate, &others) }
        defer {
            if let key { EVP_PKEY_free(key) }
            if let certificate { X509_free(certificate) }
            if let others {
                for index in 0..<OPENSSL_sk_num(others) {
                    X509_free(OpaquePointer(OPENSSL_sk_value(others, index)))
                }
                OPENSSL_sk_free(others)
            }
        }
        guard status == 1 else {
            // ERR_GET_REASON is the low 12 bits of a queued error.
            var wrongPassword = false
            var code = ERR_get_error()
            while code != 0 {
                if Int32(code & 0xFFF) == PKCS8_R_INCORRECT_PASSWORD { wrongPassword = true }
                code = ERR_get_error()
            }
            if wrongPassword {
                throw KafkaTLSConfigurationError(
                    "\(name): wrong password (\(passwordSetting)), or the file is damaged")
            }
            throw KafkaTLSConfigurationError("\(name) is not a valid PKCS12 file")
        }
        var ders: [[UInt8]] = []
        func append(_ x509: OpaquePointer) throws {
            let length = i2d_X509(x509, nil)
            guard length > 0 else { throw KafkaTLSConfigurationError("\(name) holds an unreadable certificate") }
            var der = [UInt8](repeating: 0, count: Int(length))
            der.withUnsafeMutableBufferPointer { buffer in
                var out = buffer.baseAddress
                _ = i2d_X509(x509, &out)
            }
            ders.append(der)
        }
        if let certificate { try append(certificate) }
        if let others {
            for index in 0..<OPENSSL_sk_num(others) {
                if let x509 = OPENSSL_sk_value(others, index) { try append(OpaquePointer(x509)) }
            }
        }
        return (key != nil, ders)
    }
}

import Crypto
import _CryptoExtras

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The hash function of a ``SCRAMServer``: SCRAM-SHA-256 or SCRAM-SHA-512.
package enum SCRAMHash: Sendable {
    /// SCRAM-SHA-256.
    case sha256
    /// SCRAM-SHA-512.
    case sha512
}

/// What a SCRAM server keeps of a user's password (RFC 5802 section 3, as Kafka stores it): the salt, the
/// iteration count, StoredKey = H(HMAC(SaltedPassword, "Client Key")) and ServerKey = HMAC(SaltedPassword,
/// "Server Key").
package struct SCRAMStoredCredential: Sendable, Hashable {
    /// The salt.
    package var salt: [UInt8]
    /// The PBKDF2 iteration count.
    package var iterations: Int
    /// H(ClientKey).
    package var storedKey: [UInt8]
    /// HMAC(SaltedPassword, "Server Key").
    package var serverKey: [UInt8]

    /// The credential of a salted password (what AlterUserScramCredentials carries).
    package init(hash: SCRAMHash, saltedPassword: [UInt8], salt: [UInt8], iterations: Int) {
        self.salt = salt
        self.iterations = iterations
        switch hash {
        case .sha256:
            storedKey = SCRAMArithmetic<SHA256>.storedKey(saltedPassword)
            serverKey = SCRAMArithmetic<SHA256>.hmac(saltedPassword, Array("Server Key".utf8))
        case .sha512:
            storedKey = SCRAMArithmetic<SHA512>.storedKey(saltedPassword)
            serverKey = SCRAMArithmetic<SHA512>.hmac(saltedPassword, Array("Server Key".utf8))
        }
    }

    /// The credential of a password with `salt` (random when nil) and `iterations`.
    package init(hash: SCRAMHash, password: String, salt: [UInt8]? = nil, iterations: Int = 4096) throws {
        let salt = salt ?? SCRAMServer.randomBytes(16)
        let salted: [UInt8]
        switch hash {
        case .sha256:
            salted = try SCRAMArithmetic<SHA256>.saltedPassword(Array(password.utf8), salt, iterations, pbkdf2: .sha256)
        case .sha512:
            salted = try SCRAMArithmetic<SHA512>.saltedPassword(Array(password.utf8), salt, iterations, pbkdf2: .sha512)
        }
        self.init(hash: hash, saltedPassword: salted, salt: salt, iterations: iterations)
    }
}

/// A failure of the server side of a SCRAM exchange: malformed input, unknown user, wrong proof.
package struct SCRAMServerError: Error, Sendable, CustomStringConvertible {
    /// A one-line reason.
    package var message: String
    /// The reason, as ``message``.
    package var description: String { message }

    /// Creates an error with a one-line reason.
    package init(_ message: String) {
        self.message = message
    }
}

/// The server side of one SCRAM exchange (RFC 5802), for the dev cluster.
///
/// An independent implementation of the protocol (it shares no code of this package with the client
/// in `KafkaNetwork`; both use swift-crypto's HMAC and PBKDF2 and Foundation's base64), so each side
/// checks the other. Test support only: it answers an unknown user
/// with an error at once, which a production server would not do.
package struct SCRAMServer: Sendable {
    private enum State: Sendable {
        case awaitingClientFirst
        case awaitingClientFinal(Pending)
        case complete
        case failed
    }

    private struct Pending: Sendable {
        var username: String
        var credential: SCRAMStoredCredential
        var gs2Header: [UInt8]
        var clientFirstBare: [UInt8]
        var serverFirst: [UInt8]
        var nonce: [UInt8]
    }

    private let hash: SCRAMHash
    private let credentials: @Sendable (String) -> SCRAMStoredCredential?
    private let serverNonce: String
    private var state: State = .awaitingClientFirst

    /// Whether the client's proof was verified and the final message (`v=...`) returned.
    package private(set) var isComplete: Bool = false
    /// The user whose proof was verified, once ``isComplete``.
    package private(set) var authenticatedUser: String?

    /// `users` maps username -> password; salt and nonce are random unless given.
    package init(
        hash: SCRAMHash, users: [String: String], iterations: Int = 4096, salt: [UInt8]? = nil,
        serverNonce: String? = nil
    ) {
        let salt = salt ?? Self.randomBytes(16)
        self.init(
            hash: hash,
            credentials: { user in
                users[user].flatMap {
                    try? SCRAMStoredCredential(hash: hash, password: $0, salt: salt, iterations: max(iterations, 1))
                }
            }, serverNonce: serverNonce)
    }

    /// A server that looks a user's stored credential up when the client names the user (nil: unknown user); the
    /// nonce is random unless given.
    package init(
        hash: SCRAMHash, credentials: @escaping @Sendable (String) -> SCRAMStoredCredential?,
        serverNonce: String? = nil
    ) {
        self.hash = hash
        self.credentials = credentials
        self.serverNonce = serverNonce ?? Data(Self.randomBytes(18)).base64EncodedString()
    }

    /// `count` random bytes of the system's secure generator.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Feeds one client message, returns the server's reply. Throws `SCRAMServerError` (with a message) on bad proof,
    /// unknown user or malformed input. After the second (client-final) message the reply is `v=...`.
    package mutating func receive(_ message: [UInt8]) throws -> [UInt8] {
        switch state {
        case .awaitingClientFirst:
            state = .failed
            let pending = try clientFirst(message)
            state = .awaitingClientFinal(pending)
            return pending.serverFirst
        case .awaitingClientFinal(let pending):
            state = .failed
            let reply = try clientFinal(message, pending)
            state = .complete
            isComplete = true
            authenticatedUser = pending.username
            return reply
        case .complete:
            throw SCRAMServerError("SCRAM: message received after the exchange completed")
        case .failed:
            throw SCRAMServerError("SCRAM: message received after the exchange failed")
        }
    }

    private func clientFirst(_ message: [UInt8]) throws -> Pending {
        guard String(validating: message, as: UTF8.self) != nil else {
            throw SCRAMServerError("SCRAM: client-first message is not valid UTF-8")
        }
        // gs2-header: ("n" / "y") "," [ "a=" authzid ] ","; channel binding ("p=") is not supported.
        let parts = message.split(separator: UInt8(ascii: ","), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw SCRAMServerError("SCRAM: client-first message lacks a GS2 header") }
        guard parts[0].elementsEqual("n".utf8) || parts[0].elementsEqual("y".utf8) else {
            throw SCRAMServerError("SCRAM: unsupported channel binding flag in client-first message")
        }
        let authzid = parts[1]
        guard authzid.isEmpty || authzid.starts(with: "a=".utf8) else {
            throw SCRAMServerError("SCRAM: malformed authzid in client-first message")
        }
        let bare = parts[2]
        let attributes = try Self.attributes(Array(bare), "client-first")
        guard attributes.count >= 2, attributes[0].key == UInt8(ascii: "n"), attributes[1].key == UInt8(ascii: "r")
        else { throw SCRAMServerError("SCRAM: client-first message must start with n= and r=") }
        guard let username = Self.unescape(attributes[0].value), !username.isEmpty else {
            throw SCRAMServerError("SCRAM: malformed username in client-first message")
        }
        if !authzid.isEmpty {
            guard Self.unescape(authzid.dropFirst(2)) == username else {
                throw SCRAMServerError("SCRAM: authzid differs from the username")
            }
        }
        guard let credential = credentials(username) else {
            throw SCRAMServerError("SCRAM: unknown user '\(username)'")
        }
        let (salt, iterations) = (credential.salt, credential.iterations)
        let clientNonce = attributes[1].value
        guard !clientNonce.isEmpty, clientNonce.allSatisfy(Self.isNonceCharacter) else {
            throw SCRAMServerError("SCRAM: malformed client nonce")
        }
        guard !serverNonce.isEmpty, serverNonce.utf8.allSatisfy(Self.isNonceCharacter), iterations >= 1 else {
            throw SCRAMServerError("SCRAM: invalid server configuration (nonce or iterations)")
        }
        let nonce = Array(clientNonce) + Array(serverNonce.utf8)
        let serverFirst =
            Array("r=".utf8) + nonce + Array(",s=\(Data(salt).base64EncodedString()),i=\(iterations)".utf8)
        let gs2Header = Array(message[..<bare.startIndex])  // flag, authzid and both commas
        return Pending(
            username: username, credential: credential, gs2Header: gs2Header, clientFirstBare: Array(bare),
            serverFirst: serverFirst, nonce: nonce)
    }

    private func clientFinal(_ message: [UInt8], _ pending: Pending) throws -> [UInt8] {
        guard String(validating: message, as: UTF8.self) != nil else {
            throw SCRAMServerError("SCRAM: client-final message is not valid UTF-8")
        }
        let attributes = try Self.attributes(message, "client-final")
        guard attributes.count >= 3, attributes[0].key == UInt8(ascii: "c"), attributes[1].key == UInt8(ascii: "r"),
            let last = attributes.last, last.key == UInt8(ascii: "p")
        else { throw SCRAMServerError("SCRAM: client-final message must be c=...,r=...,p=...") }
        guard Self.base64Decoded(attributes[0].value) == pending.gs2Header else {
            throw SCRAMServerError("SCRAM: channel binding (c=) does not match the GS2 header")
        }
        guard attributes[1].value.elementsEqual(pending.nonce) else {
            throw SCRAMServerError("SCRAM: nonce in client-final message does not match")
        }
        guard let proof = Self.base64Decoded(last.value) else {
            throw SCRAMServerError("SCRAM: proof is not valid base64")
        }
        // Everything before ",p=" is client-final-message-without-proof.
        let withoutProof = Array(message[..<(last.value.startIndex - 3)])
        let authMessage = pending.clientFirstBare + [44] + pending.serverFirst + [44] + withoutProof
        let result: (valid: Bool, serverSignature: [UInt8])
        switch hash {
        case .sha256: result = SCRAMArithmetic<SHA256>.verify(proof, pending.credential, authMessage)
        case .sha512: result = SCRAMArithmetic<SHA512>.verify(proof, pending.credential, authMessage)
        }
        guard result.valid else { throw SCRAMServerError("SCRAM: invalid proof for user '\(pending.username)'") }
        return Array("v=\(Data(result.serverSignature).base64EncodedString())".utf8)
    }

    /// The bytes of canonical base64 `text`: Foundation decodes it and encoding them gives `text` back.
    private static func base64Decoded(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let string = String(decoding: text, as: UTF8.self)
        guard let data = Data(base64Encoded: string), data.base64EncodedString() == string else { return nil }
        return Array(data)
    }

    private struct Attribute {
        var key: UInt8
        var value: ArraySlice<UInt8>
    }

    private static func attributes(_ message: [UInt8], _ name: String) throws -> [Attribute] {
        try message.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map {
            (part) throws -> Attribute in
            guard part.count >= 2, let key = part.first, (65...90).contains(key) || (97...122).contains(key),
                part[part.startIndex + 1] == UInt8(ascii: "=")
            else { throw SCRAMServerError("SCRAM: malformed attribute in \(name) message") }
            return Attribute(key: key, value: part.dropFirst(2))
        }
    }

    /// saslname -> username: `=3D` -> `=`, `=2C` -> `,`; any other `=` is malformed.
    private static func unescape(_ name: ArraySlice<UInt8>) -> String? {
        var bytes = [UInt8]()
        var index = name.startIndex
        while index < name.endIndex {
            if name[index] == UInt8(ascii: "=") {
                let escape = name[index...].prefix(3)
                if escape.elementsEqual("=3D".utf8) {
                    bytes.append(UInt8(ascii: "="))
                } else if escape.elementsEqual("=2C".utf8) {
                    bytes.append(UInt8(ascii: ","))
                } else {
                    return nil
                }
                index += 3
            } else {
                bytes.append(name[index])
                index += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func isNonceCharacter(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) && byte != UInt8(ascii: ",")
    }
}

/// The server's own SCRAM arithmetic (RFC 5802 section 3).
private enum SCRAMArithmetic<H: HashFunction> {
    static func hmac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        Array(HMAC<H>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    /// `Hi()`: PBKDF2 with HMAC-H (`pbkdf2` names the same H) and a single output block, by swift-crypto.
    static func saltedPassword(
        _ password: [UInt8], _ salt: [UInt8], _ iterations: Int, pbkdf2: KDF.Insecure.PBKDF2.HashFunction
    ) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: password, salt: salt, using: pbkdf2, outputByteCount: H.Digest.byteCount,
            unsafeUncheckedRounds: max(iterations, 1))
        return key.withUnsafeBytes { Array($0) }
    }

    /// StoredKey: H(HMAC(SaltedPassword, "Client Key")).
    static func storedKey(_ salted: [UInt8]) -> [UInt8] {
        Array(H.hash(data: hmac(salted, Array("Client Key".utf8))))
    }

    /// Recovers ClientKey from the proof, checks H(ClientKey) == StoredKey, and computes ServerSignature.
    static func verify(_ proof: [UInt8], _ credential: SCRAMStoredCredential, _ authMessage: [UInt8]) -> (
        valid: Bool, serverSignature: [UInt8]
    ) {
        let storedKey = credential.storedKey
        let clientSignature = hmac(storedKey, authMessage)
        let serverSignature = hmac(credential.serverKey, authMessage)
        guard proof.count == clientSignature.count else { return (false, serverSignature) }
        let clientKey = zip(proof, clientSignature).map { $0 ^ $1 }
        let candidate = Array(H.hash(data: clientKey))
        let difference = zip(candidate, storedKey).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) }
        return (difference == 0, serverSignature)
    }
}

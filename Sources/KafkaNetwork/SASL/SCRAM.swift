import Crypto

/// The client side of one SCRAM exchange (RFC 5802, with the SHA-256 profile of RFC 7677 and Kafka's
/// SHA-512 variant), generic over the hash function.
///
/// Messages, as Kafka exchanges them in SaslAuthenticate `authBytes`:
/// 1. client-first `n,,n=<saslname>,r=<client nonce>` (no channel binding, no authzid);
/// 2. server-first `r=<client nonce + server nonce>,s=<salt base64>,i=<iterations>[,extensions]`;
/// 3. client-final `c=biws,r=<nonce>,p=<ClientProof base64>`;
/// 4. server-final `v=<ServerSignature base64>` (or `e=<error>`), verified before reporting success.
///
/// Password normalisation: RFC 5802 asks for SASLprep; Kafka (client and broker) uses the raw UTF-8
/// bytes of the password instead, and so does this client, so that non-ASCII passwords match the broker.
struct SCRAMClientExchange<H: SCRAMHashFunction>: Sendable {
    private enum State: Sendable {
        case initial
        case awaitingServerFirst(clientFirstBare: [UInt8])
        case awaitingServerFinal(expectedServerSignature: [UInt8])
        case complete
        case failed
    }

    /// Kafka refuses fewer iterations (ScramMechanism's minimum); so does this client.
    static var minimumIterations: Int { 4096 }
    /// A server asking for more is broken or hostile (it would keep the client busy for minutes).
    static var maximumIterations: Int { 100_000_000 }

    /// The mechanism name used in error messages, such as "SCRAM-SHA-256".
    let mechanismName: String
    private let username: String
    private let password: [UInt8]
    private let clientNonce: String
    private var state: State = .initial

    init(mechanismName: String, username: String, password: String, clientNonce: String) {
        self.mechanismName = mechanismName
        self.username = username
        self.password = Array(password.utf8)
        self.clientNonce = clientNonce
    }

    /// The client-first message.
    mutating func start() throws(SASLError) -> [UInt8] {
        guard case .initial = state else { throw SASLError("\(mechanismName): start() called twice") }
        state = .failed
        guard !username.isEmpty else { throw failure("the username is empty") }
        guard !username.unicodeScalars.contains("\0") else { throw failure("the username contains a NUL character") }
        guard !clientNonce.isEmpty, clientNonce.utf8.allSatisfy(SCRAMMessage.isNonceCharacter) else {
            throw failure("invalid client nonce")
        }
        let bare = Array("n=\(SCRAMMessage.saslName(username)),r=\(clientNonce)".utf8)
        state = .awaitingServerFirst(clientFirstBare: bare)
        return SCRAMMessage.gs2Header + bare
    }

    /// Handles server-first (returns client-final) or server-final (returns `.done` once verified).
    mutating func receive(_ message: [UInt8]) throws(SASLError) -> SASLClient.Step {
        switch state {
        case .initial:
            throw SASLError("\(mechanismName): received a server message before the exchange started")
        case .complete:
            throw SASLError("\(mechanismName): received a server message after authentication completed")
        case .failed:
            throw SASLError("\(mechanismName): received a server message after the exchange failed")
        case .awaitingServerFirst(let clientFirstBare):
            state = .failed
            let (clientFinal, serverSignature) = try clientFinal(serverFirst: message, clientFirstBare: clientFirstBare)
            state = .awaitingServerFinal(expectedServerSignature: serverSignature)
            return .send(clientFinal)
        case .awaitingServerFinal(let expectedServerSignature):
            state = .failed
            try verify(serverFinal: message, expected: expectedServerSignature)
            state = .complete
            return .done
        }
    }

    private func clientFinal(
        serverFirst: [UInt8], clientFirstBare: [UInt8]
    ) throws(SASLError) -> (message: [UInt8], serverSignature: [UInt8]) {
        let attributes = try attributes(of: serverFirst, name: "server-first")
        if let first = attributes.first {
            if first.key == UInt8(ascii: "e") {
                throw failure("server error: \(SCRAMMessage.printable(first.value))")
            }
            if first.key == UInt8(ascii: "m") {
                throw failure("the server requires an unsupported mandatory extension (m=)")
            }
        }
        guard attributes.count >= 3 else {
            throw failure("malformed server-first message: expected r=, s= and i=, got \(attributes.count) attributes")
        }
        // Attributes after i= are extensions, which this client ignores.
        let nonce = try attribute(attributes[0], key: "r", name: "nonce")
        let saltText = try attribute(attributes[1], key: "s", name: "salt")
        let iterationsText = try attribute(attributes[2], key: "i", name: "iteration count")

        guard nonce.allSatisfy(SCRAMMessage.isNonceCharacter) else {
            throw failure("malformed server-first message: the nonce has characters outside printable ASCII")
        }
        let clientNonceBytes = Array(clientNonce.utf8)
        guard nonce.count > clientNonceBytes.count, nonce.starts(with: clientNonceBytes) else {
            throw failure("the server nonce does not extend the client nonce")
        }
        guard let salt = SASLBase64.decode(String(decoding: saltText, as: UTF8.self)), !salt.isEmpty else {
            throw failure("malformed server-first message: the salt is not valid non-empty base64")
        }
        guard let iterations = SCRAMMessage.decimal(iterationsText) else {
            throw failure("malformed server-first message: the iteration count is not a number")
        }
        guard iterations >= Self.minimumIterations else {
            throw failure(
                "the server asks for \(iterations) iterations, fewer than the minimum \(Self.minimumIterations)")
        }
        guard iterations <= Self.maximumIterations else {
            throw failure(
                "the server asks for \(iterations) iterations, more than the maximum \(Self.maximumIterations)")
        }

        let withoutProof = Array("c=\(SASLBase64.encode(SCRAMMessage.gs2Header)),r=".utf8) + nonce
        let authMessage = clientFirstBare + [UInt8(ascii: ",")] + serverFirst + [UInt8(ascii: ",")] + withoutProof
        let saltedPassword: [UInt8]
        do {
            saltedPassword = try SCRAMCrypto<H>.hi(password: password, salt: salt, iterations: iterations)
        } catch {
            throw failure("cannot derive the salted password: \(error)")
        }
        let proof = SCRAMCrypto<H>.proof(saltedPassword: saltedPassword, authMessage: authMessage)
        let message = withoutProof + Array(",p=\(SASLBase64.encode(proof.clientProof))".utf8)
        return (message, proof.serverSignature)
    }

    private func verify(serverFinal: [UInt8], expected: [UInt8]) throws(SASLError) {
        let attributes = try attributes(of: serverFinal, name: "server-final")
        guard let first = attributes.first else {
            throw failure("malformed server-final message: it is empty")
        }
        switch first.key {
        case UInt8(ascii: "e"):
            throw failure("server error: \(SCRAMMessage.printable(first.value))")
        case UInt8(ascii: "v"):
            guard let signature = SASLBase64.decode(String(decoding: first.value, as: UTF8.self)) else {
                throw failure("malformed server-final message: the server signature is not valid base64")
            }
            guard SCRAMCrypto<H>.constantTimeEqual(signature, expected) else {
                throw failure("server signature does not match")
            }
        default:
            throw failure("malformed server-final message: expected v= or e=")
        }
    }

    private func attributes(of message: [UInt8], name: String) throws(SASLError) -> [SCRAMMessage.Attribute] {
        guard String(validating: message, as: UTF8.self) != nil else {
            throw failure("malformed \(name) message: not valid UTF-8")
        }
        guard let attributes = SCRAMMessage.attributes(message) else {
            throw failure("malformed \(name) message: expected comma-separated key=value attributes")
        }
        return attributes
    }

    private func attribute(
        _ attribute: SCRAMMessage.Attribute, key: Unicode.Scalar, name: String
    ) throws(SASLError) -> ArraySlice<UInt8> {
        guard attribute.key == UInt8(ascii: key) else {
            throw failure("malformed server-first message: missing the \(name) (\(key)=)")
        }
        return attribute.value
    }

    private func failure(_ reason: String) -> SASLError {
        SASLError("\(mechanismName) authentication failed: \(reason)")
    }
}

/// Parsing and formatting helpers for SCRAM messages.
enum SCRAMMessage {
    /// One `key=value` attribute; `value` may be empty.
    struct Attribute: Sendable {
        var key: UInt8
        var value: ArraySlice<UInt8>
    }

    /// The GS2 header of the client-first message: no channel binding, no authorization identity.
    static let gs2Header: [UInt8] = Array("n,,".utf8)

    /// Splits `message` at commas into attributes; `nil` unless every part is an ASCII letter, `=`, value.
    static func attributes(_ message: [UInt8]) -> [Attribute]? {
        var attributes = [Attribute]()
        for part in message.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard part.count >= 2, let key = part.first, isLetter(key),
                part[part.index(after: part.startIndex)] == UInt8(ascii: "=")
            else { return nil }
            attributes.append(Attribute(key: key, value: part.dropFirst(2)))
        }
        return attributes
    }

    /// The username as a SCRAM saslname: `=` becomes `=3D` and `,` becomes `=2C`.
    static func saslName(_ username: String) -> String {
        var name = ""
        for scalar in username.unicodeScalars {
            switch scalar {
            case "=": name += "=3D"
            case ",": name += "=2C"
            default: name.unicodeScalars.append(scalar)
            }
        }
        return name
    }

    /// A nonce character: printable ASCII except the comma.
    static func isNonceCharacter(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) && byte != UInt8(ascii: ",")
    }

    /// A positive decimal number of at most 10 digits, without sign or spaces.
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// A server-provided text, limited to 200 printable characters, for error messages.
    static func printable(_ value: ArraySlice<UInt8>) -> String {
        let text = String(decoding: value.prefix(200), as: UTF8.self)
        let cleaned = String(
            text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
        return value.count > 200 ? cleaned + "..." : cleaned
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}

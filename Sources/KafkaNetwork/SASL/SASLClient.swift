import Crypto

/// The client side of one SASL exchange, as a state machine: feed it the server's messages, send what it returns.
///
/// The connection sends the mechanism name in a SaslHandshake request, then carries the bytes of
/// ``start()`` and of every ``Step/send(_:)`` in SaslAuthenticate requests and feeds the `authBytes` of each
/// response to ``receive(_:)`` until it returns ``Step/done``. The client does no I/O itself.
///
/// Any error (a malformed or hostile server message, a failed verification, a call in the wrong
/// state) is a ``SASLError``; after one, the exchange cannot continue.
package struct SASLClient: Sendable {
    /// What to do after a server message.
    package enum Step: Sendable, Equatable {
        /// Send these bytes to the server in the next SaslAuthenticate request.
        case send([UInt8])
        /// Authentication has completed (for SCRAM, the server's signature has been verified).
        case done
    }

    private enum Exchange: Sendable {
        case plain(SASLPlainExchange)
        case scramSHA256(SCRAMClientExchange<SHA256>)
        case scramSHA512(SCRAMClientExchange<SHA512>)
        case oauthBearer(OAuthBearerExchange)
        /// OAUTHBEARER asked for with a username and password: it fails to start.
        case oauthBearerWithoutToken
    }

    /// The mechanism of this exchange.
    package let mechanism: SASLMechanism
    private var exchange: Exchange

    /// Creates the client side of an exchange for `credentials`, with a random SCRAM nonce.
    package init(credentials: SASLCredentials) {
        self.init(credentials: credentials, nonce: Self.randomNonce())
    }

    /// Creates the client side of an exchange with a fixed SCRAM nonce (for test vectors).
    init(credentials: SASLCredentials, nonce: String) {
        mechanism = credentials.mechanism
        switch credentials.mechanism {
        case .plain:
            exchange = .plain(SASLPlainExchange(username: credentials.username, password: credentials.password))
        case .scramSHA256:
            exchange = .scramSHA256(
                SCRAMClientExchange(
                    mechanismName: credentials.mechanism.rawValue, username: credentials.username,
                    password: credentials.password, clientNonce: nonce))
        case .scramSHA512:
            exchange = .scramSHA512(
                SCRAMClientExchange(
                    mechanismName: credentials.mechanism.rawValue, username: credentials.username,
                    password: credentials.password, clientNonce: nonce))
        case .oauthBearer:
            exchange = .oauthBearerWithoutToken
        }
    }

    /// Creates the client side of a SASL/OAUTHBEARER exchange with `token`.
    package init(oauthBearer token: OAuthBearerToken) {
        mechanism = .oauthBearer
        exchange = .oauthBearer(OAuthBearerExchange(token: token))
    }

    /// The message for a SaslAuthenticate request the broker failed with `code` and `brokerMessage`, when the
    /// mechanism words it itself (OAUTHBEARER: what the broker's error JSON said); `nil` otherwise.
    package func failureMessage(brokerMessage: String?, code: String) -> String? {
        guard case .oauthBearer(let oauth) = exchange else { return nil }
        return oauth.failureMessage(brokerMessage: brokerMessage, code: code)
    }

    /// The first message the client sends.
    package mutating func start() throws(SASLError) -> [UInt8] {
        switch exchange {
        case .plain(var plain):
            defer { exchange = .plain(plain) }
            return try plain.start()
        case .scramSHA256(var scram):
            defer { exchange = .scramSHA256(scram) }
            return try scram.start()
        case .scramSHA512(var scram):
            defer { exchange = .scramSHA512(scram) }
            return try scram.start()
        case .oauthBearer(var oauth):
            defer { exchange = .oauthBearer(oauth) }
            return try oauth.start()
        case .oauthBearerWithoutToken:
            throw SASLError(
                "SASL/OAUTHBEARER needs a token provider (KafkaClientConfiguration.oauthBearerTokenProvider, or "
                    + "sasl.jaas.config with OAuthBearerLoginModule), not a username and password")
        }
    }

    /// Handles the server's reply: `.send(bytes)` to send another message, `.done` when authentication has
    /// completed (for SCRAM only after the server signature was verified).
    package mutating func receive(_ serverMessage: [UInt8]) throws(SASLError) -> Step {
        switch exchange {
        case .plain(var plain):
            defer { exchange = .plain(plain) }
            return try plain.receive(serverMessage)
        case .scramSHA256(var scram):
            defer { exchange = .scramSHA256(scram) }
            return try scram.receive(serverMessage)
        case .scramSHA512(var scram):
            defer { exchange = .scramSHA512(scram) }
            return try scram.receive(serverMessage)
        case .oauthBearer(var oauth):
            defer { exchange = .oauthBearer(oauth) }
            return try oauth.receive(serverMessage)
        case .oauthBearerWithoutToken:
            throw SASLError("OAUTHBEARER: received a server message before the exchange started")
        }
    }

    /// 24 random bytes from the system's secure generator, base64-encoded (32 characters, no padding).
    static func randomNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return SASLBase64.encode(bytes)
    }
}

/// A failed SASL exchange: a malformed or hostile server message, a rejected proof or signature, or a
/// call in the wrong state.
package struct SASLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A one-line reason, such as "SCRAM-SHA-256 authentication failed: server signature does not match".
    package var message: String

    /// Creates an error with a one-line reason.
    package init(_ message: String) {
        self.message = message
    }

    /// The reason, as ``message``.
    package var description: String { message }
}

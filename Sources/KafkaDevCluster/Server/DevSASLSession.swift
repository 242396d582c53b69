import KafkaProtocol
import NIOCore

/// The server side of SASL on one connection of a dev broker: SaslHandshake (v0 raw tokens or v1
/// SaslAuthenticate), PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER.
///
/// Like Kafka, a connection with SASL enabled may use only ApiVersions, SaslHandshake and
/// SaslAuthenticate until it is authenticated; a failed authentication answers, then closes.
///
/// With a session lifetime (`connections.max.reauth.ms`), SaslAuthenticate v1+ tells the client when its session
/// expires, and an authenticated client may authenticate again (KIP-368) with SaslHandshake v1+ on the same
/// connection, with the same mechanism and user; during that exchange, and once the session has expired, only
/// SASL requests are served (see ``mayServe(now:)``).
struct DevSASLSession: Sendable {
    /// What the connection does with a SASL request (never `.skip`).
    typealias Answer = ReplyAction

    private let mechanisms: [String]
    private let users: [String: String]
    /// The stored SCRAM credential of a user (nil: the user has none for that hash).
    private let scramCredentials: @Sendable (String, SCRAMHash) -> SCRAMStoredCredential?
    private var mechanism: String?
    /// After SaslHandshake v0 the client sends raw, size-prefixed tokens instead of requests.
    private var rawTokens = false
    private var scram: SCRAMServer?
    /// `connections.max.reauth.ms`; nil: sessions never expire.
    private let sessionLifetime: Duration?
    /// When the current session expires.
    private(set) var sessionExpiry: NIODeadline?
    /// Whether an authenticated client is authenticating again.
    private(set) var isReauthenticating = false
    /// Completed re-authentications on this connection.
    private(set) var reauthentications = 0
    private let oauthBearer: DevOAuthBearerValidator
    private let clock: any DevClock
    /// Why the OAUTHBEARER token was refused, after the error JSON was sent and until the client's `\u{1}`.
    private var oauthBearerRefusal: DevOAuthBearerValidator.Refusal?

    /// Whether the client may use the other APIs (always, when no mechanism is enabled).
    private(set) var isAuthenticated: Bool
    /// The user that authenticated, once ``isAuthenticated`` through SASL.
    private(set) var authenticatedUser: String?

    /// Whether the next frame is a raw SASL token (SaslHandshake v0 was used).
    var expectsRawToken: Bool { rawTokens && !isAuthenticated }

    /// A session for a listener with `mechanisms` enabled (empty: no SASL) and `users` (name ->
    /// password, for PLAIN); SCRAM looks credentials up with `scramCredentials` (by default derived from `users`).
    init(
        mechanisms: [String], users: [String: String], sessionLifetime: Duration? = nil,
        oauthBearer: DevOAuthBearerValidator = .unsecured(), clock: any DevClock = SystemDevClock(),
        scramCredentials: (@Sendable (String, SCRAMHash) -> SCRAMStoredCredential?)? = nil
    ) {
        self.mechanisms = mechanisms
        self.users = users
        self.scramCredentials =
            scramCredentials ?? { user, hash in
                users[user].flatMap { try? SCRAMStoredCredential(hash: hash, password: $0) }
            }
        self.oauthBearer = oauthBearer
        self.clock = clock
        self.isAuthenticated = mechanisms.isEmpty
        self.sessionLifetime = mechanisms.isEmpty ? nil : sessionLifetime
    }

    init(
        configuration: DevClusterConfiguration,
        scramCredentials: (@Sendable (String, SCRAMHash) -> SCRAMStoredCredential?)? = nil
    ) {
        self.init(
            mechanisms: configuration.saslMechanisms, users: configuration.users,
            sessionLifetime: configuration.connectionsMaxReauth,
            oauthBearer: configuration.oauthBearerValidator, clock: configuration.clock,
            scramCredentials: scramCredentials)
    }

    /// Whether a request other than SaslHandshake and SaslAuthenticate may be served at `now`: the client is
    /// authenticated, not authenticating again, and its session has not expired.
    func mayServe(now: NIODeadline) -> Bool {
        isAuthenticated && !isReauthenticating && !hasExpired(now: now)
    }

    /// Whether the session has expired at `now` (never without a session lifetime).
    func hasExpired(now: NIODeadline) -> Bool {
        sessionExpiry.map { now >= $0 } ?? false
    }

    /// Answers SaslHandshake or SaslAuthenticate (the header already read); nil for other APIs.
    mutating func answer(_ header: RequestHeader, body: ByteBuffer) -> Answer {
        do {
            switch KafkaAPIKey(rawValue: header.requestApiKey) {
            case .saslHandshake: return try handshake(header, body: body)
            case .saslAuthenticate: return try authenticate(header, body: body)
            default: return .close
            }
        } catch {
            return .close  // A malformed request.
        }
    }

    private mutating func handshake(_ header: RequestHeader, body: ByteBuffer) throws -> Answer {
        let version = header.requestApiVersion
        let request = try SaslHandshakeRequest.decode(from: body, version: version)
        let enabled = mechanisms
        func reply(_ code: KafkaErrorCode) -> ByteBuffer? {
            DevClusterCore.frame(
                SaslHandshakeRequest.self, SaslHandshakeResponse(errorCode: code.rawValue, mechanisms: enabled),
                version: version, correlationID: header.correlationId)
        }
        // KIP-368: an authenticated client starts again with SaslHandshake v1+ and its first mechanism.
        let reauthenticating = isAuthenticated && !isReauthenticating && !rawTokens && version >= 1 && mechanism != nil
        if enabled.isEmpty || (isAuthenticated || mechanism != nil) && !reauthenticating {
            return reply(.illegalSaslState).map { .send($0) } ?? .close
        }
        if reauthenticating, request.mechanism != mechanism {
            return reply(.illegalSaslState).map { .sendThenClose($0) } ?? .close
        }
        switch request.mechanism {
        case let name where !enabled.contains(name):
            return reply(.unsupportedSaslMechanism).map { .sendThenClose($0) } ?? .close
        case "PLAIN", "OAUTHBEARER":
            break
        case "SCRAM-SHA-256":
            let lookup = scramCredentials
            scram = SCRAMServer(hash: .sha256, credentials: { lookup($0, .sha256) })
        case "SCRAM-SHA-512":
            let lookup = scramCredentials
            scram = SCRAMServer(hash: .sha512, credentials: { lookup($0, .sha512) })
        default:
            return reply(.unsupportedSaslMechanism).map { .sendThenClose($0) } ?? .close
        }
        mechanism = request.mechanism
        rawTokens = version == 0
        isReauthenticating = reauthenticating
        return reply(.none).map { .send($0) } ?? .close
    }

    private mutating func authenticate(_ header: RequestHeader, body: ByteBuffer) throws -> Answer {
        let version = header.requestApiVersion
        let request = try SaslAuthenticateRequest.decode(from: body, version: version)
        func reply(_ code: KafkaErrorCode, _ message: String?, _ bytes: [UInt8]) -> ByteBuffer? {
            // The lifetime left, in the answer that completes authentication (v1+ carries it).
            var lifetimeMs: Int64 = 0
            if version >= 1, code == .none, isAuthenticated, !isReauthenticating, let expiry = sessionExpiry {
                lifetimeMs = max(1, (expiry - NIODeadline.now()).nanoseconds / 1_000_000)
            }
            let response = SaslAuthenticateResponse(
                errorCode: code.rawValue, errorMessage: message, authBytes: ByteBuffer(bytes: bytes),
                sessionLifetimeMs: lifetimeMs)
            return DevClusterCore.frame(
                SaslAuthenticateRequest.self, response, version: version, correlationID: header.correlationId)
        }
        guard mechanism != nil, !rawTokens, !isAuthenticated || isReauthenticating else {
            return reply(.illegalSaslState, "SaslAuthenticate is not expected in this state of the connection", [])
                .map { .sendThenClose($0) } ?? .close
        }
        switch exchange(Array(buffer: request.authBytes)) {
        case .success(let bytes):
            return reply(.none, nil, bytes).map { .send($0) } ?? .close
        case .failure(let failure):
            return reply(.saslAuthenticationFailed, failure.message, []).map { .sendThenClose($0) } ?? .close
        }
    }

    /// A raw SASL token after SaslHandshake v0: the answer is a size-prefixed raw token; a failure
    /// closes the connection.
    mutating func rawToken(_ frame: ByteBuffer) -> Answer {
        switch exchange(Array(buffer: frame)) {
        case .success(let bytes):
            var buffer = ByteBuffer()
            buffer.writeInteger(Int32(clamping: bytes.count))
            buffer.writeBytes(bytes)
            return .send(buffer)
        case .failure:
            return .close
        }
    }

    private struct Failure: Error {
        var message: String
    }

    /// Feeds one client message to the mechanism chosen in the handshake.
    private mutating func exchange(_ message: [UInt8]) -> Result<[UInt8], Failure> {
        let chosen = mechanism ?? ""
        if chosen == "PLAIN" {
            guard let user = plainUser(message) else {
                return .failure(Failure(message: "Authentication failed: Invalid username or password"))
            }
            guard complete(user) else { return .failure(Failure(message: Self.otherUser)) }
            return .success([])
        }
        if chosen == "OAUTHBEARER" { return oauthBearerExchange(message) }
        guard var server = scram else { return .failure(Failure(message: "no SASL exchange in progress")) }
        do {
            let reply = try server.receive(message)
            scram = server
            if server.isComplete, let user = server.authenticatedUser {
                guard complete(user) else { return .failure(Failure(message: Self.otherUser)) }
            }
            return .success(reply)
        } catch {
            scram = nil
            return .failure(
                Failure(
                    message: "Authentication failed during authentication due to invalid credentials with SASL "
                        + "mechanism \(chosen): \(error)"))
        }
    }

    /// OAUTHBEARER (RFC 7628): the client-first message's token is validated; a refused token is answered with the
    /// error JSON, and the client's `\u{1}` that follows fails the exchange with the reason.
    private mutating func oauthBearerExchange(_ message: [UInt8]) -> Result<[UInt8], Failure> {
        if let refusal = oauthBearerRefusal {
            oauthBearerRefusal = nil
            return .failure(Failure(message: refusal.reason))
        }
        guard let clientFirst = Self.oauthBearerClientFirst(message) else {
            return .failure(Failure(message: "Invalid OAUTHBEARER client first message"))
        }
        let nowMillis = clock.nowMillis()
        switch oauthBearer.validate(token: clientFirst.token, extensions: clientFirst.extensions, nowMillis: nowMillis)
        {
        case .success(let principal):
            complete(principal)
            return .success([])
        case .failure(let refusal):
            oauthBearerRefusal = refusal
            return .success(Array(refusal.json.utf8))
        }
    }

    /// The token and extensions of `n,[a=authzid],\u{1}auth=Bearer <token>\u{1}[key=value\u{1}]...\u{1}`.
    static func oauthBearerClientFirst(_ message: [UInt8]) -> (token: String, extensions: [String: String])? {
        guard let text = String(validating: message, as: UTF8.self), text.hasPrefix("n,"),
            text.hasSuffix("\u{1}\u{1}")
        else { return nil }
        let parts = text.split(separator: "\u{1}", omittingEmptySubsequences: false)
        // The GS2 header, the pairs, then the two empty strings around the final separator.
        guard parts.count >= 4, parts[0].hasSuffix(","), parts[parts.count - 1].isEmpty,
            parts[parts.count - 2].isEmpty
        else { return nil }
        var token: String?
        var extensions: [String: String] = [:]
        for pair in parts[1..<(parts.count - 2)] {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let key = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            if key == "auth" {
                guard token == nil, value.hasPrefix("Bearer "), value.count > "Bearer ".count else { return nil }
                token = String(value.dropFirst("Bearer ".count))
            } else {
                guard !key.isEmpty, extensions[key] == nil else { return nil }
                extensions[key] = value
            }
        }
        guard let token else { return nil }
        return (token, extensions)
    }

    /// The user of a valid PLAIN message `authzid NUL user NUL password` (authzid empty or the user).
    private func plainUser(_ message: [UInt8]) -> String? {
        let parts = message.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].contains(0),
            let authzid = String(validating: parts[0], as: UTF8.self),
            let user = String(validating: parts[1], as: UTF8.self),
            let password = String(validating: parts[2], as: UTF8.self),
            !user.isEmpty, authzid.isEmpty || authzid == user,
            let expected = users[user], expected == password
        else { return nil }
        return user
    }

    private static let otherUser = "Re-authentication must keep the user of the connection's first authentication"

    /// Completes an exchange for `user`; false when a re-authentication names another user than the first.
    private mutating func complete(_ user: String) -> Bool {
        scram = nil
        if isReauthenticating {
            guard user == authenticatedUser else { return false }
            isReauthenticating = false
            reauthentications += 1
        }
        isAuthenticated = true
        authenticatedUser = user
        sessionExpiry = sessionLifetime.map { NIODeadline.now() + TimeAmount($0) }
        return true
    }
}

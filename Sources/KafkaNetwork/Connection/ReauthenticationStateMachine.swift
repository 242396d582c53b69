import KafkaProtocol
import NIOCore

/// SASL re-authentication of a ready connection (KIP-368), as a plain state machine.
///
/// A broker with `connections.max.reauth.ms` tells the client in SaslAuthenticate v1+ how long its session lasts
/// (`session_lifetime_ms`); once the session has expired, the broker closes the connection on the next request that
/// is not SaslHandshake or SaslAuthenticate. So at a random point between 85 % and 95 % of the lifetime (as Java's
/// client picks it, which spreads the connections of many clients), the connection authenticates again with the
/// same mechanism and a fresh exchange: SaslHandshake, then SaslAuthenticate rounds. ApiVersions is not repeated.
///
/// With SASL/OAUTHBEARER the exchange needs an unexpired token, which comes from the client's token cache
/// (asynchronously, so not from this machine): at the re-authentication point the machine asks for one
/// (``Action/fetchToken``) and waits, while requests keep flowing, until the handler feeds it the token
/// (``tokenReceived(_:now:)``) or the failure (``tokenFailed(_:)``). Only then does the exchange begin with that token.
/// A failed fetch, or no token within the request timeout, fails the connection.
///
/// Requests already in flight stay in flight: the broker answers them, in order, before the SaslHandshake, and the
/// handler delivers those answers as usual. Requests submitted while the exchange runs wait in the
/// ``RequestPipeline`` (``RequestPipeline/hold()``) and go out once it completes. A failed re-authentication (a
/// refused mechanism or credentials, or no answer within the request timeout) fails the connection.
///
/// A lifetime of zero (brokers without `connections.max.reauth.ms`, or SaslAuthenticate v0) means the session never
/// expires: nothing is scheduled.
struct ReauthenticationStateMachine {
    struct Configuration {
        /// What the connection authenticates with.
        enum Authentication {
            /// PLAIN or SCRAM with a username and password.
            case credentials(SASLCredentials)
            /// OAUTHBEARER with a token fetched anew for each re-authentication.
            case oauthBearer
        }

        var authentication: Authentication
        var handshakeVersion: Int16
        var authenticateVersion: Int16
        /// How long the broker may take to answer each SASL request, and the token cache to deliver a token
        /// (`request.timeout.ms`).
        var requestTimeout: Duration

        init(
            authentication: Authentication, handshakeVersion: Int16, authenticateVersion: Int16,
            requestTimeout: Duration
        ) {
            self.authentication = authentication
            self.handshakeVersion = handshakeVersion
            self.authenticateVersion = authenticateVersion
            self.requestTimeout = requestTimeout
        }

        init(
            credentials: SASLCredentials, handshakeVersion: Int16, authenticateVersion: Int16, requestTimeout: Duration
        ) {
            self.init(
                authentication: .credentials(credentials), handshakeVersion: handshakeVersion,
                authenticateVersion: authenticateVersion, requestTimeout: requestTimeout)
        }
    }

    enum Action: Equatable {
        /// Nothing to do.
        case none
        /// Arm the timer for ``nextDeadline``.
        case scheduleTimer(ContinuousClock.Instant)
        /// Get an unexpired OAUTHBEARER token from the client's token cache (and arm the timer for `deadline`), then
        /// call ``tokenReceived(_:now:)`` or ``tokenFailed(_:)``. Requests keep flowing meanwhile.
        case fetchToken(deadline: ContinuousClock.Instant)
        /// Hold new requests in the pipeline and send this SaslHandshake (the re-authentication begins).
        case begin(SaslHandshakeRequest, version: Int16)
        /// Send this SaslAuthenticate request.
        case send(SaslAuthenticateRequest, version: Int16)
        /// Re-authentication completed: release the held requests; `next` is the next re-authentication, if any.
        case completed(next: ContinuousClock.Instant?)
        /// Fail the connection.
        case fail(KafkaNetworkError)
    }

    private enum State {
        /// No session expiry known: nothing scheduled.
        case unscheduled
        /// Re-authenticate at this instant.
        case scheduled(at: ContinuousClock.Instant)
        /// Waiting for an OAUTHBEARER token from the token cache, until the deadline.
        case awaitingToken(deadline: ContinuousClock.Instant)
        /// Waiting for the SaslHandshake answer, until the deadline.
        case awaitingHandshake(SASLClient, deadline: ContinuousClock.Instant)
        /// Waiting for a SaslAuthenticate answer, until the deadline.
        case authenticating(SASLClient, deadline: ContinuousClock.Instant)
        case failed
    }

    let configuration: Configuration
    private var state: State = .unscheduled
    /// Completed re-authentications on this connection.
    private(set) var count = 0
    /// The session lifetime the broker announced last, if any.
    private(set) var sessionLifetime: Duration?

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Whether a re-authentication exchange is running (new requests wait).
    var isReauthenticating: Bool {
        switch state {
        case .awaitingHandshake, .authenticating: true
        case .unscheduled, .scheduled, .awaitingToken, .failed: false
        }
    }

    /// The API whose answer the exchange waits for, if any.
    var awaitedAPI: KafkaAPIKey? {
        switch state {
        case .awaitingHandshake: .saslHandshake
        case .authenticating: .saslAuthenticate
        case .unscheduled, .scheduled, .awaitingToken, .failed: nil
        }
    }

    /// Whether the machine waits for an OAUTHBEARER token (``tokenReceived(_:now:)`` or ``tokenFailed(_:)``).
    var isAwaitingToken: Bool {
        if case .awaitingToken = state { return true }
        return false
    }

    /// When the timer must fire: the scheduled re-authentication, or the deadline of the token or answer awaited.
    var nextDeadline: ContinuousClock.Instant? {
        switch state {
        case .scheduled(let at): at
        case .awaitingToken(let deadline): deadline
        case .awaitingHandshake(_, let deadline), .authenticating(_, let deadline): deadline
        case .unscheduled, .failed: nil
        }
    }

    /// The (first or a later) authentication completed at `now` with the broker's `session_lifetime_ms`.
    /// `fraction` is the point of the lifetime to re-authenticate at, random in 0.85...0.95 by default.
    mutating func authenticated(
        sessionLifetimeMs: Int64, now: ContinuousClock.Instant, fraction: Double = .random(in: 0.85...0.95)
    ) -> Action {
        guard sessionLifetimeMs > 0 else {
            sessionLifetime = nil
            state = .unscheduled
            return .none
        }
        let lifetime = Duration.milliseconds(sessionLifetimeMs)
        sessionLifetime = lifetime
        let fraction = min(max(fraction, 0.85), 0.95)
        let at = now.advanced(by: lifetime * fraction)
        state = .scheduled(at: at)
        return .scheduleTimer(at)
    }

    /// The timer fired at `now`: begins the re-authentication when it is due, fails the connection when an answer
    /// is overdue.
    mutating func timerFired(now: ContinuousClock.Instant) -> Action {
        switch state {
        case .scheduled(let at):
            guard now >= at else { return .scheduleTimer(at) }
            switch configuration.authentication {
            case .credentials(let credentials):
                return begin(SASLClient(credentials: credentials), now: now)
            case .oauthBearer:
                let deadline = now.advanced(by: configuration.requestTimeout)
                state = .awaitingToken(deadline: deadline)
                return .fetchToken(deadline: deadline)
            }
        case .awaitingToken(let deadline):
            guard now >= deadline else { return .scheduleTimer(deadline) }
            return fail(
                "SASL re-authentication: no OAUTHBEARER token from the token provider within "
                    + "\(configuration.requestTimeout) (request.timeout.ms)", api: .saslHandshake,
                kind: .authenticationFailed)
        case .awaitingHandshake(_, let deadline), .authenticating(_, let deadline):
            guard now >= deadline else { return .scheduleTimer(deadline) }
            let api: KafkaAPIKey = awaitedAPI ?? .saslAuthenticate
            return fail(
                "SASL re-authentication: no \(api.name) response within \(configuration.requestTimeout) "
                    + "(request.timeout.ms)", api: api, kind: .requestTimedOut)
        case .unscheduled, .failed:
            return .none
        }
    }

    /// The token cache delivered `token` for the OAUTHBEARER re-authentication: the exchange begins with it.
    /// A token that arrives after the machine gave up (or that nobody asked for) is ignored.
    mutating func tokenReceived(_ token: OAuthBearerToken, now: ContinuousClock.Instant) -> Action {
        guard case .awaitingToken = state else { return .none }
        return begin(SASLClient(oauthBearer: token), now: now)
    }

    /// The token cache failed to deliver a token: the re-authentication fails (the error never holds a token).
    mutating func tokenFailed(_ error: KafkaNetworkError) -> Action {
        guard case .awaitingToken = state else { return .none }
        return fail("SASL re-authentication: no OAUTHBEARER token: \(error.message)", api: .saslHandshake)
    }

    /// Begins the exchange with `client`: SaslHandshake with its mechanism.
    private mutating func begin(_ client: SASLClient, now: ContinuousClock.Instant) -> Action {
        state = .awaitingHandshake(client, deadline: now.advanced(by: configuration.requestTimeout))
        return .begin(
            SaslHandshakeRequest(mechanism: client.mechanism.rawValue), version: configuration.handshakeVersion)
    }

    mutating func handshakeReceived(_ response: SaslHandshakeResponse, now: ContinuousClock.Instant) -> Action {
        guard case .awaitingHandshake(var client, _) = state else {
            return fail("unexpected SaslHandshake response", api: .saslHandshake, kind: .malformedResponse)
        }
        let code = KafkaErrorCode(rawValue: response.errorCode)
        guard code == .none else {
            let enabled = response.mechanisms.isEmpty ? "none" : response.mechanisms.joined(separator: ", ")
            return fail(
                "SASL re-authentication: the broker refused mechanism \(client.mechanism.rawValue) (\(code.name)); "
                    + "it enables: \(enabled)", api: .saslHandshake)
        }
        let first: [UInt8]
        do {
            first = try client.start()
        } catch {
            return fail("SASL re-authentication: \(error.message)", api: .saslAuthenticate)
        }
        state = .authenticating(client, deadline: now.advanced(by: configuration.requestTimeout))
        return .send(Self.authenticate(first), version: configuration.authenticateVersion)
    }

    mutating func authenticateReceived(
        _ response: SaslAuthenticateResponse, now: ContinuousClock.Instant,
        fraction: Double = .random(in: 0.85...0.95)
    ) -> Action {
        guard case .authenticating(var client, _) = state else {
            return fail("unexpected SaslAuthenticate response", api: .saslAuthenticate, kind: .malformedResponse)
        }
        let code = KafkaErrorCode(rawValue: response.errorCode)
        guard code == .none else {
            if let message = client.failureMessage(brokerMessage: response.errorMessage, code: code.name) {
                return fail("SASL re-authentication: \(message)", api: .saslAuthenticate)
            }
            let detail = response.errorMessage.map { ": \($0)" } ?? ""
            let user: String
            switch configuration.authentication {
            case .credentials(let credentials): user = " for user '\(credentials.username)'"
            case .oauthBearer: user = ""
            }
            return fail(
                "SASL re-authentication with \(client.mechanism.rawValue) failed\(user) (\(code.name))\(detail)",
                api: .saslAuthenticate)
        }
        let step: SASLClient.Step
        do {
            step = try client.receive(Array(buffer: response.authBytes))
        } catch {
            return fail("SASL re-authentication: \(error.message)", api: .saslAuthenticate)
        }
        switch step {
        case .send(let bytes):
            state = .authenticating(client, deadline: now.advanced(by: configuration.requestTimeout))
            return .send(Self.authenticate(bytes), version: configuration.authenticateVersion)
        case .done:
            count += 1
            let next = authenticated(sessionLifetimeMs: response.sessionLifetimeMs, now: now, fraction: fraction)
            if case .scheduleTimer(let at) = next { return .completed(next: at) }
            return .completed(next: nil)
        }
    }

    /// The connection closed or failed for another reason: nothing more is scheduled.
    mutating func close() {
        state = .failed
    }

    private static func authenticate(_ bytes: [UInt8]) -> SaslAuthenticateRequest {
        var request = SaslAuthenticateRequest()
        request.authBytes = ByteBuffer(bytes: bytes)
        return request
    }

    private mutating func fail(
        _ message: String, api: KafkaAPIKey, kind: KafkaNetworkError.Kind = .authenticationFailed
    ) -> Action {
        state = .failed
        return .fail(KafkaNetworkError(kind, message, api: api))
    }
}

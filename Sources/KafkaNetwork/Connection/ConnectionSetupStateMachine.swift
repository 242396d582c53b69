import KafkaProtocol
import NIOCore

/// Connection setup after the TCP (and TLS) connection is up, as a plain state machine:
/// ApiVersions (the newest version, falling back when the broker refuses it), then optionally
/// SaslHandshake and SaslAuthenticate rounds, then ready.
///
/// The handler feeds it decoded responses and performs the actions it returns; it never touches
/// the network itself, so every path is tested without I/O.
struct ConnectionSetupStateMachine {
    struct Configuration {
        var clientSoftwareName: String
        var clientSoftwareVersion: String
        var sasl: SASLCredentials?
        /// The token for SASL/OAUTHBEARER, taken from the client's token cache before connecting; used instead of
        /// ``sasl`` when set.
        var oauthBearerToken: OAuthBearerToken?
        /// The first ApiVersions version tried (the newest this package knows).
        var apiVersionsVersion: Int16 = ApiVersionsRequest.validVersions.upperBound
    }

    /// A request of the setup phase, with the version to encode it at.
    enum SetupRequest {
        case apiVersions(ApiVersionsRequest, version: Int16)
        case saslHandshake(SaslHandshakeRequest, version: Int16)
        case saslAuthenticate(SaslAuthenticateRequest, version: Int16)

        var apiKey: KafkaAPIKey {
            switch self {
            case .apiVersions: .apiVersions
            case .saslHandshake: .saslHandshake
            case .saslAuthenticate: .saslAuthenticate
            }
        }

        var version: Int16 {
            switch self {
            case .apiVersions(_, let version), .saslHandshake(_, let version), .saslAuthenticate(_, let version):
                version
            }
        }

        /// Encodes the request as a complete frame.
        func encode(correlationID: Int32, clientID: String, into frame: inout ByteBuffer) throws {
            switch self {
            case .apiVersions(let message, let version):
                try KafkaFrame.encodeRequest(
                    message, version: version, correlationID: correlationID, clientID: clientID, into: &frame)
            case .saslHandshake(let message, let version):
                try KafkaFrame.encodeRequest(
                    message, version: version, correlationID: correlationID, clientID: clientID, into: &frame)
            case .saslAuthenticate(let message, let version):
                try KafkaFrame.encodeRequest(
                    message, version: version, correlationID: correlationID, clientID: clientID, into: &frame)
            }
        }
    }

    enum Action {
        case send(SetupRequest)
        case ready(NegotiatedVersions)
        case fail(KafkaNetworkError)
    }

    private enum State {
        case initial
        case awaitingApiVersions(version: Int16)
        case awaitingSaslHandshake(NegotiatedVersions, authenticateVersion: Int16, SASLClient)
        case authenticating(NegotiatedVersions, authenticateVersion: Int16, SASLClient)
        case ready
        case failed
    }

    private var state: State = .initial
    let configuration: Configuration
    /// The session lifetime the broker announced in the last SaslAuthenticate response (KIP-368); 0: no expiry.
    private(set) var sessionLifetimeMs: Int64 = 0

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    /// The request the setup is waiting for an answer to, if any.
    var awaitedAPI: KafkaAPIKey? {
        switch state {
        case .awaitingApiVersions: .apiVersions
        case .awaitingSaslHandshake: .saslHandshake
        case .authenticating: .saslAuthenticate
        case .initial, .ready, .failed: nil
        }
    }

    /// Starts the setup once the transport is connected.
    mutating func start() -> Action {
        guard case .initial = state else { return fail(.malformedResponse, "connection setup started twice") }
        return sendApiVersions(version: configuration.apiVersionsVersion)
    }

    mutating func apiVersionsReceived(_ response: ApiVersionsResponse) -> Action {
        guard case .awaitingApiVersions(let version) = state else {
            return fail(.malformedResponse, "unexpected ApiVersions response")
        }
        let code = KafkaErrorCode(rawValue: response.errorCode)
        if code == .unsupportedVersion && version > 0 {
            // KIP-511: the broker lists its own ApiVersions range; otherwise fall back to v0.
            let theirs = response.apiKeys.first { $0.apiKey == KafkaAPIKey.apiVersions.rawValue }
            var next: Int16 = 0
            if let theirs, theirs.maxVersion >= 0, theirs.maxVersion < version {
                next = min(theirs.maxVersion, ApiVersionsRequest.validVersions.upperBound)
            }
            return sendApiVersions(version: next)
        }
        guard code == .none else {
            return fail(.unsupportedVersion, "ApiVersions v\(version) failed with \(code.name)", api: .apiVersions)
        }
        let versions = NegotiatedVersions(response: response)
        let client: SASLClient
        if let token = configuration.oauthBearerToken {
            client = SASLClient(oauthBearer: token)
        } else if let sasl = configuration.sasl {
            client = SASLClient(credentials: sasl)
        } else {
            state = .ready
            return .ready(versions)
        }
        // SASL through SaslHandshake v1 + SaslAuthenticate (KIP-152); v0's raw tokens are not supported.
        let handshakeVersion: Int16
        let authenticateVersion: Int16
        do {
            handshakeVersion = try versions.version(for: SaslHandshakeRequest.self)
            authenticateVersion = try versions.version(for: SaslAuthenticateRequest.self)
        } catch {
            return fail(error)
        }
        guard handshakeVersion >= 1 else {
            return fail(
                .unsupportedVersion,
                "the broker only supports SaslHandshake v0 (Kafka before 1.0); SASL needs SaslHandshake v1",
                api: .saslHandshake)
        }
        state = .awaitingSaslHandshake(versions, authenticateVersion: authenticateVersion, client)
        return .send(
            .saslHandshake(SaslHandshakeRequest(mechanism: client.mechanism.rawValue), version: handshakeVersion))
    }

    mutating func saslHandshakeReceived(_ response: SaslHandshakeResponse) -> Action {
        guard case .awaitingSaslHandshake(let versions, let authenticateVersion, var client) = state else {
            return fail(.malformedResponse, "unexpected SaslHandshake response")
        }
        let code = KafkaErrorCode(rawValue: response.errorCode)
        guard code == .none else {
            let enabled = response.mechanisms.isEmpty ? "none" : response.mechanisms.joined(separator: ", ")
            return fail(
                .authenticationFailed,
                "the broker refused SASL mechanism \(client.mechanism.rawValue) (\(code.name)); it enables: \(enabled)",
                api: .saslHandshake)
        }
        let first: [UInt8]
        do {
            first = try client.start()
        } catch {
            return fail(.authenticationFailed, error.message, api: .saslAuthenticate)
        }
        state = .authenticating(versions, authenticateVersion: authenticateVersion, client)
        return .send(.saslAuthenticate(Self.authenticate(first), version: authenticateVersion))
    }

    mutating func saslAuthenticateReceived(_ response: SaslAuthenticateResponse) -> Action {
        guard case .authenticating(let versions, let authenticateVersion, var client) = state else {
            return fail(.malformedResponse, "unexpected SaslAuthenticate response")
        }
        let code = KafkaErrorCode(rawValue: response.errorCode)
        guard code == .none else {
            let detail = response.errorMessage.map { ": \($0)" } ?? ""
            if let message = client.failureMessage(brokerMessage: response.errorMessage, code: code.name) {
                return fail(.authenticationFailed, message, api: .saslAuthenticate)
            }
            return fail(
                .authenticationFailed,
                "SASL \(client.mechanism.rawValue) authentication failed for user '\(configuration.sasl?.username ?? "")' "
                    + "(\(code.name))\(detail)",
                api: .saslAuthenticate)
        }
        let step: SASLClient.Step
        do {
            step = try client.receive(Array(buffer: response.authBytes))
        } catch {
            return fail(.authenticationFailed, error.message, api: .saslAuthenticate)
        }
        switch step {
        case .send(let bytes):
            state = .authenticating(versions, authenticateVersion: authenticateVersion, client)
            return .send(.saslAuthenticate(Self.authenticate(bytes), version: authenticateVersion))
        case .done:
            sessionLifetimeMs = response.sessionLifetimeMs
            state = .ready
            return .ready(versions)
        }
    }

    /// The connection failed during setup (closed, timed out, undecodable response).
    mutating func failed(_ error: KafkaNetworkError) -> Action {
        fail(error)
    }

    private mutating func sendApiVersions(version: Int16) -> Action {
        state = .awaitingApiVersions(version: version)
        var request = ApiVersionsRequest()
        request.clientSoftwareName = configuration.clientSoftwareName
        request.clientSoftwareVersion = configuration.clientSoftwareVersion
        return .send(.apiVersions(request, version: version))
    }

    private static func authenticate(_ bytes: [UInt8]) -> SaslAuthenticateRequest {
        var request = SaslAuthenticateRequest()
        request.authBytes = ByteBuffer(bytes: bytes)
        return request
    }

    private mutating func fail(
        _ kind: KafkaNetworkError.Kind, _ message: String, api: KafkaAPIKey? = nil
    ) -> Action {
        fail(KafkaNetworkError(kind, message, api: api))
    }

    private mutating func fail(_ error: KafkaNetworkError) -> Action {
        state = .failed
        return .fail(error)
    }
}

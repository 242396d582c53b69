public import KafkaProtocol

/// A failure of the networking layer: connecting, negotiating, authenticating, or a request that
/// did not get its answer.
///
/// Broker-side errors carried inside a response are ``/KafkaProtocol/KafkaError`` values instead; this type is
/// for what happens around them. ``isRetriable`` says whether the same request may succeed on a
/// new attempt (possibly on another connection or broker).
public struct KafkaNetworkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Sendable, Hashable {
        /// The TCP connection could not be established (refused, unreachable, DNS).
        case connectFailed
        /// The TCP connection (or TLS handshake) did not complete within the setup timeout.
        case connectTimedOut
        /// The connection closed while the request was queued or in flight.
        case connectionClosed
        /// No response within `request.timeout.ms`; the connection was closed.
        case requestTimedOut
        /// The broker sent a frame larger than the configured maximum.
        case frameTooLarge
        /// The broker sent bytes that are not a valid response stream (a frame that does not
        /// answer the oldest request, garbage). The connection is closed; a retry uses a new one.
        case malformedResponse
        /// A well-framed response whose body could not be decoded at the negotiated version. Not
        /// retried: the same request would get the same answer.
        case undecodableResponse
        /// The TLS handshake or certificate verification failed.
        case tlsFailed
        /// SASL authentication failed. Fatal: retrying with the same credentials cannot help.
        case authenticationFailed
        /// The broker and this client share no version of an API they need.
        case unsupportedVersion
        /// No broker could be reached (all bootstrap servers and known brokers failed).
        case noBrokerAvailable
        /// The client or connection was closed by its owner.
        case shutDown
    }

    /// What went wrong.
    public var kind: Kind
    /// A one-line explanation.
    public var message: String
    /// The broker involved, as "node 1 (host:port)" or "host:port", when there is one.
    public var broker: String?
    /// The API of the request involved, when there is one.
    public var api: KafkaAPIKey?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, broker: String? = nil, api: KafkaAPIKey? = nil) {
        self.kind = kind
        self.message = message
        self.broker = broker
        self.api = api
    }

    /// Whether a new attempt of the same request may succeed.
    public var isRetriable: Bool {
        switch kind {
        case .connectFailed, .connectTimedOut, .connectionClosed, .requestTimedOut, .noBrokerAvailable,
            .frameTooLarge, .malformedResponse:
            return true
        case .tlsFailed, .authenticationFailed, .unsupportedVersion, .shutDown, .undecodableResponse:
            return false
        }
    }

    public var description: String {
        var text = message
        if let api { text += " [\(api.name)]" }
        if let broker { text += " [broker \(broker)]" }
        return text
    }

    func with(broker: String) -> KafkaNetworkError {
        var copy = self
        if copy.broker == nil { copy.broker = broker }
        return copy
    }

    func with(api: KafkaAPIKey) -> KafkaNetworkError {
        var copy = self
        if copy.api == nil { copy.api = api }
        return copy
    }
}

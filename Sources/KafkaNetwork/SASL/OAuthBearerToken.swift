/// An OAuth 2 bearer token for SASL/OAUTHBEARER (KIP-255, RFC 7628), with what the client needs to use and renew it.
///
/// The textual, debug and reflected representations (`description`, `debugDescription`, `dump`) never show the
/// token's value.
public struct OAuthBearerToken: Sendable, Hashable {
    /// The token sent to the broker after `auth=Bearer ` (for a JWT, its compact serialization).
    public var value: String
    /// When the token stops being valid, in milliseconds since 1970-01-01T00:00:00Z (Kafka's `lifetimeMs`).
    ///
    /// The client asks its provider for a new token once 80% of the time from receiving the token to this instant
    /// has passed, and never opens a connection with a token past it.
    public var expirationMillis: Int64
    /// The principal the token stands for (for a JWT, usually its `sub` claim); shown in logs and errors.
    public var principalName: String
    /// SASL extensions sent with the token (RFC 7628 section 3.1), such as `logicalCluster=lkc-123` for a broker
    /// that asks for them. Names are ASCII letters only, values printable ASCII, spaces, tabs and line breaks;
    /// `auth` is reserved.
    public var extensions: [String: String]

    /// Creates a token that expires at `expirationMillis` (milliseconds since 1970-01-01T00:00:00Z).
    public init(value: String, expirationMillis: Int64, principalName: String, extensions: [String: String] = [:]) {
        self.value = value
        self.expirationMillis = expirationMillis
        self.principalName = principalName
        self.extensions = extensions
    }

    /// Creates a token that expires `lifetime` from now (the system's real-time clock).
    public init(value: String, lifetime: Duration, principalName: String, extensions: [String: String] = [:]) {
        self.init(
            value: value, expirationMillis: OAuthBearerClock.system.nowMillis() &+ lifetime.clampedMilliseconds,
            principalName: principalName, extensions: extensions)
    }
}

extension OAuthBearerToken: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The principal, the expiry and the extension names; the token's value and the extension values are redacted.
    public var description: String {
        let names = extensions.keys.sorted().joined(separator: ", ")
        return "OAuthBearerToken(principalName: \"\(principalName)\", expirationMillis: \(expirationMillis), "
            + "value: <redacted>, extensions: [\(names)])"
    }

    /// Same as ``description``: the token's value is redacted.
    public var debugDescription: String { description }

    /// A mirror without the token's value, so that `dump` and debuggers do not reveal it either.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "principalName": principalName, "expirationMillis": expirationMillis, "value": "<redacted>",
                "extensions": extensions.keys.sorted(),
            ])
    }
}

/// Where SASL/OAUTHBEARER tokens come from: your identity provider, a sidecar, a file, a test.
///
/// Set one as ``KafkaClientConfiguration/oauthBearerTokenProvider`` (with a `SASL_SSL` or `SASL_PLAINTEXT`
/// ``KafkaClientConfiguration/securityProtocol``) and every connection authenticates with SASL/OAUTHBEARER.
/// The client keeps the last token and calls ``token()`` again once 80% of its lifetime has passed (or it has
/// expired), so an implementation may simply fetch a new token on every call. Calls are never concurrent for one
/// client: connections opened while a token is being fetched wait for that one.
///
/// ```swift
/// struct VaultTokens: OAuthBearerTokenProvider {
///     func token() async throws -> OAuthBearerToken {
///         let issued = try await vault.issueKafkaToken()
///         return OAuthBearerToken(value: issued.jwt, lifetime: .seconds(issued.ttl), principalName: issued.subject)
///     }
/// }
/// var configuration = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "kafka", port: 9093)])
/// configuration.securityProtocol = .saslSSL
/// configuration.oauthBearerTokenProvider = VaultTokens()
/// ```
///
/// With properties instead, `sasl.mechanism=OAUTHBEARER` and a `sasl.jaas.config` of Kafka's
/// `OAuthBearerLoginModule` choose one of the package's providers: unsecured development tokens
/// (`unsecuredLoginStringClaim_sub="alice"`), or OIDC client credentials with
/// `sasl.login.callback.handler.class` and `sasl.oauthbearer.token.endpoint.url`.
public protocol OAuthBearerTokenProvider: Sendable {
    /// Returns a token to authenticate new connections with.
    ///
    /// - Throws: any error; the connection attempt fails with a ``KafkaNetworkError`` of kind
    ///   `.authenticationFailed` whose message includes the error's description (keep secrets out of it).
    func token() async throws -> OAuthBearerToken
}

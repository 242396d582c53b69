/// A SASL mechanism this client can authenticate with (`sasl.mechanism`).
///
/// The raw value is the mechanism name sent in the SaslHandshake request.
public enum SASLMechanism: String, Sendable, Hashable, CaseIterable {
    /// SASL/PLAIN (RFC 4616): username and password in the clear. Use it only over TLS.
    case plain = "PLAIN"
    /// SCRAM-SHA-256 (RFC 5802, RFC 7677): a salted challenge-response; the password never leaves the client.
    case scramSHA256 = "SCRAM-SHA-256"
    /// SCRAM-SHA-512 (RFC 5802 with SHA-512, as Kafka implements it).
    case scramSHA512 = "SCRAM-SHA-512"
    /// SASL/OAUTHBEARER (RFC 7628, KIP-255): an OAuth 2 bearer token from
    /// ``KafkaClientConfiguration/oauthBearerTokenProvider`` (or from `sasl.jaas.config` with Kafka's
    /// `OAuthBearerLoginModule`), not a username and password. Use it only over TLS outside development.
    case oauthBearer = "OAUTHBEARER"
}

/// Credentials for SASL (username/password mechanisms).
///
/// The textual, debug and reflected representations (`description`, `debugDescription`, `dump`)
/// never show the password.
public struct SASLCredentials: Sendable, Hashable {
    /// The mechanism to authenticate with.
    public var mechanism: SASLMechanism
    /// The user name (`sasl.username`).
    public var username: String
    /// The password (`sasl.password`), used as raw UTF-8 bytes like Kafka does (no SASLprep).
    public var password: String

    /// Creates credentials for `mechanism`.
    public init(mechanism: SASLMechanism, username: String, password: String) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
    }
}

extension SASLCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The mechanism and user name; the password is redacted.
    public var description: String {
        "SASLCredentials(mechanism: \(mechanism.rawValue), username: \"\(username)\", password: <redacted>)"
    }

    /// Same as ``description``: the password is redacted.
    public var debugDescription: String { description }

    /// A mirror without the password, so that `dump` and debuggers do not reveal it either.
    public var customMirror: Mirror {
        Mirror(self, children: ["mechanism": mechanism, "username": username, "password": "<redacted>"])
    }
}

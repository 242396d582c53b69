/// How the client talks to brokers (`security.protocol`).
public enum SecurityProtocol: String, Sendable, Hashable, CaseIterable {
    /// Plain TCP, no authentication.
    case plaintext = "PLAINTEXT"
    /// TLS, optionally with a client certificate.
    case ssl = "SSL"
    /// SASL authentication over plain TCP.
    case saslPlaintext = "SASL_PLAINTEXT"
    /// SASL authentication over TLS.
    case saslSSL = "SASL_SSL"

    /// Whether connections use TLS (`SSL` and `SASL_SSL`).
    public var usesTLS: Bool { self == .ssl || self == .saslSSL }

    /// Whether connections authenticate with SASL (`SASL_PLAINTEXT` and `SASL_SSL`).
    public var usesSASL: Bool { self == .saslPlaintext || self == .saslSSL }
}

/// Settings shared by producers, consumers and admin clients.
///
/// The defaults are the Java client's. Build one in code, or from the Java client's property names with
/// ``init(properties:)`` (``knownProperties`` lists them; a few of librdkafka's names are accepted too).
/// ``validate()`` checks that the settings fit together; the cluster client calls it.
///
/// The textual and reflected representations never show passwords or private keys.
public struct KafkaClientConfiguration: Sendable {
    /// This package's version: the default `client.software.version`, and what the tools' `--version` prints.
    public static let packageVersion = "0.1.0"

    /// The brokers to fetch the cluster's metadata from first (`bootstrap.servers`); at least one.
    public var bootstrapServers: [BrokerAddress]
    /// The client id sent with every request (`client.id`).
    public var clientID: String = "swift-kafka"
    /// The client software name sent in ApiVersions v3+ (`client.software.name`).
    public var clientSoftwareName: String = "swift-kafka"
    /// The client software version sent in ApiVersions v3+ (`client.software.version`).
    public var clientSoftwareVersion: String = KafkaClientConfiguration.packageVersion
    /// How long to wait for a response before failing the request (`request.timeout.ms`).
    public var requestTimeout: Duration = .seconds(30)
    /// How long a connection may take to set up (TCP and TLS) at first (`socket.connection.setup.timeout.ms`).
    public var connectionSetupTimeout: Duration = .seconds(10)
    /// The most the setup timeout grows to after consecutive failures (`socket.connection.setup.timeout.max.ms`).
    public var connectionSetupTimeoutMax: Duration = .seconds(30)
    /// The first wait before reconnecting to a broker (`reconnect.backoff.ms`).
    public var reconnectBackoff: Duration = .milliseconds(50)
    /// The most the reconnect wait grows to after consecutive failures (`reconnect.backoff.max.ms`).
    public var reconnectBackoffMax: Duration = .seconds(1)
    /// The first wait before retrying a failed request (`retry.backoff.ms`).
    public var retryBackoff: Duration = .milliseconds(100)
    /// The most the retry wait grows to (`retry.backoff.max.ms`, KIP-580).
    public var retryBackoffMax: Duration = .seconds(1)
    /// How many times admin and metadata requests are retried (`retries`); at least 0.
    public var retries: Int = Int(Int32.max)
    /// How old the cached metadata may get before it is refreshed (`metadata.max.age.ms`).
    public var metadataMaxAge: Duration = .seconds(300)
    /// How many requests may wait for their responses on one connection
    /// (`max.in.flight.requests.per.connection`); at least 1.
    public var maxInFlightRequestsPerConnection: Int = 5
    /// The largest response accepted, in bytes (`receive.message.max.bytes`, librdkafka's name); at least 1024.
    public var maximumResponseSize: Int = 100 * 1024 * 1024
    /// How long an unused connection stays open (`connections.max.idle.ms`).
    public var connectionsMaxIdle: Duration = .seconds(540)
    /// TLS and SASL use (`security.protocol`).
    public var securityProtocol: SecurityProtocol = .plaintext
    /// Certificates and verification for `SSL` and `SASL_SSL` (the `ssl.*` properties).
    public var tls: KafkaTLSConfiguration = .init()
    /// The SASL mechanism and credentials for `SASL_PLAINTEXT` and `SASL_SSL` (the `sasl.*` properties).
    public var sasl: SASLCredentials? = nil
    /// Where SASL/OAUTHBEARER tokens come from. When set (with a `SASL_SSL` or `SASL_PLAINTEXT`
    /// ``securityProtocol``), connections authenticate with OAUTHBEARER and ``sasl`` must be nil. Properties set it
    /// from `sasl.jaas.config` with Kafka's `OAuthBearerLoginModule`; see ``OAuthBearerTokenProvider``.
    public var oauthBearerTokenProvider: (any OAuthBearerTokenProvider)? = nil
    /// Whether Metadata requests for named topics ask the broker to create the topics it does not have, when its
    /// `auto.create.topics.enable` allows it. The producer sets it (as Java's producer always does), the consumer
    /// follows `allow.auto.create.topics` (default `true`), and the admin client never asks. Metadata v0–v3 cannot
    /// say no: a broker that allows auto-creation creates every topic they name.
    public var allowAutoTopicCreation: Bool = false

    /// What properties said that does not map to one field by itself (SASL parts given separately, store
    /// types, aliases), so that ``validate()`` can check it whatever order the properties came in.
    var propertyState = PropertyState()

    /// Creates a configuration with the Java client's defaults.
    public init(bootstrapServers: [BrokerAddress]) {
        self.bootstrapServers = bootstrapServers
    }
}

extension KafkaClientConfiguration {
    /// Settings read from properties that ``validate()`` checks together.
    struct PropertyState: Sendable, Hashable {
        var saslMechanism: SASLMechanism?  // sasl.mechanism
        var saslMechanisms: SASLMechanism?  // sasl.mechanisms (librdkafka)
        var saslUsername: String?
        var saslPassword: String?
        var jaas: JAASLogin?
        var truststoreType: StoreType?  // nil: unset (Java's default is JKS)
        var keystoreType: StoreType?
        var caLocation: String?  // ssl.ca.location
        var truststoreLocation: String?  // ssl.truststore.location
        var keystoreLocation: String?  // ssl.keystore.location
        var certificateLocation: String?  // ssl.certificate.location
        var keyLocation: String?  // ssl.key.location
        /// The store locations the TLS settings were last pointed at (see `resolveStores()`).
        var appliedKeystoreLocation: String?
        var appliedTruststoreLocation: String?
        var oidc = OIDCPropertyState()
    }

    /// A key or trust store format (`ssl.keystore.type`, `ssl.truststore.type`).
    enum StoreType: Sendable, Hashable {
        case pem
        case pkcs12
    }

    /// Rebuilds ``sasl`` from the SASL properties seen so far, once mechanism, user name and password are known.
    ///
    /// Each part falls back to the current credentials, so properties can amend credentials set in code. With
    /// Java's `PlainLoginModule` and no `sasl.mechanism`, the mechanism is PLAIN. OAUTHBEARER has no credentials:
    /// ``resolveOAuthBearer()`` sets its token provider instead.
    mutating func resolveSASL() {
        let state = propertyState
        let mechanism = state.saslMechanism ?? state.saslMechanisms ?? state.jaas?.impliedMechanism ?? sasl?.mechanism
        let username = state.saslUsername ?? state.jaas?.username ?? sasl?.username
        let password = state.saslPassword ?? state.jaas?.password ?? sasl?.password
        resolveOAuthBearer()
        if mechanism != .oauthBearer, let mechanism, let username, let password {
            sasl = SASLCredentials(mechanism: mechanism, username: username, password: password)
        }
    }

    /// Checks that the settings fit together.
    ///
    /// Checks the ranges of numeric settings, that the maximum backoffs and setup timeout are not below their
    /// initial values, that a SASL security protocol has a mechanism and credentials (and that
    /// `sasl.jaas.config` agrees with `sasl.mechanism`, `sasl.username` and `sasl.password`) or, for OAUTHBEARER,
    /// a token provider (and not also credentials), and for a TLS security protocol that a store location has a
    /// type (PEM or PKCS12), that store passwords go with PKCS12 stores, that no certificate or key is given twice,
    /// and that a client key comes with its certificate. Like the Java client, TLS settings are ignored without TLS and SASL settings
    /// without SASL.
    ///
    /// - Throws: ``KafkaConfigurationError`` naming the first inconsistent property.
    public func validate() throws(KafkaConfigurationError) {
        guard !bootstrapServers.isEmpty else {
            throw KafkaConfigurationError(
                property: "bootstrap.servers",
                message: "bootstrap.servers is empty: at least one broker address (host:port) is required")
        }
        for address in bootstrapServers where address.host.isEmpty || !(1...65535).contains(address.port) {
            throw KafkaConfigurationError(
                property: "bootstrap.servers",
                message:
                    "bootstrap.servers: invalid broker address '\(address)': needs a host and a port from 1 to 65535")
        }
        try Self.checkSoftwareField(clientSoftwareName, property: "client.software.name")
        try Self.checkSoftwareField(clientSoftwareVersion, property: "client.software.version")
        let positive: [(String, Duration)] = [
            ("request.timeout.ms", requestTimeout), ("socket.connection.setup.timeout.ms", connectionSetupTimeout),
            ("socket.connection.setup.timeout.max.ms", connectionSetupTimeoutMax),
        ]
        for (property, duration) in positive where duration <= .zero {
            throw KafkaConfigurationError(
                property: property, message: "\(property) must be positive, not \(Self.milliseconds(duration)) ms")
        }
        let nonNegative: [(String, Duration)] = [
            ("reconnect.backoff.ms", reconnectBackoff), ("reconnect.backoff.max.ms", reconnectBackoffMax),
            ("retry.backoff.ms", retryBackoff), ("retry.backoff.max.ms", retryBackoffMax),
            ("metadata.max.age.ms", metadataMaxAge), ("connections.max.idle.ms", connectionsMaxIdle),
        ]
        for (property, duration) in nonNegative where duration < .zero {
            throw KafkaConfigurationError(
                property: property, message: "\(property) must not be negative, not \(Self.milliseconds(duration)) ms")
        }
        let maximums: [(String, Duration, String, Duration)] = [
            ("reconnect.backoff.max.ms", reconnectBackoffMax, "reconnect.backoff.ms", reconnectBackoff),
            ("retry.backoff.max.ms", retryBackoffMax, "retry.backoff.ms", retryBackoff),
            (
                "socket.connection.setup.timeout.max.ms", connectionSetupTimeoutMax,
                "socket.connection.setup.timeout.ms", connectionSetupTimeout
            ),
        ]
        for (maxProperty, maximum, property, initial) in maximums where maximum < initial {
            throw KafkaConfigurationError(
                property: maxProperty,
                message: "\(maxProperty) (\(Self.milliseconds(maximum)) ms) is less than \(property) "
                    + "(\(Self.milliseconds(initial)) ms)")
        }
        let counts: [(String, Int, ClosedRange<Int>)] = [
            ("retries", retries, 0...Int.max),
            ("max.in.flight.requests.per.connection", maxInFlightRequestsPerConnection, 1...Int.max),
            ("receive.message.max.bytes", maximumResponseSize, 1024...Int(Int32.max)),
        ]
        for (property, value, range) in counts where !range.contains(value) {
            throw KafkaConfigurationError(
                property: property, message: "\(property) is \(value), outside \(Self.describe(range))")
        }
        if securityProtocol.usesSASL { try validateSASL() }
        if securityProtocol.usesTLS { try validateTLS() }
    }

    private func validateSASL() throws(KafkaConfigurationError) {
        let state = propertyState
        let protocolName = "security.protocol \(securityProtocol.rawValue)"
        if let java = state.saslMechanism, let librdkafka = state.saslMechanisms, java != librdkafka {
            throw KafkaConfigurationError(
                property: "sasl.mechanism",
                message: "sasl.mechanism '\(java.rawValue)' and sasl.mechanisms '\(librdkafka.rawValue)' differ")
        }
        try validateOAuthBearer()
        if let jaas = state.jaas {
            if let mechanism = state.saslMechanism ?? state.saslMechanisms ?? sasl?.mechanism,
                !jaas.implements(mechanism)
            {
                throw KafkaConfigurationError(
                    property: "sasl.jaas.config",
                    message: "sasl.jaas.config uses \(jaas.moduleName), which does not implement sasl.mechanism "
                        + "\(mechanism.rawValue)")
            }
            if let username = state.saslUsername, let jaasUsername = jaas.username, username != jaasUsername {
                throw KafkaConfigurationError(
                    property: "sasl.username",
                    message: "sasl.username '\(username)' differs from the username '\(jaasUsername)' in "
                        + "sasl.jaas.config; set only one of them")
            }
            if let password = state.saslPassword, let jaasPassword = jaas.password, password != jaasPassword {
                throw KafkaConfigurationError(
                    property: "sasl.password",
                    message: "sasl.password differs from the password in sasl.jaas.config; set only one of them")
            }
        }
        guard sasl == nil, oauthBearerTokenProvider == nil else { return }
        if state.saslMechanism == nil, state.saslMechanisms == nil, let jaas = state.jaas, !jaas.isPlain {
            throw KafkaConfigurationError(
                property: "sasl.mechanism",
                message:
                    "sasl.jaas.config uses \(jaas.moduleName): set sasl.mechanism to SCRAM-SHA-256 or SCRAM-SHA-512")
        }
        if state.saslMechanism == nil, state.saslMechanisms == nil, state.jaas == nil {
            throw KafkaConfigurationError(
                property: "sasl.mechanism",
                message: "\(protocolName) needs sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER) "
                    + "and credentials (sasl.jaas.config, or sasl.username and sasl.password)")
        }
        if state.saslUsername == nil, state.jaas?.username == nil {
            throw KafkaConfigurationError(
                property: "sasl.username",
                message: "\(protocolName) needs a user name: username=\"...\" in sasl.jaas.config, or sasl.username")
        }
        throw KafkaConfigurationError(
            property: "sasl.password",
            message: "\(protocolName) needs a password: password=\"...\" in sasl.jaas.config, or sasl.password")
    }

    private func validateTLS() throws(KafkaConfigurationError) {
        let state = propertyState
        func untyped(_ setting: String, _ location: String, _ typeSetting: String) -> KafkaConfigurationError {
            KafkaConfigurationError(
                property: setting,
                message: "\(setting) '\(location)' needs \(typeSetting)=PKCS12 or \(typeSetting)=PEM (the Java "
                    + "default type is JKS, which is not supported: convert a JKS store with "
                    + "`\(PKCS12Store.conversionCommand(for: location))`)")
        }
        if let location = state.truststoreLocation, state.truststoreType == nil {
            throw untyped("ssl.truststore.location", location, "ssl.truststore.type")
        }
        if let location = state.keystoreLocation, state.keystoreType == nil {
            throw untyped("ssl.keystore.location", location, "ssl.keystore.type")
        }
        for (setting, password, type) in [
            ("ssl.keystore.password", tls.keystorePassword, state.keystoreType),
            ("ssl.truststore.password", tls.truststorePassword, state.truststoreType),
        ] where password != nil && type == .pem {
            throw KafkaConfigurationError(
                property: setting,
                message: "\(setting) is set, but a PEM store has no store password (an encrypted PEM key's "
                    + "password is ssl.key.password)")
        }
        if tls.keystoreFile != nil, tls.keyPEM != nil || tls.certificatePEM != nil {
            throw KafkaConfigurationError(
                property: "ssl.keystore.location",
                message: "a PKCS12 key store (ssl.keystore.location) and ssl.keystore.key or "
                    + "ssl.keystore.certificate.chain are both set; set only one")
        }
        if tls.truststoreFile != nil, tls.caPEM != nil || tls.caFile != nil {
            throw KafkaConfigurationError(
                property: "ssl.truststore.location",
                message: "a PKCS12 trust store (ssl.truststore.location) and ssl.truststore.certificates or "
                    + "ssl.ca.location are both set; set only one")
        }
        if let ca = state.caLocation, let truststore = state.truststoreLocation, ca != truststore {
            throw KafkaConfigurationError(
                property: "ssl.truststore.location",
                message: "ssl.ca.location '\(ca)' and ssl.truststore.location '\(truststore)' differ; set only one")
        }
        if state.keystoreLocation != nil, state.certificateLocation != nil || state.keyLocation != nil {
            throw KafkaConfigurationError(
                property: "ssl.keystore.location",
                message: "ssl.keystore.location holds the key and the certificate chain; do not also set "
                    + "ssl.certificate.location or ssl.key.location")
        }
        if tls.caFile != nil, tls.caPEM != nil {
            throw KafkaConfigurationError(
                property: "ssl.truststore.certificates",
                message: "ssl.truststore.certificates and a CA file (ssl.ca.location or ssl.truststore.location) "
                    + "are both set; set only one")
        }
        if tls.certificateFile != nil, tls.certificatePEM != nil {
            throw KafkaConfigurationError(
                property: "ssl.keystore.certificate.chain",
                message: "ssl.keystore.certificate.chain and a certificate file (ssl.certificate.location or "
                    + "ssl.keystore.location) are both set; set only one")
        }
        if tls.keyFile != nil, tls.keyPEM != nil {
            throw KafkaConfigurationError(
                property: "ssl.keystore.key",
                message: "ssl.keystore.key and a key file (ssl.key.location or ssl.keystore.location) are both set; "
                    + "set only one")
        }
        let hasKey = tls.keyFile != nil || tls.keyPEM != nil
        let hasCertificate = tls.certificateFile != nil || tls.certificatePEM != nil
        if hasKey, !hasCertificate {
            throw KafkaConfigurationError(
                property: tls.keyPEM != nil ? "ssl.keystore.key" : "ssl.key.location",
                message: "a client private key is set (ssl.key.location or ssl.keystore.key) without its certificate "
                    + "(ssl.certificate.location or ssl.keystore.certificate.chain)")
        }
        if hasCertificate, !hasKey {
            throw KafkaConfigurationError(
                property: tls.certificatePEM != nil ? "ssl.keystore.certificate.chain" : "ssl.certificate.location",
                message: "a client certificate is set (ssl.certificate.location or ssl.keystore.certificate.chain) "
                    + "without its private key (ssl.key.location or ssl.keystore.key)")
        }
    }

    /// Checks a `client.software.*` value against the pattern brokers require in ApiVersions v3+:
    /// letters and digits, with `-` and `.` between them.
    static func checkSoftwareField(_ value: String, property: String) throws(KafkaConfigurationError) {
        func isAlphanumeric(_ character: Character) -> Bool {
            character.isASCII && (character.isLetter || character.isNumber)
        }
        let valid =
            if let first = value.first, let last = value.last {
                isAlphanumeric(first) && isAlphanumeric(last)
                    && value.allSatisfy { isAlphanumeric($0) || $0 == "-" || $0 == "." }
            } else {
                false
            }
        guard valid else {
            throw .invalidValue(
                value, for: property,
                "brokers accept only letters and digits, with '-' and '.' between them")
        }
    }

    /// Whole milliseconds of `duration`, clamped to `Int64`.
    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.clampedMilliseconds
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == .max ? "at least \(range.lowerBound)" : "\(range.lowerBound)...\(range.upperBound)"
    }
}

extension KafkaClientConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings, by property name, with passwords and private keys redacted.
    public var description: String {
        let settings = redactedSettings.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
        return "KafkaClientConfiguration(\(settings))"
    }

    /// Same as ``description``: passwords and private keys are redacted.
    public var debugDescription: String { description }

    /// A mirror of the settings with passwords and private keys redacted, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(self, children: redactedSettings.map { (label: $0.0, value: $0.1 as Any) }, displayStyle: .struct)
    }

    private var redactedSettings: [(String, String)] {
        func optional(_ value: String?) -> String { value.map { "'\($0)'" } ?? "nil" }
        func secret(_ value: String?) -> String { value == nil ? "nil" : "<redacted>" }
        return [
            ("bootstrap.servers", bootstrapServers.map(\.description).joined(separator: ",")),
            ("client.id", "'\(clientID)'"), ("client.software.name", clientSoftwareName),
            ("client.software.version", clientSoftwareVersion),
            ("request.timeout.ms", "\(Self.milliseconds(requestTimeout))"),
            ("socket.connection.setup.timeout.ms", "\(Self.milliseconds(connectionSetupTimeout))"),
            ("socket.connection.setup.timeout.max.ms", "\(Self.milliseconds(connectionSetupTimeoutMax))"),
            ("reconnect.backoff.ms", "\(Self.milliseconds(reconnectBackoff))"),
            ("reconnect.backoff.max.ms", "\(Self.milliseconds(reconnectBackoffMax))"),
            ("retry.backoff.ms", "\(Self.milliseconds(retryBackoff))"),
            ("retry.backoff.max.ms", "\(Self.milliseconds(retryBackoffMax))"),
            ("retries", "\(retries)"), ("metadata.max.age.ms", "\(Self.milliseconds(metadataMaxAge))"),
            ("max.in.flight.requests.per.connection", "\(maxInFlightRequestsPerConnection)"),
            ("receive.message.max.bytes", "\(maximumResponseSize)"),
            ("connections.max.idle.ms", "\(Self.milliseconds(connectionsMaxIdle))"),
            ("security.protocol", securityProtocol.rawValue),
            ("ssl.ca.location", optional(tls.caFile)), ("ssl.truststore.certificates", optional(tls.caPEM)),
            ("ssl.certificate.location", optional(tls.certificateFile)),
            ("ssl.keystore.certificate.chain", optional(tls.certificatePEM)),
            ("ssl.key.location", optional(tls.keyFile)), ("ssl.keystore.key", secret(tls.keyPEM)),
            ("ssl.key.password", secret(tls.keyPassword)),
            ("ssl.keystore.location (PKCS12)", optional(tls.keystoreFile)),
            ("ssl.keystore.password", secret(tls.keystorePassword)),
            ("ssl.truststore.location (PKCS12)", optional(tls.truststoreFile)),
            ("ssl.truststore.password", secret(tls.truststorePassword)),
            ("ssl.endpoint.identification.algorithm", tls.verifyHostname ? "https" : "none"),
            ("enable.ssl.certificate.verification", "\(tls.verifyCertificate)"),
            ("sasl.mechanism", sasl?.mechanism.rawValue ?? "nil"), ("sasl.username", optional(sasl?.username)),
            ("sasl.password", secret(sasl?.password)),
            ("sasl.oauthbearer.token.provider", redactedTokenProvider),
        ]
    }
}

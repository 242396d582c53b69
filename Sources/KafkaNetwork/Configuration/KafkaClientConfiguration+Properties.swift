extension KafkaClientConfiguration {
    /// The client-level property names ``apply(property:value:)`` recognises, including
    /// ``ignoredProperties``.
    ///
    /// Java's names, plus librdkafka's `sasl.mechanisms`, `sasl.username`, `sasl.password`, `ssl.ca.location`,
    /// `ssl.certificate.location`, `ssl.key.location`, `enable.ssl.certificate.verification`,
    /// `receive.message.max.bytes`, `client.software.name` and `client.software.version`. Trust and key stores are
    /// PEM or PKCS12 (`ssl.truststore.type` and `ssl.keystore.type`); JKS is refused with the `keytool` command
    /// that converts a store to PKCS12. `ssl.truststore.password` and `ssl.keystore.password` are PKCS12 store
    /// passwords.
    /// SASL/OAUTHBEARER takes `sasl.jaas.config` with Kafka's `OAuthBearerLoginModule`, and for OIDC client
    /// credentials `sasl.login.callback.handler.class`, `sasl.oauthbearer.token.endpoint.url`,
    /// `sasl.oauthbearer.scope.claim.name`, `sasl.oauthbearer.sub.claim.name`, `sasl.login.connect.timeout.ms` and
    /// `sasl.login.read.timeout.ms`.
    public static var knownProperties: [String] {
        [
            "bootstrap.servers", "client.id", "client.software.name", "client.software.version", "request.timeout.ms",
            "socket.connection.setup.timeout.ms", "socket.connection.setup.timeout.max.ms", "reconnect.backoff.ms",
            "reconnect.backoff.max.ms", "retry.backoff.ms", "retry.backoff.max.ms", "retries", "metadata.max.age.ms",
            "max.in.flight.requests.per.connection", "receive.message.max.bytes", "connections.max.idle.ms",
            "security.protocol", "ssl.ca.location", "ssl.truststore.location", "ssl.truststore.type",
            "ssl.truststore.certificates", "ssl.truststore.password", "ssl.certificate.location", "ssl.key.location",
            "ssl.key.password", "ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.certificate.chain",
            "ssl.keystore.key", "ssl.keystore.password", "ssl.endpoint.identification.algorithm",
            "enable.ssl.certificate.verification", "sasl.mechanism", "sasl.mechanisms", "sasl.username",
            "sasl.password", "sasl.jaas.config",
        ] + oauthBearerProperties + ignoredProperties
    }

    /// Java client settings that are accepted and ignored because they mean nothing here: DNS lookup strategy,
    /// socket buffer sizes (the system's are used) and JMX/metrics reporting (metrics go through swift-metrics).
    public static var ignoredProperties: [String] {
        [
            "client.dns.lookup", "send.buffer.bytes", "receive.buffer.bytes", "socket.send.buffer.bytes",
            "socket.receive.buffer.bytes", "metric.reporters", "metrics.num.samples", "metrics.recording.level",
            "metrics.sample.window.ms", "auto.include.jmx.reporter", "enable.metrics.push",
        ]
    }

    /// Builds a configuration from Java-style properties (for example from ``PropertiesFile/load(path:)``).
    ///
    /// `bootstrap.servers` is required. Properties are applied in name order, so the error reported for
    /// several bad properties is always the same one. Settings are not checked against each other here (they may
    /// be completed in code): call ``validate()`` for that (the cluster client does).
    ///
    /// - Throws: ``KafkaConfigurationError`` naming an unknown property, or a known one with an invalid value.
    public init(properties: [String: String]) throws(KafkaConfigurationError) {
        guard let servers = properties["bootstrap.servers"] else {
            throw KafkaConfigurationError(
                property: "bootstrap.servers", message: "bootstrap.servers is required (a list of host:port)")
        }
        self.init(bootstrapServers: try BrokerAddress.parseList(servers, property: "bootstrap.servers"))
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) where name != "bootstrap.servers" {
            guard try apply(property: name, value: value) else { throw .unknownProperty(name) }
        }
    }

    /// Applies one property.
    ///
    /// Values are trimmed (passwords excepted). Durations (`*.ms`) are non-negative integers of milliseconds;
    /// booleans are `true` or `false` in any case.
    ///
    /// - Returns: `false` when `name` is not a client-level property, so that producer and consumer settings can
    ///   try theirs first, then this, then report the name as unknown.
    /// - Throws: ``KafkaConfigurationError`` naming the property when the value is invalid (without the value
    ///   for passwords, private keys and `sasl.jaas.config`).
    public mutating func apply(property name: String, value: String) throws(KafkaConfigurationError) -> Bool {
        let text = ConfigurationText.trimmed(value)
        switch name {
        case "bootstrap.servers": bootstrapServers = try BrokerAddress.parseList(text, property: name)
        case "client.id": clientID = text
        case "client.software.name":
            try Self.checkSoftwareField(text, property: name)
            clientSoftwareName = text
        case "client.software.version":
            try Self.checkSoftwareField(text, property: name)
            clientSoftwareVersion = text
        case "request.timeout.ms": requestTimeout = try Self.duration(text, for: name)
        case "socket.connection.setup.timeout.ms": connectionSetupTimeout = try Self.duration(text, for: name)
        case "socket.connection.setup.timeout.max.ms": connectionSetupTimeoutMax = try Self.duration(text, for: name)
        case "reconnect.backoff.ms": reconnectBackoff = try Self.duration(text, for: name)
        case "reconnect.backoff.max.ms": reconnectBackoffMax = try Self.duration(text, for: name)
        case "retry.backoff.ms": retryBackoff = try Self.duration(text, for: name)
        case "retry.backoff.max.ms": retryBackoffMax = try Self.duration(text, for: name)
        case "metadata.max.age.ms": metadataMaxAge = try Self.duration(text, for: name)
        case "connections.max.idle.ms": connectionsMaxIdle = try Self.duration(text, for: name)
        case "retries": retries = try Self.integer(text, for: name, in: 0...Int(Int32.max))
        case "max.in.flight.requests.per.connection":
            maxInFlightRequestsPerConnection = try Self.integer(text, for: name, in: 1...Int(Int32.max))
        case "receive.message.max.bytes":
            maximumResponseSize = try Self.integer(text, for: name, in: 1024...Int(Int32.max))
        case "security.protocol":
            guard let parsed = SecurityProtocol(rawValue: text.uppercased()) else {
                let names = SecurityProtocol.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidValue(text, for: name, "expected one of \(names)")
            }
            securityProtocol = parsed
        default:
            if name.hasPrefix("ssl.") || name == "enable.ssl.certificate.verification" {
                return try applyTLS(property: name, value: value, trimmed: text)
            }
            if name.hasPrefix("sasl.") { return try applySASL(property: name, value: value, trimmed: text) }
            return Self.ignoredProperties.contains(name)
        }
        return true
    }

    private mutating func applyTLS(property name: String, value: String, trimmed text: String)
        throws(KafkaConfigurationError) -> Bool
    {
        let location: String? = text.isEmpty ? nil : text
        switch name {
        case "ssl.ca.location":
            propertyState.caLocation = location
            tls.caFile = location
        case "ssl.truststore.location":
            propertyState.truststoreLocation = location
            resolveStores()
        case "ssl.truststore.type":
            propertyState.truststoreType = try Self.storeType(
                text, for: name, location: propertyState.truststoreLocation)
            resolveStores()
        case "ssl.truststore.certificates": tls.caPEM = text.isEmpty ? nil : text
        case "ssl.truststore.password": tls.truststorePassword = value.isEmpty ? nil : value
        case "ssl.keystore.password": tls.keystorePassword = value.isEmpty ? nil : value
        case "ssl.certificate.location":
            propertyState.certificateLocation = location
            tls.certificateFile = location
        case "ssl.key.location":
            propertyState.keyLocation = location
            tls.keyFile = location
        case "ssl.key.password": tls.keyPassword = value.isEmpty ? nil : value
        case "ssl.keystore.type":
            propertyState.keystoreType = try Self.storeType(text, for: name, location: propertyState.keystoreLocation)
            resolveStores()
        case "ssl.keystore.location":
            propertyState.keystoreLocation = location
            resolveStores()
        case "ssl.keystore.certificate.chain": tls.certificatePEM = text.isEmpty ? nil : text
        case "ssl.keystore.key": tls.keyPEM = text.isEmpty ? nil : text
        case "ssl.endpoint.identification.algorithm":
            switch text.lowercased() {
            case "https": tls.verifyHostname = true
            case "", "none": tls.verifyHostname = false
            default:
                throw .invalidValue(text, for: name, "expected 'https', or an empty value or 'none' to disable it")
            }
        case "enable.ssl.certificate.verification": tls.verifyCertificate = try Self.boolean(text, for: name)
        default: return false
        }
        return true
    }

    private mutating func applySASL(property name: String, value: String, trimmed text: String)
        throws(KafkaConfigurationError) -> Bool
    {
        switch name {
        case "sasl.mechanism", "sasl.mechanisms":
            guard let mechanism = SASLMechanism(rawValue: text.uppercased()) else {
                let names = SASLMechanism.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidValue(text, for: name, "unsupported SASL mechanism (supported: \(names))")
            }
            if name == "sasl.mechanism" {
                propertyState.saslMechanism = mechanism
            } else {
                propertyState.saslMechanisms = mechanism
            }
        case "sasl.username": propertyState.saslUsername = text
        case "sasl.password": propertyState.saslPassword = value
        case "sasl.jaas.config": propertyState.jaas = try JAASLogin(parsing: value)
        default:
            guard try applyOAuthBearer(property: name, trimmed: text) else { return false }
        }
        resolveSASL()
        return true
    }

    /// A non-negative integer number of milliseconds.
    static func duration(_ text: String, for property: String) throws(KafkaConfigurationError) -> Duration {
        guard let milliseconds = Int64(text) else {
            throw .invalidValue(text, for: property, "expected a whole number of milliseconds")
        }
        guard milliseconds >= 0 else { throw .invalidValue(text, for: property, "must not be negative") }
        return .milliseconds(milliseconds)
    }

    static func integer(_ text: String, for property: String, in range: ClosedRange<Int>)
        throws(KafkaConfigurationError) -> Int
    {
        guard let number = Int(text) else { throw .invalidValue(text, for: property, "expected an integer") }
        guard range.contains(number) else { throw .invalidValue(text, for: property, "must be \(describe(range))") }
        return number
    }

    static func boolean(_ text: String, for property: String) throws(KafkaConfigurationError) -> Bool {
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalidValue(text, for: property, "expected true or false")
        }
    }

    /// A store type: PEM or PKCS12, nil when unset (Java's default, JKS); JKS and anything else throw.
    static func storeType(_ text: String, for property: String, location: String?)
        throws(KafkaConfigurationError) -> StoreType?
    {
        switch text.uppercased() {
        case "PEM": return .pem
        case "PKCS12": return .pkcs12
        case "": return nil
        case "JKS":
            let command = PKCS12Store.conversionCommand(for: location ?? "STORE.jks")
            throw .invalidValue(
                text, for: property, "JKS stores are not supported: convert the store with `\(command)` and set PKCS12")
        default:
            throw .invalidValue(text, for: property, "expected PEM or PKCS12")
        }
    }

    /// Points the TLS settings at the key and trust store files as their types say: a PEM key store is one file
    /// with the key and the chain, a PEM trust store a CA file, a PKCS12 store is read as such. Called after each
    /// store property, so their order does not matter; what an earlier call set is taken back first.
    mutating func resolveStores() {
        let state = propertyState
        if let previous = state.appliedKeystoreLocation {
            if tls.keystoreFile == previous { tls.keystoreFile = nil }
            if tls.certificateFile == previous { tls.certificateFile = nil }
            if tls.keyFile == previous { tls.keyFile = nil }
        }
        if let location = state.keystoreLocation {
            if state.keystoreType == .pkcs12 {
                tls.keystoreFile = location
            } else {
                tls.certificateFile = location
                tls.keyFile = location
            }
        }
        if let previous = state.appliedTruststoreLocation {
            if tls.truststoreFile == previous { tls.truststoreFile = nil }
            if tls.caFile == previous { tls.caFile = state.caLocation }
        }
        if let location = state.truststoreLocation {
            if state.truststoreType == .pkcs12 { tls.truststoreFile = location } else { tls.caFile = location }
        }
        propertyState.appliedKeystoreLocation = state.keystoreLocation
        propertyState.appliedTruststoreLocation = state.truststoreLocation
    }
}

/// The login module and credentials of a Java `sasl.jaas.config` value, such as
/// `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cret";`.
///
/// Exactly one entry: a login module class, a control flag (`required`, `requisite`, `sufficient`, `optional`),
/// `name=value` options (values bare or in `"` or `'` quotes with backslash escapes) and a closing `;`. `//` and
/// `/* */` comments are skipped. `PlainLoginModule`, `ScramLoginModule` and `OAuthBearerLoginModule` are supported.
/// Error messages never quote the text, which holds a password or a client secret.
struct JAASLogin: Sendable, Hashable {
    /// The login module's class name without its package, e.g. `PlainLoginModule`.
    var moduleName: String
    /// Whether it is `PlainLoginModule`.
    var isPlain: Bool
    var username: String?
    var password: String?
    /// What `OAuthBearerLoginModule`'s options say; nil for the other modules.
    var oauthBearer: OAuthBearerJAASOptions?

    /// PLAIN for `PlainLoginModule`, OAUTHBEARER for `OAuthBearerLoginModule`; SCRAM has two variants, so
    /// `sasl.mechanism` must name one.
    var impliedMechanism: SASLMechanism? { isPlain ? .plain : oauthBearer != nil ? .oauthBearer : nil }

    func implements(_ mechanism: SASLMechanism) -> Bool {
        if isPlain { return mechanism == .plain }
        if oauthBearer != nil { return mechanism == .oauthBearer }
        return mechanism == .scramSHA256 || mechanism == .scramSHA512
    }

    private enum Token: Equatable {
        case word(String)
        case quoted(String)
        case equals
        case semicolon
    }

    init(parsing text: String) throws(KafkaConfigurationError) {
        func failure(_ reason: String) -> KafkaConfigurationError { .invalidSecret("sasl.jaas.config", reason) }
        var tokens = try Self.tokenize(Array(text))[...]
        guard case .word(let className) = tokens.popFirst() else {
            throw failure(
                "expected a login module class name, e.g. org.apache.kafka.common.security.plain.PlainLoginModule")
        }
        let moduleName = String(className.split(separator: ".").last ?? "")
        let modules = ["PlainLoginModule", "ScramLoginModule", "OAuthBearerLoginModule"]
        guard modules.contains(moduleName) else {
            // Quote the first word only when it looks like a class name: it could be a misplaced secret.
            let named = moduleName.hasSuffix("LoginModule") ? " '\(className)'" : ""
            throw failure(
                "unsupported login module\(named) (supported: "
                    + "org.apache.kafka.common.security.plain.PlainLoginModule, "
                    + "org.apache.kafka.common.security.scram.ScramLoginModule and "
                    + "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule)")
        }
        let flags = ["required", "requisite", "sufficient", "optional"]
        guard case .word(let flag) = tokens.popFirst(), flags.contains(flag.lowercased()) else {
            throw failure("expected a control flag (required, requisite, sufficient or optional) after \(moduleName)")
        }
        var options: [String: String] = [:]
        while true {
            guard let token = tokens.popFirst() else {
                throw failure("expected ';' at the end of the login module entry")
            }
            if token == .semicolon { break }
            guard case .word(let key) = token else { throw failure("expected an option name") }
            guard tokens.popFirst() == .equals else { throw failure("expected '=' after an option name") }
            switch tokens.popFirst() {
            case .word(let value), .quoted(let value): options[key] = value
            default: throw failure("expected a value after '='")
            }
        }
        guard tokens.isEmpty else { throw failure("expected exactly one login module entry") }
        if options["tokenauth"]?.lowercased() == "true" {
            throw failure("delegation token authentication (tokenauth=true) is not supported")
        }
        self.moduleName = moduleName
        self.isPlain = moduleName == "PlainLoginModule"
        if moduleName == "OAuthBearerLoginModule" {
            self.oauthBearer = try OAuthBearerJAASOptions(options: options)
        } else {
            self.username = options["username"]
            self.password = options["password"]
        }
    }

    private static func tokenize(_ characters: [Character]) throws(KafkaConfigurationError) -> [Token] {
        func failure(_ reason: String) -> KafkaConfigurationError { .invalidSecret("sasl.jaas.config", reason) }
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            if ConfigurationText.isBlank(character) || character.isWhitespace {
                index += 1
            } else if character == "/", next == "/" {
                while index < characters.count, !characters[index].isNewline { index += 1 }
            } else if character == "/", next == "*" {
                index += 2
                while index < characters.count,
                    !(characters[index] == "*" && index + 1 < characters.count
                        && characters[index + 1] == "/")
                {
                    index += 1
                }
                guard index < characters.count else { throw failure("unterminated /* comment") }
                index += 2
            } else if character == "=" {
                tokens.append(.equals)
                index += 1
            } else if character == ";" {
                tokens.append(.semicolon)
                index += 1
            } else if character == "\"" || character == "'" {
                var value = ""
                index += 1
                while true {
                    guard index < characters.count else { throw failure("unterminated quoted value") }
                    let current = characters[index]
                    index += 1
                    if current == character { break }
                    if current == "\\", index < characters.count {
                        let escaped = characters[index]
                        index += 1
                        switch escaped {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        case "r": value.append("\r")
                        default: value.append(escaped)
                        }
                    } else {
                        value.append(current)
                    }
                }
                tokens.append(.quoted(value))
            } else {
                var word = ""
                while index < characters.count {
                    let current = characters[index]
                    if current.isWhitespace || current == "=" || current == ";" || current == "\"" || current == "'" {
                        break
                    }
                    word.append(current)
                    index += 1
                }
                tokens.append(.word(word))
            }
        }
        return tokens
    }
}

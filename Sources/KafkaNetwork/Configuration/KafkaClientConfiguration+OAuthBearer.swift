/// What `sasl.jaas.config` with Kafka's `OAuthBearerLoginModule` asks for: unsecured development tokens from
/// `unsecuredLogin*` options, or OIDC client credentials from `clientId`, `clientSecret` and `scope`.
enum OAuthBearerJAASOptions: Sendable, Hashable {
    case unsecured(OAuthBearerUnsecuredLogin)
    case clientCredentials(clientID: String, clientSecret: String, scope: String?)

    /// Client credentials when `clientId` or `clientSecret` is given (both are then required), else unsecured
    /// tokens.
    init(options: [String: String]) throws(KafkaConfigurationError) {
        guard options["clientId"] != nil || options["clientSecret"] != nil else {
            self = .unsecured(try OAuthBearerUnsecuredLogin(options: options))
            return
        }
        guard let clientID = options["clientId"], !clientID.isEmpty else {
            throw .invalidSecret("sasl.jaas.config", "OAuthBearerLoginModule has a clientSecret but no clientId")
        }
        guard let clientSecret = options["clientSecret"], !clientSecret.isEmpty else {
            throw .invalidSecret("sasl.jaas.config", "OAuthBearerLoginModule has a clientId but no clientSecret")
        }
        let scope = options["scope"].map { ConfigurationText.trimmed($0) }
        self = .clientCredentials(
            clientID: clientID, clientSecret: clientSecret, scope: scope?.isEmpty == true ? nil : scope)
    }
}

extension KafkaClientConfiguration {
    /// Java's login callback handlers for OIDC client credentials (KIP-768): the class before and after Kafka 3.4.
    static let oidcLoginCallbackHandlers = [
        "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
    ]

    /// The properties of SASL/OAUTHBEARER besides `sasl.mechanism` and `sasl.jaas.config`.
    static var oauthBearerProperties: [String] {
        [
            "sasl.login.callback.handler.class", "sasl.oauthbearer.token.endpoint.url",
            "sasl.oauthbearer.scope.claim.name", "sasl.oauthbearer.sub.claim.name", "sasl.login.connect.timeout.ms",
            "sasl.login.read.timeout.ms",
        ]
    }

    /// Settings of OIDC client credentials read from properties.
    struct OIDCPropertyState: Sendable, Hashable {
        var callbackHandler: String?
        var endpoint: OIDCEndpoint?
        var scopeClaimName: String?
        var subClaimName: String?
        var connectTimeout: Duration?
        var readTimeout: Duration?
    }

    /// Applies one of ``oauthBearerProperties``; `false` for any other name.
    mutating func applyOAuthBearer(property name: String, trimmed text: String) throws(KafkaConfigurationError)
        -> Bool
    {
        switch name {
        case "sasl.login.callback.handler.class":
            guard text.isEmpty || Self.oidcLoginCallbackHandlers.contains(text) else {
                throw .invalidValue(
                    text, for: name,
                    "the supported login callback handler is "
                        + "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler (OIDC client "
                        + "credentials; also under its former package ...oauthbearer.secured)")
            }
            propertyState.oidc.callbackHandler = text.isEmpty ? nil : text
        case "sasl.oauthbearer.token.endpoint.url":
            if text.isEmpty {
                propertyState.oidc.endpoint = nil
            } else {
                guard let endpoint = OIDCEndpoint(text) else {
                    throw .invalidValue(
                        text, for: name, "expected an http:// or https:// URL with a host (and no user information)")
                }
                propertyState.oidc.endpoint = endpoint
            }
        case "sasl.oauthbearer.scope.claim.name": propertyState.oidc.scopeClaimName = text.isEmpty ? nil : text
        case "sasl.oauthbearer.sub.claim.name": propertyState.oidc.subClaimName = text.isEmpty ? nil : text
        case "sasl.login.connect.timeout.ms": propertyState.oidc.connectTimeout = try Self.duration(text, for: name)
        case "sasl.login.read.timeout.ms": propertyState.oidc.readTimeout = try Self.duration(text, for: name)
        default: return false
        }
        return true
    }

    /// Sets ``oauthBearerTokenProvider`` from `sasl.jaas.config` with `OAuthBearerLoginModule` once everything it
    /// needs is known: unsecured tokens without a login callback handler, OIDC client credentials with one and a
    /// token endpoint. Until then, or when `sasl.mechanism` names another mechanism, the provider is nil (and
    /// ``validate()`` says what is missing). Without such a JAAS entry a provider set in code is left alone.
    mutating func resolveOAuthBearer() {
        let state = propertyState
        guard let options = state.jaas?.oauthBearer else { return }
        oauthBearerTokenProvider = nil
        if let mechanism = state.saslMechanism ?? state.saslMechanisms, mechanism != .oauthBearer { return }
        switch options {
        case .unsecured(let login) where state.oidc.callbackHandler == nil:
            oauthBearerTokenProvider = OAuthBearerUnsecuredTokenProvider(login: login)
        case .clientCredentials(let clientID, let clientSecret, let scope):
            guard state.oidc.callbackHandler != nil, let endpoint = state.oidc.endpoint else { return }
            var credentials = OIDCClientCredentials(
                endpoint: endpoint, clientID: clientID, clientSecret: clientSecret, scope: scope)
            if let name = state.oidc.subClaimName { credentials.subClaimName = name }
            if let name = state.oidc.scopeClaimName { credentials.scopeClaimName = name }
            if let timeout = state.oidc.connectTimeout { credentials.connectTimeout = timeout }
            if let timeout = state.oidc.readTimeout { credentials.readTimeout = timeout }
            oauthBearerTokenProvider = OIDCClientCredentialsProvider(credentials: credentials)
        case .unsecured:
            return
        }
    }

    /// Checks SASL/OAUTHBEARER's settings: a token provider when the mechanism is OAUTHBEARER, the parts of OIDC
    /// client credentials together, and no username/password credentials beside a provider.
    func validateOAuthBearer() throws(KafkaConfigurationError) {
        let state = propertyState
        let mechanism = state.saslMechanism ?? state.saslMechanisms ?? state.jaas?.impliedMechanism
        if sasl?.mechanism == .oauthBearer {
            throw KafkaConfigurationError(
                property: "sasl.mechanism",
                message: "OAUTHBEARER authenticates with a token, not a username and password: set "
                    + "oauthBearerTokenProvider (or sasl.jaas.config with OAuthBearerLoginModule) instead of "
                    + "SASLCredentials")
        }
        if oauthBearerTokenProvider != nil {
            if let mechanism, mechanism != .oauthBearer {
                throw KafkaConfigurationError(
                    property: "sasl.mechanism",
                    message: "sasl.mechanism is \(mechanism.rawValue) but an OAUTHBEARER token provider is set; "
                        + "set sasl.mechanism=OAUTHBEARER or remove the token provider")
            }
            if let sasl {
                throw KafkaConfigurationError(
                    property: "sasl.mechanism",
                    message: "both SASL credentials (\(sasl.mechanism.rawValue)) and an OAUTHBEARER token provider "
                        + "are set; set only one")
            }
            return
        }
        guard mechanism == .oauthBearer else { return }
        let handler =
            "sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer."
            + "OAuthBearerLoginCallbackHandler"
        switch state.jaas?.oauthBearer {
        case nil:
            throw KafkaConfigurationError(
                property: "sasl.jaas.config",
                message: "sasl.mechanism OAUTHBEARER needs sasl.jaas.config with "
                    + "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule (or a token provider "
                    + "set in code)")
        case .unsecured?:
            throw KafkaConfigurationError(
                property: "sasl.login.callback.handler.class",
                message: "\(handler) fetches tokens with OIDC client credentials: sasl.jaas.config needs clientId "
                    + "and clientSecret")
        case .clientCredentials?:
            if state.oidc.callbackHandler == nil {
                throw KafkaConfigurationError(
                    property: "sasl.login.callback.handler.class",
                    message: "sasl.jaas.config has clientId and clientSecret (OIDC client credentials): set \(handler) "
                        + "and sasl.oauthbearer.token.endpoint.url")
            }
            throw KafkaConfigurationError(
                property: "sasl.oauthbearer.token.endpoint.url",
                message: "OIDC client credentials need sasl.oauthbearer.token.endpoint.url (the token endpoint's "
                    + "http:// or https:// URL)")
        }
    }

    /// How ``description`` shows the token provider: the package's own providers describe themselves without
    /// secrets; an application's provider is shown by its type only.
    var redactedTokenProvider: String {
        switch oauthBearerTokenProvider {
        case nil: "nil"
        case let provider as OAuthBearerUnsecuredTokenProvider: provider.description
        case let provider as OIDCClientCredentialsProvider: provider.description
        case let provider?: "\(type(of: provider))"
        }
    }
}

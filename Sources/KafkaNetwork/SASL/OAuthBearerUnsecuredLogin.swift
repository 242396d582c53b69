/// Kafka's unsecured OAUTHBEARER tokens for development (`OAuthBearerLoginModule` without a login callback
/// handler): an unsigned JWS `base64url({"alg":"none"}).base64url(claims).` whose claims come from `sasl.jaas.config`
/// options, with `iat` (now) and `exp` (now plus the lifetime) added, in seconds since the epoch.
///
/// Options, as Kafka reads them:
/// - `unsecuredLoginStringClaim_<name>="value"`: a string claim;
/// - `unsecuredLoginNumberClaim_<name>="value"`: a number claim (a JSON number);
/// - `unsecuredLoginListClaim_<name>="value"`: a list of strings; the value's first character is the separator
///   (`",read,write"`), empty items are dropped;
/// - `unsecuredLoginExtension_<name>="value"`: a SASL extension sent with the token;
/// - `unsecuredLoginPrincipalClaimName` (default `sub`): the claim naming the principal, which must be a string
///   claim;
/// - `unsecuredLoginLifetimeSeconds` (default 3600);
/// - `unsecuredLoginScopeClaimName` (default `scope`).
///
/// `iat` and `exp` cannot be set. Other options are ignored (as Java does), except misspelled `unsecuredLogin*`
/// ones, which are refused.
struct OAuthBearerUnsecuredLogin: Sendable, Hashable {
    static let stringClaimPrefix = "unsecuredLoginStringClaim_"
    static let numberClaimPrefix = "unsecuredLoginNumberClaim_"
    static let listClaimPrefix = "unsecuredLoginListClaim_"
    static let extensionPrefix = "unsecuredLoginExtension_"

    /// Claim name -> its JSON text (a string literal, a number, an array of strings).
    private(set) var claims: [String: String] = [:]
    private(set) var extensions: [String: String] = [:]
    private(set) var principalClaimName = "sub"
    private(set) var scopeClaimName = "scope"
    private(set) var lifetimeSeconds: Int64 = 3600
    /// The principal: the value of the principal claim.
    private(set) var principalName = ""

    /// Reads the options of an `OAuthBearerLoginModule` entry.
    init(options: [String: String]) throws(KafkaConfigurationError) {
        func failure(_ reason: String) -> KafkaConfigurationError { .invalidSecret("sasl.jaas.config", reason) }
        var strings: [String: String] = [:]
        for (name, value) in options.sorted(by: { $0.key < $1.key }) where name.hasPrefix("unsecuredLogin") {
            if let claim = Self.suffix(name, after: Self.stringClaimPrefix) {
                strings[claim] = value
                try add(claim, OAuthBearerJWS.jsonString(value), option: name)
            } else if let claim = Self.suffix(name, after: Self.numberClaimPrefix) {
                let number = ConfigurationText.trimmed(value)
                guard OAuthBearerJWS.isJSONNumber(number) else {
                    throw failure("\(name) must be a number, not '\(value)'")
                }
                try add(claim, number, option: name)
            } else if let claim = Self.suffix(name, after: Self.listClaimPrefix) {
                guard let separator = value.first else {
                    throw failure("\(name) is empty: its first character is the separator of the list's items")
                }
                let items = value.dropFirst().split(separator: separator).map { OAuthBearerJWS.jsonString(String($0)) }
                try add(claim, "[" + items.joined(separator: ",") + "]", option: name)
            } else if let key = Self.suffix(name, after: Self.extensionPrefix) {
                extensions[key] = value
            } else if name == "unsecuredLoginPrincipalClaimName" {
                let trimmed = ConfigurationText.trimmed(value)
                if !trimmed.isEmpty { principalClaimName = trimmed }
            } else if name == "unsecuredLoginScopeClaimName" {
                let trimmed = ConfigurationText.trimmed(value)
                if !trimmed.isEmpty { scopeClaimName = trimmed }
            } else if name == "unsecuredLoginLifetimeSeconds" {
                guard let seconds = Int64(ConfigurationText.trimmed(value)), seconds > 0, seconds <= 10 * 365 * 86_400
                else {
                    throw failure("unsecuredLoginLifetimeSeconds must be a positive whole number of seconds")
                }
                lifetimeSeconds = seconds
            } else {
                throw failure(
                    "unknown option \(name) (OAuthBearerLoginModule's unsecured tokens take "
                        + "unsecuredLoginStringClaim_<name>, unsecuredLoginNumberClaim_<name>, "
                        + "unsecuredLoginListClaim_<name>, unsecuredLoginExtension_<name>, "
                        + "unsecuredLoginPrincipalClaimName, unsecuredLoginLifetimeSeconds and "
                        + "unsecuredLoginScopeClaimName)")
            }
        }
        guard let principal = strings[principalClaimName], !ConfigurationText.trimmed(principal).isEmpty else {
            throw failure(
                "an unsecured OAUTHBEARER token needs its principal: set \(Self.stringClaimPrefix)"
                    + "\(principalClaimName)=\"...\" (the principal claim is \(principalClaimName))")
        }
        principalName = principal
        let sample = OAuthBearerToken(
            value: "x", expirationMillis: 0, principalName: principal, extensions: extensions)
        if let problem = OAuthBearerExchange.problem(with: sample) { throw failure(problem) }
    }

    private mutating func add(_ claim: String, _ json: String, option: String) throws(KafkaConfigurationError) {
        guard !claim.isEmpty else {
            throw .invalidSecret("sasl.jaas.config", "\(option) has no claim name after the '_'")
        }
        guard claim != "iat", claim != "exp" else {
            throw .invalidSecret(
                "sasl.jaas.config", "\(option): the claims iat and exp are set by the client and cannot be given")
        }
        guard claims[claim] == nil else {
            throw .invalidSecret("sasl.jaas.config", "the claim \(claim) is given by more than one option")
        }
        claims[claim] = json
    }

    private static func suffix(_ name: String, after prefix: String) -> String? {
        name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : nil
    }

    /// The token issued at `nowMillis`: `exp`, `iat`, then the configured claims in name order.
    func token(nowMillis: Int64) -> OAuthBearerToken {
        let expiration = nowMillis &+ lifetimeSeconds &* 1000
        var members = [
            "\"exp\":\(OAuthBearerJWS.numericDate(millis: expiration))",
            "\"iat\":\(OAuthBearerJWS.numericDate(millis: nowMillis))",
        ]
        for (name, json) in claims.sorted(by: { $0.key < $1.key }) {
            members.append("\(OAuthBearerJWS.jsonString(name)):\(json)")
        }
        let header = OAuthBearerJWS.base64URL(Array(#"{"alg":"none"}"#.utf8))
        let body = OAuthBearerJWS.base64URL(Array(("{" + members.joined(separator: ",") + "}").utf8))
        return OAuthBearerToken(
            value: "\(header).\(body).", expirationMillis: expiration, principalName: principalName,
            extensions: extensions)
    }
}

/// A provider of ``OAuthBearerUnsecuredLogin`` tokens, each issued when asked for.
struct OAuthBearerUnsecuredTokenProvider: OAuthBearerTokenProvider, CustomStringConvertible {
    var login: OAuthBearerUnsecuredLogin
    var clock: OAuthBearerClock = .system

    func token() async throws -> OAuthBearerToken {
        login.token(nowMillis: clock.nowMillis())
    }

    var description: String {
        "unsecured tokens for '\(login.principalName)' (\(login.lifetimeSeconds) s)"
    }
}

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How a dev cluster checks SASL/OAUTHBEARER tokens (``DevClusterConfiguration/oauthBearerValidator``).
///
/// The default, ``unsecured(principalClaimName:scopeClaimName:requiredScope:allowableClockSkewMillis:)``, accepts
/// what Kafka's default unsecured validator accepts: development tokens that Kafka's `OAuthBearerLoginModule`
/// (and this package's client) issue without a signature. A test that issues its own tokens passes a closure.
public struct DevOAuthBearerValidator: Sendable {
    /// Why a token was refused: the `status` (and `scope`) of the RFC 7628 error JSON sent to the client, and a
    /// reason for the SaslAuthenticate error message.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// The RFC 6750 error code sent as `status`, such as `invalid_token` or `insufficient_scope`.
        public var status: String
        /// The scope the client would need, sent as `scope` when set.
        public var scope: String?
        /// Why, in a few words (never the token).
        public var reason: String

        /// Creates a refusal.
        public init(status: String = "invalid_token", scope: String? = nil, reason: String) {
            self.status = status
            self.scope = scope
            self.reason = reason
        }

        /// The reason.
        public var description: String { reason }

        /// The error JSON of RFC 7628 section 3.2.2: `{"status":"invalid_token"}`, with `scope` when set.
        var json: String {
            var members = ["\"status\":\(Self.jsonString(status))"]
            if let scope { members.append("\"scope\":\(Self.jsonString(scope))") }
            return "{" + members.joined(separator: ",") + "}"
        }

        private static func jsonString(_ text: String) -> String {
            var result = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": result += "\\\""
                case "\\": result += "\\\\"
                case let control where control.value < 0x20:
                    result +=
                        "\\u00" + (control.value < 0x10 ? "0" : "")
                        + String(control.value, radix: 16)
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result + "\""
        }
    }

    private let rule: @Sendable (_ token: String, _ extensions: [String: String], _ nowMillis: Int64) throws -> String

    /// A validator that calls `validate` with the token, the SASL extensions the client sent and the cluster's
    /// time (milliseconds since the epoch). It returns the principal, or throws a ``Refusal`` (any other error is
    /// an `invalid_token` refusal with the error's description).
    public init(
        _ validate:
            @escaping @Sendable (_ token: String, _ extensions: [String: String], _ nowMillis: Int64) throws
            -> String
    ) {
        rule = validate
    }

    /// The principal of an accepted token (so that a validator can build on another one).
    ///
    /// - Throws: a ``Refusal`` saying why the token is refused.
    public func check(token: String, extensions: [String: String], nowMillis: Int64) throws(Refusal) -> String {
        let principal: String
        do {
            principal = try rule(token, extensions, nowMillis)
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal(reason: "\(error)")
        }
        guard !principal.isEmpty else { throw Refusal(reason: "the token names no principal") }
        return principal
    }

    /// The principal of an accepted token, or why it is refused.
    func validate(token: String, extensions: [String: String], nowMillis: Int64) -> Result<String, Refusal> {
        Result { () throws(Refusal) -> String in try check(token: token, extensions: extensions, nowMillis: nowMillis) }
    }

    /// Kafka's unsecured validator (`OAuthBearerUnsecuredValidatorCallbackHandler`): an unsigned JWS
    /// (`{"alg":"none"}`, empty signature) whose principal claim is a non-empty string, whose `exp` is a number not
    /// in the past (`iat`, when present, not in the future), allowing `allowableClockSkewMillis`, and whose scope
    /// claim (a string or a list of strings) holds every `requiredScope`.
    public static func unsecured(
        principalClaimName: String = "sub", scopeClaimName: String = "scope", requiredScope: [String] = [],
        allowableClockSkewMillis: Int64 = 0
    ) -> DevOAuthBearerValidator {
        DevOAuthBearerValidator { token, _, nowMillis in
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let header = jsonObject(parts[0]), let claims = jsonObject(parts[1]) else {
                throw Refusal(reason: "the token is not a compact JWS with a JSON header and claims")
            }
            guard header["alg"] == .string("none"), parts[2].isEmpty else {
                throw Refusal(reason: "an unsecured token must have alg none and no signature")
            }
            guard case .string(let principal)? = claims[principalClaimName], !principal.isEmpty else {
                throw Refusal(reason: "the token has no string claim '\(principalClaimName)' (the principal)")
            }
            guard let exp = number(claims["exp"]) else {
                throw Refusal(reason: "the token has no numeric exp claim")
            }
            let expMillis = Int64(exp * 1000)
            if nowMillis > expMillis + allowableClockSkewMillis {
                throw Refusal(reason: "the token expired \(Double(nowMillis - expMillis) / 1000) s ago")
            }
            if let iat = number(claims["iat"]) {
                let iatMillis = Int64(iat * 1000)
                guard iatMillis <= nowMillis + allowableClockSkewMillis else {
                    throw Refusal(reason: "the token is issued in the future (iat)")
                }
                guard iatMillis <= expMillis else { throw Refusal(reason: "the token expires before it is issued") }
            }
            let scope: [String]
            switch claims[scopeClaimName] {
            case .string(let text)?: scope = text.split(separator: " ").map(String.init)
            case .list(let list)?: scope = list
            default: scope = []
            }
            let missing = requiredScope.filter { !scope.contains($0) }
            guard missing.isEmpty else {
                throw Refusal(
                    status: "insufficient_scope", scope: requiredScope.joined(separator: " "),
                    reason: "the token's scope lacks \(missing.joined(separator: ", "))")
            }
            return principal
        }
    }

    private static func number(_ value: Claim?) -> Double? {
        guard case .number(let number)? = value, number.isFinite, abs(number) < 1e15 else { return nil }
        return number
    }

    /// A claim's value, as far as the validator looks at it.
    private enum Claim: Decodable, Equatable {
        case string(String)
        case number(Double)
        case list([String])
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if (try? container.decode(Bool.self)) != nil {
                self = .other
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let text = try? container.decode(String.self) {
                self = .string(text)
            } else if let list = try? container.decode([String].self) {
                self = .list(list)
            } else {
                self = .other
            }
        }
    }

    private static func jsonObject(_ base64URL: Substring) -> [String: Claim]? {
        var text = String(base64URL.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while text.utf8.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return try? JSONDecoder().decode([String: Claim].self, from: data)
    }
}

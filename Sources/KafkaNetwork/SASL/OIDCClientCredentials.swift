/// OIDC client credentials (KIP-768): tokens from an OAuth 2 token endpoint with the `client_credentials` grant
/// (RFC 6749 section 4.4), as Java's `OAuthBearerLoginCallbackHandler` gets them.
///
/// Each ``token()`` POSTs `grant_type=client_credentials` (and `scope` when set) as a form to the endpoint, with the
/// client id and secret form-encoded in an HTTP Basic `Authorization` header, and reads `access_token` and
/// `expires_in` from the JSON answer. When the access token is a JWT, its `exp` claim is its expiry and its subject
/// claim (`sasl.oauthbearer.sub.claim.name`, `sub` by default) the principal; otherwise `expires_in` is the
/// lifetime and the client id the principal. The client secret and the tokens never appear in errors or
/// descriptions.
struct OIDCClientCredentials: Sendable, Hashable, CustomStringConvertible {
    var endpoint: OIDCEndpoint
    var clientID: String
    var clientSecret: String
    var scope: String?
    /// `sasl.oauthbearer.sub.claim.name`.
    var subClaimName = "sub"
    /// `sasl.oauthbearer.scope.claim.name` (kept for the token's scope; the client sends no scope check).
    var scopeClaimName = "scope"
    /// `sasl.login.connect.timeout.ms`.
    var connectTimeout: Duration = .seconds(10)
    /// `sasl.login.read.timeout.ms`: from the request written to the whole answer read.
    var readTimeout: Duration = .seconds(10)

    var description: String {
        "OIDC client credentials (endpoint \(endpoint), clientId '\(clientID)', clientSecret <redacted>"
            + (scope.map { ", scope '\($0)'" } ?? "") + ")"
    }

    /// The form body of the token request.
    var requestBody: String {
        var body = "grant_type=client_credentials"
        if let scope, !scope.isEmpty { body += "&scope=" + Self.formEncode(scope) }
        return body
    }

    /// The `Authorization` header: Basic with the form-encoded client id and secret (RFC 6749 section 2.3.1).
    var authorization: String {
        let pair = Self.formEncode(clientID) + ":" + Self.formEncode(clientSecret)
        return "Basic " + SASLBase64.encode(Array(pair.utf8))
    }

    /// `application/x-www-form-urlencoded` encoding: letters, digits and `-._*` kept, space as `+`, other UTF-8
    /// bytes as `%XX`.
    static func formEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "*"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                result += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }

    /// Reads the endpoint's answer: a 200 with a JSON body holding `access_token`.
    ///
    /// - Throws: ``KafkaNetworkError`` of kind `.authenticationFailed`, with the status and the endpoint's
    ///   `error`/`error_description` (never the secret or a token).
    func token(status: Int, reason: String, body: [UInt8], nowMillis: Int64) throws(KafkaNetworkError)
        -> OAuthBearerToken
    {
        struct Answer: Decodable {
            var access_token: String?
            var expires_in: Double?
            var error: String?
            var error_description: String?
        }
        let answer = try? JSONDecoding.decode(Answer.self, from: body)
        guard status == 200 else {
            var detail = ""
            if let error = answer?.error {
                detail = ": " + error + (answer?.error_description.map { " (\($0))" } ?? "")
            } else if !body.isEmpty {
                detail = ": " + SCRAMMessage.printable(body.prefix(200))
            }
            throw failure("returned HTTP \(status) \(reason)\(redacted(detail))")
        }
        guard let answer else { throw failure("returned HTTP 200 without a JSON object") }
        guard let value = answer.access_token, !value.isEmpty else {
            throw failure("returned HTTP 200 without an access_token")
        }
        let claims = OAuthBearerJWS.parse(value)?.claims
        let principal = claims?[subClaimName]?.string ?? clientID
        let expiration: Int64
        if let exp = claims?["exp"]?.number, exp.isFinite, abs(exp) < 1e15 {
            expiration = Int64(exp * 1000)
        } else if let seconds = answer.expires_in, seconds.isFinite, seconds > 0, seconds < 1e12 {
            expiration = nowMillis + Int64(seconds * 1000)
        } else {
            throw failure("returned an access token without an expiry (no expires_in, no exp claim)")
        }
        return OAuthBearerToken(value: value, expirationMillis: expiration, principalName: principal)
    }

    /// An error about the endpoint, with the client secret removed from whatever the endpoint sent.
    func failure(_ what: String) -> KafkaNetworkError {
        KafkaNetworkError(.authenticationFailed, "OIDC token endpoint \(endpoint) \(redacted(what))")
    }

    private func redacted(_ text: String) -> String {
        guard clientSecret.count >= 4, text.contains(clientSecret) else { return text }
        return text.split(separator: clientSecret, omittingEmptySubsequences: false).joined(separator: "<redacted>")
    }
}

/// A provider of ``OIDCClientCredentials`` tokens: one HTTP request per call (the client's cache decides when).
struct OIDCClientCredentialsProvider: OAuthBearerTokenProvider, CustomStringConvertible {
    var credentials: OIDCClientCredentials
    var clock: OAuthBearerClock = .system

    func token() async throws -> OAuthBearerToken {
        let response = try await OIDCHTTPClient.post(
            to: credentials.endpoint,
            headers: [
                ("Authorization", credentials.authorization),
                ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
            ],
            body: credentials.requestBody, connectTimeout: credentials.connectTimeout,
            readTimeout: credentials.readTimeout)
        return try credentials.token(
            status: response.status, reason: response.reason, body: response.body, nowMillis: clock.nowMillis())
    }

    var description: String { credentials.description }
}

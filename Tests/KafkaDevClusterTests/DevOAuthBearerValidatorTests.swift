import Testing

@testable import KafkaDevCluster
@testable import KafkaNetwork

/// The dev cluster's OAUTHBEARER server side without sockets: the client-first message parser and the unsecured
/// validator, fed with tokens this package's client makes.
@Suite(.timeLimit(.minutes(2))) struct DevOAuthBearerValidatorTests {
    static let now: Int64 = 1_700_000_000_000

    static func token(_ options: String, at nowMillis: Int64 = now) throws -> String {
        let login = try JAASLogin(
            parsing: "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \(options);")
        guard case .unsecured(let unsecured)? = login.oauthBearer else { throw Refused() }
        return unsecured.token(nowMillis: nowMillis).value
    }

    struct Refused: Error {}

    static func refusal(_ validator: DevOAuthBearerValidator, _ token: String, at nowMillis: Int64 = now)
        -> DevOAuthBearerValidator.Refusal?
    {
        if case .failure(let refusal) = validator.validate(token: token, extensions: [:], nowMillis: nowMillis) {
            return refusal
        }
        return nil
    }

    @Test func clientFirstMessagesAreParsed() throws {
        var client = SASLClient(
            oauthBearer: OAuthBearerToken(
                value: "abc.def.", expirationMillis: 0, principalName: "p", extensions: ["traceId": "x y"]))
        let parsed = try #require(DevSASLSession.oauthBearerClientFirst(try client.start()))
        #expect(parsed.token == "abc.def.")
        #expect(parsed.extensions == ["traceId": "x y"])
        let withAuthzid = DevSASLSession.oauthBearerClientFirst(Array("n,a=alice,\u{1}auth=Bearer t\u{1}\u{1}".utf8))
        #expect(withAuthzid?.token == "t")
        for bad in [
            "n,,\u{1}auth=Bearer t\u{1}", "y,,\u{1}auth=Bearer t\u{1}\u{1}", "n,,\u{1}auth=Basic t\u{1}\u{1}",
            "n,,\u{1}x=1\u{1}\u{1}", "n,,\u{1}auth=Bearer t\u{1}auth=Bearer u\u{1}\u{1}", "n,,\u{1}\u{1}",
            "n,,\u{1}auth=Bearer \u{1}\u{1}", "n,,\u{1}noequals\u{1}auth=Bearer t\u{1}\u{1}",
        ] {
            #expect(DevSASLSession.oauthBearerClientFirst(Array(bad.utf8)) == nil, "\(bad.debugDescription)")
        }
    }

    @Test func unsecuredValidatorAcceptsTheClientsTokens() throws {
        let validator = DevOAuthBearerValidator.unsecured()
        let token = try Self.token(#"unsecuredLoginStringClaim_sub="alice""#)
        #expect(try validator.check(token: token, extensions: [:], nowMillis: Self.now + 3_599_000) == "alice")
        let named = try Self.token(#"unsecuredLoginStringClaim_user="bob" unsecuredLoginPrincipalClaimName="user""#)
        #expect(
            try DevOAuthBearerValidator.unsecured(principalClaimName: "user").check(
                token: named, extensions: [:], nowMillis: Self.now) == "bob")
    }

    @Test func unsecuredValidatorRefusals() throws {
        let validator = DevOAuthBearerValidator.unsecured()
        let token = try Self.token(#"unsecuredLoginStringClaim_sub="alice" unsecuredLoginLifetimeSeconds="60""#)
        let expired = try #require(Self.refusal(validator, token, at: Self.now + 61_000))
        #expect(expired.status == "invalid_token")
        #expect(expired.reason == "the token expired 1.0 s ago")
        #expect(expired.json == #"{"status":"invalid_token"}"#)
        #expect(
            try DevOAuthBearerValidator.unsecured(allowableClockSkewMillis: 2000).check(
                token: token, extensions: [:], nowMillis: Self.now + 61_000) == "alice")
        #expect(
            Self.refusal(validator, token, at: Self.now - 5000)?.reason == "the token is issued in the future (iat)")
        #expect(Self.refusal(validator, "not a token")?.reason.contains("compact JWS") == true)
        #expect(Self.refusal(validator, token + "signature")?.reason.contains("alg none") == true)
        let noSub = try Self.token(#"unsecuredLoginStringClaim_user="bob" unsecuredLoginPrincipalClaimName="user""#)
        #expect(Self.refusal(validator, noSub)?.reason.contains("'sub'") == true)

        let scoped = DevOAuthBearerValidator.unsecured(requiredScope: ["read", "write"])
        let listScope = try Self.token(
            #"unsecuredLoginStringClaim_sub="a" unsecuredLoginListClaim_scope=",read,write""#)
        #expect(try scoped.check(token: listScope, extensions: [:], nowMillis: Self.now) == "a")
        let stringScope = try Self.token(#"unsecuredLoginStringClaim_sub="a" unsecuredLoginStringClaim_scope="read""#)
        let insufficient = try #require(Self.refusal(scoped, stringScope))
        #expect(insufficient.json == #"{"status":"insufficient_scope","scope":"read write"}"#)
        #expect(insufficient.reason == "the token's scope lacks write")
    }
}

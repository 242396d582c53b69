import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaNetwork

/// SASL/OAUTHBEARER without I/O: unsecured tokens, `sasl.jaas.config` options, the client-first message, the
/// broker's error JSON, the token cache's refresh timing, and secrets kept out of errors and descriptions.
@Suite(.timeLimit(.minutes(5))) struct OAuthBearerTests {
    static let module = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"

    static func jaas(_ options: String) -> String { "\(module) required \(options);" }

    static func unsecured(_ options: String) throws -> OAuthBearerUnsecuredLogin {
        let login = try JAASLogin(parsing: jaas(options))
        guard case .unsecured(let unsecured) = login.oauthBearer else {
            throw KafkaConfigurationError(property: nil, message: "not unsecured")
        }
        return unsecured
    }

    /// The decoded header and claims of a compact JWS, through Foundation's JSON (an independent reader).
    static func decode(_ token: String) throws -> (header: [String: Any], claims: [String: Any], signature: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        try #require(parts.count == 3)
        func object(_ text: String) throws -> [String: Any] {
            #expect(!text.contains("="), "base64url without padding")
            #expect(!text.contains("+") && !text.contains("/"), "base64url alphabet")
            var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while standard.count % 4 != 0 { standard += "=" }
            let data = try #require(Data(base64Encoded: standard))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        return (try object(parts[0]), try object(parts[1]), parts[2])
    }

    // MARK: Unsecured tokens

    @Test func unsecuredTokenHasAlgNoneClaimsIatAndExp() throws {
        let login = try Self.unsecured(
            #"unsecuredLoginStringClaim_sub="alice" unsecuredLoginNumberClaim_level="42.5" "#
                + #"unsecuredLoginListClaim_scope=",read,,write" unsecuredLoginLifetimeSeconds="600""#)
        let token = login.token(nowMillis: 1_700_000_000_123)
        let (header, claims, signature) = try Self.decode(token.value)
        #expect(header as? [String: String] == ["alg": "none"])
        #expect(signature.isEmpty)
        #expect(token.value.hasSuffix("."))
        #expect(claims["sub"] as? String == "alice")
        #expect(claims["level"] as? Double == 42.5)
        #expect(claims["scope"] as? [String] == ["read", "write"])
        #expect(claims["iat"] as? Double == 1_700_000_000.123)
        #expect(claims["exp"] as? Double == 1_700_000_600.123)
        #expect(token.expirationMillis == 1_700_000_600_123)
        #expect(token.principalName == "alice")
        #expect(token.extensions.isEmpty)
    }

    @Test func unsecuredTokenBytesAreExact() throws {
        let login = try Self.unsecured(#"unsecuredLoginStringClaim_sub="a\"b""#)
        let token = login.token(nowMillis: 5)
        // {"alg":"none"} and {"exp":3600.005,"iat":0.005,"sub":"a\"b"}, base64url without padding.
        #expect(token.value == "eyJhbGciOiJub25lIn0.eyJleHAiOjM2MDAuMDA1LCJpYXQiOjAuMDA1LCJzdWIiOiJhXCJiIn0.")
        #expect(OAuthBearerJWS.base64URL(Array("ab?".utf8)) == "YWI_")
        #expect(OAuthBearerJWS.base64URL([0xFB, 0xFF]) == "-_8")
    }

    @Test func principalClaimNameLifetimeScopeAndExtensions() throws {
        let login = try Self.unsecured(
            #"unsecuredLoginStringClaim_user="bob" unsecuredLoginPrincipalClaimName="user" "#
                + #"unsecuredLoginScopeClaimName="roles" unsecuredLoginExtension_logicalCluster="lkc-1" "#
                + #"unsecuredLoginExtension_traceId="t 1""#)
        #expect(login.principalName == "bob")
        #expect(login.scopeClaimName == "roles")
        #expect(login.lifetimeSeconds == 3600)
        let token = login.token(nowMillis: 0)
        #expect(token.principalName == "bob")
        #expect(token.extensions == ["logicalCluster": "lkc-1", "traceId": "t 1"])
        let claims = try Self.decode(token.value).claims
        #expect(claims["user"] as? String == "bob")
        #expect(claims["sub"] == nil)
    }

    @Test(arguments: [
        ("", "set unsecuredLoginStringClaim_sub"),
        (#"unsecuredLoginNumberClaim_sub="1""#, "set unsecuredLoginStringClaim_sub"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginNumberClaim_n="0x10""#, "must be a number"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginNumberClaim_n="1e""#, "must be a number"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginListClaim_l="""#, "separator"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginStringClaim_iat="1""#, "iat and exp"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginNumberClaim_exp="1""#, "iat and exp"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginNumberClaim_sub="1""#, "more than one option"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginStringClaim_="x""#, "no claim name"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginLifetimeSeconds="-5""#, "positive"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginLifetimeSeconds="soon""#, "positive"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginExtension_auth="x""#, "'auth' is reserved"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginExtension_bad1="x""#, "not only ASCII letters"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginExtension_x="é""#, "not printable ASCII"),
        (#"unsecuredLoginStringClaim_sub="a" unsecuredLoginLifetime="5""#, "unknown option unsecuredLoginLifetime"),
        (#"clientId="c""#, "no clientSecret"), (#"clientSecret="Sup3r-S3cret""#, "no clientId"),
    ])
    func jaasOptionErrors(options: String, expected: String) throws {
        let error = try #require(throws: KafkaConfigurationError.self) { try JAASLogin(parsing: Self.jaas(options)) }
        #expect(error.property == "sasl.jaas.config")
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(!error.message.contains("Sup3r-S3cret"))
    }

    @Test func numberClaimsAreJSONNumbers() {
        for valid in ["0", "-1", "12.5", "1e9", "1E-3", "-0.0"] { #expect(OAuthBearerJWS.isJSONNumber(valid)) }
        for invalid in ["", "01", "1.", ".5", "+1", "1e", "NaN", "0x10", "1 "] {
            #expect(!OAuthBearerJWS.isJSONNumber(invalid), "\(invalid)")
        }
    }

    // MARK: Properties

    static func configuration(_ properties: [String: String]) throws -> KafkaClientConfiguration {
        try KafkaClientConfiguration(
            properties: ["bootstrap.servers": "localhost:9092", "security.protocol": "SASL_PLAINTEXT"]
                .merging(properties) { $1 })
    }

    @Test func unsecuredLoginFromProperties() async throws {
        let configuration = try Self.configuration([
            "sasl.mechanism": "OAUTHBEARER", "sasl.jaas.config": Self.jaas(#"unsecuredLoginStringClaim_sub="alice""#),
        ])
        try configuration.validate()
        #expect(configuration.sasl == nil)
        let provider = try #require(configuration.oauthBearerTokenProvider)
        let token = try await provider.token()
        #expect(token.principalName == "alice")
        #expect(configuration.description.contains("sasl.oauthbearer.token.provider=unsecured tokens for 'alice'"))
        // The mechanism follows from the login module, as PLAIN does from PlainLoginModule.
        let implied = try Self.configuration(["sasl.jaas.config": Self.jaas(#"unsecuredLoginStringClaim_sub="a""#)])
        try implied.validate()
        #expect(implied.oauthBearerTokenProvider != nil)
    }

    @Test func oidcClientCredentialsFromProperties() throws {
        for handler in KafkaClientConfiguration.oidcLoginCallbackHandlers {
            let configuration = try Self.configuration([
                "sasl.mechanism": "OAUTHBEARER",
                "sasl.jaas.config": Self.jaas(#"clientId="my app" clientSecret="Sup3r-S3cret" scope="kafka read""#),
                "sasl.login.callback.handler.class": handler,
                "sasl.oauthbearer.token.endpoint.url": "https://idp.example.com:8443/oauth2/token?x=1",
                "sasl.oauthbearer.sub.claim.name": "client_id", "sasl.oauthbearer.scope.claim.name": "scp",
                "sasl.login.connect.timeout.ms": "1500", "sasl.login.read.timeout.ms": "2500",
            ])
            try configuration.validate()
            let provider = try #require(configuration.oauthBearerTokenProvider as? OIDCClientCredentialsProvider)
            let credentials = provider.credentials
            #expect(credentials.endpoint.usesTLS)
            #expect(credentials.endpoint.host == "idp.example.com")
            #expect(credentials.endpoint.port == 8443)
            #expect(credentials.endpoint.target == "/oauth2/token?x=1")
            #expect(credentials.clientID == "my app")
            #expect(credentials.scope == "kafka read")
            #expect(credentials.subClaimName == "client_id")
            #expect(credentials.scopeClaimName == "scp")
            #expect(credentials.connectTimeout == .milliseconds(1500))
            #expect(credentials.readTimeout == .milliseconds(2500))
            #expect(credentials.requestBody == "grant_type=client_credentials&scope=kafka+read")
            // Basic base64("my+app:Sup3r-S3cret"): the id and secret form-encoded first (RFC 6749 section 2.3.1).
            #expect(credentials.authorization == "Basic bXkrYXBwOlN1cDNyLVMzY3JldA==")
            for text in [configuration.description, "\(configuration)", String(reflecting: configuration)] {
                #expect(!text.contains("Sup3r-S3cret"))
                #expect(text.contains("clientSecret <redacted>"))
            }
            var dumped = ""
            dump(configuration, to: &dumped)
            #expect(!dumped.contains("Sup3r-S3cret"))
        }
    }

    @Test(arguments: [
        (["sasl.mechanism": "OAUTHBEARER"], "sasl.jaas.config", "OAuthBearerLoginModule"),
        (
            ["sasl.jaas.config": OAuthBearerTests.jaas(#"clientId="c" clientSecret="Sup3r-S3cret""#)],
            "sasl.login.callback.handler.class", "sasl.oauthbearer.token.endpoint.url"
        ),
        (
            [
                "sasl.jaas.config": OAuthBearerTests.jaas(#"clientId="c" clientSecret="Sup3r-S3cret""#),
                "sasl.login.callback.handler.class":
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
            ], "sasl.oauthbearer.token.endpoint.url", "token endpoint"
        ),
        (
            [
                "sasl.jaas.config": OAuthBearerTests.jaas(#"unsecuredLoginStringClaim_sub="a""#),
                "sasl.login.callback.handler.class":
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
            ], "sasl.login.callback.handler.class", "clientId"
        ),
        (
            [
                "sasl.mechanism": "PLAIN",
                "sasl.jaas.config": OAuthBearerTests.jaas(#"unsecuredLoginStringClaim_sub="a""#),
            ],
            "sasl.jaas.config", "does not implement"
        ),
    ])
    func validationErrors(properties: [String: String], property: String, expected: String) throws {
        let configuration = try Self.configuration(properties)
        let error = try #require(throws: KafkaConfigurationError.self) { try configuration.validate() }
        #expect(error.property == property)
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(!error.message.contains("Sup3r-S3cret"))
    }

    @Test func propertyValueErrors() throws {
        let handler = try #require(throws: KafkaConfigurationError.self) {
            try Self.configuration(["sasl.login.callback.handler.class": "com.example.MyHandler"])
        }
        #expect(handler.message.contains("OAuthBearerLoginCallbackHandler"))
        for url in ["ftp://x/token", "http://", "http://user:pw@idp/token", "http://idp:99999/t", "idp/token"] {
            let error = try #require(throws: KafkaConfigurationError.self) {
                try Self.configuration(["sasl.oauthbearer.token.endpoint.url": url])
            }
            #expect(error.property == "sasl.oauthbearer.token.endpoint.url")
        }
        #expect(OIDCEndpoint("http://[::1]:8080")?.hostHeader == "[::1]:8080")
        #expect(OIDCEndpoint("http://[::1]:8080")?.target == "/")
        #expect(OIDCEndpoint("HTTP://idp?a=b")?.description == "http://idp/?a=b")
    }

    @Test func providerInCodeConflictsWithCredentials() throws {
        var configuration = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "k", port: 1)])
        configuration.securityProtocol = .saslSSL
        configuration.oauthBearerTokenProvider = FixedProvider(
            fixed: OAuthBearerToken(value: "t", expirationMillis: .max, principalName: "p"))
        try configuration.validate()
        #expect(configuration.description.contains("sasl.oauthbearer.token.provider=FixedProvider"))
        configuration.sasl = SASLCredentials(mechanism: .plain, username: "u", password: "p")
        #expect(throws: KafkaConfigurationError.self) { try configuration.validate() }
        configuration.oauthBearerTokenProvider = nil
        configuration.sasl = SASLCredentials(mechanism: .oauthBearer, username: "u", password: "p")
        let error = try #require(throws: KafkaConfigurationError.self) { try configuration.validate() }
        #expect(error.message.contains("not a username and password"))
    }

    // MARK: The exchange

    static let token = OAuthBearerToken(
        value: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", expirationMillis: .max, principalName: "a",
        extensions: ["traceId": "42", "logicalCluster": "lkc-1"])

    @Test func clientFirstMessageBytes() throws {
        var client = SASLClient(oauthBearer: Self.token)
        #expect(client.mechanism == .oauthBearer)
        let first = try client.start()
        let expected =
            "n,,\u{1}auth=Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.\u{1}logicalCluster=lkc-1\u{1}traceId=42\u{1}\u{1}"
        #expect(first == Array(expected.utf8))
        #expect(try client.receive([]) == .done)
        var plain = SASLClient(oauthBearer: OAuthBearerToken(value: "abc", expirationMillis: 0, principalName: "p"))
        #expect(try plain.start() == Array("n,,\u{1}auth=Bearer abc\u{1}\u{1}".utf8))
    }

    @Test func errorJSONIsAnsweredWithTheDummyByteThenTheFailureIsClear() throws {
        var setup = ConnectionSetupStateMachine(
            configuration: .init(
                clientSoftwareName: "swift-kafka", clientSoftwareVersion: "1", sasl: nil, oauthBearerToken: Self.token))
        _ = setup.start()
        guard
            case .send(.saslHandshake(let handshake, _)) = setup.apiVersionsReceived(
                ConnectionSetupStateMachineTests.apiVersions(ConnectionSetupStateMachineTests.modernBroker))
        else {
            Issue.record("expected SaslHandshake")
            return
        }
        #expect(handshake.mechanism == "OAUTHBEARER")
        guard case .send(.saslAuthenticate(let first, _)) = setup.saslHandshakeReceived(SaslHandshakeResponse()) else {
            Issue.record("expected SaslAuthenticate")
            return
        }
        #expect(Array(buffer: first.authBytes).starts(with: Array("n,,\u{1}auth=Bearer ".utf8)))
        var challenge = SaslAuthenticateResponse()
        challenge.authBytes = ByteBuffer(string: #"{"status":"invalid_token","scope":"kafka"}"#)
        guard case .send(.saslAuthenticate(let dummy, _)) = setup.saslAuthenticateReceived(challenge) else {
            Issue.record("expected the dummy reply")
            return
        }
        #expect(Array(buffer: dummy.authBytes) == [1])
        var failed = SaslAuthenticateResponse()
        failed.errorCode = KafkaErrorCode.saslAuthenticationFailed.rawValue
        failed.errorMessage = "the token expired 3.0 s ago"
        guard case .fail(let error) = setup.saslAuthenticateReceived(failed) else {
            Issue.record("expected failure")
            return
        }
        #expect(error.kind == .authenticationFailed)
        #expect(
            error.message
                == "SASL/OAUTHBEARER authentication failed: broker refused the token (invalid_token, scope kafka): "
                + "the token expired 3.0 s ago")
        #expect(!error.description.contains(Self.token.value))
        #expect(!error.description.contains("\n"))
    }

    @Test func errorSummaries() {
        #expect(OAuthBearerExchange.summarise(errorJSON: Array(#"{"status":"invalid_token"}"#.utf8)) == "invalid_token")
        #expect(OAuthBearerExchange.summarise(errorJSON: Array("not json\n".utf8)) == "not json?")
    }

    @Test func aSecondServerMessageAfterTheRefusalIsAnError() throws {
        var client = SASLClient(oauthBearer: Self.token)
        _ = try client.start()
        #expect(try client.receive(Array(#"{"status":"invalid_token"}"#.utf8)) == .send([1]))
        let error = try #require(throws: SASLError.self) { try client.receive([]) }
        #expect(error.message.contains("broker refused the token (invalid_token)"))
    }

    @Test func tokensThatCannotBeSentAreRefusedWithoutShowingThem() throws {
        for token in [
            OAuthBearerToken(value: "has space", expirationMillis: 0, principalName: "p"),
            OAuthBearerToken(value: "", expirationMillis: 0, principalName: "p"),
            OAuthBearerToken(value: "t", expirationMillis: 0, principalName: "p", extensions: ["a=b": "c"]),
            OAuthBearerToken(value: "t", expirationMillis: 0, principalName: "p", extensions: ["auth": "c"]),
        ] {
            var client = SASLClient(oauthBearer: token)
            let error = try #require(throws: SASLError.self) { try client.start() }
            #expect(error.message.hasPrefix("SASL/OAUTHBEARER authentication failed: "))
            if token.value.count > 1 { #expect(!error.message.contains(token.value)) }
        }
        var credentials = SASLClient(
            credentials: SASLCredentials(mechanism: .oauthBearer, username: "u", password: "p"))
        let error = try #require(throws: SASLError.self) { try credentials.start() }
        #expect(error.message.contains("needs a token provider"))
    }

    @Test func tokenDescriptionsHideTheValue() {
        let token = OAuthBearerToken(
            value: "S3cr3t-T0ken", expirationMillis: 7, principalName: "alice", extensions: ["k": "hidden-value"])
        var dumped = ""
        dump(token, to: &dumped)
        for text in [token.description, token.debugDescription, dumped] {
            #expect(!text.contains("S3cr3t-T0ken"))
            #expect(!text.contains("hidden-value"))
            #expect(text.contains("alice"))
        }
    }
}

/// A provider that always returns the same token.
struct FixedProvider: OAuthBearerTokenProvider {
    var fixed: OAuthBearerToken
    func token() async throws -> OAuthBearerToken { fixed }
}

/// Reading a token endpoint's answer.
@Suite(.timeLimit(.minutes(2))) struct OIDCAnswerTests {
    static let credentials = OIDCClientCredentials(
        endpoint: OIDCEndpoint("http://idp/token")!, clientID: "app", clientSecret: "Sup3r-S3cret", scope: nil)

    @Test func opaqueTokensLastExpiresInAndStandForTheClient() throws {
        let body = Array(#"{"access_token":"opaque","token_type":"Bearer","expires_in":300}"#.utf8)
        let token = try Self.credentials.token(status: 200, reason: "OK", body: body, nowMillis: 1000)
        #expect(token.value == "opaque")
        #expect(token.expirationMillis == 301_000)
        #expect(token.principalName == "app")
    }

    @Test func jwtTokensUseTheirExpAndSubjectClaim() throws {
        // {"alg":"RS256"}.{"sub":"svc","client_id":"cid","exp":1700000000}.sig
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMiLCJjbGllbnRfaWQiOiJjaWQiLCJleHAiOjE3MDAwMDAwMDB9.c2ln"
        let body = Array(#"{"access_token":"\#(jwt)","expires_in":5}"#.utf8)
        let token = try Self.credentials.token(status: 200, reason: "OK", body: body, nowMillis: 0)
        #expect(token.expirationMillis == 1_700_000_000_000)
        #expect(token.principalName == "svc")
        var byClientID = Self.credentials
        byClientID.subClaimName = "client_id"
        #expect(try byClientID.token(status: 200, reason: "OK", body: body, nowMillis: 0).principalName == "cid")
    }

    @Test(arguments: [
        (200, "{}", "returned HTTP 200 without an access_token"),
        (200, "<html>", "returned HTTP 200 without a JSON object"),
        (200, #"{"access_token":"x"}"#, "without an expiry"),
        (500, "oops Sup3r-S3cret", "returned HTTP 500 Internal Server Error: oops <redacted>"),
        (400, #"{"error":"invalid_scope"}"#, "returned HTTP 400 Bad Request: invalid_scope"),
    ])
    func badAnswers(status: Int, body: String, expected: String) throws {
        let reason = status == 500 ? "Internal Server Error" : status == 400 ? "Bad Request" : "OK"
        let error = try #require(throws: KafkaNetworkError.self) {
            try Self.credentials.token(status: status, reason: reason, body: Array(body.utf8), nowMillis: 0)
        }
        #expect(error.kind == .authenticationFailed)
        #expect(error.message.hasPrefix("OIDC token endpoint http://idp/token "))
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(!error.message.contains("Sup3r-S3cret"))
    }
}

import Foundation
import KafkaAdmin
import KafkaDevCluster
import KafkaNetwork
import KafkaTestSupport
import Logging
import NIOConcurrencyHelpers
import Testing

/// SASL/OAUTHBEARER end to end on a dev cluster: unsecured tokens from properties, a token provider in code,
/// refused tokens, and OIDC client credentials from a token endpoint started by the test.
@Suite(.timeLimit(.minutes(3))) struct AdminOAuthBearerTests {
    static let module = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"

    static func withCluster(
        _ configure: (inout DevClusterConfiguration) -> Void = { _ in }, _ body: (DevCluster) async throws -> Void
    ) async throws {
        var configuration = DevClusterConfiguration()
        configuration.saslMechanisms = ["PLAIN", "OAUTHBEARER"]
        configuration.users = ["admin": "admin-secret"]
        configure(&configuration)
        try await DevCluster.withRunning(configuration, body)
    }

    static func properties(_ cluster: DevCluster, _ extra: [String: String]) -> [String: String] {
        ["bootstrap.servers": cluster.bootstrapServers, "security.protocol": "SASL_PLAINTEXT"].merging(extra) { $1 }
    }

    /// The error of one connection attempt with `configuration` (the admin client would retry elsewhere first).
    static func connectionError(_ cluster: DevCluster, _ configuration: KafkaClientConfiguration) async throws
        -> KafkaNetworkError
    {
        let settings = try ConnectionSettings(configuration: configuration)
        let broker = cluster.brokers[0]
        do {
            let connection = try await BrokerConnection.connect(
                to: BrokerAddress(host: broker.host, port: broker.port), kind: .admin, settings: settings,
                logger: Logger(label: "oauth-tests"))
            await connection.close()
        } catch {
            return error
        }
        throw KafkaNetworkError(.malformedResponse, "the connection was set up")
    }

    @Test func unsecuredTokensFromPropertiesAuthenticateTheAdminClient() async throws {
        try await Self.withCluster { cluster in
            let admin = try KafkaAdminClient(
                properties: Self.properties(
                    cluster,
                    [
                        "sasl.mechanism": "OAUTHBEARER",
                        "sasl.jaas.config": "\(Self.module) required unsecuredLoginStringClaim_sub=\"alice\";",
                    ]))
            _ = try await admin.createTopics([NewTopic(name: "oauth", partitions: 2)])
            #expect(try await admin.listTopics().contains("oauth"))
            await admin.close()
            #expect(cluster.authenticatedUsers.contains("alice"))
            #expect(!cluster.authenticatedUsers.contains("admin"))
        }
    }

    @Test func tokenProviderInCodeWithExtensionsAndRequiredScope() async throws {
        let seen = NIOLockedValueBox<[String: String]>([:])
        let unsecured = DevOAuthBearerValidator.unsecured(requiredScope: ["kafka"])
        try await Self.withCluster {
            $0.oauthBearerValidator = DevOAuthBearerValidator { token, extensions, now in
                seen.withLockedValue { $0 = extensions }
                return try unsecured.check(token: token, extensions: extensions, nowMillis: now)
            }
        } _: { cluster in
            var configuration = try KafkaClientConfiguration(properties: Self.properties(cluster, [:]))
            configuration.oauthBearerTokenProvider = UnsecuredTokens(scope: ["kafka", "other"])
            let admin = try KafkaAdminClient(configuration: configuration)
            #expect(try await admin.describeCluster().brokers.count == 1)
            await admin.close()
            #expect(Set(cluster.authenticatedUsers) == ["bob"])
            #expect(seen.withLockedValue { $0 } == ["traceId": "t-1"])

            configuration.oauthBearerTokenProvider = UnsecuredTokens(scope: ["other"])
            let error = try await Self.connectionError(cluster, configuration)
            #expect(error.kind == .authenticationFailed)
            #expect(
                error.message
                    == "SASL/OAUTHBEARER authentication failed: broker refused the token (insufficient_scope, scope "
                    + "kafka): the token's scope lacks kafka")
        }
    }

    @Test func malformedAndExpiredTokensAreRefusedWithOneClearLine() async throws {
        let clock = ManualDevClock(start: OAuthBearerTestClock.nowMillis())
        try await Self.withCluster {
            $0.clock = clock
        } _: { cluster in
            var configuration = try KafkaClientConfiguration(properties: Self.properties(cluster, [:]))
            // A signed-looking token (alg HS256) is not an unsecured token.
            let signed = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl"
            configuration.oauthBearerTokenProvider = Fixed(
                fixed: OAuthBearerToken(value: signed, lifetime: .seconds(3600), principalName: "alice"))
            let malformed = try await Self.connectionError(cluster, configuration)
            #expect(malformed.kind == .authenticationFailed)
            #expect(
                malformed.message.hasPrefix(
                    "SASL/OAUTHBEARER authentication failed: broker refused the token (invalid_token): "))
            #expect(malformed.message.contains("alg none"))
            #expect(!"\(malformed)".contains(signed))
            #expect(!"\(malformed)".contains("\n"))

            // The broker's clock is two hours ahead: the client's one-hour token has expired for it.
            clock.advance(byMillis: 2 * 3_600_000)
            configuration.oauthBearerTokenProvider = UnsecuredTokens(scope: [])
            let expired = try await Self.connectionError(cluster, configuration)
            #expect(expired.message.hasPrefix("SASL/OAUTHBEARER authentication failed: broker refused the token"))
            #expect(expired.message.contains("the token expired"))

            // A token already expired by the client's clock is never sent.
            configuration.oauthBearerTokenProvider = Fixed(
                fixed: OAuthBearerToken(value: "abc", expirationMillis: 1000, principalName: "carol"))
            let stale = try await Self.connectionError(cluster, configuration)
            #expect(stale.kind == .authenticationFailed)
            #expect(stale.message.contains("the token provider returned a token for 'carol' that expired"))
        }
    }

    @Test func oidcClientCredentialsAreFetchedAndRefreshed() async throws {
        let issued = NIOLockedValueBox<[String: Int64]>([:])
        let endpoint = try await TestTokenEndpoint.start { _, index in
            let token = "opaque-token-\(index)"
            issued.withLockedValue { $0[token] = OAuthBearerTestClock.nowMillis() + 10_000 }
            return .init(body: #"{"access_token":"\#(token)","token_type":"Bearer","expires_in":10}"#)
        }
        defer { Task { await endpoint.stop() } }
        try await Self.withCluster {
            $0.oauthBearerValidator = DevOAuthBearerValidator { token, _, now in
                guard let expiry = issued.withLockedValue({ $0[token] }) else {
                    throw DevOAuthBearerValidator.Refusal(reason: "unknown token")
                }
                guard expiry > now else { throw DevOAuthBearerValidator.Refusal(reason: "expired") }
                return "svc-" + token.split(separator: "-").last!
            }
        } _: { cluster in
            let admin = try KafkaAdminClient(
                properties: Self.properties(
                    cluster,
                    [
                        "sasl.mechanism": "OAUTHBEARER",
                        "sasl.jaas.config":
                            "\(Self.module) required clientId=\"my-app\" clientSecret=\"Sup3r-S3cret\" scope=\"kafka\";",
                        "sasl.login.callback.handler.class":
                            "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
                        "sasl.oauthbearer.token.endpoint.url": endpoint.url,
                    ]))
            #expect(try await admin.describeCluster().brokers.count == 1)
            #expect(endpoint.requests.count == 1)
            let request = try #require(endpoint.requests.first)
            #expect(request.method == "POST")
            #expect(request.target == "/oauth2/token")
            #expect(
                request.headers["authorization"] == "Basic " + Data("my-app:Sup3r-S3cret".utf8).base64EncodedString())
            #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(request.body == "grant_type=client_credentials&scope=kafka")
            #expect(Set(cluster.authenticatedUsers) == ["svc-0"])

            // Past 80% of the 10 s lifetime a new connection gets a new token. (Ten seconds: on a loaded machine a
            // token taken just before 80% must still be valid when its SASL exchange reaches the broker.)
            try await Task.sleep(for: .milliseconds(8_500))
            await cluster.dropConnections()
            #expect(try await admin.describeCluster().brokers.count == 1)
            #expect(endpoint.requests.count == 2)
            #expect(cluster.authenticatedUsers.last == "svc-1")
            await admin.close()
        }
    }

    @Test func tokenEndpointFailuresAreOneLineWithoutTheSecret() async throws {
        let endpoint = try await TestTokenEndpoint.start { _, _ in
            .init(status: 401, body: #"{"error":"invalid_client","error_description":"bad secret Sup3r-S3cret"}"#)
        }
        defer { Task { await endpoint.stop() } }
        try await Self.withCluster { cluster in
            let properties = Self.properties(
                cluster,
                [
                    "sasl.jaas.config": "\(Self.module) required clientId=\"my-app\" clientSecret=\"Sup3r-S3cret\";",
                    "sasl.login.callback.handler.class":
                        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
                    "sasl.oauthbearer.token.endpoint.url": endpoint.url,
                ])
            let configuration = try KafkaClientConfiguration(properties: properties)
            #expect(!configuration.description.contains("Sup3r-S3cret"))
            let error = try await Self.connectionError(cluster, configuration)
            #expect(error.kind == .authenticationFailed)
            #expect(
                error.message
                    == "OIDC token endpoint \(endpoint.url) returned HTTP 401 Unauthorized: invalid_client (bad secret "
                    + "<redacted>)")
            #expect(!"\(error)".contains("Sup3r-S3cret"))
            await endpoint.stop()
            let unreachable = try await Self.connectionError(cluster, configuration)
            #expect(unreachable.message.hasPrefix("OIDC token endpoint \(endpoint.url) could not be reached"))
        }
    }
}

/// The system's real-time clock in milliseconds.
enum OAuthBearerTestClock {
    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// Unsecured tokens for `bob` with a scope list and one extension, valid for an hour.
struct UnsecuredTokens: OAuthBearerTokenProvider {
    var scope: [String]

    func token() async throws -> OAuthBearerToken {
        let now = OAuthBearerTestClock.nowMillis()
        let scopeJSON = scope.map { "\"\($0)\"" }.joined(separator: ",")
        let claims = #"{"sub":"bob","iat":\#(now / 1000),"exp":\#(now / 1000 + 3600),"scope":[\#(scopeJSON)]}"#
        func base64URL(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        }
        return OAuthBearerToken(
            value: base64URL(#"{"alg":"none"}"#) + "." + base64URL(claims) + ".", expirationMillis: now + 3_600_000,
            principalName: "bob", extensions: ["traceId": "t-1"])
    }
}

/// Always the same token.
struct Fixed: OAuthBearerTokenProvider {
    var fixed: OAuthBearerToken
    func token() async throws -> OAuthBearerToken { fixed }
}

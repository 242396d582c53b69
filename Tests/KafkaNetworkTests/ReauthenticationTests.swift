import Foundation
import KafkaDevCluster
import KafkaProtocol
import Logging
import MetricsTestKit
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import KafkaNetwork

/// SASL re-authentication (KIP-368) without I/O: the state machine with a manual clock, the pipeline's hold and
/// release, and the handler on an `EmbeddedChannel` with requests in flight across a re-authentication.
@Suite(.timeLimit(.minutes(5))) struct ReauthenticationTests {
    typealias Machine = ReauthenticationStateMachine

    static let alice = SASLCredentials(mechanism: .plain, username: "alice", password: "pw")

    static func machine(_ credentials: SASLCredentials = alice) -> Machine {
        Machine(
            configuration: .init(
                credentials: credentials, handshakeVersion: 1, authenticateVersion: 1, requestTimeout: .seconds(30)))
    }

    static func authenticated(lifetimeMs: Int64 = 0, error: KafkaErrorCode = .none) -> SaslAuthenticateResponse {
        var response = SaslAuthenticateResponse()
        response.errorCode = error.rawValue
        response.sessionLifetimeMs = lifetimeMs
        if error != .none { response.errorMessage = "Authentication failed: Invalid username or password" }
        return response
    }

    @Test func schedulesBetween85And95PercentOfTheLifetime() {
        let start = ContinuousClock.now
        var seen: Set<Int64> = []
        for _ in 0..<200 {
            var machine = Self.machine()
            guard case .scheduleTimer(let at) = machine.authenticated(sessionLifetimeMs: 10_000, now: start) else {
                Issue.record("expected a scheduled re-authentication")
                return
            }
            let offset = start.duration(to: at)
            #expect(offset >= .milliseconds(8_500) && offset <= .milliseconds(9_500), "\(offset)")
            #expect(machine.nextDeadline == at)
            seen.insert(offset.clampedMilliseconds / 100)
        }
        #expect(seen.count > 3, "the point is random, so connections do not re-authenticate together")
        var exact = Self.machine()
        #expect(
            exact.authenticated(sessionLifetimeMs: 2_000, now: start, fraction: 0.9)
                == .scheduleTimer(start + .milliseconds(1_800)))
    }

    @Test func aLifetimeOfZeroNeverReauthenticates() {
        var machine = Self.machine()
        let start = ContinuousClock.now
        #expect(machine.authenticated(sessionLifetimeMs: 0, now: start) == .none)
        #expect(machine.nextDeadline == nil)
        #expect(machine.timerFired(now: start + .seconds(86_400)) == .none)
        #expect(!machine.isReauthenticating)
    }

    @Test func reauthenticatesWithTheSameMechanismAndAFreshExchange() throws {
        var machine = Self.machine()
        let start = ContinuousClock.now
        _ = machine.authenticated(sessionLifetimeMs: 1_000, now: start, fraction: 0.9)
        #expect(machine.timerFired(now: start + .milliseconds(500)) == .scheduleTimer(start + .milliseconds(900)))
        let due = start + .milliseconds(900)
        guard case .begin(let handshake, let version) = machine.timerFired(now: due) else {
            Issue.record("expected the handshake")
            return
        }
        #expect(handshake.mechanism == "PLAIN")
        #expect(version == 1)
        #expect(machine.isReauthenticating)
        #expect(machine.awaitedAPI == .saslHandshake)
        #expect(machine.nextDeadline == due + .seconds(30), "the answer is awaited for request.timeout.ms")
        guard case .send(let authenticate, _) = machine.handshakeReceived(SaslHandshakeResponse(), now: due) else {
            Issue.record("expected SaslAuthenticate")
            return
        }
        #expect(Array(buffer: authenticate.authBytes) == Array("\0alice\0pw".utf8))
        #expect(machine.awaitedAPI == .saslAuthenticate)
        let done = due + .milliseconds(10)
        let completed = machine.authenticateReceived(Self.authenticated(lifetimeMs: 1_000), now: done, fraction: 0.85)
        #expect(completed == .completed(next: done + .milliseconds(850)))
        #expect(machine.count == 1)
        #expect(!machine.isReauthenticating)
        #expect(machine.sessionLifetime == .milliseconds(1_000))
    }

    @Test func scramReauthenticationRunsEveryRound() throws {
        let credentials = SASLCredentials(mechanism: .scramSHA256, username: "bob", password: "secret")
        var machine = Self.machine(credentials)
        let start = ContinuousClock.now
        _ = machine.authenticated(sessionLifetimeMs: 1_000, now: start)
        guard case .begin(let handshake, _) = machine.timerFired(now: start + .seconds(1)) else {
            Issue.record("expected the handshake")
            return
        }
        #expect(handshake.mechanism == "SCRAM-SHA-256")
        guard case .send(let first, _) = machine.handshakeReceived(SaslHandshakeResponse(), now: start) else {
            Issue.record("expected the client-first message")
            return
        }
        #expect(String(decoding: first.authBytes.readableBytesView, as: UTF8.self).hasPrefix("n,,n=bob,r="))
        // A server-first message without the client's nonce is refused by the client: the connection fails.
        var hostile = Self.authenticated()
        hostile.authBytes = ByteBuffer(string: "r=other,s=c2FsdA==,i=4096")
        guard case .fail(let error) = machine.authenticateReceived(hostile, now: start) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .authenticationFailed)
        #expect(machine.nextDeadline == nil, "nothing is scheduled after a failure")
    }

    @Test func aRefusedReauthenticationFailsTheConnectionWithAClearError() {
        var machine = Self.machine()
        let start = ContinuousClock.now
        _ = machine.authenticated(sessionLifetimeMs: 1_000, now: start)
        _ = machine.timerFired(now: start + .seconds(1))
        _ = machine.handshakeReceived(SaslHandshakeResponse(), now: start + .seconds(1))
        let action = machine.authenticateReceived(
            Self.authenticated(error: .saslAuthenticationFailed), now: start + .seconds(1))
        guard case .fail(let error) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(error.kind == .authenticationFailed)
        #expect(error.api == .saslAuthenticate)
        #expect(error.message.contains("re-authentication"))
        #expect(error.message.contains("'alice'"))
        #expect(error.message.contains("SASL_AUTHENTICATION_FAILED"))
        #expect(machine.count == 0)

        var refused = Self.machine()
        _ = refused.authenticated(sessionLifetimeMs: 1_000, now: start)
        _ = refused.timerFired(now: start + .seconds(1))
        var handshake = SaslHandshakeResponse()
        handshake.errorCode = KafkaErrorCode.illegalSaslState.rawValue
        guard case .fail(let refusal) = refused.handshakeReceived(handshake, now: start + .seconds(1)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(refusal.message.contains("ILLEGAL_SASL_STATE"))
    }

    @Test func aMissingAnswerFailsTheConnectionAfterTheRequestTimeout() {
        var machine = Self.machine()
        let start = ContinuousClock.now
        _ = machine.authenticated(sessionLifetimeMs: 1_000, now: start)
        let begun = start + .seconds(1)
        _ = machine.timerFired(now: begun)
        #expect(machine.timerFired(now: begun + .seconds(29)) == .scheduleTimer(begun + .seconds(30)))
        guard case .fail(let error) = machine.timerFired(now: begun + .seconds(30)) else {
            Issue.record("expected a timeout")
            return
        }
        #expect(error.kind == .requestTimedOut)
        #expect(error.api == .saslHandshake)
    }

    // MARK: OAUTHBEARER

    static func oauthMachine() -> Machine {
        Machine(
            configuration: .init(
                authentication: .oauthBearer, handshakeVersion: 1, authenticateVersion: 1,
                requestTimeout: .seconds(30)))
    }

    /// A token (not a JWT: the client sends any printable value) that expires in an hour.
    static func token(_ value: String) -> OAuthBearerToken {
        OAuthBearerToken(
            value: value, expirationMillis: OAuthBearerClock.system.nowMillis() + 3_600_000, principalName: "alice",
            extensions: ["logicalCluster": "lkc-1"])
    }

    @Test func oauthBearerReauthenticationAsksForATokenThenRunsTheExchangeWithIt() throws {
        var machine = Self.oauthMachine()
        let start = ContinuousClock.now
        _ = machine.authenticated(sessionLifetimeMs: 1_000, now: start, fraction: 0.9)
        #expect(machine.timerFired(now: start + .milliseconds(500)) == .scheduleTimer(start + .milliseconds(900)))
        let due = start + .milliseconds(900)
        let fetch = machine.timerFired(now: due)
        #expect(fetch == .fetchToken(deadline: due + .seconds(30)), "the token is awaited for request.timeout.ms")
        #expect(machine.isAwaitingToken)
        #expect(!machine.isReauthenticating, "requests keep flowing while the token is fetched")
        #expect(machine.awaitedAPI == nil)
        #expect(machine.nextDeadline == due + .seconds(30))

        let arrived = due + .milliseconds(20)
        guard case .begin(let handshake, let version) = machine.tokenReceived(Self.token("new-token"), now: arrived)
        else {
            Issue.record("expected the handshake once the token arrived")
            return
        }
        #expect(handshake.mechanism == "OAUTHBEARER")
        #expect(version == 1)
        #expect(machine.isReauthenticating)
        #expect(!machine.isAwaitingToken)
        #expect(machine.awaitedAPI == .saslHandshake)
        #expect(machine.nextDeadline == arrived + .seconds(30))
        guard case .send(let authenticate, _) = machine.handshakeReceived(SaslHandshakeResponse(), now: arrived)
        else {
            Issue.record("expected SaslAuthenticate")
            return
        }
        // RFC 7628's client-first message with the token just delivered, not the one of the first authentication.
        #expect(
            Array(buffer: authenticate.authBytes)
                == Array("n,,\u{1}auth=Bearer new-token\u{1}logicalCluster=lkc-1\u{1}\u{1}".utf8))
        #expect(machine.awaitedAPI == .saslAuthenticate)
        let done = arrived + .milliseconds(10)
        let completed = machine.authenticateReceived(Self.authenticated(lifetimeMs: 1_000), now: done, fraction: 0.85)
        #expect(completed == .completed(next: done + .milliseconds(850)))
        #expect(machine.count == 1)
        #expect(!machine.isReauthenticating)

        // The next session asks for a token again.
        let next = done + .milliseconds(850)
        #expect(machine.timerFired(now: next) == .fetchToken(deadline: next + .seconds(30)))
        guard case .begin = machine.tokenReceived(Self.token("newer-token"), now: next) else {
            Issue.record("expected the handshake")
            return
        }
        guard case .send(let again, _) = machine.handshakeReceived(SaslHandshakeResponse(), now: next) else {
            Issue.record("expected SaslAuthenticate")
            return
        }
        #expect(String(decoding: again.authBytes.readableBytesView, as: UTF8.self).contains("auth=Bearer newer-token"))
    }

    @Test func aFailedTokenFetchFailsTheReauthenticationWithoutTheToken() {
        var machine = Self.oauthMachine()
        let start = ContinuousClock.now
        _ = machine.authenticated(sessionLifetimeMs: 1_000, now: start)
        _ = machine.timerFired(now: start + .seconds(1))
        let action = machine.tokenFailed(
            KafkaNetworkError(.authenticationFailed, "SASL/OAUTHBEARER: could not get a token: HTTP 503"))
        guard case .fail(let error) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(error.kind == .authenticationFailed)
        #expect(error.message.contains("re-authentication"))
        #expect(error.message.contains("OAUTHBEARER"))
        #expect(error.message.contains("HTTP 503"))
        #expect(machine.nextDeadline == nil, "nothing is scheduled after a failure")
        #expect(machine.count == 0)
        // A token that arrives after the failure is ignored.
        #expect(machine.tokenReceived(Self.token("late"), now: start + .seconds(2)) == .none)
    }

    @Test func noTokenWithinTheRequestTimeoutFailsTheReauthentication() {
        var machine = Self.oauthMachine()
        let start = ContinuousClock.now
        _ = machine.authenticated(sessionLifetimeMs: 1_000, now: start)
        let begun = start + .seconds(1)
        #expect(machine.timerFired(now: begun) == .fetchToken(deadline: begun + .seconds(30)))
        #expect(machine.timerFired(now: begun + .seconds(29)) == .scheduleTimer(begun + .seconds(30)))
        guard case .fail(let error) = machine.timerFired(now: begun + .seconds(30)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .authenticationFailed)
        #expect(error.message.contains("no OAUTHBEARER token"))
        #expect(machine.tokenReceived(Self.token("late"), now: begun + .seconds(31)) == .none)
    }

    @Test func aRefusedOAuthBearerReauthenticationNamesThePrincipalNotTheToken() {
        var machine = Self.oauthMachine()
        let start = ContinuousClock.now
        _ = machine.authenticated(sessionLifetimeMs: 1_000, now: start)
        _ = machine.timerFired(now: start + .seconds(1))
        _ = machine.tokenReceived(Self.token("secret-token-value"), now: start + .seconds(1))
        _ = machine.handshakeReceived(SaslHandshakeResponse(), now: start + .seconds(1))
        let action = machine.authenticateReceived(
            Self.authenticated(error: .saslAuthenticationFailed), now: start + .seconds(1))
        guard case .fail(let error) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(error.kind == .authenticationFailed)
        #expect(error.message.contains("re-authentication"))
        #expect(error.message.contains("'alice'"))
        #expect(!error.message.contains("secret-token-value"))
    }

    @Test func plainNeverAsksForAToken() {
        var machine = Self.machine()
        let start = ContinuousClock.now
        _ = machine.authenticated(sessionLifetimeMs: 1_000, now: start)
        guard case .begin = machine.timerFired(now: start + .seconds(1)) else {
            Issue.record("expected the handshake at once")
            return
        }
        #expect(machine.tokenReceived(Self.token("unasked"), now: start + .seconds(1)) == .none)
        #expect(machine.awaitedAPI == .saslHandshake)
    }

    // MARK: the pipeline across a re-authentication

    @Test func heldPipelineKeepsRequestsInFlightAndQueuesNewOnes() {
        var pipeline = RequestPipeline<String>(maximumInFlight: 2, firstCorrelationID: 10)
        let now = ContinuousClock.now
        let first = pipeline.submit("a", expectsResponse: true, timeout: .seconds(30), now: now).actions
        let second = pipeline.submit("b", expectsResponse: true, timeout: .seconds(30), now: now).actions
        #expect(first.count == 1 && second.count == 1)
        pipeline.hold()
        let handshakeID = pipeline.takeCorrelationID()
        #expect(handshakeID == 12)
        let held = pipeline.submit("c", expectsResponse: true, timeout: .seconds(30), now: now)
        #expect(
            held.actions.isEmpty && held.rejected == nil, "a new request waits while the connection re-authenticates")
        #expect(pipeline.queuedCount == 1)
        // The answers to the requests sent before the handshake arrive first and are delivered.
        guard case .deliver("a", let next) = pipeline.receive(correlationID: 10, now: now) else {
            Issue.record("expected a's answer")
            return
        }
        #expect(next.isEmpty, "a freed slot is not used while held")
        guard case .deliver("b", _) = pipeline.receive(correlationID: 11, now: now) else {
            Issue.record("expected b's answer")
            return
        }
        let authenticateID = pipeline.takeCorrelationID()
        #expect(authenticateID == 13)
        let released = pipeline.release(now: now)
        guard case .write(let id, "c", true) = released.first, released.count == 1 else {
            Issue.record("expected c to go out, got \(released)")
            return
        }
        #expect(id == 14, "ids stay increasing and unique across the SASL requests")
        #expect(!pipeline.isHeld)
    }

    // MARK: the handler

    /// Sets up a PLAIN connection whose session lasts `lifetimeMs`.
    static func authenticatedBroker(
        lifetimeMs: Int64, metrics: TestMetrics
    ) throws -> KafkaConnectionHandlerTests.EmbeddedBroker {
        let broker = try KafkaConnectionHandlerTests.EmbeddedBroker(sasl: alice, metricsFactory: metrics)
        try broker.completeSetup()
        let handshake = try #require(try broker.nextRequest())
        try broker.respond(SaslHandshakeRequest.self, to: handshake.header, with: SaslHandshakeResponse())
        let authenticate = try #require(try broker.nextRequest())
        try broker.respond(
            SaslAuthenticateRequest.self, to: authenticate.header, with: authenticated(lifetimeMs: lifetimeMs))
        _ = try #require(try KafkaConnectionHandlerTests.result(broker.ready)?.get())
        return broker
    }

    @Test func handlerReauthenticatesWithoutFailingRequestsInFlight() throws {
        let metrics = TestMetrics()
        let broker = try Self.authenticatedBroker(lifetimeMs: 1_000, metrics: metrics)
        let inFlight = try (0..<2).map { _ in try broker.submit(MetadataRequest(), version: 1) }
        let sent = try (0..<2).map { _ in try #require(try broker.nextRequest()) }
        #expect(try broker.nextRequest() == nil)

        broker.loop.advanceTime(by: .milliseconds(960))
        var handshake = try #require(try broker.nextRequest(), "re-authentication begins before 96 % of the lifetime")
        #expect(handshake.header.requestApiKey == KafkaAPIKey.saslHandshake.rawValue)
        #expect(try SaslHandshakeRequest(from: &handshake.body, version: 1).mechanism == "PLAIN")
        #expect(handshake.header.correlationId == sent[1].header.correlationId + 1)

        let held = try broker.submit(MetadataRequest(), version: 1)
        #expect(try broker.nextRequest() == nil, "a new request waits for the re-authentication")

        var answer = MetadataResponse()
        for (index, request) in sent.enumerated() {
            answer.controllerId = Int32(index)
            try broker.respond(MetadataRequest.self, to: request.header, with: answer)
        }
        for (index, future) in inFlight.enumerated() {
            let frame = try #require(try KafkaConnectionHandlerTests.result(future)?.get(), "answered in flight")
            #expect(
                try KafkaFrame.decodeResponse(to: MetadataRequest.self, version: 1, frame: frame).response
                    .controllerId == Int32(index))
        }
        try broker.respond(SaslHandshakeRequest.self, to: handshake.header, with: SaslHandshakeResponse())
        var authenticate = try #require(try broker.nextRequest())
        #expect(authenticate.header.requestApiKey == KafkaAPIKey.saslAuthenticate.rawValue)
        let message = try SaslAuthenticateRequest(
            from: &authenticate.body, version: authenticate.header.requestApiVersion)
        #expect(Array(buffer: message.authBytes) == Array("\0alice\0pw".utf8))
        #expect(try broker.nextRequest() == nil)
        try broker.respond(
            SaslAuthenticateRequest.self, to: authenticate.header, with: Self.authenticated(lifetimeMs: 1_000))

        let released = try #require(try broker.nextRequest(), "the held request goes out after re-authentication")
        #expect(released.header.requestApiKey == KafkaAPIKey.metadata.rawValue)
        #expect(released.header.correlationId == authenticate.header.correlationId + 1)
        answer.controllerId = 7
        try broker.respond(MetadataRequest.self, to: released.header, with: answer)
        let frame = try #require(try KafkaConnectionHandlerTests.result(held)?.get())
        #expect(
            try KafkaFrame.decodeResponse(to: MetadataRequest.self, version: 1, frame: frame).response
                .controllerId == 7)
        #expect(metrics.counterTotal(label: "kafka_client_reauthentications_total") == 1)

        // And again for the next session.
        broker.loop.advanceTime(by: .milliseconds(960))
        let again = try #require(try broker.nextRequest())
        #expect(again.header.requestApiKey == KafkaAPIKey.saslHandshake.rawValue)
        #expect(broker.channel.isActive)
    }

    @Test func handlerFailsTheConnectionWhenReauthenticationIsRefused() throws {
        let metrics = TestMetrics()
        let broker = try Self.authenticatedBroker(lifetimeMs: 1_000, metrics: metrics)
        let inFlight = try broker.submit(MetadataRequest(), version: 1)
        let sent = try #require(try broker.nextRequest())
        broker.loop.advanceTime(by: .milliseconds(960))
        let handshake = try #require(try broker.nextRequest())
        let held = try broker.submit(MetadataRequest(), version: 1)
        try broker.respond(MetadataRequest.self, to: sent.header, with: MetadataResponse())
        #expect(try KafkaConnectionHandlerTests.result(inFlight)?.get() != nil)
        try broker.respond(SaslHandshakeRequest.self, to: handshake.header, with: SaslHandshakeResponse())
        let authenticate = try #require(try broker.nextRequest())
        try broker.respond(
            SaslAuthenticateRequest.self, to: authenticate.header,
            with: Self.authenticated(error: .saslAuthenticationFailed))
        let error = try #require(KafkaConnectionHandlerTests.networkError(held))
        #expect(error.kind == .authenticationFailed)
        #expect(error.message.contains("re-authentication"))
        #expect(!broker.channel.isActive)
        #expect(metrics.counterTotal(label: "kafka_client_reauthentications_total") == 0)
    }

    @Test func handlerWithoutALifetimeNeverReauthenticates() throws {
        let metrics = TestMetrics()
        let broker = try Self.authenticatedBroker(lifetimeMs: 0, metrics: metrics)
        broker.loop.advanceTime(by: .seconds(3_600))
        #expect(try broker.nextRequest() == nil)
        #expect(metrics.counterTotal(label: "kafka_client_reauthentications_total") == 0)
    }
}

/// OAUTHBEARER re-authentication against the dev cluster when the token provider stops delivering: the connection's
/// re-authentication fails with one clear error (logged, without the token) and the connection closes.
@Suite(.timeLimit(.minutes(3)))
struct OAuthBearerReauthenticationFailureTests {
    /// The first token is an unsecured one for `alice` that expires within three seconds; every later call fails.
    final class FailingAfterFirstToken: OAuthBearerTokenProvider, Sendable {
        let calls = NIOLockedValueBox(0)
        let issued = NIOLockedValueBox<String?>(nil)

        func token() async throws -> OAuthBearerToken {
            let call = calls.withLockedValue { count in
                count += 1
                return count
            }
            guard call == 1 else { throw Unavailable() }
            let now = Int64(Date().timeIntervalSince1970)
            func base64URL(_ text: String) -> String {
                Data(text.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
                    .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            }
            let claims = #"{"sub":"alice","iat":\#(now),"exp":\#(now + 6)}"#
            let value = base64URL(#"{"alg":"none"}"#) + "." + base64URL(claims) + "."
            issued.withLockedValue { $0 = value }
            return OAuthBearerToken(value: value, expirationMillis: (now + 6) * 1000, principalName: "alice")
        }
    }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "identity provider unavailable" }
    }

    @Test func aFailingTokenProviderFailsTheReauthenticationWithAClearError() async throws {
        var brokerConfiguration = DevClusterConfiguration()
        brokerConfiguration.saslMechanisms = ["OAUTHBEARER"]
        brokerConfiguration.connectionsMaxReauth = .seconds(4)
        let cluster = try await DevCluster(configuration: brokerConfiguration)
        let records = NIOLockedValueBox<[ObservabilityTests.CapturingLogHandler.Record]>([])
        let logger = Logger(label: "reauth") { _ in ObservabilityTests.CapturingLogHandler(records: records) }
        var configuration = try KafkaClientConfiguration(properties: [
            "bootstrap.servers": cluster.bootstrapServers, "security.protocol": "SASL_PLAINTEXT",
        ])
        let provider = FailingAfterFirstToken()
        configuration.oauthBearerTokenProvider = provider
        configuration.retries = 0
        let client = try KafkaClusterClient(configuration: configuration, logger: logger)
        _ = try await client.send(MetadataRequest(), to: .anyBroker, kind: .admin)

        // The session lasts 4 s and the token at most 6 s (long enough for the first connection on a loaded
        // machine): by the second re-authentication at the latest, the cache has no unexpired token left and the
        // provider fails.
        let deadline = ContinuousClock.now + .seconds(20)
        var failure: ObservabilityTests.CapturingLogHandler.Record?
        while failure == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            failure = records.withLockedValue { logged in
                logged.first { $0.message == "SASL re-authentication failed; closing the connection" }
            }
        }
        let logged = try #require(failure, "the re-authentication failed")
        let error = logged.metadata["error"] ?? ""
        #expect(error.contains("SASL re-authentication: no OAUTHBEARER token"), "\(error)")
        #expect(error.contains("identity provider unavailable"), "\(error)")
        let token = try #require(provider.issued.withLockedValue { $0 })
        #expect(!error.contains(token))
        #expect(records.withLockedValue { $0.allSatisfy { !"\($0.metadata)".contains(token) } }, "no log shows it")
        #expect(cluster.reauthenticationCount <= 1)
        await client.shutdown()
        await cluster.shutdown()
    }
}

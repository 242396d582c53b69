import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaNetwork

/// Connection setup without I/O: ApiVersions (with fallback), SASL rounds, failures.
@Suite(.timeLimit(.minutes(5))) struct ConnectionSetupStateMachineTests {
    typealias Machine = ConnectionSetupStateMachine

    static func apiVersions(_ ranges: [KafkaAPIKey: ClosedRange<Int16>], error: KafkaErrorCode = .none)
        -> ApiVersionsResponse
    {
        var response = ApiVersionsResponse()
        response.errorCode = error.rawValue
        response.apiKeys = ranges.sorted { $0.key < $1.key }.map { key, range in
            var entry = ApiVersionsResponse.ApiVersion()
            entry.apiKey = key.rawValue
            entry.minVersion = range.lowerBound
            entry.maxVersion = range.upperBound
            return entry
        }
        return response
    }

    static let modernBroker: [KafkaAPIKey: ClosedRange<Int16>] = [
        .apiVersions: 0...3, .metadata: 0...12, .produce: 3...9, .saslHandshake: 0...1, .saslAuthenticate: 0...2,
    ]

    func machine(sasl: SASLCredentials? = nil) -> Machine {
        Machine(configuration: .init(clientSoftwareName: "swift-kafka", clientSoftwareVersion: "1.2.3", sasl: sasl))
    }

    @Test func sendsTheNewestApiVersionsWithSoftwareNameThenIsReady() throws {
        var setup = machine()
        guard case .send(.apiVersions(let request, let version)) = setup.start() else {
            Issue.record("expected ApiVersions")
            return
        }
        #expect(version == ApiVersionsRequest.validVersions.upperBound)
        #expect(version >= 3)
        #expect(request.clientSoftwareName == "swift-kafka")
        #expect(request.clientSoftwareVersion == "1.2.3")
        guard case .ready(let versions) = setup.apiVersionsReceived(Self.apiVersions(Self.modernBroker)) else {
            Issue.record("expected ready")
            return
        }
        #expect(setup.isReady)
        #expect(try versions.version(for: MetadataRequest.self) == 12)
        #expect(try versions.version(for: ProduceRequest.self) == min(9, ProduceRequest.validVersions.upperBound))
    }

    @Test func fallsBackToVersionZeroWhenRefusedWithoutARange() {
        var setup = machine()
        _ = setup.start()
        let refused = ApiVersionsResponse(errorCode: KafkaErrorCode.unsupportedVersion.rawValue)
        guard case .send(.apiVersions(_, let version)) = setup.apiVersionsReceived(refused) else {
            Issue.record("expected a retry")
            return
        }
        #expect(version == 0)
        // A refusal of v0 is final.
        guard case .fail(let error) = setup.apiVersionsReceived(refused) else {
            Issue.record("expected failure")
            return
        }
        #expect(error.kind == .unsupportedVersion)
    }

    @Test func retriesWithTheBrokersApiVersionsMaximum() {
        var setup = machine()
        _ = setup.start()
        let refused = Self.apiVersions([.apiVersions: 0...2], error: .unsupportedVersion)
        guard case .send(.apiVersions(_, let version)) = setup.apiVersionsReceived(refused) else {
            Issue.record("expected a retry")
            return
        }
        #expect(version == 2)
    }

    @Test func noCommonVersionNamesTheAPIAndBothRanges() throws {
        let versions = NegotiatedVersions(brokerRanges: [.produce: 0...2])
        let error = try #require(throws: KafkaNetworkError.self) {
            try versions.version(for: .produce, clientRange: 3...11)
        }
        #expect(error.kind == .unsupportedVersion)
        #expect(error.message.contains("Produce"))
        #expect(error.message.contains("v0–v2"))
        #expect(error.message.contains("v3–v11"))
        let missing = try #require(throws: KafkaNetworkError.self) {
            try versions.version(for: .fetch, clientRange: 4...17)
        }
        #expect(missing.message.contains("does not support Fetch"))
        #expect(versions.supports(.produce, atLeast: 2))
        #expect(!versions.supports(.produce, atLeast: 3))
    }

    @Test func malformedRangesFromTheBrokerAreIgnored() {
        var response = Self.apiVersions([.metadata: 0...9])
        var bad = ApiVersionsResponse.ApiVersion()
        bad.apiKey = KafkaAPIKey.produce.rawValue
        bad.minVersion = 9
        bad.maxVersion = 3
        response.apiKeys.append(bad)
        let versions = NegotiatedVersions(response: response)
        #expect(versions.brokerRanges[.produce] == nil)
        #expect(versions.brokerRanges[.metadata] == 0...9)
    }

    @Test func saslPlainRunsHandshakeAndAuthenticate() {
        var setup = machine(sasl: SASLCredentials(mechanism: .plain, username: "alice", password: "s3cret"))
        _ = setup.start()
        guard
            case .send(.saslHandshake(let handshake, let handshakeVersion)) =
                setup.apiVersionsReceived(Self.apiVersions(Self.modernBroker))
        else {
            Issue.record("expected SaslHandshake")
            return
        }
        #expect(handshake.mechanism == "PLAIN")
        #expect(handshakeVersion == 1)
        #expect(setup.awaitedAPI == .saslHandshake)
        var accepted = SaslHandshakeResponse()
        accepted.mechanisms = ["PLAIN"]
        guard case .send(.saslAuthenticate(let authenticate, let version)) = setup.saslHandshakeReceived(accepted)
        else {
            Issue.record("expected SaslAuthenticate")
            return
        }
        #expect(version == 2)
        #expect(Array(buffer: authenticate.authBytes) == Array("\0alice\0s3cret".utf8))
        guard case .ready = setup.saslAuthenticateReceived(SaslAuthenticateResponse()) else {
            Issue.record("expected ready")
            return
        }
    }

    @Test func unsupportedMechanismIsAClearFatalError() {
        var setup = machine(sasl: SASLCredentials(mechanism: .scramSHA512, username: "alice", password: "x"))
        _ = setup.start()
        _ = setup.apiVersionsReceived(Self.apiVersions(Self.modernBroker))
        var refused = SaslHandshakeResponse()
        refused.errorCode = KafkaErrorCode.unsupportedSaslMechanism.rawValue
        refused.mechanisms = ["PLAIN", "SCRAM-SHA-256"]
        guard case .fail(let error) = setup.saslHandshakeReceived(refused) else {
            Issue.record("expected failure")
            return
        }
        #expect(error.kind == .authenticationFailed)
        #expect(!error.isRetriable)
        #expect(error.message.contains("SCRAM-SHA-512"))
        #expect(error.message.contains("PLAIN, SCRAM-SHA-256"))
    }

    @Test func authenticationFailureIsFatalAndNamesTheUser() {
        var setup = machine(sasl: SASLCredentials(mechanism: .plain, username: "alice", password: "wrong"))
        _ = setup.start()
        _ = setup.apiVersionsReceived(Self.apiVersions(Self.modernBroker))
        _ = setup.saslHandshakeReceived(SaslHandshakeResponse())
        var failed = SaslAuthenticateResponse()
        failed.errorCode = KafkaErrorCode.saslAuthenticationFailed.rawValue
        failed.errorMessage = "Authentication failed: Invalid username or password"
        guard case .fail(let error) = setup.saslAuthenticateReceived(failed) else {
            Issue.record("expected failure")
            return
        }
        #expect(error.kind == .authenticationFailed)
        #expect(!error.isRetriable)
        #expect(error.message.contains("'alice'"))
        #expect(error.message.contains("Invalid username or password"))
        #expect(!error.message.contains("wrong"), "the password never appears in errors")
    }

    @Test func saslNeedsHandshakeV1() {
        var setup = machine(sasl: SASLCredentials(mechanism: .plain, username: "a", password: "b"))
        _ = setup.start()
        guard
            case .fail(let error) = setup.apiVersionsReceived(
                Self.apiVersions([.apiVersions: 0...1, .saslHandshake: 0...0, .saslAuthenticate: 0...0]))
        else {
            Issue.record("expected failure")
            return
        }
        #expect(error.kind == .unsupportedVersion)
        #expect(error.message.contains("SaslHandshake v1"))
    }

    @Test func responsesOutOfTurnFail() {
        var setup = machine()
        guard case .fail = setup.saslHandshakeReceived(SaslHandshakeResponse()) else {
            Issue.record("expected failure")
            return
        }
        var other = machine()
        _ = other.start()
        guard case .fail = other.saslAuthenticateReceived(SaslAuthenticateResponse()) else {
            Issue.record("expected failure")
            return
        }
    }
}

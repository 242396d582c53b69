import KafkaDevCluster
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaNetwork

/// `connections.max.reauth.ms` on a raw connection: the session lifetime in SaslAuthenticate, the close of a
/// connection whose session expired, and re-authentication on a live connection (KIP-368).
extension DevClusterConnectionTests {
    static func reauthBroker(lifetime: Duration) -> DevClusterConfiguration {
        var configuration = saslBroker()
        configuration.connectionsMaxReauth = lifetime
        return configuration
    }

    static let alice = SASLCredentials(mechanism: .plain, username: "alice", password: "wonderland")

    @Test func aClientThatDoesNotReauthenticateIsClosedOnceItsSessionExpired() async throws {
        // Three seconds: a loaded machine still answers the first request within the session.
        try await Self.withBroker(Self.reauthBroker(lifetime: .seconds(3))) { broker in
            try await Self.withSession(broker) { session in
                let done = try await Self.authenticate(&session, Self.alice)
                #expect(done.errorCode == 0)
                #expect(done.sessionLifetimeMs > 0 && done.sessionLifetimeMs <= 3_000, "\(done.sessionLifetimeMs)")
                _ = try await session.send(MetadataRequest(topics: nil), version: 12)
                try await Task.sleep(for: .milliseconds(3_300))
                _ = try await session.write(MetadataRequest(topics: nil), version: 12)
                await session.expectClosed()
            }
            #expect(broker.expiredSessionsClosed == 1)
            #expect(broker.reauthenticationCount == 0)
        }
    }

    @Test func reauthenticationOnTheLiveConnectionRenewsTheSession() async throws {
        // Sessions of four seconds renewed every two: each renewal comes well before its session's end, even on a
        // loaded machine.
        try await Self.withBroker(Self.reauthBroker(lifetime: .seconds(4))) { broker in
            try await Self.withSession(broker) { session in
                _ = try await Self.authenticate(&session, Self.alice)
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(2_000))
                    let again = try await Self.authenticate(&session, Self.alice)
                    #expect(again.errorCode == 0)
                    #expect(again.sessionLifetimeMs > 2_000, "a new session: \(again.sessionLifetimeMs)")
                    _ = try await session.send(MetadataRequest(topics: nil), version: 12)
                }
            }
            #expect(broker.reauthenticationCount == 3)
            #expect(broker.expiredSessionsClosed == 0)
            #expect(broker.authenticatedUsers == ["alice"], "one connection, authenticated once and renewed")
        }
    }

    @Test func duringReauthenticationOnlySASLRequestsAreServed() async throws {
        try await Self.withBroker(Self.reauthBroker(lifetime: .seconds(30))) { broker in
            try await Self.withSession(broker) { session in
                _ = try await Self.authenticate(&session, Self.alice)
                let handshake = try await session.send(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)
                #expect(handshake.errorCode == 0)
                _ = try await session.write(MetadataRequest(topics: nil), version: 12)
                await session.expectClosed()
            }
            try await Self.withSession(broker) { session in
                _ = try await Self.authenticate(&session, Self.alice)
                // Another mechanism than the first authentication's is refused.
                let other = try await session.send(SaslHandshakeRequest(mechanism: "SCRAM-SHA-256"), version: 1)
                #expect(KafkaErrorCode(rawValue: other.errorCode) == .illegalSaslState)
                await session.expectClosed()
            }
            #expect(broker.reauthenticationCount == 0)
        }
    }

    @Test func reauthenticationAsAnotherUserFailsAndCloses() async throws {
        var configuration = Self.reauthBroker(lifetime: .seconds(30))
        configuration.users["bob"] = "builder"
        try await Self.withBroker(configuration) { broker in
            try await Self.withSession(broker) { session in
                _ = try await Self.authenticate(&session, Self.alice)
                let bob = SASLCredentials(mechanism: .plain, username: "bob", password: "builder")
                let refused = try await Self.authenticate(&session, bob)
                #expect(KafkaErrorCode(rawValue: refused.errorCode) == .saslAuthenticationFailed)
                await session.expectClosed()
            }
            #expect(broker.reauthenticationCount == 0)
        }
    }
}

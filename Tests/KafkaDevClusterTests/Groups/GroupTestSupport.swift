import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// Helpers shared by the group coordinator tests.
enum GroupTestSupport {
    static let t0: Int64 = 1_700_000_000_000

    /// A serialized consumer subscription (version prefix + ConsumerProtocolSubscription v0).
    static func subscription(_ topics: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int16(0))
        try? ConsumerProtocolSubscription(topics: topics).encode(into: &buffer, version: 0)
        return buffer
    }

    static func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    /// JoinGroup parameters with test defaults (session 10 s, rebalance 10 s, protocol "range").
    static func join(
        _ memberID: String = "", newID: String, instance: String? = nil, protocols: [String] = ["range"],
        metadata: ByteBuffer = subscription(["t"]), type: String = "consumer", session: Int32 = 10_000,
        rebalance: Int32 = 10_000, requireKnown: Bool = false, skip: Bool = false
    ) -> JoinGroupParameters {
        JoinGroupParameters(
            memberID: memberID, groupInstanceID: instance, clientID: "client", clientHost: "/127.0.0.1",
            sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, protocolType: type,
            protocols: protocols.map { GroupProtocol(name: $0, metadata: metadata) },
            requireKnownMemberID: requireKnown, supportsSkipAssignment: skip, newMemberID: newID)
    }

    /// The token of a waiting join (records an issue when it answered at once).
    static func token(_ decision: JoinDecision, sourceLocation: SourceLocation = #_sourceLocation) -> UInt64 {
        guard case .wait(let token) = decision else {
            Issue.record("expected the join to wait, got \(decision)", sourceLocation: sourceLocation)
            return 0
        }
        return token
    }

    /// The immediate answer of a join (records an issue when it waits).
    static func answer(_ decision: JoinDecision, sourceLocation: SourceLocation = #_sourceLocation) -> JoinOutcome {
        guard case .respond(let outcome) = decision else {
            Issue.record("expected an immediate answer, got \(decision)", sourceLocation: sourceLocation)
            return .failure(.unknownServerError)
        }
        return outcome
    }
}

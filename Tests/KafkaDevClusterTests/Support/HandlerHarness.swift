import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// Calls dev-cluster API handlers directly on a ``ClusterState``, without sockets, and checks that
/// every response survives an encode/decode round trip at the request's version (a response the
/// version cannot carry would make the real server close the connection).
struct HandlerHarness {
    var state: ClusterState
    /// The cluster time handed to handlers (milliseconds since the epoch); move it by hand.
    var now: Int64 = 1_700_000_000_000

    /// A cluster of `brokers` brokers (node ids 1...n, ports 9092...), no topics.
    init(brokers: Int = 3, configure: (inout DevClusterConfiguration) -> Void = { _ in }) {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = brokers
        configure(&configuration)
        state = ClusterState(configuration: configuration, ports: (0..<brokers).map { Int32(9092 + $0) })
    }

    func context(version: Int16, broker: Int32 = 1, clientID: String? = "test-client") -> RequestContext {
        RequestContext(brokerID: broker, version: version, clientID: clientID, clientHost: "/127.0.0.1", now: now)
    }

    /// The raw reply of a handler.
    mutating func reply<H: DevAPIHandler>(
        _: H.Type, _ request: H.Request, version: Int16 = H.Request.validVersions.upperBound, broker: Int32 = 1
    ) -> DevReply<H.Request.Response> {
        // What `DevClusterCore` does before every request.
        state.abortTimedOutTransactions(now: now)
        state.advanceReassignments(now: now)
        return H.handle(request, in: &state, context: context(version: version, broker: broker))
    }

    /// The immediate response of a handler, round-tripped through the wire format at `version`.
    mutating func respond<H: DevAPIHandler>(
        _ handler: H.Type, _ request: H.Request, version: Int16 = H.Request.validVersions.upperBound,
        broker: Int32 = 1, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> H.Request.Response {
        // The request itself must survive the wire at this version, as the server decodes it.
        let decodedRequest = try H.Request.decode(from: try request.encoded(version: version), version: version)
        switch reply(handler, decodedRequest, version: version, broker: broker) {
        case .respond(let response):
            return try Self.roundTrip(response, version: version)
        case .park:
            Issue.record("expected an immediate answer, got a parked request", sourceLocation: sourceLocation)
        case .noResponse:
            Issue.record("expected an answer, got none", sourceLocation: sourceLocation)
        case .close:
            Issue.record("expected an answer, the handler closed the connection", sourceLocation: sourceLocation)
        }
        throw HarnessError()
    }

    /// Encodes `response` at `version` and decodes it again.
    static func roundTrip<R: KafkaResponse>(_ response: R, version: Int16) throws -> R {
        try R.decode(from: try response.encoded(version: version), version: version)
    }

    struct HarnessError: Error {}
}

public import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
public import NIOSSL

/// A minimal Kafka broker on loopback for client tests: ApiVersions, SASL (PLAIN and SCRAM), Metadata
/// and FindCoordinator, over plaintext or TLS, with fault injection.
///
/// It answers as a one-broker cluster: the broker itself is the controller, the coordinator of every
/// key and the leader of every partition of the configured topics. Any other API closes the
/// connection. Responses go out in request order, also when delayed, so pipelining clients can be
/// tested. The fault knobs (``respondWithGarbage(forNext:)`` and friends) apply to the next requests
/// the broker receives, on any connection.
///
/// Test support only; never a broker for production.
public final class TestKafkaBroker: Sendable {
    /// What the broker offers.
    public struct Configuration: Sendable {
        /// The broker's node id.
        public var nodeID: Int32 = 1
        /// When set, the listener is TLS with this server context (see ``TestCertificates``).
        public var tls: NIOSSLContext? = nil
        /// The SASL mechanisms enabled, for example `["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]`; empty
        /// means no SASL. With SASL, any API other than ApiVersions, SaslHandshake and SaslAuthenticate
        /// before authentication closes the connection, like Kafka.
        public var saslMechanisms: [String] = []
        /// The users (username -> password) for PLAIN and SCRAM.
        public var users: [String: String] = [:]
        /// The versions advertised in ApiVersions; by default every API of ``KafkaMessageRegistry`` at
        /// this package's full range. A request at a version outside its range closes the connection.
        public var apiVersions: [KafkaAPIKey: ClosedRange<Int16>]
        /// When false, ApiVersions v3 and later is answered like an old broker does: UNSUPPORTED_VERSION
        /// with the ApiVersions range (at most v2) in the v0 layout.
        public var supportsApiVersionsV3: Bool = true
        /// The topics (name -> partition count) in Metadata, every partition led by this broker.
        public var topics: [String: Int32] = [:]

        /// Creates the default configuration: plaintext, no SASL, no topics.
        public init() {
            apiVersions = Dictionary(
                KafkaMessageRegistry.requestTypes.map { ($0.apiKey, $0.validVersions) }, uniquingKeysWith: { a, _ in a }
            )
        }
    }

    /// One request the broker received, in order of arrival.
    public struct ReceivedRequest: Sendable, Hashable, CustomStringConvertible {
        /// The API of the request.
        public var apiKey: KafkaAPIKey
        /// The request version.
        public var version: Int16
        /// The client id of the request header.
        public var clientId: String?
        /// The correlation id of the request header.
        public var correlationId: Int32
        /// For ApiVersions v3 and later: the client's software name.
        public var clientSoftwareName: String?
        /// For ApiVersions v3 and later: the client's software version.
        public var clientSoftwareVersion: String?

        public var description: String {
            "\(apiKey) v\(version) correlationId=\(correlationId) clientId=\(clientId ?? "null")"
        }
    }

    /// The broker could not start.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    let shared: Shared
    private let serverChannel: any Channel

    /// The port the broker listens on (ephemeral, chosen at start).
    public let port: Int

    /// The address the broker listens on and advertises.
    public var host: String { "127.0.0.1" }

    /// Starts listening on an ephemeral loopback port.
    public init(configuration: Configuration) async throws {
        let shared = Shared(configuration: configuration)
        let tls = configuration.tls
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try pipeline.addHandler(ByteToMessageHandler(RequestFrameDecoder()))
                    try pipeline.addHandler(TestBrokerConnectionHandler(shared: shared))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw StartError(description: "the test broker's listening socket has no port")
        }
        self.shared = shared
        self.serverChannel = channel
        self.port = port
    }

    /// Stops listening and closes every open connection. Calling it again does nothing.
    public func shutdown() async throws {
        let children = shared.state.withLockedValue { state in
            state.isShutDown = true
            defer { state.connections = [:] }
            return Array(state.connections.values)
        }
        do {
            try await serverChannel.close()
        } catch ChannelError.alreadyClosed {
            // Already shut down.
        }
        for child in children {
            try? await child.close()
        }
    }

    // MARK: - Fault knobs

    /// Answers each of the next `count` requests with a correctly sized frame of random bytes.
    public func respondWithGarbage(forNext count: Int) {
        shared.state.withLockedValue { $0.garbage = max(count, 0) }
    }

    /// Answers each of the next `count` requests with a size prefix of 1 GiB followed by a few bytes.
    public func respondWithOversizedFrame(forNext count: Int) {
        shared.state.withLockedValue { $0.oversized = max(count, 0) }
    }

    /// Reads the next `count` requests and never answers them (for request timeouts); later
    /// responses on the same connection are still sent.
    public func dropResponses(forNext count: Int) {
        shared.state.withLockedValue { $0.drop = max(count, 0) }
    }

    /// Delays every answer by `delay` (zero turns delays off). Responses keep the request order.
    public func delayResponses(by delay: Duration) {
        shared.state.withLockedValue { $0.delay = max(delay, .zero) }
    }

    /// Closes the connection upon receiving each of the next `count` requests (after sending the
    /// answers to earlier requests).
    public func closeConnectionOnNext(_ count: Int) {
        shared.state.withLockedValue { $0.close = max(count, 0) }
    }

    /// Answers the next `count` Metadata or FindCoordinator requests with `error`: on every topic of a
    /// Metadata response, on the coordinator (or every batched coordinator) of a FindCoordinator response.
    public func failNext(_ api: KafkaAPIKey, count: Int, error: KafkaErrorCode) {
        shared.state.withLockedValue { $0.failures[api] = (max(count, 0), error) }
    }

    // MARK: - Observations

    /// What the broker saw, in order of arrival: one entry per request, on any connection.
    public var receivedRequests: [ReceivedRequest] {
        shared.state.withLockedValue { $0.received }
    }

    /// The number of connections accepted so far.
    public var connectionCount: Int {
        shared.state.withLockedValue { $0.connectionCount }
    }

    /// The users that completed SASL authentication, in order (one entry per authenticated connection).
    public var authenticatedUsers: [String] {
        shared.state.withLockedValue { $0.authenticatedUsers }
    }
}

extension TestKafkaBroker {
    /// A fault to inject instead of the normal answer.
    enum Fault: Sendable {
        case close, drop, garbage, oversized
    }

    /// The state shared by the broker and its connections.
    final class Shared: Sendable {
        struct State {
            var garbage = 0
            var oversized = 0
            var drop = 0
            var close = 0
            var delay: Duration = .zero
            var failures: [KafkaAPIKey: (count: Int, error: KafkaErrorCode)] = [:]
            var received: [ReceivedRequest] = []
            var connectionCount = 0
            var authenticatedUsers: [String] = []
            var connections: [ObjectIdentifier: any Channel] = [:]
            var isShutDown = false
        }

        let configuration: Configuration
        /// Random but stable topic ids.
        let topicIDs: [String: KafkaUUID]
        let state = NIOLockedValueBox(State())

        init(configuration: Configuration) {
            self.configuration = configuration
            var generator = SystemRandomNumberGenerator()
            var ids: [String: KafkaUUID] = [:]
            for name in configuration.topics.keys {
                ids[name] = KafkaUUID(high: generator.next(), low: generator.next())
            }
            self.topicIDs = ids
        }

        /// Records a new connection; false when the broker is shut down (the caller closes it).
        func connectionOpened(_ channel: any Channel) -> Bool {
            state.withLockedValue { state in
                state.connectionCount += 1
                guard !state.isShutDown else { return false }
                state.connections[ObjectIdentifier(channel)] = channel
                return true
            }
        }

        func connectionClosed(_ channel: any Channel) {
            _ = state.withLockedValue { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
        }

        func authenticated(_ user: String) {
            state.withLockedValue { $0.authenticatedUsers.append(user) }
        }

        /// Records a request and returns the fault to inject for it (consuming one from its knob) and
        /// the delay, all at once: a test that sees the request recorded can change the knobs for the
        /// next requests without affecting this one.
        func receive(_ request: ReceivedRequest) -> (fault: Fault?, delay: Duration) {
            state.withLockedValue { state in
                state.received.append(request)
                let fault: Fault?
                if state.close > 0 {
                    state.close -= 1
                    fault = .close
                } else if state.drop > 0 {
                    state.drop -= 1
                    fault = .drop
                } else if state.garbage > 0 {
                    state.garbage -= 1
                    fault = .garbage
                } else if state.oversized > 0 {
                    state.oversized -= 1
                    fault = .oversized
                } else {
                    fault = nil
                }
                return (fault, state.delay)
            }
        }

        /// The error to answer a request of `api` with, consuming one from ``failNext(_:count:error:)``.
        func takeFailure(_ api: KafkaAPIKey) -> KafkaErrorCode? {
            state.withLockedValue { state in
                guard let failure = state.failures[api], failure.count > 0 else { return nil }
                state.failures[api] = (failure.count - 1, failure.error)
                return failure.error
            }
        }
    }
}

/// Splits the byte stream into request frames; a negative or huge size closes the connection.
struct RequestFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct InvalidFrameSize: Error {
        var size: Int32
    }

    static let maximumFrameSize: Int32 = 100 * 1024 * 1024

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int32.self) else {
            return .needMoreData
        }
        guard size >= 0, size <= Self.maximumFrameSize else { throw InvalidFrameSize(size: size) }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let frame = buffer.readSlice(length: Int(size)) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }
}

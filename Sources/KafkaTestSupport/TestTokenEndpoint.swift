import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny OAuth 2 token endpoint on loopback for OIDC client-credentials tests: plain HTTP/1.1, one request per
/// connection, answered by the test's closure; every request is kept for the test to inspect.
///
/// Test support only.
public final class TestTokenEndpoint: Sendable {
    /// One request the endpoint received.
    public struct Request: Sendable {
        /// `POST`, `GET`, ...
        public var method: String
        /// The request target (path and query).
        public var target: String
        /// Header values by lowercased name (the last one when repeated).
        public var headers: [String: String]
        /// The body as UTF-8 text.
        public var body: String
    }

    /// The endpoint's answer.
    public struct Response: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// The body (JSON for a token endpoint).
        public var body: String

        /// Creates an answer.
        public init(status: Int = 200, body: String) {
            self.status = status
            self.body = body
        }
    }

    /// `http://127.0.0.1:<port>/oauth2/token`.
    public let url: String
    private let channel: any Channel
    private let received: NIOLockedValueBox<[Request]>

    private init(channel: any Channel, received: NIOLockedValueBox<[Request]>) throws {
        guard let port = channel.localAddress?.port else { throw ChannelError.unknownLocalAddress }
        self.channel = channel
        self.received = received
        self.url = "http://127.0.0.1:\(port)/oauth2/token"
    }

    /// The requests received so far, oldest first.
    public var requests: [Request] { received.withLockedValue { $0 } }

    /// Starts an endpoint on a free loopback port; `respond` gets each request and how many came before it.
    public static func start(
        respond: @escaping @Sendable (_ request: Request, _ index: Int) -> Response
    ) async throws -> TestTokenEndpoint {
        let received = NIOLockedValueBox<[Request]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(
                        Handler { request in
                            let index = received.withLockedValue { requests in
                                requests.append(request)
                                return requests.count - 1
                            }
                            return respond(request, index)
                        })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return try TestTokenEndpoint(channel: channel, received: received)
    }

    /// Stops listening.
    public func stop() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let respond: @Sendable (Request) -> Response
        private var head: HTTPRequestHead?
        private var body: [UInt8] = []

        init(respond: @escaping @Sendable (Request) -> Response) {
            self.respond = respond
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                let response = respond(
                    Request(
                        method: head.method.rawValue, target: head.uri, headers: headers,
                        body: String(decoding: body, as: UTF8.self)))
                var responseHead = HTTPResponseHead(
                    version: .http1_1, status: HTTPResponseStatus(statusCode: response.status))
                responseHead.headers.add(name: "Content-Type", value: "application/json")
                responseHead.headers.add(name: "Content-Length", value: "\(response.body.utf8.count)")
                responseHead.headers.add(name: "Connection", value: "close")
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
                let channel = context.channel
                written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}

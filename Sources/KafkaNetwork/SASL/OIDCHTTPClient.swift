import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 POST to an OIDC token endpoint over SwiftNIO (TLS through NIOSSL with the system's trust roots for
/// `https`), with a connect timeout and a timeout for the whole answer. The connection is closed afterwards.
enum OIDCHTTPClient {
    struct Response: Sendable {
        var status: Int
        var reason: String
        var body: [UInt8]
    }

    /// The largest answer read; a token endpoint's JSON is a few kilobytes.
    static let maximumBodySize = 1 << 20

    static func post(
        to endpoint: OIDCEndpoint, headers: [(String, String)], body: String, connectTimeout: Duration,
        readTimeout: Duration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(KafkaNetworkError) -> Response {
        func failure(_ what: String) -> KafkaNetworkError {
            KafkaNetworkError(.authenticationFailed, "OIDC token endpoint \(endpoint) \(what)")
        }
        let tls: NIOSSLContext?
        if endpoint.usesTLS {
            do {
                tls = try NIOSSLContext(configuration: .makeClientConfiguration())
            } catch {
                throw failure("could not be reached: TLS set-up failed: \(error)")
            }
        } else {
            tls = nil
        }
        let eventLoop = eventLoopGroup.next()
        let answer = eventLoop.makePromise(of: Response.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.milliseconds(max(1, connectTimeout.clampedMilliseconds)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        let name = KafkaTLSConfiguration.serverHostname(for: endpoint.host)
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(ResponseCollector(answer: answer))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            answer.fail(error)
            if case ChannelError.connectTimeout = error {
                throw failure("could not be reached within \(connectTimeout) (sasl.login.connect.timeout.ms)")
            }
            throw failure("could not be reached: \(error)")
        }
        let timeout = eventLoop.scheduleTask(in: .milliseconds(max(1, readTimeout.clampedMilliseconds))) {
            answer.fail(ReadTimeout())
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: endpoint.target)
        head.headers.add(name: "Host", value: endpoint.hostHeader)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            timeout.cancel()
            channel.close(promise: nil)
        }
        do {
            return try await answer.futureResult.get()
        } catch is ReadTimeout {
            throw failure("did not answer within \(readTimeout) (sasl.login.read.timeout.ms)")
        } catch {
            throw failure("failed: \(error)")
        }
    }

    private struct ReadTimeout: Error {}

    /// Collects one response: its status, then its body up to ``maximumBodySize``.
    private final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart

        private let answer: EventLoopPromise<Response>
        private var head: HTTPResponseHead?
        private var body: [UInt8] = []

        init(answer: EventLoopPromise<Response>) {
            self.answer = answer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
            case .body(var buffer):
                guard body.count + buffer.readableBytes <= OIDCHTTPClient.maximumBodySize else {
                    answer.fail(Oversized())
                    context.close(promise: nil)
                    return
                }
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else {
                    answer.fail(Incomplete())
                    return
                }
                answer.succeed(Response(status: Int(head.status.code), reason: head.status.reasonPhrase, body: body))
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            answer.fail(Incomplete())
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            answer.fail(error)
            context.close(promise: nil)
        }

        private struct Oversized: Error, CustomStringConvertible {
            var description: String { "the answer is larger than \(OIDCHTTPClient.maximumBodySize) bytes" }
        }

        private struct Incomplete: Error, CustomStringConvertible {
            var description: String { "the connection closed before a complete answer" }
        }
    }
}

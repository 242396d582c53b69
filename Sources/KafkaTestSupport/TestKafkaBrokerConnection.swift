import KafkaDevCluster
import KafkaProtocol
import NIOCore

/// One connection of a ``TestKafkaBroker``: decodes each request, applies the broker's fault knobs,
/// and sends the answers strictly in request order (also when some are delayed or dropped).
///
/// Runs on the channel's event loop only.
final class TestBrokerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    typealias Action = ReplyAction

    let shared: TestKafkaBroker.Shared
    var session: DevSASLSession
    /// The port the broker listens on, for Metadata and FindCoordinator answers.
    private(set) var port: Int32 = 0
    private var replies = OrderedReplies()

    init(shared: TestKafkaBroker.Shared) {
        self.shared = shared
        self.session = DevSASLSession(
            mechanisms: shared.configuration.saslMechanisms, users: shared.configuration.users)
    }

    func channelActive(context: ChannelHandlerContext) {
        port = Int32(clamping: context.channel.localAddress?.port ?? 0)
        guard shared.connectionOpened(context.channel) else {
            closeNow(context)
            return
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        replies.connectionClosed()
        shared.connectionClosed(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A TLS handshake failure, an invalid frame size, a reset: the connection is over.
        closeNow(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !replies.isClosing else { return }
        var frame = unwrapInboundIn(data)
        let slot = replies.takeSlot()
        if session.expectsRawToken {
            resolve(slot, rawToken(frame), context)
            return
        }
        guard let header = try? KafkaFrame.decodeRequestHeader(&frame) else {
            resolve(slot, .close, context)
            return
        }
        let (fault, delay) = shared.receive(Self.received(header, body: frame))
        let action: Action
        switch fault {
        case .close:
            resolve(slot, .close, context)
            return
        case .drop:
            resolve(slot, .skip, context)
            return
        case .garbage:
            action = .send(Self.garbageFrame())
        case .oversized:
            action = .send(Self.oversizedFrame())
        case nil:
            action = answer(header, body: frame)
        }
        if delay > .zero {
            context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
                self.resolve(slot, action, context)
            }
        } else {
            resolve(slot, action, context)
        }
    }

    /// What ``TestKafkaBroker/receivedRequests`` shows of a request.
    private static func received(_ header: RequestHeader, body: ByteBuffer) -> TestKafkaBroker.ReceivedRequest {
        let apiKey = KafkaAPIKey(rawValue: header.requestApiKey)
        var request = TestKafkaBroker.ReceivedRequest(
            apiKey: apiKey, version: header.requestApiVersion, clientId: header.clientId,
            correlationId: header.correlationId)
        if apiKey == .apiVersions, header.requestApiVersion >= 3,
            ApiVersionsRequest.validVersions.contains(header.requestApiVersion),
            let decoded = try? ApiVersionsRequest.decode(from: body, version: header.requestApiVersion)
        {
            request.clientSoftwareName = decoded.clientSoftwareName
            request.clientSoftwareVersion = decoded.clientSoftwareVersion
        }
        return request
    }

    /// Stores the action of `slot` and performs every action whose turn has come.
    private func closeNow(_ context: ChannelHandlerContext) {
        replies.markClosing()
        context.close(promise: nil)
    }

    private func resolve(_ slot: Int, _ action: Action, _ context: ChannelHandlerContext) {
        let actions = replies.due(slot, action)
        OrderedReplies.perform(actions, context: context)
    }

    /// A correctly sized frame of 8 to 64 random bytes.
    static func garbageFrame() -> ByteBuffer {
        var generator = SystemRandomNumberGenerator()
        let count = Int.random(in: 8...64, using: &generator)
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(count))
        for _ in 0..<count { buffer.writeInteger(UInt8.random(in: .min ... .max, using: &generator)) }
        return buffer
    }

    /// A size prefix of 1 GiB followed by 8 random bytes.
    static func oversizedFrame() -> ByteBuffer {
        var generator = SystemRandomNumberGenerator()
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(1 << 30))
        buffer.writeInteger(generator.next() as UInt64)
        return buffer
    }
}

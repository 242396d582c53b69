import KafkaProtocol
import NIOCore

/// One client connection to a dev broker: reads request frames, answers ApiVersions itself, hands
/// everything else to ``DevClusterCore``, and writes answers strictly in request order (also when
/// some are parked, delayed or dropped).
///
/// Runs on the channel's event loop only.
final class DevConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    typealias Action = ReplyAction

    let core: DevClusterCore
    let brokerID: Int32
    let onOpen: @Sendable (any Channel) -> Void
    let onClose: @Sendable (any Channel) -> Void
    var sasl: DevSASLSession
    private var replies = OrderedReplies()
    private var clientHost = "/127.0.0.1"

    init(
        core: DevClusterCore, brokerID: Int32, onOpen: @escaping @Sendable (any Channel) -> Void,
        onClose: @escaping @Sendable (any Channel) -> Void
    ) {
        self.core = core
        self.brokerID = brokerID
        self.onOpen = onOpen
        self.onClose = onClose
        self.sasl = DevSASLSession(configuration: core.configuration)
    }

    func channelActive(context: ChannelHandlerContext) {
        if let ip = context.channel.remoteAddress?.ipAddress { clientHost = "/" + ip }
        onOpen(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        replies.connectionClosed()
        onClose(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeNow(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !replies.isClosing else { return }
        var frame = unwrapInboundIn(data)
        let slot = replies.takeSlot()
        if sasl.expectsRawToken {
            resolve(slot, sasl.rawToken(frame), context)
            return
        }
        guard let header = try? KafkaFrame.decodeRequestHeader(&frame) else {
            resolve(slot, .close, context)
            return
        }
        let apiKey = KafkaAPIKey(rawValue: header.requestApiKey)
        if apiKey == .apiVersions {
            resolve(slot, DevApiVersions.answer(header, body: frame, configuration: core.configuration), context)
            return
        }
        if apiKey == .saslHandshake || apiKey == .saslAuthenticate {
            resolve(slot, sasl.answer(header, body: frame), context)
            return
        }
        guard sasl.isAuthenticated else {
            resolve(slot, .close, context)  // Kafka closes connections that skip authentication.
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let delay = core.delay(for: apiKey)
        let connection = DevClusterCore.Connection(
            brokerID: brokerID, clientHost: clientHost,
            deliver: { answer in
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    let action: Action
                    switch answer {
                    case .send(let frame): action = .send(frame)
                    case .close: action = .close
                    case .nothing, .pending: action = .skip
                    }
                    handler.resolve(slot, action, context, delay: delay)
                }
            })
        let action: Action
        switch core.process(header, body: frame, connection: connection) {
        case .pending: return
        case .send(let response): action = .send(response)
        case .close: action = .close
        case .nothing: action = .skip
        }
        resolve(slot, action, context, delay: delay)
    }

    /// Stores the action of `slot` (after `delay`) and performs every action whose turn has come.
    private func resolve(_ slot: Int, _ action: Action, _ context: ChannelHandlerContext, delay: Duration) {
        guard delay > .zero else {
            resolve(slot, action, context)
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
            self.resolve(slot, action, context)
        }
    }

    private func closeNow(_ context: ChannelHandlerContext) {
        replies.markClosing()
        context.close(promise: nil)
    }

    private func resolve(_ slot: Int, _ action: Action, _ context: ChannelHandlerContext) {
        let actions = replies.due(slot, action)
        OrderedReplies.perform(actions, context: context)
    }
}

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

    /// What to do in a request's turn.
    enum Action {
        case send(ByteBuffer)
        case sendThenClose(ByteBuffer)
        case close
        case skip
    }

    let core: DevClusterCore
    let brokerID: Int32
    let onOpen: @Sendable (any Channel) -> Void
    let onClose: @Sendable (any Channel) -> Void
    var sasl: DevSASLSession
    private var nextSlot = 0
    private var nextToSend = 0
    private var ready: [Int: Action] = [:]
    private var closing = false
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
        closing = true
        onClose(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeNow(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var frame = unwrapInboundIn(data)
        let slot = nextSlot
        nextSlot += 1
        if sasl.expectsRawToken {
            resolve(slot, Action(sasl.rawToken(frame)), context)
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
            resolve(slot, Action(sasl.answer(header, body: frame)), context)
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

    private func resolve(_ slot: Int, _ action: Action, _ context: ChannelHandlerContext) {
        guard !closing else { return }
        ready[slot] = action
        var wrote = false
        while let next = ready.removeValue(forKey: nextToSend) {
            nextToSend += 1
            switch next {
            case .skip:
                continue
            case .send(let frame):
                context.write(wrapOutboundOut(frame), promise: nil)
                wrote = true
            case .sendThenClose(let frame):
                closing = true
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(wrapOutboundOut(frame), promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                return
            case .close:
                if wrote { context.flush() }
                closeNow(context)
                return
            }
        }
        if wrote { context.flush() }
    }

    private func closeNow(_ context: ChannelHandlerContext) {
        closing = true
        context.close(promise: nil)
    }
}

extension DevConnectionHandler.Action {
    init(_ answer: DevSASLSession.Answer) {
        switch answer {
        case .send(let frame): self = .send(frame)
        case .sendThenClose(let frame): self = .sendThenClose(frame)
        case .close: self = .close
        }
    }
}

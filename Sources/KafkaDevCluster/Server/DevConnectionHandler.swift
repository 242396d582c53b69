import KafkaProtocol
import NIOCore

/// One client connection to a dev broker: reads request frames, records each with ``DevClusterCore``
/// and applies the injected connection faults, answers ApiVersions and SASL itself, hands everything
/// else to ``DevClusterCore``, and writes answers strictly in request order (also when some are
/// parked, delayed or dropped).
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
        self.sasl = DevSASLSession(
            configuration: core.configuration,
            scramCredentials: { user, hash in
                core.state.withLockedValue { $0.cluster.scramCredentials[user]?[DevScram.mechanism(hash)] }
            })
    }

    func channelActive(context: ChannelHandlerContext) {
        if let ip = context.channel.remoteAddress?.ipAddress { clientHost = "/" + ip }
        core.connectionOpened()
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
            resolve(slot, authenticating { $0.rawToken(frame) }, context)
            return
        }
        guard let header = try? KafkaFrame.decodeRequestHeader(&frame) else {
            resolve(slot, .close, context)
            return
        }
        let intake = core.receive(header, body: frame, brokerID: brokerID)
        let delay = intake.delay
        switch intake.fault {
        case .close:
            resolve(slot, .close, context)
            return
        case .garbage:
            resolve(slot, .send(Self.garbageFrame()), context, delay: delay)
            return
        case .oversized:
            resolve(slot, .send(Self.oversizedFrame()), context, delay: delay)
            return
        case nil:
            break
        }
        let apiKey = KafkaAPIKey(rawValue: header.requestApiKey)
        let answer: (Action) -> Action = { action in
            guard intake.dropAnswer else { return action }
            switch action {
            case .send: return .skip
            case .sendThenClose: return .close
            case .close, .skip: return action
            }
        }
        if apiKey == .apiVersions {
            let action = DevApiVersions.answer(header, body: frame, advertised: core.advertisedVersions)
            resolve(slot, answer(action), context, delay: delay)
            return
        }
        guard let range = core.advertisedVersions[apiKey], range.contains(header.requestApiVersion) else {
            resolve(slot, .close, context)  // Kafka closes the connection on an unsupported API or version.
            return
        }
        if apiKey == .saslHandshake || apiKey == .saslAuthenticate {
            let action = authenticating { $0.answer(header, body: frame) }
            resolve(slot, answer(action), context, delay: delay)
            return
        }
        let now = NIODeadline.now()
        guard sasl.mayServe(now: now) else {
            // Kafka closes connections that skip authentication, that send other requests while they authenticate
            // again, or whose session expired (connections.max.reauth.ms) before they authenticated again.
            if sasl.isAuthenticated, sasl.hasExpired(now: now) { core.expiredSessionClosed() }
            resolve(slot, .close, context)
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let connection = DevClusterCore.Connection(
            brokerID: brokerID, clientHost: clientHost, principal: "User:" + (sasl.authenticatedUser ?? "ANONYMOUS"),
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
        switch core.process(header, body: frame, connection: connection, dropAnswer: intake.dropAnswer) {
        case .pending: return
        case .send(let response): action = .send(response)
        case .close: action = .close
        case .nothing: action = .skip
        }
        resolve(slot, action, context, delay: delay)
    }

    /// Runs a SASL step and reports the user to the cluster when the step completed authentication.
    private func authenticating(_ step: (inout DevSASLSession) -> Action) -> Action {
        let wasAuthenticated = sasl.isAuthenticated
        let reauthentications = sasl.reauthentications
        let action = step(&sasl)
        if !wasAuthenticated, sasl.isAuthenticated, let user = sasl.authenticatedUser {
            core.authenticated(user)
        }
        if sasl.reauthentications > reauthentications { core.reauthenticated() }
        return action
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

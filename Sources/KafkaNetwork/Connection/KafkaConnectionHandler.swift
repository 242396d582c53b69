import KafkaProtocol
import Logging
import NIOCore
import NIOSSL

/// The channel handler of one broker connection. It only decodes, feeds the state machines
/// (``ConnectionSetupStateMachine``, then ``RequestPipeline``) and performs their actions.
///
/// Inbound it takes whole frames from ``KafkaFrameDecoder``; outbound it takes
/// ``KafkaConnectionHandler/Request`` values whose frames were encoded off the event loop with a
/// placeholder correlation id, which is patched in when the pipeline assigns one.
final class KafkaConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Request
    typealias OutboundOut = ByteBuffer

    /// A request frame's size prefix, api key, version and correlation id.
    static let headerBytes = 12

    /// One request for the ready connection.
    struct Request: Sendable {
        /// The frame (size prefix, header, body) without the spliced bytes; bytes 8..<12 are the correlation id.
        var frame: ByteBuffer
        /// Buffers written between pieces of `frame` (a produce request's record batches), which its size prefix
        /// counts (see `SplicedRequestFrame`).
        var splices: [SplicedRequestFrame.Splice] = []
        var apiKey: KafkaAPIKey
        var version: Int16
        var expectsResponse: Bool
        var timeout: Duration
        /// Completed with the response frame (header and body), or with an empty buffer for
        /// requests that expect no response once written.
        var promise: EventLoopPromise<ByteBuffer>
        var submittedAt: NIODeadline = .now()
    }

    enum State {
        case idle
        /// `awaiting`: the correlation id and version of the setup request in flight; which API it
        /// is, the machine knows (`awaitedAPI`).
        case settingUp(ConnectionSetupStateMachine, awaiting: (correlationID: Int32, version: Int16)?)
        case ready(RequestPipeline<Request>)
        case closed(KafkaNetworkError)
    }

    var state: State = .idle
    let setupConfiguration: ConnectionSetupStateMachine.Configuration
    private let maximumInFlight: Int
    let setupTimeout: Duration
    let clientID: String
    let broker: String
    private let readyPromise: EventLoopPromise<NegotiatedVersions>
    var logger: Logger
    let metrics: ConnectionMetrics
    private var timer: Scheduled<Void>?
    private var timerDeadline: ContinuousClock.Instant?
    private var setupCorrelationID: Int32 = -1
    weak var context: ChannelHandlerContext?
    /// Maps the event loop's clock (manual on test event loops) onto the pipeline's instants.
    private var clockAnchor: (instant: ContinuousClock.Instant, deadline: NIODeadline)?
    /// SASL re-authentication of the ready connection (see `KafkaConnectionHandler+Reauthentication.swift`).
    var reauthentication: ReauthenticationStateMachine?
    /// The correlation id and version of the re-authentication request in flight.
    var reauthenticationAwaiting: (correlationID: Int32, version: Int16)?
    var reauthenticationTimer: Scheduled<Void>?
    /// The client's OAUTHBEARER tokens, for the fresh token of each re-authentication.
    let oauthBearerTokens: OAuthBearerTokenCache?

    init(
        setup: ConnectionSetupStateMachine.Configuration, maximumInFlight: Int, setupTimeout: Duration,
        clientID: String, broker: String, readyPromise: EventLoopPromise<NegotiatedVersions>,
        logger: Logger, metrics: ConnectionMetrics, oauthBearerTokens: OAuthBearerTokenCache? = nil
    ) {
        self.oauthBearerTokens = oauthBearerTokens
        self.setupConfiguration = setup
        self.maximumInFlight = maximumInFlight
        self.setupTimeout = setupTimeout
        self.clientID = clientID
        self.broker = broker
        self.readyPromise = readyPromise
        self.logger = logger
        self.metrics = metrics
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clockAnchor = (ContinuousClock.now, context.eventLoop.now)
        if context.channel.isActive { startSetup(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startSetup(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(KafkaNetworkError(.connectionClosed, "the connection was closed", broker: broker), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(Self.classify(error, broker: broker), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        reauthenticationTimer?.cancel()
        reauthenticationTimer = nil
        self.context = nil
    }

    /// The current time on the event loop's clock.
    func now(_ context: ChannelHandlerContext) -> ContinuousClock.Instant {
        guard let anchor = clockAnchor else { return .now }
        return anchor.instant.advanced(by: .nanoseconds((context.eventLoop.now - anchor.deadline).nanoseconds))
    }

    private func startSetup(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        var machine = ConnectionSetupStateMachine(configuration: setupConfiguration)
        let action = machine.start()
        state = .settingUp(machine, awaiting: nil)
        let deadline = setupTimeout
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Self.nanoseconds(deadline))) {
            [weak self] in
            guard let self, let context = self.context, case .settingUp = self.state else { return }
            self.fail(
                KafkaNetworkError(
                    .connectTimedOut, "connection setup did not complete within \(deadline)", broker: self.broker),
                context: context)
        }
        perform(action, context: context)
    }

    // MARK: outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        promise?.succeed()
        switch state {
        case .ready(var pipeline):
            state = .idle  // avoid a copy-on-write of the pipeline while it is mutated
            let (actions, rejected) = pipeline.submit(
                request, expectsResponse: request.expectsResponse, timeout: request.timeout, now: now(context))
            state = .ready(pipeline)
            if let rejected { rejected.promise.fail(KafkaNetworkError(.connectionClosed, "closed", broker: broker)) }
            run(actions, context: context)
        case .closed(let error):
            request.promise.fail(error)
        case .idle, .settingUp:
            request.promise.fail(
                KafkaNetworkError(.connectionClosed, "the connection is not ready", broker: broker, api: request.apiKey)
            )
        }
    }

    func run(_ actions: [RequestPipeline<Request>.Action], context: ChannelHandlerContext) {
        guard !actions.isEmpty else { return }
        for case .write(let correlationID, let request, let expectsResponse) in actions {
            // The first 12 bytes (size, api key, version, correlation id) go out as a small buffer of their own and the
            // rest as a slice of the frame: setting the id in the frame itself copied all of it (the action and the
            // pipeline both held the frame), a produce request's batches included.
            // Spliced buffers (record batches) go out between the frame's pieces, from their own storage.
            var header = context.channel.allocator.buffer(capacity: Self.headerBytes)
            header.writeImmutableBuffer(
                request.frame.getSlice(at: request.frame.readerIndex, length: 8) ?? ByteBuffer())
            header.writeInteger(correlationID, endianness: .big)
            var position = Self.headerBytes
            var sent = request.frame.readableBytes
            context.write(wrapOutboundOut(header), promise: nil)
            for splice in request.splices {
                if let piece = request.frame.getSlice(
                    at: request.frame.readerIndex + position, length: max(splice.offset - position, 0))
                {
                    context.write(wrapOutboundOut(piece), promise: nil)
                }
                context.write(wrapOutboundOut(splice.bytes), promise: nil)
                position = max(position, splice.offset)
                sent += splice.bytes.readableBytes
            }
            let body =
                request.frame.getSlice(
                    at: request.frame.readerIndex + position,
                    length: max(request.frame.readableBytes - position, 0)) ?? ByteBuffer()
            metrics.requestSent(api: request.apiKey, bytes: sent, awaitsResponse: expectsResponse)
            if logger.logLevel <= .trace {
                logger.trace(
                    "request sent",
                    metadata: [
                        "kafka.api": "\(request.apiKey.name)", "kafka.api.version": "\(request.version)",
                        "kafka.correlation_id": "\(correlationID)",
                    ])
            }
            if expectsResponse {
                context.write(wrapOutboundOut(body), promise: nil)
            } else {
                let done = request.promise
                let write = context.eventLoop.makePromise(of: Void.self)
                write.futureResult.whenComplete { result in
                    switch result {
                    case .success: done.succeed(ByteBuffer())
                    case .failure(let error): done.fail(error)
                    }
                }
                context.write(wrapOutboundOut(body), promise: write)
            }
        }
        context.flush()
        scheduleTimer(context: context)
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        metrics.bytesReceived(frame.readableBytes + 4)
        switch state {
        case .ready(var pipeline):
            guard let correlationID = frame.getInteger(at: frame.readerIndex, endianness: .big, as: Int32.self) else {
                fail(
                    KafkaNetworkError(.malformedResponse, "response frame shorter than its header", broker: broker),
                    context: context)
                return
            }
            if let awaiting = reauthenticationAwaiting, awaiting.correlationID == correlationID {
                reauthenticationResponse(frame, awaiting: awaiting, context: context)
                return
            }
            state = .idle
            let outcome = pipeline.receive(correlationID: correlationID, now: now(context))
            state = .ready(pipeline)
            switch outcome {
            case .deliver(let request, let next):
                metrics.responseReceived(api: request.apiKey, since: request.submittedAt)
                request.promise.succeed(frame)
                run(next, context: context)
            case .ignore:
                break
            case .protocolViolation(let expected, let failed):
                let error = KafkaNetworkError(
                    .malformedResponse,
                    "response correlation id \(correlationID) does not match the oldest request in flight "
                        + "(\(expected.map(String.init) ?? "none")); closing the connection",
                    broker: broker)
                state = .closed(error)
                for request in failed { request.promise.fail(error.with(api: request.apiKey)) }
                context.close(promise: nil)
            }
        case .settingUp(var machine, let awaiting):
            guard let awaiting else { return }
            let action: ConnectionSetupStateMachine.Action
            do {
                action = try Self.feed(frame, to: &machine, awaiting: awaiting)
            } catch {
                state = .settingUp(machine, awaiting: nil)
                fail(KafkaNetworkError(.malformedResponse, "\(error)", broker: broker), context: context)
                return
            }
            state = .settingUp(machine, awaiting: nil)
            perform(action, context: context)
        case .idle, .closed:
            break
        }
    }

    private static func feed(
        _ frame: ByteBuffer, to machine: inout ConnectionSetupStateMachine,
        awaiting: (correlationID: Int32, version: Int16)
    ) throws -> ConnectionSetupStateMachine.Action {
        let version = awaiting.version
        switch machine.awaitedAPI {
        case .apiVersions:
            var body = frame
            let header = try ResponseHeader(from: &body, version: 0)
            try checkCorrelation(header.correlationId, awaiting.correlationID, "ApiVersionsResponse")
            return machine.apiVersionsReceived(
                try ApiVersionsResponse.decodeAllowingFallback(from: body, version: version))
        case .saslHandshake:
            let (_, response) = try KafkaFrame.decodeResponse(
                to: SaslHandshakeRequest.self, version: version, frame: frame,
                expectedCorrelationID: awaiting.correlationID)
            return machine.saslHandshakeReceived(response)
        case .saslAuthenticate:
            let (_, response) = try KafkaFrame.decodeResponse(
                to: SaslAuthenticateRequest.self, version: version, frame: frame,
                expectedCorrelationID: awaiting.correlationID)
            return machine.saslAuthenticateReceived(response)
        default:
            throw KafkaProtocolError(.invalidValue, "a response arrived while no setup request was in flight")
        }
    }

    private static func checkCorrelation(_ got: Int32, _ expected: Int32, _ name: String) throws {
        guard got == expected else {
            throw KafkaProtocolError(.invalidValue, "\(name): correlation id \(got) does not match \(expected)")
        }
    }

    private func perform(_ action: ConnectionSetupStateMachine.Action, context: ChannelHandlerContext) {
        guard case .settingUp(let machine, _) = state else { return }
        switch action {
        case .send(let request):
            setupCorrelationID = setupCorrelationID == Int32.max ? 0 : setupCorrelationID + 1
            let id = setupCorrelationID
            var frame = context.channel.allocator.buffer(capacity: 128)
            do {
                try request.encode(correlationID: id, clientID: clientID, into: &frame)
            } catch {
                fail(
                    KafkaNetworkError(.unsupportedVersion, "\(error)", broker: broker, api: request.apiKey),
                    context: context)
                return
            }
            state = .settingUp(machine, awaiting: (id, request.version))
            metrics.requestSent(api: request.apiKey, bytes: frame.readableBytes, awaitsResponse: false)
            logger.debug(
                "connection setup request",
                metadata: ["kafka.api": "\(request.apiKey.name)", "kafka.api.version": "\(request.version)"])
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        case .ready(let versions):
            timer?.cancel()
            timer = nil
            let sessionLifetimeMs = machine.sessionLifetimeMs
            // Correlation ids continue after the setup's so a late setup answer can never match.
            let next = setupCorrelationID == Int32.max ? 0 : setupCorrelationID + 1
            state = .ready(
                RequestPipeline(maximumInFlight: maximumInFlight, firstCorrelationID: next) { request in
                    var kept = request
                    kept.frame = ByteBuffer()  // written by then; the response needs only the promise
                    kept.splices = []
                    return kept
                })
            logger.debug("connection ready")
            startReauthenticationSchedule(versions: versions, sessionLifetimeMs: sessionLifetimeMs, context: context)
            readyPromise.succeed(versions)
        case .fail(let error):
            fail(error.with(broker: broker), context: context)
        }
    }

    // MARK: timeouts and failure

    /// Keeps one timer armed for the earliest deadline in flight. A timer armed for a later
    /// deadline is replaced when a request with a shorter timeout arrives.
    private func scheduleTimer(context: ChannelHandlerContext) {
        guard case .ready(let pipeline) = state, let deadline = pipeline.nextDeadline else { return }
        if timer != nil {
            guard let armed = timerDeadline, deadline < armed else { return }
            timer?.cancel()
        }
        timerDeadline = deadline
        let delay = now(context).duration(to: deadline)
        timer = context.eventLoop.assumeIsolated().scheduleTask(
            in: .nanoseconds(max(0, Self.nanoseconds(delay)) + 1_000_000)
        ) {
            [weak self] in
            guard let self, let context = self.context else { return }
            self.timer = nil
            self.timerDeadline = nil
            self.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        guard case .ready(var pipeline) = state else { return }
        guard let (timedOut, others) = pipeline.checkTimeouts(now: now(context)) else {
            state = .ready(pipeline)
            scheduleTimer(context: context)
            return
        }
        let closed = KafkaNetworkError(
            .connectionClosed, "the connection was closed after another request on it timed out", broker: broker)
        state = .closed(closed)
        for request in timedOut {
            metrics.requestFailed(api: request.apiKey)
            logger.warning(
                "request timed out; closing the connection",
                metadata: ["kafka.api": "\(request.apiKey.name)", "kafka.api.version": "\(request.version)"])
            request.promise.fail(
                KafkaNetworkError(
                    .requestTimedOut, "no response within \(request.timeout) (request.timeout.ms)", broker: broker,
                    api: request.apiKey))
        }
        for request in others { request.promise.fail(closed.with(api: request.apiKey)) }
        context.close(promise: nil)
    }

    func fail(_ error: KafkaNetworkError, context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        reauthenticationTimer?.cancel()
        reauthenticationTimer = nil
        reauthentication?.close()
        switch state {
        case .closed:
            return
        case .idle, .settingUp:
            state = .closed(error)
            logger.debug("connection setup failed", metadata: ["error": "\(error)"])
            readyPromise.fail(error)
        case .ready(var pipeline):
            state = .closed(error)
            let failed = pipeline.close()
            if !failed.isEmpty { logger.debug("connection failed", metadata: ["error": "\(error)"]) }
            for request in failed {
                metrics.requestFailed(api: request.apiKey)
                request.promise.fail(error.with(api: request.apiKey))
            }
        }
        context.close(promise: nil)
    }

    static func classify(_ error: any Error, broker: String) -> KafkaNetworkError {
        if let error = error as? KafkaNetworkError { return error.with(broker: broker) }
        if let error = error as? KafkaProtocolError, error.kind == .invalidLength {
            return KafkaNetworkError(.frameTooLarge, "invalid frame from the broker: \(error)", broker: broker)
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return KafkaNetworkError(.tlsFailed, "TLS failed: \(error)", broker: broker)
        }
        if let error = error as? ByteToMessageDecoderError {
            return KafkaNetworkError(.malformedResponse, "invalid data from the broker: \(error)", broker: broker)
        }
        return KafkaNetworkError(.connectionClosed, "connection error: \(error)", broker: broker)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? Int64.min / 2 : Int64.max / 2 }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}

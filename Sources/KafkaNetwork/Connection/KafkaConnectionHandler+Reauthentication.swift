import KafkaProtocol
import Logging
import NIOCore

/// The handler's part of SASL re-authentication: it feeds ``ReauthenticationStateMachine`` the timer and the SASL
/// answers and performs its actions on the ``RequestPipeline`` (hold, release) and the channel.
extension KafkaConnectionHandler {
    /// After the setup's authentication: schedules the first re-authentication when the broker announced a session
    /// lifetime. An OAUTHBEARER connection re-authenticates with a fresh token from ``oauthBearerTokens``; without
    /// that cache it is not re-authenticated.
    func startReauthenticationSchedule(
        versions: NegotiatedVersions, sessionLifetimeMs: Int64, context: ChannelHandlerContext
    ) {
        let authentication: ReauthenticationStateMachine.Configuration.Authentication
        if setupConfiguration.oauthBearerToken != nil {
            guard oauthBearerTokens != nil else { return }
            authentication = .oauthBearer
        } else if let credentials = setupConfiguration.sasl {
            authentication = .credentials(credentials)
        } else {
            return
        }
        guard let handshake = try? versions.version(for: SaslHandshakeRequest.self),
            let authenticate = try? versions.version(for: SaslAuthenticateRequest.self)
        else { return }
        var machine = ReauthenticationStateMachine(
            configuration: .init(
                authentication: authentication, handshakeVersion: handshake, authenticateVersion: authenticate,
                requestTimeout: setupTimeout))
        let action = machine.authenticated(sessionLifetimeMs: sessionLifetimeMs, now: now(context))
        reauthentication = machine
        if sessionLifetimeMs > 0 {
            logger.debug(
                "SASL session expires", metadata: ["kafka.sasl.session_lifetime_ms": "\(sessionLifetimeMs)"])
        }
        performReauthentication(action, context: context)
    }

    /// A response whose correlation id is the awaited SASL request's.
    func reauthenticationResponse(
        _ frame: ByteBuffer, awaiting: (correlationID: Int32, version: Int16), context: ChannelHandlerContext
    ) {
        guard var machine = reauthentication else { return }
        reauthenticationAwaiting = nil
        let action: ReauthenticationStateMachine.Action
        do {
            switch machine.awaitedAPI {
            case .saslHandshake:
                let (_, response) = try KafkaFrame.decodeResponse(
                    to: SaslHandshakeRequest.self, version: awaiting.version, frame: frame,
                    expectedCorrelationID: awaiting.correlationID)
                action = machine.handshakeReceived(response, now: now(context))
            case .saslAuthenticate:
                let (_, response) = try KafkaFrame.decodeResponse(
                    to: SaslAuthenticateRequest.self, version: awaiting.version, frame: frame,
                    expectedCorrelationID: awaiting.correlationID)
                action = machine.authenticateReceived(response, now: now(context))
            default:
                return
            }
        } catch {
            fail(
                KafkaNetworkError(
                    .malformedResponse, "SASL re-authentication: undecodable response: \(error)", broker: broker),
                context: context)
            return
        }
        reauthentication = machine
        performReauthentication(action, context: context)
    }

    func performReauthentication(_ action: ReauthenticationStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .scheduleTimer(let deadline):
            armReauthenticationTimer(deadline, context: context)
        case .fetchToken(let deadline):
            armReauthenticationTimer(deadline, context: context)
            fetchReauthenticationToken(context: context)
        case .begin(let request, let version):
            logger.debug("SASL re-authentication begins")
            sendReauthentication(.saslHandshake(request, version: version), context: context)
        case .send(let request, let version):
            sendReauthentication(.saslAuthenticate(request, version: version), context: context)
        case .completed(let next):
            metrics.reauthenticated()
            logger.debug(
                "SASL re-authentication completed",
                metadata: ["kafka.sasl.reauthentications": "\(reauthentication?.count ?? 0)"])
            reauthenticationTimer?.cancel()
            reauthenticationTimer = nil
            if case .ready(var pipeline) = state {
                state = .idle
                let actions = pipeline.release(now: now(context))
                state = .ready(pipeline)
                run(actions, context: context)
            }
            if let next { armReauthenticationTimer(next, context: context) }
        case .fail(let error):
            logger.warning("SASL re-authentication failed; closing the connection", metadata: ["error": "\(error)"])
            fail(error.with(broker: broker), context: context)
        }
    }

    /// Asks the token cache for an unexpired token off the event loop and feeds the answer to the machine on it.
    private func fetchReauthenticationToken(context: ChannelHandlerContext) {
        guard let tokens = oauthBearerTokens else {
            performReauthentication(
                reauthentication?.tokenFailed(KafkaNetworkError(.authenticationFailed, "no OAUTHBEARER token cache"))
                    ?? .none,
                context: context)
            return
        }
        logger.debug("SASL re-authentication: fetching an OAUTHBEARER token")
        let eventLoop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        Task {
            let result: Result<OAuthBearerToken, KafkaNetworkError>
            do throws(KafkaNetworkError) {
                result = .success(try await tokens.token())
            } catch {
                result = .failure(error)
            }
            eventLoop.execute { handler.value.reauthenticationTokenArrived(result) }
        }
    }

    /// The token cache answered: the exchange begins with the token, or the re-authentication fails.
    private func reauthenticationTokenArrived(_ result: Result<OAuthBearerToken, KafkaNetworkError>) {
        guard let context, case .ready = state, var machine = reauthentication, machine.isAwaitingToken else { return }
        let action: ReauthenticationStateMachine.Action
        switch result {
        case .success(let token): action = machine.tokenReceived(token, now: now(context))
        case .failure(let error): action = machine.tokenFailed(error)
        }
        reauthentication = machine
        performReauthentication(action, context: context)
    }

    /// Writes one SASL request of the exchange with a correlation id from the pipeline, which holds new requests
    /// until the exchange completes.
    private func sendReauthentication(
        _ request: ConnectionSetupStateMachine.SetupRequest, context: ChannelHandlerContext
    ) {
        guard case .ready(var pipeline) = state else { return }
        state = .idle
        pipeline.hold()
        let id = pipeline.takeCorrelationID()
        state = .ready(pipeline)
        var frame = context.channel.allocator.buffer(capacity: 128)
        do {
            try request.encode(correlationID: id, clientID: clientID, into: &frame)
        } catch {
            fail(
                KafkaNetworkError(.unsupportedVersion, "\(error)", broker: broker, api: request.apiKey),
                context: context)
            return
        }
        reauthenticationAwaiting = (id, request.version)
        metrics.requestSent(api: request.apiKey, bytes: frame.readableBytes, awaitsResponse: false)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        if let deadline = reauthentication?.nextDeadline { armReauthenticationTimer(deadline, context: context) }
    }

    private func armReauthenticationTimer(_ deadline: ContinuousClock.Instant, context: ChannelHandlerContext) {
        reauthenticationTimer?.cancel()
        let delay = now(context).duration(to: deadline)
        reauthenticationTimer = context.eventLoop.assumeIsolated().scheduleTask(
            in: .nanoseconds(max(0, Self.nanoseconds(delay)) + 1_000_000)
        ) { [weak self] in
            guard let self, let context = self.context, var machine = self.reauthentication else { return }
            self.reauthenticationTimer = nil
            guard case .ready = self.state else { return }
            let action = machine.timerFired(now: self.now(context))
            self.reauthentication = machine
            self.performReauthentication(action, context: context)
        }
    }
}

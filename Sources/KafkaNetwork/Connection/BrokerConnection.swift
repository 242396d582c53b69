package import KafkaProtocol
package import Logging
package import Metrics
import NIOConcurrencyHelpers
package import NIOCore
import NIOPosix
package import NIOSSL

/// The kind of traffic a connection carries. Each kind gets its own connection to a broker, so a
/// long fetch or a slow admin call never delays a produce request or a heartbeat.
public enum ConnectionKind: String, Sendable, Hashable, CaseIterable {
    /// Produce requests and the producer's transaction requests.
    case produce
    /// Fetch and ListOffsets for consumers.
    case fetch
    /// Group coordination: join, sync, heartbeat, commit.
    case group
    /// Metadata, admin requests, coordinator lookups.
    case admin
}

/// What a connection needs to know, derived once per client from ``KafkaClientConfiguration``
/// (the TLS context is built here so a bad certificate file is reported before connecting).
package struct ConnectionSettings: Sendable {
    /// `client.id`, sent in every request header.
    package var clientID: String
    /// Sent in ApiVersions v3+.
    package var clientSoftwareName: String
    /// Sent in ApiVersions v3+.
    package var clientSoftwareVersion: String
    /// `request.timeout.ms`.
    package var requestTimeout: Duration
    /// `socket.connection.setup.timeout.ms`.
    package var connectionSetupTimeout: Duration
    /// `max.in.flight.requests.per.connection`.
    package var maximumInFlight: Int
    /// The largest response frame accepted (`receive.message.max.bytes`).
    package var maximumResponseSize: Int
    /// SASL credentials when the security protocol uses SASL.
    package var sasl: SASLCredentials?
    /// The client's SASL/OAUTHBEARER tokens when the security protocol uses SASL with a token provider (then
    /// ``sasl`` is nil).
    package var oauthBearer: OAuthBearerTokenCache?
    /// The TLS context when the security protocol uses TLS.
    package var tls: NIOSSLContext?
    /// Where metrics go (swift-metrics' bootstrapped factory by default).
    package var metricsFactory: any MetricsFactory = MetricsSystem.factory

    /// Derives the settings from a configuration.
    ///
    /// - Throws: ``KafkaNetworkError`` of kind `.tlsFailed` when TLS is enabled and its files or
    ///   PEM text are unusable, `.authenticationFailed` when SASL is enabled without credentials.
    package init(configuration: KafkaClientConfiguration) throws(KafkaNetworkError) {
        clientID = configuration.clientID
        clientSoftwareName = configuration.clientSoftwareName
        clientSoftwareVersion = configuration.clientSoftwareVersion
        requestTimeout = configuration.requestTimeout
        connectionSetupTimeout = configuration.connectionSetupTimeout
        maximumInFlight = configuration.maxInFlightRequestsPerConnection
        maximumResponseSize = configuration.maximumResponseSize
        if configuration.securityProtocol.usesSASL, let provider = configuration.oauthBearerTokenProvider {
            oauthBearer = OAuthBearerTokenCache(provider: provider)
            sasl = nil
        } else if configuration.securityProtocol.usesSASL {
            guard let credentials = configuration.sasl else {
                throw KafkaNetworkError(
                    .authenticationFailed,
                    "security.protocol \(configuration.securityProtocol.rawValue) needs sasl.mechanism and credentials")
            }
            sasl = credentials
        } else {
            sasl = nil
        }
        if configuration.securityProtocol.usesTLS {
            do {
                tls = try configuration.tls.makeClientContext()
            } catch {
                throw KafkaNetworkError(.tlsFailed, "TLS configuration: \(error)")
            }
        } else {
            tls = nil
        }
    }
}

/// One connection to one broker, set up (TLS, ApiVersions, SASL) and ready for requests.
///
/// Requests are pipelined up to `max.in.flight.requests.per.connection`; responses are matched by
/// correlation id; a request without an answer within `request.timeout.ms` fails and closes the
/// connection (the others on it fail with a retriable ``KafkaNetworkError``).
package final class BrokerConnection: Sendable {
    /// The broker's address.
    package let address: BrokerAddress
    /// The broker's node id, when known (nil for bootstrap connections).
    package let nodeID: Int32?
    /// The traffic this connection carries.
    package let kind: ConnectionKind
    /// The versions negotiated with the broker.
    package let versions: NegotiatedVersions

    let channel: any Channel
    private let clientID: String
    private let requestTimeout: Duration
    private let brokerLabel: String

    private init(
        address: BrokerAddress, nodeID: Int32?, kind: ConnectionKind, versions: NegotiatedVersions,
        channel: any Channel, settings: ConnectionSettings, brokerLabel: String
    ) {
        self.address = address
        self.nodeID = nodeID
        self.kind = kind
        self.versions = versions
        self.channel = channel
        self.clientID = settings.clientID
        self.requestTimeout = settings.requestTimeout
        self.brokerLabel = brokerLabel
    }

    /// Whether the connection is still open.
    package var isActive: Bool { channel.isActive }

    /// Connects to `address` and runs the setup (TLS handshake, ApiVersions with fallback, SASL).
    ///
    /// - Throws: ``KafkaNetworkError``: `.connectFailed` / `.connectTimedOut` for TCP,
    ///   `.tlsFailed`, `.authenticationFailed`, `.unsupportedVersion`, or `.connectionClosed`.
    package static func connect(
        to address: BrokerAddress, nodeID: Int32? = nil, kind: ConnectionKind, settings: ConnectionSettings,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) async throws(KafkaNetworkError) -> BrokerConnection {
        let label = nodeID.map { "node \($0) (\(address))" } ?? "\(address)"
        var logger = logger
        logger[metadataKey: "kafka.broker.address"] = "\(address)"
        if let nodeID { logger[metadataKey: "kafka.broker.id"] = "\(nodeID)" }
        logger[metadataKey: "kafka.connection.kind"] = "\(kind.rawValue)"

        // The token first: the promise below must be completed once created.
        var setupConfiguration = ConnectionSetupStateMachine.Configuration(
            clientSoftwareName: settings.clientSoftwareName, clientSoftwareVersion: settings.clientSoftwareVersion,
            sasl: settings.sasl)
        if let oauthBearer = settings.oauthBearer {
            do {
                setupConfiguration.oauthBearerToken = try await oauthBearer.token()
            } catch {
                logger.debug("no OAUTHBEARER token", metadata: ["error": "\(error)"])
                throw KafkaNetworkError(error.kind, error.message, broker: label)
            }
        }
        let setup = setupConfiguration
        let eventLoop = eventLoopGroup.next()
        let ready = eventLoop.makePromise(of: NegotiatedVersions.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(max(1, KafkaConnectionHandler.nanoseconds(settings.connectionSetupTimeout))))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [logger] channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls = settings.tls {
                        let hostname = KafkaTLSConfiguration.serverHostname(for: address.host)
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: hostname))
                    }
                    try sync.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maximumFrameSize: settings.maximumResponseSize)))
                    try sync.addHandler(
                        KafkaConnectionHandler(
                            setup: setup, maximumInFlight: settings.maximumInFlight,
                            setupTimeout: max(settings.requestTimeout, settings.connectionSetupTimeout),
                            clientID: settings.clientID, broker: label,
                            readyPromise: ready, logger: logger,
                            metrics: ConnectionMetrics(
                                clientID: settings.clientID, broker: "\(address)", factory: settings.metricsFactory),
                            oauthBearerTokens: settings.oauthBearer))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: address.host, port: address.port).get()
        } catch {
            let failure: KafkaNetworkError
            if case ChannelError.connectTimeout = error {
                failure = KafkaNetworkError(
                    .connectTimedOut,
                    "could not connect within \(settings.connectionSetupTimeout) (socket.connection.setup.timeout.ms)",
                    broker: label)
            } else {
                failure = KafkaNetworkError(.connectFailed, "could not connect: \(error)", broker: label)
            }
            ready.fail(failure)
            logger.debug("connect failed", metadata: ["error": "\(failure)"])
            throw failure
        }
        do {
            let versions = try await ready.futureResult.get()
            logger.debug("connected")
            return BrokerConnection(
                address: address, nodeID: nodeID, kind: kind, versions: versions, channel: channel,
                settings: settings, brokerLabel: label)
        } catch {
            channel.close(promise: nil)
            throw KafkaConnectionHandler.classify(error, broker: label)
        }
    }

    /// Sends `request` and returns the broker's response.
    ///
    /// - Parameters:
    ///   - version: the version to use; by default the highest both sides support.
    ///   - timeout: overrides `request.timeout.ms` for this request (a fetch adds its max wait).
    /// - Throws: ``KafkaNetworkError`` (no common version, network failure, timeout, malformed
    ///   response naming the API and broker), or `CancellationError` if the task is cancelled
    ///   (the connection stays usable; the late response is discarded).
    package func send<R: KafkaRequest>(
        _ request: R, version: Int16? = nil, timeout: Duration? = nil
    ) async throws -> R.Response {
        try await write(request, version: version, timeout: timeout).response()
    }

    /// Writes `request` to the connection now and returns a handle to await its response with.
    ///
    /// Unlike ``send(_:version:timeout:)``, the write happens before this method returns, so requests written by
    /// successive calls reach the broker in call order — what a producer needs to keep several requests in flight
    /// without reordering them.
    ///
    /// - Throws: ``KafkaNetworkError/Kind/unsupportedVersion`` or an encoding error; network failures surface from
    ///   ``PendingResponse/response()``.
    package func write<R: KafkaRequest>(
        _ request: R, version: Int16? = nil, timeout: Duration? = nil
    ) throws -> PendingResponse<R> {
        let version = try version ?? versions.version(for: R.self)
        let future = try submit(request, version: version, expectsResponse: true, timeout: timeout)
        return PendingResponse(future: future, version: version, brokerLabel: brokerLabel)
    }

    /// Sends a request that gets no response (a produce request with `acks=0`); returns once it
    /// has been written to the socket.
    package func sendWithoutResponse<R: KafkaRequest>(_ request: R, version: Int16? = nil) async throws {
        try await writeWithoutResponse(request, version: version).written()
    }

    /// Writes a request that gets no response now (in call order, as ``write(_:version:timeout:)``); await
    /// ``PendingWrite/written()`` to learn when it reached the socket.
    package func writeWithoutResponse<R: KafkaRequest>(_ request: R, version: Int16? = nil) throws -> PendingWrite {
        let version = try version ?? versions.version(for: R.self)
        return PendingWrite(future: try submit(request, version: version, expectsResponse: false, timeout: nil))
    }

    private func submit<R: KafkaRequest>(
        _ request: R, version: Int16, expectsResponse: Bool, timeout: Duration?
    ) throws -> ResponseFuture {
        // Room for the size prefix, the header (client id included) and a small body: a produce request's record
        // batches are written from their own buffers (spliced), and a request encoded whole reserves its size hint.
        let capacity = 64 + clientID.utf8.count + 192
        let encoded = try KafkaFrame.encodeRequestSpliced(
            request, version: version, correlationID: 0, clientID: clientID,
            into: channel.allocator.buffer(capacity: capacity))
        let eventLoop = channel.eventLoop
        let promise = eventLoop.makePromise(of: ByteBuffer.self)
        let item = KafkaConnectionHandler.Request(
            frame: encoded.frame, splices: encoded.splices, apiKey: R.apiKey, version: version,
            expectsResponse: expectsResponse, timeout: timeout ?? requestTimeout, promise: promise)
        let slot = ResponseSlot()
        let channel = channel
        let brokerLabel = brokerLabel
        // One hop onto the event loop for everything (from another thread each of the three steps was a task of its
        // own, and each task woke the event loop through its eventfd): the response is routed to the slot, where
        // the caller picks it up without another hop, and the request is written.
        let submit: @Sendable () -> Void = {
            promise.futureResult.whenComplete { slot.complete($0) }
            let write = eventLoop.makePromise(of: Void.self)
            write.futureResult.whenFailure { error in
                promise.fail(
                    KafkaNetworkError(
                        .connectionClosed, "the connection is closed (\(error))", broker: brokerLabel,
                        api: R.apiKey))
            }
            channel.writeAndFlush(item, promise: write)
        }
        if eventLoop.inEventLoop {
            submit()
        } else {
            eventLoop.execute(submit)
        }
        return ResponseFuture(promise: promise, slot: slot)
    }

    /// Closes the connection; requests in flight fail with a retriable error.
    package func close() async {
        try? await channel.close()
    }
}

/// A request written by ``BrokerConnection/write(_:version:timeout:)`` whose response is still to come.
package struct PendingResponse<R: KafkaRequest>: Sendable {
    let future: ResponseFuture
    let version: Int16
    let brokerLabel: String

    /// Waits for the response and decodes it.
    ///
    /// - Throws: ``KafkaNetworkError`` (network failure, timeout, malformed response naming the API and broker), or
    ///   `CancellationError` if the task is cancelled (the connection stays usable).
    ///
    /// - Parameter isolation: the caller's actor, where the response is awaited and decoded: an actor running on the
    ///   connection's event loop continues there without a thread switch.
    package func response(isolation: isolated (any Actor)? = #isolation) async throws -> R.Response {
        let frame = try await future.value(isolation: isolation)
        do {
            return try KafkaFrame.decodeResponse(to: R.self, version: version, frame: frame).response
        } catch {
            throw KafkaNetworkError(
                .undecodableResponse, "could not decode \(R.Response.messageName) v\(version): \(error)",
                broker: brokerLabel, api: R.apiKey)
        }
    }
}

/// A request without response written by ``BrokerConnection/writeWithoutResponse(_:version:)``.
package struct PendingWrite: Sendable {
    let future: ResponseFuture

    /// Waits until the request was written to the socket (on the caller's actor, as
    /// ``PendingResponse/response(isolation:)``).
    package func written(isolation: isolated (any Actor)? = #isolation) async throws {
        _ = try await future.value(isolation: isolation)
    }
}

/// Awaits a response promise, failing it (not the connection) when the waiting task is cancelled.
struct ResponseFuture: Sendable {
    let promise: EventLoopPromise<ByteBuffer>
    /// Where the event loop leaves the promise's result (the callback was registered when the request was written).
    let slot: ResponseSlot

    /// The response frame, awaited on `isolation` (the continuation is resumed from the event loop and the caller
    /// continues on its own executor, with no hop through the global executor in between).
    func value(isolation: isolated (any Actor)? = #isolation) async throws -> ByteBuffer {
        let promise = promise
        let slot = slot
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation(isolation: isolation) { continuation in
                slot.wait(continuation)
            }
        } onCancel: {
            promise.fail(CancellationError())
        }
    }
}

/// A one-shot result that the event loop fills and tasks await, in either order, without a hop onto the event loop
/// to register a waiter.
final class ResponseSlot: Sendable {
    private enum State {
        case pending
        case waiting([CheckedContinuation<ByteBuffer, any Error>])
        case done(Result<ByteBuffer, any Error>)
    }

    private let state = NIOLockedValueBox(State.pending)

    func complete(_ result: Result<ByteBuffer, any Error>) {
        let waiters: [CheckedContinuation<ByteBuffer, any Error>] = state.withLockedValue { state in
            switch state {
            case .pending:
                state = .done(result)
                return []
            case .waiting(let continuations):
                state = .done(result)
                return continuations
            case .done:
                return []  // a promise completes once
            }
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    func wait(_ continuation: CheckedContinuation<ByteBuffer, any Error>) {
        let ready: Result<ByteBuffer, any Error>? = state.withLockedValue { state in
            switch state {
            case .pending:
                state = .waiting([continuation])
                return nil
            case .waiting(var continuations):
                continuations.append(continuation)
                state = .waiting(continuations)
                return nil
            case .done(let result):
                return result
            }
        }
        if let ready { continuation.resume(with: ready) }
    }
}

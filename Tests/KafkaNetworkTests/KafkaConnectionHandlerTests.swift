import KafkaProtocol
import Logging
import Metrics
import NIOCore
import NIOEmbedded
import Testing

@testable import KafkaNetwork

/// The connection handler on an `EmbeddedChannel`, with the test playing the broker (a reverse
/// codec: it decodes the client's request frames and encodes responses).
@Suite(.timeLimit(.minutes(5))) struct KafkaConnectionHandlerTests {
    /// The broker side of an embedded connection.
    final class EmbeddedBroker {
        let channel = EmbeddedChannel()
        let ready: EventLoopFuture<NegotiatedVersions>
        let loop: EmbeddedEventLoop

        init(
            maximumInFlight: Int = 5, setupTimeout: Duration = .seconds(10), sasl: SASLCredentials? = nil,
            maximumFrameSize: Int = 1 << 20, metricsFactory: any MetricsFactory = MetricsSystem.factory
        ) throws {
            loop = channel.embeddedEventLoop
            let promise = loop.makePromise(of: NegotiatedVersions.self)
            ready = promise.futureResult
            let handler = KafkaConnectionHandler(
                setup: .init(clientSoftwareName: "swift-kafka", clientSoftwareVersion: "0.1.0", sasl: sasl),
                maximumInFlight: maximumInFlight, setupTimeout: setupTimeout, clientID: "tests", broker: "embedded",
                readyPromise: promise, logger: Logger(label: "tests"),
                metrics: ConnectionMetrics(clientID: "tests", broker: "embedded", factory: metricsFactory))
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(KafkaFrameDecoder(maximumFrameSize: maximumFrameSize)))
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9092)).wait()
        }

        /// The next request the client wrote: its header and body. A request may go out in several writes (a
        /// request's first bytes are written apart from the rest of its frame): they are joined up to the size.
        func nextRequest() throws -> (header: RequestHeader, body: ByteBuffer)? {
            guard var frame = try channel.readOutbound(as: ByteBuffer.self) else { return nil }
            guard let size = frame.readInteger(as: Int32.self) else { return nil }
            while frame.readableBytes < Int(size), var more = try channel.readOutbound(as: ByteBuffer.self) {
                frame.writeBuffer(&more)
            }
            #expect(Int(size) == frame.readableBytes)
            let header = try KafkaFrame.decodeRequestHeader(&frame)
            return (header, frame)
        }

        func respond<R: KafkaRequest>(
            _: R.Type, to header: RequestHeader, with response: R.Response, correlationID: Int32? = nil
        ) throws {
            var body = ByteBuffer()
            let headerVersion = R.apiKey == .apiVersions ? 0 : R.responseHeaderVersion(for: header.requestApiVersion)
            try ResponseHeader(correlationId: correlationID ?? header.correlationId).encode(
                into: &body, version: headerVersion)
            try response.encode(into: &body, version: header.requestApiVersion)
            var frame = ByteBuffer()
            frame.writeInteger(Int32(body.readableBytes))
            frame.writeImmutableBuffer(body)
            try channel.writeInbound(frame)
        }

        /// Answers the setup's ApiVersions with the given ranges.
        func completeSetup(_ ranges: [KafkaAPIKey: ClosedRange<Int16>] = EmbeddedBroker.fullRanges) throws {
            let request = try #require(try nextRequest())
            #expect(request.header.requestApiKey == KafkaAPIKey.apiVersions.rawValue)
            try respond(
                ApiVersionsRequest.self, to: request.header,
                with: ConnectionSetupStateMachineTests.apiVersions(ranges))
        }

        static let fullRanges: [KafkaAPIKey: ClosedRange<Int16>] = Dictionary(
            uniqueKeysWithValues: KafkaMessageRegistry.requestTypes.map { ($0.apiKey, $0.validVersions) })

        /// Submits a request as `BrokerConnection` does.
        func submit<R: KafkaRequest>(
            _ request: R, version: Int16, expectsResponse: Bool = true, timeout: Duration = .seconds(30)
        ) throws -> EventLoopFuture<ByteBuffer> {
            let encoded = try KafkaFrame.encodeRequestSpliced(
                request, version: version, correlationID: 0, clientID: "tests", into: ByteBuffer())
            let promise = loop.makePromise(of: ByteBuffer.self)
            // As BrokerConnection does: a write that never reaches the handler fails the request.
            let write = loop.makePromise(of: Void.self)
            write.futureResult.whenFailure { promise.fail(KafkaNetworkError(.connectionClosed, "\($0)")) }
            channel.writeAndFlush(
                KafkaConnectionHandler.Request(
                    frame: encoded.frame, splices: encoded.splices, apiKey: R.apiKey, version: version,
                    expectsResponse: expectsResponse, timeout: timeout, promise: promise),
                promise: write)
            return promise.futureResult
        }
    }

    static func result<T>(_ future: EventLoopFuture<T>) -> Result<T, any Error>? {
        var outcome: Result<T, any Error>?
        future.assumeIsolated().whenComplete { outcome = $0 }
        return outcome
    }

    static func networkError<T>(_ future: EventLoopFuture<T>) -> KafkaNetworkError? {
        guard case .failure(let error) = result(future) else { return nil }
        return error as? KafkaNetworkError
    }

    @Test func setupNegotiatesVersionsWithClientSoftwareName() throws {
        let broker = try EmbeddedBroker()
        var request = try #require(try broker.nextRequest())
        #expect(request.header.requestApiVersion == ApiVersionsRequest.validVersions.upperBound)
        let apiVersions = try ApiVersionsRequest(from: &request.body, version: request.header.requestApiVersion)
        #expect(apiVersions.clientSoftwareName == "swift-kafka")
        #expect(apiVersions.clientSoftwareVersion == "0.1.0")
        try broker.respond(
            ApiVersionsRequest.self, to: request.header,
            with: ConnectionSetupStateMachineTests.apiVersions([.apiVersions: 0...3, .metadata: 0...9]))
        let versions = try #require(try Self.result(broker.ready)?.get())
        #expect(try versions.version(for: MetadataRequest.self) == 9)
    }

    @Test func setupFallsBackToApiVersionsV0() throws {
        let broker = try EmbeddedBroker()
        let first = try #require(try broker.nextRequest())
        // An old broker answers UNSUPPORTED_VERSION in the v0 layout.
        var body = ByteBuffer()
        try ResponseHeader(correlationId: first.header.correlationId).encode(into: &body, version: 0)
        try ApiVersionsResponse(errorCode: KafkaErrorCode.unsupportedVersion.rawValue).encode(into: &body, version: 0)
        var frame = ByteBuffer()
        frame.writeInteger(Int32(body.readableBytes))
        frame.writeImmutableBuffer(body)
        try broker.channel.writeInbound(frame)
        let second = try #require(try broker.nextRequest())
        #expect(second.header.requestApiVersion == 0)
        #expect(second.header.correlationId != first.header.correlationId)
        try broker.respond(
            ApiVersionsRequest.self, to: second.header,
            with: ConnectionSetupStateMachineTests.apiVersions([.apiVersions: 0...0, .metadata: 0...1]))
        let versions = try #require(try Self.result(broker.ready)?.get())
        #expect(try versions.version(for: MetadataRequest.self) == 1)
    }

    @Test func setupTimesOutWithoutAnAnswer() throws {
        let broker = try EmbeddedBroker(setupTimeout: .seconds(5))
        _ = try broker.nextRequest()
        broker.loop.advanceTime(by: .seconds(4))
        #expect(Self.result(broker.ready) == nil)
        broker.loop.advanceTime(by: .seconds(2))
        let error = try #require(Self.networkError(broker.ready))
        #expect(error.kind == .connectTimedOut)
        #expect(!broker.channel.isActive)
    }

    @Test func pipelinesBoundedByMaxInFlightAndMatchesResponses() throws {
        let broker = try EmbeddedBroker(maximumInFlight: 2)
        try broker.completeSetup()
        let futures = try (0..<3).map { _ in try broker.submit(MetadataRequest(), version: 1) }
        let first = try #require(try broker.nextRequest())
        let second = try #require(try broker.nextRequest())
        #expect(try broker.nextRequest() == nil, "the third waits for a free slot")
        #expect(second.header.correlationId == first.header.correlationId + 1)

        var answer = MetadataResponse()
        answer.controllerId = 11
        try broker.respond(MetadataRequest.self, to: first.header, with: answer)
        let third = try #require(try broker.nextRequest(), "a slot freed up")
        answer.controllerId = 12
        try broker.respond(MetadataRequest.self, to: second.header, with: answer)
        answer.controllerId = 13
        try broker.respond(MetadataRequest.self, to: third.header, with: answer)

        for (index, future) in futures.enumerated() {
            let frame = try #require(try Self.result(future)?.get())
            let decoded = try KafkaFrame.decodeResponse(to: MetadataRequest.self, version: 1, frame: frame)
            #expect(decoded.response.controllerId == Int32(11 + index))
        }
    }

    @Test func requestsWithoutResponseCompleteWhenWritten() throws {
        let broker = try EmbeddedBroker()
        try broker.completeSetup()
        var produce = ProduceRequest()
        produce.acks = 0
        let future = try broker.submit(produce, version: 3, expectsResponse: false)
        #expect(try broker.nextRequest()?.header.requestApiKey == KafkaAPIKey.produce.rawValue)
        #expect(try Self.result(future)?.get().readableBytes == 0)
        // The next request is still matched correctly.
        let metadata = try broker.submit(MetadataRequest(), version: 1)
        let request = try #require(try broker.nextRequest())
        try broker.respond(MetadataRequest.self, to: request.header, with: MetadataResponse())
        #expect(try Self.result(metadata)?.get() != nil)
    }

    @Test(arguments: [Int16(3), 8, 9, 11])
    func splicedBatchesGoOutFromTheirOwnStorageAsTheWholeFrame(version: Int16) throws {
        let broker = try EmbeddedBroker()
        try broker.completeSetup()
        let batches = [ByteBuffer(repeating: 0xA1, count: 700), ByteBuffer(repeating: 0xB2, count: 33)]
        let produce = ProduceRequest(
            transactionalId: version >= 3 ? "tx" : nil, acks: -1, timeoutMs: 1000,
            topicData: [
                .init(name: "orders", partitionData: [.init(index: 0, records: batches[0])]),
                .init(
                    name: "audit", partitionData: [.init(index: 4, records: batches[1]), .init(index: 5, records: nil)]),
            ])
        let future = try broker.submit(produce, version: version)
        // The writes, as the socket would get them: the batches are the very buffers handed over (same storage).
        var writes: [ByteBuffer] = []
        while let write = try broker.channel.readOutbound(as: ByteBuffer.self) { writes.append(write) }
        for batch in batches {
            #expect(
                writes.contains { write in
                    write.withUnsafeReadableBytes { a in
                        batch.withUnsafeReadableBytes { a.baseAddress == $0.baseAddress }
                    }
                }, "a batch was copied")
        }
        var joined = ByteBuffer()
        for var write in writes { joined.writeBuffer(&write) }
        var expected = ByteBuffer()
        let correlationID = try #require(joined.getInteger(at: 8, as: Int32.self))
        try KafkaFrame.encodeRequest(
            produce, version: version, correlationID: correlationID, clientID: "tests", into: &expected)
        #expect(joined == expected)
        // And the response still finds the request.
        var header = joined
        _ = header.readInteger(as: Int32.self)
        let decoded = try KafkaFrame.decodeRequestHeader(&header)
        try broker.respond(ProduceRequest.self, to: decoded, with: ProduceResponse())
        #expect(try Self.result(future)?.get() != nil)
    }

    @Test func requestTimeoutFailsItAndClosesTheConnection() throws {
        let broker = try EmbeddedBroker()
        try broker.completeSetup()
        let slow = try broker.submit(MetadataRequest(), version: 1, timeout: .seconds(1))
        let other = try broker.submit(MetadataRequest(), version: 1, timeout: .seconds(30))
        broker.loop.advanceTime(by: .milliseconds(500))
        #expect(Self.result(slow) == nil)
        broker.loop.advanceTime(by: .milliseconds(600))
        let timeout = try #require(Self.networkError(slow))
        #expect(timeout.kind == .requestTimedOut)
        #expect(timeout.api == .metadata)
        #expect(timeout.isRetriable)
        let closed = try #require(Self.networkError(other))
        #expect(closed.kind == .connectionClosed)
        #expect(closed.isRetriable)
        #expect(!broker.channel.isActive)
        let late = try broker.submit(MetadataRequest(), version: 1)
        broker.loop.run()
        #expect(Self.networkError(late) != nil, "a closed connection fails new requests at once")
    }

    @Test func aShorterTimeoutAfterALongerOneStillFiresOnTime() throws {
        let broker = try EmbeddedBroker()
        try broker.completeSetup()
        let long = try broker.submit(MetadataRequest(), version: 1, timeout: .seconds(30))
        let first = try #require(try broker.nextRequest())
        try broker.respond(MetadataRequest.self, to: first.header, with: MetadataResponse())
        #expect(try Self.result(long)?.get() != nil)
        // The timer is still armed for the answered request's 30 s deadline; a 1 s request re-arms it.
        let short = try broker.submit(MetadataRequest(), version: 1, timeout: .seconds(1))
        broker.loop.advanceTime(by: .milliseconds(1100))
        #expect(Self.networkError(short)?.kind == .requestTimedOut)
    }

    @Test func wrongCorrelationIdClosesWithMalformedResponse() throws {
        let broker = try EmbeddedBroker()
        try broker.completeSetup()
        let future = try broker.submit(MetadataRequest(), version: 1)
        let request = try #require(try broker.nextRequest())
        try broker.respond(
            MetadataRequest.self, to: request.header, with: MetadataResponse(),
            correlationID: request.header.correlationId + 100)
        let error = try #require(Self.networkError(future))
        #expect(error.kind == .malformedResponse)
        #expect(error.message.contains("correlation id"))
        #expect(!broker.channel.isActive)
    }

    @Test func oversizedFrameClosesWithAClearError() throws {
        let broker = try EmbeddedBroker(maximumFrameSize: 1024)
        try broker.completeSetup()
        let future = try broker.submit(MetadataRequest(), version: 1)
        _ = try broker.nextRequest()
        var frame = ByteBuffer()
        frame.writeInteger(Int32(1 << 30))
        frame.writeBytes([1, 2, 3, 4])
        // The decoder's error goes to the handler, which fails the requests and closes.
        _ = try? broker.channel.writeInbound(frame)
        let error = try #require(Self.networkError(future))
        #expect(error.kind == .frameTooLarge)
        #expect(error.message.contains("larger than the maximum"))
        #expect(!broker.channel.isActive)
    }

    @Test func closedConnectionFailsInFlightRequestsRetriably() throws {
        let broker = try EmbeddedBroker()
        try broker.completeSetup()
        let future = try broker.submit(MetadataRequest(), version: 1)
        try broker.channel.close().wait()
        let error = try #require(Self.networkError(future))
        #expect(error.kind == .connectionClosed)
        #expect(error.isRetriable)
    }

    @Test func saslPlainBeforeReady() throws {
        let broker = try EmbeddedBroker(sasl: SASLCredentials(mechanism: .plain, username: "alice", password: "pw"))
        try broker.completeSetup()
        #expect(Self.result(broker.ready) == nil, "not ready before authentication")
        var handshake = try #require(try broker.nextRequest())
        #expect(handshake.header.requestApiKey == KafkaAPIKey.saslHandshake.rawValue)
        #expect(try SaslHandshakeRequest(from: &handshake.body, version: 1).mechanism == "PLAIN")
        try broker.respond(SaslHandshakeRequest.self, to: handshake.header, with: SaslHandshakeResponse())
        var authenticate = try #require(try broker.nextRequest())
        let version = authenticate.header.requestApiVersion
        let message = try SaslAuthenticateRequest(from: &authenticate.body, version: version)
        #expect(Array(buffer: message.authBytes) == Array("\0alice\0pw".utf8))
        try broker.respond(SaslAuthenticateRequest.self, to: authenticate.header, with: SaslAuthenticateResponse())
        #expect(try Self.result(broker.ready)?.get() != nil)
    }

    @Test func saslFailureFailsSetup() throws {
        let broker = try EmbeddedBroker(sasl: SASLCredentials(mechanism: .plain, username: "alice", password: "pw"))
        try broker.completeSetup()
        let handshake = try #require(try broker.nextRequest())
        try broker.respond(SaslHandshakeRequest.self, to: handshake.header, with: SaslHandshakeResponse())
        let authenticate = try #require(try broker.nextRequest())
        var failure = SaslAuthenticateResponse()
        failure.errorCode = KafkaErrorCode.saslAuthenticationFailed.rawValue
        failure.errorMessage = "Invalid credentials"
        try broker.respond(SaslAuthenticateRequest.self, to: authenticate.header, with: failure)
        let error = try #require(Self.networkError(broker.ready))
        #expect(error.kind == .authenticationFailed)
        #expect(!broker.channel.isActive)
    }

    @Test func garbageDuringSetupFailsIt() throws {
        let broker = try EmbeddedBroker()
        _ = try broker.nextRequest()
        var frame = ByteBuffer()
        frame.writeInteger(Int32(3))
        frame.writeBytes([0xFF, 0xFE, 0xFD])
        try broker.channel.writeInbound(frame)
        let error = try #require(Self.networkError(broker.ready))
        #expect(error.kind == .malformedResponse)
    }
}

import Foundation
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import KafkaDevCluster

/// One dev broker's connections, driven by a raw NIO client: ApiVersions (also as another Kafka
/// release), Metadata, FindCoordinator, TLS and mutual TLS, SASL, the connection faults and what the
/// cluster records of the requests.
@Suite(.timeLimit(.minutes(5))) struct DevClusterConnectionTests {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    struct ConnectionClosed: Error {}

    /// Sends requests on one connection and reads frames.
    struct Session {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var correlationID: Int32 = 0

        /// Writes a request without waiting for the answer; returns its correlation id.
        mutating func write<R: KafkaRequest>(_ request: R, version: Int16) async throws -> Int32 {
            correlationID += 1
            var frame = ByteBuffer()
            try KafkaFrame.encodeRequest(
                request, version: version, correlationID: correlationID, clientID: "broker-tests", into: &frame)
            try await outbound.write(frame)
            return correlationID
        }

        mutating func nextFrame() async throws -> ByteBuffer {
            guard let frame = try await inbound.next() else { throw ConnectionClosed() }
            return frame
        }

        mutating func send<R: KafkaRequest>(_ request: R, version: Int16) async throws -> R.Response {
            let id = try await write(request, version: version)
            return try KafkaFrame.decodeResponse(
                to: R.self, version: version, frame: try await nextFrame(), expectedCorrelationID: id
            ).response
        }

        mutating func sendApiVersions(version: Int16) async throws -> ApiVersionsResponse {
            let request = ApiVersionsRequest(clientSoftwareName: "swift-kafka-tests", clientSoftwareVersion: "1.2.3")
            let id = try await write(request, version: version)
            var frame = try await nextFrame()
            #expect(try ResponseHeader(from: &frame, version: 0).correlationId == id)
            return try ApiVersionsResponse.decodeAllowingFallback(from: frame, version: version)
        }

        /// Expects the broker to close the connection (an end of stream or an error, never a frame). Reading is
        /// what makes the channel notice the close: the stream asks the socket for data only when read.
        mutating func expectClosed(sourceLocation: SourceLocation = #_sourceLocation) async {
            do {
                let frame = try await inbound.next()
                #expect(frame == nil, "expected the connection to close", sourceLocation: sourceLocation)
            } catch {
                // Closed with an error (a reset): also a close.
            }
        }
    }

    /// A session that did not finish within its deadline (its connection was closed to end it).
    struct SessionTimedOut: Error {}

    /// A one-broker cluster that creates no topics on demand (so that unknown topics stay unknown).
    static func withBroker<T>(
        _ configuration: DevClusterConfiguration = .oneBroker(), _ body: (DevCluster) async throws -> T
    ) async throws -> T {
        try await DevCluster.withRunning(configuration, body)
    }

    static func withSession<T: Sendable>(
        _ broker: DevCluster, tls: NIOSSLContext? = nil, serverHostname: String? = nil,
        _ body: (inout Session) async throws -> T
    ) async throws -> T {
        let address = try #require(broker.brokers.first)
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try sync.addHandler(ByteToMessageHandler(KafkaFrameDecoder()))
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        // A session that hangs is ended after 60 s by closing its connection, so that it fails by name
        // instead of reaching the suite's time limit.
        let channel = connection.channel
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            try? await channel.close()
            return true
        }
        let result: Result<T, any Error>
        do {
            result = .success(
                try await connection.executeThenClose { inbound, outbound in
                    var session = Session(inbound: inbound.makeAsyncIterator(), outbound: outbound)
                    return try await body(&session)
                })
        } catch {
            result = .failure(error)
        }
        watchdog.cancel()
        if (try? await watchdog.value) == true { throw SessionTimedOut() }
        return try result.get()
    }

    // MARK: - ApiVersions, Metadata, FindCoordinator

    @Test func apiVersionsV3AdvertisesEveryAPIAndRecordsTheClientSoftware() async throws {
        try await Self.withBroker { broker in
            let versions = try await Self.withSession(broker) { try await $0.sendApiVersions(version: 3) }
            #expect(versions.errorCode == 0)
            // Exactly the implemented APIs, and the three the connection answers itself.
            let implemented = Set(DevAPIRegistry.handlers.keys.map(\.rawValue)).union([
                KafkaAPIKey.apiVersions.rawValue, KafkaAPIKey.saslHandshake.rawValue,
                KafkaAPIKey.saslAuthenticate.rawValue,
            ])
            #expect(versions.apiKeys.count == implemented.count)
            #expect(Set(versions.apiKeys.map(\.apiKey)) == implemented)
            let metadata = try #require(versions.apiKeys.first { $0.apiKey == KafkaAPIKey.metadata.rawValue })
            #expect(metadata.minVersion...metadata.maxVersion == MetadataRequest.validVersions)
            let seen = try #require(broker.receivedRequests.first)
            #expect(seen.apiKey == .apiVersions)
            #expect(seen.version == 3)
            #expect(seen.brokerID == 1)
            #expect(seen.clientID == "broker-tests")
            #expect(seen.correlationID == 1)
            #expect(seen.clientSoftwareName == "swift-kafka-tests")
            #expect(seen.clientSoftwareVersion == "1.2.3")
            #expect(broker.connectionCount == 1)
        }
    }

    @Test func anOldBrokerRefusesApiVersionsV3InTheV0Layout() async throws {
        var configuration = DevClusterConfiguration.oneBroker()
        configuration.apiVersions[.apiVersions] = 0...2
        try await Self.withBroker(configuration) { broker in
            try await Self.withSession(broker) { session in
                let id = try await session.write(ApiVersionsRequest(clientSoftwareName: "x"), version: 3)
                var frame = try await session.nextFrame()
                #expect(try ResponseHeader(from: &frame, version: 0).correlationId == id)
                // The body is exactly a v0 ApiVersions response.
                let refused = try ApiVersionsResponse.decode(from: frame, version: 0)
                #expect(KafkaErrorCode(rawValue: refused.errorCode) == .unsupportedVersion)
                #expect(
                    refused.apiKeys == [.init(apiKey: KafkaAPIKey.apiVersions.rawValue, minVersion: 0, maxVersion: 2)])

                let versions = try await session.sendApiVersions(version: 0)
                #expect(versions.errorCode == 0)
                let own = try #require(versions.apiKeys.first { $0.apiKey == KafkaAPIKey.apiVersions.rawValue })
                #expect(own.maxVersion == 2)
            }
        }
    }

    @Test func metadataDescribesTheBrokerAndItsTopics() async throws {
        var configuration = DevClusterConfiguration.oneBroker()
        configuration.firstNodeID = 7
        configuration.clusterID = "test-cluster"
        configuration.topics = ["orders": 3, "payments": 1]
        try await Self.withBroker(configuration) { broker in
            let port = try #require(broker.brokers.first?.port)
            try await Self.withSession(broker) { session in
                let all = try await session.send(MetadataRequest(topics: nil), version: 12)
                #expect(all.brokers.map(\.nodeId) == [7])
                #expect(all.brokers.first?.host == "127.0.0.1")
                #expect(all.brokers.first?.port == Int32(port))
                #expect(all.clusterId == "test-cluster")
                #expect(all.controllerId == 7)
                #expect(all.topics.map(\.name) == ["orders", "payments"])
                let orders = try #require(all.topics.first)
                #expect(orders.errorCode == 0)
                #expect(orders.topicId != .zero)
                #expect(orders.partitions.map(\.partitionIndex) == [0, 1, 2])
                #expect(
                    orders.partitions.allSatisfy { $0.leaderId == 7 && $0.leaderEpoch == 0 && $0.replicaNodes == [7] })

                let named = try await session.send(
                    MetadataRequest(topics: [.init(name: "orders"), .init(name: "missing")]), version: 9)
                #expect(named.topics.map(\.name) == ["orders", "missing"])
                #expect(named.topics.map(\.errorCode) == [0, KafkaErrorCode.unknownTopicOrPartition.rawValue])

                // Topic ids are stable, and a topic can be asked for by id.
                let byID = try await session.send(
                    MetadataRequest(topics: [.init(topicId: orders.topicId, name: nil)]), version: 12)
                #expect(byID.topics.map(\.name) == ["orders"])
                #expect(byID.topics.first?.topicId == orders.topicId)

                broker.failNext(.metadata, count: 1, error: .leaderNotAvailable)
                let both = MetadataRequest(topics: [.init(name: "orders"), .init(name: "payments")])
                let failed = try await session.send(both, version: 1)
                #expect(failed.topics.count == 2)
                #expect(failed.topics.allSatisfy { $0.errorCode == KafkaErrorCode.leaderNotAvailable.rawValue })
                let recovered = try await session.send(both, version: 1)
                #expect(recovered.topics.allSatisfy { $0.errorCode == 0 })
            }
        }
    }

    @Test func findCoordinatorAnswersItselfAlsoBatched() async throws {
        try await Self.withBroker { broker in
            let port = try #require(broker.brokers.first?.port)
            try await Self.withSession(broker) { session in
                let single = try await session.send(FindCoordinatorRequest(key: "group-a"), version: 3)
                #expect(single.errorCode == 0)
                #expect(single.nodeId == 1)
                #expect(single.port == Int32(port))

                let batched = try await session.send(
                    FindCoordinatorRequest(coordinatorKeys: ["group-a", "group-b"]), version: 4)
                #expect(batched.coordinators.map(\.key) == ["group-a", "group-b"])
                #expect(
                    batched.coordinators.allSatisfy { $0.nodeId == 1 && $0.errorCode == 0 && $0.host == "127.0.0.1" })

                broker.failNext(.findCoordinator, count: 2, error: .coordinatorNotAvailable)
                let failed = try await session.send(FindCoordinatorRequest(key: "group-a"), version: 2)
                #expect(KafkaErrorCode(rawValue: failed.errorCode) == .coordinatorNotAvailable)
                let failedBatch = try await session.send(FindCoordinatorRequest(coordinatorKeys: ["g"]), version: 6)
                #expect(failedBatch.coordinators.map(\.errorCode) == [KafkaErrorCode.coordinatorNotAvailable.rawValue])
                let found = try await session.send(FindCoordinatorRequest(key: "group-a"), version: 2)
                #expect(found.errorCode == 0)
            }
        }
    }

    @Test func anUnhandledAPIClosesTheConnection() async throws {
        #expect(DevAPIRegistry.handlers[.describeDelegationToken] == nil)
        try await Self.withBroker { broker in
            try await Self.withSession(broker) { session in
                _ = try await session.write(DescribeDelegationTokenRequest(), version: 1)
                await session.expectClosed()
            }
            #expect(broker.receivedRequests.map(\.apiKey) == [.describeDelegationToken])
        }
    }

    @Test func aVersionOutsideTheAdvertisedRangeClosesTheConnection() async throws {
        var configuration = DevClusterConfiguration.oneBroker()
        configuration.apiVersions[.metadata] = 9...12
        try await Self.withBroker(configuration) { broker in
            try await Self.withSession(broker) { session in
                let versions = try await session.sendApiVersions(version: 3)
                let metadata = try #require(versions.apiKeys.first { $0.apiKey == KafkaAPIKey.metadata.rawValue })
                #expect(metadata.minVersion...metadata.maxVersion == 9...12)
                #expect(try await session.send(MetadataRequest(topics: nil), version: 9).brokers.count == 1)
                _ = try await session.write(MetadataRequest(topics: nil), version: 8)
                await session.expectClosed()
            }
        }
    }
}

// MARK: - TLS

extension DevClusterConnectionTests {
    /// A TLS broker with freshly generated certificates, and the certificate files for clients.
    static func withTLSBroker(
        _ certificates: TestCertificates? = nil, requireClientCertificate: Bool = false,
        _ body: (DevCluster, TestCertificates, TestCertificates.Files) async throws -> Void
    ) async throws {
        let certificates = try certificates ?? TestCertificates()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-kafka-broker-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try certificates.writeFiles(to: directory)
        var configuration = DevClusterConfiguration.oneBroker()
        configuration.tls = try DevClusterConfiguration.tlsContext(
            certificateChainFile: files.serverCertificateFile, privateKeyFile: files.serverKeyFile,
            clientCertificateAuthorityFile: requireClientCertificate ? files.caFile : nil)
        try await withBroker(configuration) { try await body($0, certificates, files) }
    }

    /// ApiVersions v0 over TLS with `tls`: the response, or the error that ended the connection.
    static func apiVersionsOverTLS(
        _ broker: DevCluster, _ tls: KafkaTLSConfiguration, serverHostname: String?
    ) async throws -> Result<Int16, any Error> {
        let context = try tls.makeClientContext()
        do {
            let errorCode = try await withSession(broker, tls: context, serverHostname: serverHostname) {
                try await $0.sendApiVersions(version: 0).errorCode
            }
            return .success(errorCode)
        } catch {
            return .failure(error)
        }
    }

    @Test func tlsHandshakeSucceedsWithTheRightCA() async throws {
        try await Self.withTLSBroker { broker, _, files in
            var tls = KafkaTLSConfiguration()
            tls.caFile = files.caFile
            // By name (DNS SAN) and by address (IP SAN, verified without SNI).
            let byName = try await Self.apiVersionsOverTLS(broker, tls, serverHostname: "localhost")
            #expect(try byName.get() == 0)
            let host = try #require(broker.brokers.first?.host)
            let byAddress = try await Self.apiVersionsOverTLS(
                broker, tls, serverHostname: KafkaTLSConfiguration.serverHostname(for: host))
            #expect(try byAddress.get() == 0)
            #expect(broker.receivedRequests.count == 2)
        }
    }

    @Test func tlsHandshakeFailsWithAnotherCA() async throws {
        try await Self.withTLSBroker { broker, certificates, _ in
            var tls = KafkaTLSConfiguration()
            tls.caPEM = certificates.otherCACertificatePEM
            let outcome = try await Self.apiVersionsOverTLS(broker, tls, serverHostname: "localhost")
            #expect(throws: (any Error).self) { try outcome.get() }
            #expect(broker.receivedRequests.isEmpty)
            // Without certificate verification the same client gets through.
            tls.verifyCertificate = false
            #expect(try await Self.apiVersionsOverTLS(broker, tls, serverHostname: "localhost").get() == 0)
        }
    }

    @Test func tlsHostnameVerificationRejectsANameNotInTheCertificate() async throws {
        // Without an IP address SAN: NIOSSL accepts a certificate whose IP SAN matches the connected
        // address whatever the host name asked for.
        let certificates = try TestCertificates(serverDNSNames: ["localhost"], serverIPAddresses: [])
        try await Self.withTLSBroker(certificates) { broker, _, files in
            var tls = KafkaTLSConfiguration()
            tls.caFile = files.caFile
            let outcome = try await Self.apiVersionsOverTLS(broker, tls, serverHostname: "kafka.example.com")
            #expect(throws: (any Error).self) { try outcome.get() }
            #expect(broker.receivedRequests.isEmpty)
            #expect(try await Self.apiVersionsOverTLS(broker, tls, serverHostname: "localhost").get() == 0)
            tls.verifyHostname = false
            #expect(try await Self.apiVersionsOverTLS(broker, tls, serverHostname: "kafka.example.com").get() == 0)
        }
    }

    @Test func mutualTLSRequiresATrustedClientCertificate() async throws {
        try await Self.withTLSBroker(requireClientCertificate: true) { broker, certificates, files in
            var tls = KafkaTLSConfiguration()
            tls.caFile = files.caFile
            let withoutCertificate = try await Self.apiVersionsOverTLS(broker, tls, serverHostname: "localhost")
            #expect(throws: (any Error).self) { try withoutCertificate.get() }

            tls.certificatePEM = certificates.untrustedClientCertificatePEM
            tls.keyPEM = certificates.untrustedClientKeyPEM
            let untrusted = try await Self.apiVersionsOverTLS(broker, tls, serverHostname: "localhost")
            #expect(throws: (any Error).self) { try untrusted.get() }
            #expect(broker.receivedRequests.isEmpty)

            tls.certificatePEM = nil
            tls.keyPEM = nil
            tls.certificateFile = files.clientCertificateFile
            tls.keyFile = files.clientKeyFile
            #expect(try await Self.apiVersionsOverTLS(broker, tls, serverHostname: "localhost").get() == 0)
            #expect(broker.receivedRequests.count == 1)
        }
    }
}

// MARK: - SASL

extension DevClusterConnectionTests {
    static func saslBroker() -> DevClusterConfiguration {
        var configuration = DevClusterConfiguration.oneBroker()
        configuration.saslMechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
        configuration.users = ["alice": "wonderland"]
        return configuration
    }

    /// Runs SaslHandshake v1 and SaslAuthenticate v2 with `SASLClient`; returns the last response.
    static func authenticate(_ session: inout Session, _ credentials: SASLCredentials) async throws
        -> SaslAuthenticateResponse
    {
        let handshake = try await session.send(
            SaslHandshakeRequest(mechanism: credentials.mechanism.rawValue), version: 1)
        #expect(handshake.errorCode == 0)
        #expect(handshake.mechanisms == ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
        var client = SASLClient(credentials: credentials)
        var message = try client.start()
        while true {
            let response = try await session.send(
                SaslAuthenticateRequest(authBytes: ByteBuffer(bytes: message)), version: 2)
            guard response.errorCode == 0 else { return response }
            switch try client.receive(Array(buffer: response.authBytes)) {
            case .send(let next): message = next
            case .done: return response
            }
        }
    }

    @Test(arguments: [SASLMechanism.plain, .scramSHA256, .scramSHA512])
    func saslAuthenticationSucceedsAndUnlocksTheOtherAPIs(mechanism: SASLMechanism) async throws {
        try await Self.withBroker(Self.saslBroker()) { broker in
            try await Self.withSession(broker) { session in
                _ = try await session.sendApiVersions(version: 3)
                let credentials = SASLCredentials(mechanism: mechanism, username: "alice", password: "wonderland")
                let done = try await Self.authenticate(&session, credentials)
                #expect(done.errorCode == 0)
                let metadata = try await session.send(MetadataRequest(topics: nil), version: 12)
                #expect(metadata.brokers.count == 1)
            }
            #expect(broker.authenticatedUsers == ["alice"])
        }
    }

    @Test(arguments: [SASLMechanism.plain, .scramSHA256])
    func aWrongPasswordFailsAndClosesTheConnection(mechanism: SASLMechanism) async throws {
        try await Self.withBroker(Self.saslBroker()) { broker in
            try await Self.withSession(broker) { session in
                let credentials = SASLCredentials(mechanism: mechanism, username: "alice", password: "wrong")
                let failed = try await Self.authenticate(&session, credentials)
                #expect(KafkaErrorCode(rawValue: failed.errorCode) == .saslAuthenticationFailed)
                #expect(!(failed.errorMessage ?? "").isEmpty)
                await session.expectClosed()
            }
            #expect(broker.authenticatedUsers.isEmpty)
        }
    }

    @Test func saslRefusesUnknownMechanismsAndUnauthenticatedRequests() async throws {
        try await Self.withBroker(Self.saslBroker()) { broker in
            try await Self.withSession(broker) { session in
                let refused = try await session.send(SaslHandshakeRequest(mechanism: "GSSAPI"), version: 1)
                #expect(KafkaErrorCode(rawValue: refused.errorCode) == .unsupportedSaslMechanism)
                #expect(refused.mechanisms.contains("PLAIN"))
                await session.expectClosed()
            }
            try await Self.withSession(broker) { session in
                _ = try await session.write(MetadataRequest(topics: nil), version: 12)
                await session.expectClosed()
            }
            #expect(broker.connectionCount == 2)
        }
    }
}

// MARK: - Fault knobs

extension DevClusterConnectionTests {
    @Test func garbageAndOversizedFramesReplaceTheNextAnswers() async throws {
        try await Self.withBroker { broker in
            broker.respondWithGarbage(count: 1)
            try await Self.withSession(broker) { session in
                let id = try await session.write(ApiVersionsRequest(), version: 0)
                let garbage = try await session.nextFrame()
                #expect((8...64).contains(garbage.readableBytes))
                #expect(throws: (any Error).self) {
                    try KafkaFrame.decodeResponse(
                        to: ApiVersionsRequest.self, version: 0, frame: garbage, expectedCorrelationID: id)
                }
                #expect(try await session.send(ApiVersionsRequest(), version: 0).errorCode == 0)
            }
            broker.respondWithOversizedFrame(count: 1)
            try await Self.withSession(broker) { session in
                _ = try await session.write(ApiVersionsRequest(), version: 0)
                let error = await #expect(throws: KafkaProtocolError.self) { try await session.nextFrame() }
                #expect(error?.kind == .invalidLength)
            }
        }
    }

    @Test func closeConnectionOnNextClosesAndLaterConnectionsWork() async throws {
        try await Self.withBroker { broker in
            broker.closeConnection(count: 1)
            try await Self.withSession(broker) { session in
                _ = try await session.write(ApiVersionsRequest(), version: 0)
                await session.expectClosed()
            }
            let errorCode = try await Self.withSession(broker) {
                try await $0.send(ApiVersionsRequest(), version: 0).errorCode
            }
            #expect(errorCode == 0)
            #expect(broker.connectionCount == 2)
            #expect(broker.receivedRequests.count == 2)
        }
    }

    /// The correlation id of a response frame.
    static func correlationID(_ frame: ByteBuffer) throws -> Int32 {
        try #require(frame.getInteger(at: frame.readerIndex, endianness: .big, as: Int32.self))
    }

    @Test func droppedResponsesAreSkippedAndLaterOnesStillArrive() async throws {
        try await Self.withBroker { broker in
            broker.dropResponses(count: 1)
            try await Self.withSession(broker) { session in
                _ = try await session.write(ApiVersionsRequest(), version: 0)
                let second = try await session.write(ApiVersionsRequest(), version: 0)
                #expect(try Self.correlationID(try await session.nextFrame()) == second)
            }
            #expect(broker.receivedRequests.map(\.correlationID) == [1, 2])
        }
    }

    @Test func delayedResponsesKeepTheRequestOrder() async throws {
        try await Self.withBroker { broker in
            broker.delayResponses(by: .milliseconds(300))
            try await Self.withSession(broker) { session in
                let first = try await session.write(ApiVersionsRequest(), version: 0)
                // Once the broker has seen the first request (with its delay), answer the next at once.
                var waited = 0
                while broker.receivedRequests.isEmpty {
                    waited += 1
                    try #require(waited < 2000, "the broker never received the request")
                    try await Task.sleep(for: .milliseconds(5))
                }
                broker.delayResponses(by: .zero)
                let second = try await session.write(MetadataRequest(topics: nil), version: 12)
                #expect(try Self.correlationID(try await session.nextFrame()) == first)
                #expect(try Self.correlationID(try await session.nextFrame()) == second)
            }
        }
    }

    @Test func aFaultForOneAPILeavesTheOthersAloneAndTheLogKeepsTheNewest() async throws {
        var configuration = DevClusterConfiguration.oneBroker()
        configuration.requestLogLimit = 2
        try await Self.withBroker(configuration) { broker in
            broker.closeConnection(onNext: .metadata, count: 1)
            try await Self.withSession(broker) { session in
                #expect(try await session.send(ApiVersionsRequest(), version: 0).errorCode == 0)
                #expect(try await session.send(FindCoordinatorRequest(key: "g"), version: 3).errorCode == 0)
                _ = try await session.write(MetadataRequest(topics: nil), version: 12)
                await session.expectClosed()
            }
            #expect(broker.receivedRequests.map(\.apiKey) == [.findCoordinator, .metadata])
            #expect(broker.requestCount(.apiVersions) == 1)
            // The fault was used up: the next Metadata is answered.
            let brokers = try await Self.withSession(broker) {
                try await $0.send(MetadataRequest(topics: nil), version: 12).brokers.count
            }
            #expect(brokers == 1)
            #expect(broker.requestCount(.metadata) == 2)
        }
    }

    @Test func shutdownClosesOpenConnections() async throws {
        let broker = try await DevCluster(configuration: .oneBroker())
        try await Self.withSession(broker) { (session: inout Session) async throws in
            #expect(try await session.send(ApiVersionsRequest(), version: 0).errorCode == 0)
            await broker.shutdown()
            await session.expectClosed()
        }
        await broker.shutdown()  // A second shutdown does nothing.
    }
}

extension DevClusterConfiguration {
    /// One broker on a free port that creates no topics on demand.
    static func oneBroker() -> DevClusterConfiguration {
        var configuration = DevClusterConfiguration()
        configuration.autoCreateTopics = false
        return configuration
    }
}

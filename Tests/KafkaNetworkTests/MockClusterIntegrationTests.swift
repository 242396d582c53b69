import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import NIOPosix
import Testing

/// Our protocol layer against an independent peer: librdkafka's mock cluster, over real sockets.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct MockClusterIntegrationTests {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func connect(_ address: (host: String, port: Int)) async throws -> Connection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder()))
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Sends requests one at a time on one connection and decodes each response.
    struct Session {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var correlationID: Int32 = 0

        mutating func send<R: KafkaRequest>(_ request: R, version: Int16) async throws -> R.Response {
            correlationID += 1
            var frame = ByteBuffer()
            try KafkaFrame.encodeRequest(
                request, version: version, correlationID: correlationID, clientID: "swift-kafka-tests", into: &frame)
            try await outbound.write(frame)
            let response = try #require(try await inbound.next(), "connection closed before the response")
            return try KafkaFrame.decodeResponse(
                to: R.self, version: version, frame: response, expectedCorrelationID: correlationID
            ).response
        }

        /// ApiVersions, decoded with the fallback for brokers that refuse the version.
        mutating func sendApiVersions(_ request: ApiVersionsRequest, version: Int16) async throws
            -> ApiVersionsResponse
        {
            correlationID += 1
            var frame = ByteBuffer()
            try KafkaFrame.encodeRequest(
                request, version: version, correlationID: correlationID, clientID: "swift-kafka-tests", into: &frame)
            try await outbound.write(frame)
            var response = try #require(try await inbound.next(), "connection closed before the response")
            let header = try ResponseHeader(from: &response, version: 0)
            #expect(header.correlationId == correlationID)
            return try ApiVersionsResponse.decodeAllowingFallback(from: response, version: version)
        }
    }

    static func withSession<T: Sendable>(
        _ address: (host: String, port: Int), _ body: (inout Session) async throws -> T
    ) async throws -> T {
        let connection = try await connect(address)
        return try await connection.executeThenClose { inbound, outbound in
            var session = Session(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&session)
        }
    }

    /// The highest version both we and the broker support.
    static func negotiated<R: KafkaRequest>(_: R.Type, _ versions: ApiVersionsResponse) throws -> Int16 {
        let theirs = try #require(versions.apiKeys.first { $0.apiKey == R.apiKey.rawValue })
        let version = min(theirs.maxVersion, R.validVersions.upperBound)
        try #require(version >= max(theirs.minVersion, R.validVersions.lowerBound), "no common version for \(R.apiKey)")
        return version
    }

    @Test func negotiateVersionsAndReadMetadataOfAThreeBrokerCluster() async throws {
        let cluster = try MockKafkaCluster(brokers: 3)
        try cluster.createTopic("orders", partitions: 6, replicationFactor: 3)
        let address = try #require(cluster.brokerAddresses.first)
        try await Self.withSession(address) { session in
            // librdkafka 2.0.2's mock speaks ApiVersions up to v2: v3 is refused and we fall back to v0.
            let first = try await session.sendApiVersions(
                ApiVersionsRequest(clientSoftwareName: "swift-kafka", clientSoftwareVersion: "0.1"), version: 3)
            #expect(KafkaErrorCode(rawValue: first.errorCode) == .unsupportedVersion)
            let versions = try await session.sendApiVersions(ApiVersionsRequest(), version: 0)
            #expect(versions.errorCode == 0)
            #expect(versions.apiKeys.contains { $0.apiKey == KafkaAPIKey.produce.rawValue })
            let metadataVersion = try Self.negotiated(MetadataRequest.self, versions)
            let request = MetadataRequest(topics: [.init(name: "orders")])
            let metadata = try await session.send(request, version: metadataVersion)
            #expect(metadata.brokers.map(\.nodeId).sorted() == [1, 2, 3])
            #expect(Set(metadata.brokers.map(\.port)) == Set(cluster.brokerAddresses.map { Int32($0.port) }))
            let topic = try #require(metadata.topics.first)
            #expect(topic.name == "orders")
            #expect(topic.errorCode == 0)
            #expect(topic.partitions.count == 6)
            for partition in topic.partitions {
                #expect((1...3).contains(partition.leaderId))
                #expect(partition.replicaNodes.count == 3)
            }
        }
    }

    @Test func injectedErrorsAndMovedCoordinatorsAreSeen() async throws {
        let cluster = try MockKafkaCluster(brokers: 3)
        let address = try #require(cluster.brokerAddresses.first)
        try await Self.withSession(address) { session in
            let find = FindCoordinatorRequest(key: "payments", keyType: 0)
            cluster.pushRequestErrors(.findCoordinator, [.coordinatorNotAvailable])
            let failed = try await session.send(find, version: 2)
            #expect(KafkaErrorCode(rawValue: failed.errorCode) == .coordinatorNotAvailable)
            try cluster.setCoordinator(.group, key: "payments", broker: 3)
            let found = try await session.send(find, version: 2)
            #expect(found.errorCode == 0)
            #expect(found.nodeId == 3)
            #expect(found.port == Int32(cluster.brokerAddresses[2].port))
        }
    }

    @Test func aBrokerThatGoesDownClosesItsConnectionsAndComesBack() async throws {
        let cluster = try MockKafkaCluster(brokers: 2)
        let address = cluster.brokerAddresses[1]
        let request = ApiVersionsRequest()
        let before = try await Self.withSession(address) { try await $0.send(request, version: 0).errorCode }
        #expect(before == 0)
        try cluster.setBrokerDown(2)
        await #expect(throws: (any Error).self) {
            try await Self.withSession(address) { try await $0.send(request, version: 0).errorCode }
        }
        try cluster.setBrokerUp(2)
        let after = try await Self.withSession(address) { try await $0.send(request, version: 0).errorCode }
        #expect(after == 0)
    }
}

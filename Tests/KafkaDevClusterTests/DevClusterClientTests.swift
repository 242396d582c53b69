import Foundation
import KafkaDevCluster
import KafkaProtocol
import KafkaTestSupport
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import KafkaNetwork

/// The dev cluster over sockets, through this package's own client: version negotiation, metadata,
/// coordinators, TLS and SASL, and the fault controls.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DevClusterClientTests {
    static let logger = Logger(label: "dev-cluster-tests")

    static func start(brokers: Int = 3, _ configure: (inout DevClusterConfiguration) -> Void = { _ in })
        async throws -> DevCluster
    {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = brokers
        configure(&configuration)
        return try await DevCluster(configuration: configuration)
    }

    static func clientConfiguration(_ cluster: DevCluster) -> KafkaClientConfiguration {
        var configuration = KafkaClientConfiguration(
            bootstrapServers: cluster.brokers.map { BrokerAddress(host: $0.host, port: $0.port) })
        configuration.requestTimeout = .seconds(5)
        configuration.retryBackoff = .milliseconds(10)
        configuration.retryBackoffMax = .milliseconds(50)
        configuration.reconnectBackoff = .milliseconds(10)
        configuration.reconnectBackoffMax = .milliseconds(50)
        return configuration
    }

    static func connect(_ cluster: DevCluster, broker index: Int = 0, _ configuration: KafkaClientConfiguration? = nil)
        async throws -> BrokerConnection
    {
        let configuration = configuration ?? clientConfiguration(cluster)
        let settings = try ConnectionSettings(configuration: configuration)
        let broker = cluster.brokers[index]
        return try await BrokerConnection.connect(
            to: BrokerAddress(host: broker.host, port: broker.port), kind: .admin, settings: settings,
            logger: logger)
    }

    /// Runs `body` with a cluster started from `configuration` and a connection to its first broker (requests time
    /// out after `requestTimeout`), closing the connection and shutting the cluster down also when `body` throws.
    static func withConnection(
        _ configuration: DevClusterConfiguration, requestTimeout: Duration = .seconds(10),
        _ body: (DevCluster, BrokerConnection) async throws -> Void
    ) async throws {
        try await DevCluster.withRunning(configuration) { cluster in
            var client = clientConfiguration(cluster)
            client.requestTimeout = requestTimeout
            let connection = try await connect(cluster, client)
            do {
                try await body(cluster, connection)
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
        }
    }

    @Test func negotiatesEveryImplementedApiAtItsNewestVersion() async throws {
        let cluster = try await Self.start(brokers: 1)
        let connection = try await Self.connect(cluster)
        let ranges = connection.versions.brokerRanges
        #expect(ranges[.metadata] == MetadataRequest.validVersions)
        #expect(ranges[.produce] == ProduceRequest.validVersions)
        #expect(ranges[.fetch] == FetchRequest.validVersions)
        #expect(ranges[.joinGroup] == JoinGroupRequest.validVersions)
        #expect(ranges[.createTopics] == CreateTopicsRequest.validVersions)
        #expect(ranges[.apiVersions] == ApiVersionsRequest.validVersions)
        #expect(ranges[.saslHandshake] == SaslHandshakeRequest.validVersions)
        // APIs the dev cluster does not implement are not advertised.
        #expect(ranges[.describeDelegationToken] == nil)
        await connection.close()
        await cluster.shutdown()
    }

    @Test func metadataShowsBrokersTopicsAndLeadersSpreadOverBrokers() async throws {
        let cluster = try await Self.start { $0.topics = ["orders": 6] }
        let client = try KafkaClusterClient(configuration: Self.clientConfiguration(cluster))
        let metadata = try await client.metadata(for: ["orders"])
        #expect(metadata.brokers.count == 3)
        let partitions = try #require(metadata.topics["orders"]?.partitions)
        #expect(partitions.count == 6)
        #expect(Set(partitions.compactMap(\.leader)) == [1, 2, 3])
        // Our client does not ask for auto-creation; the topic stays unknown.
        let unknown = try await client.metadata(for: ["fresh"])
        #expect(unknown.topics["fresh"]?.partitions.isEmpty ?? true)
        #expect(cluster.topicNames == ["orders"])
        // Auto-creation when the request allows it, with the cluster's default partition count.
        let connection = try await Self.connect(cluster)
        let created = try await connection.send(
            MetadataRequest(topics: [MetadataRequest.MetadataRequestTopic(name: "fresh")], allowAutoTopicCreation: true)
        )
        // As Kafka: LEADER_NOT_AVAILABLE while the leaders are elected, then the topic.
        #expect(created.topics.first?.errorCode == KafkaErrorCode.leaderNotAvailable.rawValue)
        #expect(cluster.topicNames == ["fresh", "orders"])
        let described = try await connection.send(
            MetadataRequest(topics: [MetadataRequest.MetadataRequestTopic(name: "fresh")], allowAutoTopicCreation: true)
        )
        #expect(described.topics.first?.errorCode == 0)
        #expect(described.topics.first?.partitions.count == 1)
        let invalid = try await connection.send(
            MetadataRequest(
                topics: [MetadataRequest.MetadataRequestTopic(name: "bad/name")], allowAutoTopicCreation: true))
        #expect(invalid.topics.first?.errorCode == KafkaErrorCode.invalidTopicException.rawValue)
        await connection.close()
        await client.shutdown()
        await cluster.shutdown()
    }

    /// A broker that has just restarted answers Metadata with an empty cache, as Kafka's does until the
    /// controller's first UpdateMetadata: the client ignores those answers (Java's NetworkClient does too) and
    /// keeps the topic, instead of forgetting it.
    @Test func aRestartedBrokersEmptyMetadataIsIgnored() async throws {
        let cluster = try await Self.start(brokers: 1) { $0.topics = ["orders": 2] }
        var configuration = Self.clientConfiguration(cluster)
        configuration.retryBackoff = .milliseconds(20)
        let client = try KafkaClusterClient(configuration: configuration)
        #expect(try await client.metadata(for: ["orders"]).topics["orders"]?.partitions.count == 2)
        let broker = try #require(cluster.leader(topic: "orders", partition: 0))
        try await cluster.stopBroker(broker)
        try await cluster.startBroker(broker, emptyMetadataAnswers: 2)
        let before = cluster.requestCount(.metadata)
        client.invalidateMetadata(topic: "orders")
        // An empty answer is a retriable error (noBrokerAvailable), retried as callers retry any other.
        let metadata = try await client.withRetries(timeout: .seconds(10)) { _ in
            try await client.metadata(for: ["orders"])
        }
        #expect(metadata.topics["orders"]?.partitions.count == 2)
        #expect(metadata.brokers.count == 1)
        // The fault fired: the two empty answers were received (and ignored) before the real one.
        #expect(cluster.requestCount(.metadata) - before >= 3)
        await client.shutdown()
        await cluster.shutdown()
    }

    @Test func autoCreationCanBeTurnedOff() async throws {
        let cluster = try await Self.start(brokers: 1) { $0.autoCreateTopics = false }
        let connection = try await Self.connect(cluster)
        let request = MetadataRequest(
            topics: [MetadataRequest.MetadataRequestTopic(name: "absent")], allowAutoTopicCreation: true)
        let response = try await connection.send(request)
        #expect(response.topics.first?.errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
        #expect(cluster.topicNames.isEmpty)
        await connection.close()
        await cluster.shutdown()
    }

    @Test func findCoordinatorAnswersAStableBrokerAndFollowsMoves() async throws {
        let cluster = try await Self.start()
        let client = try KafkaClusterClient(configuration: Self.clientConfiguration(cluster))
        let first = try await client.coordinator(for: "group-a", type: .group)
        let again = try await client.coordinator(for: "group-a", type: .group)
        #expect(first == again)
        let other: Int32 = first.nodeID == 1 ? 2 : 1
        cluster.moveCoordinator(key: "group-a", to: other)
        client.invalidateCoordinator(for: "group-a", type: .group)
        let moved = try await client.coordinator(for: "group-a", type: .group)
        #expect(moved.nodeID == other)
        await client.shutdown()
        await cluster.shutdown()
    }

    @Test func injectedErrorsAnswerTheNextRequestsThenStop() async throws {
        let cluster = try await Self.start(brokers: 1) { $0.topics = ["t": 1] }
        let connection = try await Self.connect(cluster)
        cluster.failNext(.metadata, count: 2, error: .leaderNotAvailable)
        let request = MetadataRequest(topics: [MetadataRequest.MetadataRequestTopic(name: "t")])
        for _ in 0..<2 {
            let failed = try await connection.send(request)
            #expect(failed.topics.first?.errorCode == KafkaErrorCode.leaderNotAvailable.rawValue)
        }
        let healthy = try await connection.send(request)
        #expect(healthy.topics.first?.errorCode == 0)
        #expect(healthy.topics.first?.partitions.count == 1)
        #expect(cluster.requestCount(.metadata) == 3)
        await connection.close()
        await cluster.shutdown()
    }

    @Test func droppedAnswersTimeOutWhileLaterOnesStillArriveInOrder() async throws {
        let cluster = try await Self.start(brokers: 1)
        var configuration = Self.clientConfiguration(cluster)
        configuration.requestTimeout = .seconds(2)
        let connection = try await Self.connect(cluster, configuration)
        cluster.dropResponses(to: .describeCluster, count: 1)
        let dropped = try connection.write(DescribeClusterRequest())
        let error = await #expect(throws: KafkaNetworkError.self) { try await dropped.response() }
        #expect(error?.kind == .requestTimedOut)
        await connection.close()
        await cluster.shutdown()
    }

    @Test func delayedAnswersArriveLate() async throws {
        let cluster = try await Self.start(brokers: 1)
        let connection = try await Self.connect(cluster)
        cluster.delayResponses(to: .describeCluster, by: .milliseconds(200))
        let clock = ContinuousClock()
        let started = clock.now
        let response = try await connection.send(DescribeClusterRequest())
        #expect(clock.now - started >= .milliseconds(200))
        #expect(response.brokers.count == 1)
        await connection.close()
        await cluster.shutdown()
    }

    @Test func stoppingABrokerMovesLeadersAndStartingItAgainServesOnTheSamePort() async throws {
        let cluster = try await Self.start { $0.topics = [:] }
        try cluster.createTopic("replicated", partitions: 3, replicationFactor: 2)
        let leadersBefore = (0..<3).compactMap { cluster.leader(topic: "replicated", partition: $0) }
        #expect(leadersBefore.contains(2))
        let port = try #require(cluster.brokers.first { $0.nodeID == 2 }?.port)
        try await cluster.stopBroker(2)
        let leadersAfter = (0..<3).compactMap { cluster.leader(topic: "replicated", partition: $0) }
        #expect(!leadersAfter.contains(2))
        #expect(!leadersAfter.contains(-1))
        #expect(cluster.brokers.first { $0.nodeID == 2 }?.isUp == false)
        let client = try KafkaClusterClient(configuration: Self.clientConfiguration(cluster))
        let metadata = try await client.metadata(for: ["replicated"])
        #expect(metadata.brokers.count == 2)
        try await cluster.startBroker(2)
        #expect(cluster.brokers.first { $0.nodeID == 2 }?.port == port)
        let connection = try await Self.connect(cluster, broker: 1)
        #expect(connection.nodeID == nil || connection.nodeID == 2)
        await connection.close()
        await client.shutdown()
        await cluster.shutdown()
    }

    @Test func moveLeaderBumpsTheEpoch() async throws {
        let cluster = try await Self.start { $0.topics = ["m": 1] }
        let client = try KafkaClusterClient(configuration: Self.clientConfiguration(cluster))
        let before = try #require(try await client.metadata(for: ["m"]).topics["m"]?.partitions[0])
        let target: Int32 = before.leader == 3 ? 1 : 3
        try cluster.moveLeader(topic: "m", partition: 0, to: target)
        client.invalidateMetadata(topic: "m")
        let after = try #require(try await client.metadata(for: ["m"]).topics["m"]?.partitions[0])
        #expect(after.leader == target)
        #expect((after.leaderEpoch ?? -1) > (before.leaderEpoch ?? -1))
        #expect(throws: DevCluster.DevClusterError.self) { try cluster.moveLeader(topic: "m", partition: 7, to: 1) }
        await client.shutdown()
        await cluster.shutdown()
    }

    @Test func malformedFramesCloseTheConnectionAndTheClusterKeepsServing() async throws {
        let cluster = try await Self.start(brokers: 1)
        let port = cluster.brokers[0].port
        for garbage: [UInt8] in [
            [0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF],  // unknown API key
            [0, 0, 0, 2, 0, 3],  // truncated header
            [0x7F, 0xFF, 0xFF, 0xFF, 1],  // absurd size
            [0, 0, 0, 12, 0, 3, 0, 12, 0, 0, 0, 1, 0, 1, 0x41, 0x01],  // Metadata v12 with a broken body
        ] {
            let closed = try await Self.sendRaw(garbage, port: port)
            #expect(closed, "the connection should close after \(garbage)")
        }
        let connection = try await Self.connect(cluster)
        let response = try await connection.send(DescribeClusterRequest())
        #expect(response.brokers.count == 1)
        await connection.close()
        await cluster.shutdown()
    }

    /// Writes `bytes` on a fresh connection and reports whether the server closed it (within 5 s).
    static func sendRaw(_ bytes: [UInt8], port: Int) async throws -> Bool {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        let deadline = ContinuousClock.now + .seconds(5)
        while channel.isActive && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let closed = !channel.isActive
        try? await channel.close()
        return closed
    }

    @Test func tlsAndSaslScramEndToEnd() async throws {
        let certificates = try TestCertificates()
        let files = try certificates.writeFiles(to: NSTemporaryDirectory() + "dev-cluster-tls-\(UUID().uuidString)")
        let cluster = try await Self.start(brokers: 2) {
            $0.tls = try? DevClusterConfiguration.tlsContext(
                certificateChainFile: files.serverCertificateFile, privateKeyFile: files.serverKeyFile)
            $0.saslMechanisms = ["PLAIN", "SCRAM-SHA-512"]
            $0.users = ["alice": "alice-secret"]
            $0.topics = ["secure": 2]
        }
        var configuration = Self.clientConfiguration(cluster)
        configuration.bootstrapServers = cluster.brokers.map { BrokerAddress(host: "localhost", port: $0.port) }
        configuration.securityProtocol = .saslSSL
        configuration.tls.caFile = files.caFile
        configuration.sasl = SASLCredentials(mechanism: .scramSHA512, username: "alice", password: "alice-secret")
        let client = try KafkaClusterClient(configuration: configuration)
        let metadata = try await client.metadata(for: ["secure"])
        #expect(metadata.topics["secure"]?.partitions.count == 2)
        await client.shutdown()

        configuration.sasl = SASLCredentials(mechanism: .plain, username: "alice", password: "wrong")
        configuration.bootstrapServers = [configuration.bootstrapServers[0]]
        let error = await #expect(throws: KafkaNetworkError.self) {
            _ = try await Self.connect(cluster, configuration)
        }
        #expect(error?.kind == .authenticationFailed)
        await cluster.shutdown()
    }
}

extension DevClusterClientTests {
    @Test func droppedConnectionsAreReestablishedByTheClient() async throws {
        let cluster = try await Self.start(brokers: 2) { $0.topics = ["d": 2] }
        let connection = try await Self.connect(cluster)
        await cluster.dropConnections()
        let deadline = ContinuousClock.now + .seconds(5)
        var failed = false
        while !failed && ContinuousClock.now < deadline {
            do {
                _ = try await connection.send(DescribeClusterRequest())
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                failed = true
            }
        }
        #expect(failed, "the dropped connection should fail")
        let client = try KafkaClusterClient(configuration: Self.clientConfiguration(cluster))
        let metadata = try await client.metadata(for: ["d"])
        #expect(metadata.topics["d"]?.partitions.count == 2)
        await client.shutdown()
        await cluster.shutdown()
    }
}

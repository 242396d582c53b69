import KafkaProtocol
import KafkaTestSupport
import Logging
import Testing

@testable import KafkaNetwork

/// The cluster client against librdkafka's 3-broker mock cluster: bootstrap, metadata, routing to
/// leaders and coordinators, injected errors, brokers going down and coming back.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ClusterClientIntegrationTests {
    static func configuration(_ cluster: MockKafkaCluster, extraBootstrap: [BrokerAddress] = [])
        -> KafkaClientConfiguration
    {
        var configuration = KafkaClientConfiguration(
            bootstrapServers: extraBootstrap
                + cluster.brokerAddresses.map { BrokerAddress(host: $0.host, port: $0.port) })
        configuration.clientID = "cluster-tests"
        configuration.retryBackoff = .milliseconds(20)
        configuration.retryBackoffMax = .milliseconds(200)
        configuration.reconnectBackoff = .milliseconds(20)
        configuration.reconnectBackoffMax = .milliseconds(200)
        configuration.requestTimeout = .seconds(5)
        configuration.connectionSetupTimeout = .seconds(5)
        return configuration
    }

    /// A mock cluster whose ListOffsets is limited to v0–v2: librdkafka 2.0.2's mock answers v3+
    /// with 4 stray trailing bytes (its own client never sends those versions).
    static func mockCluster(brokers: Int) throws -> MockKafkaCluster {
        let cluster = try MockKafkaCluster(brokers: brokers)
        try cluster.setSupportedVersions(.listOffsets, min: 0, max: 2)
        return cluster
    }

    /// ListOffsets (latest) for one partition, routed to its leader, with retries.
    static func latestOffset(_ client: KafkaClusterClient, topic: String, partition: Int32) async throws -> Int64 {
        var request = ListOffsetsRequest()
        request.replicaId = -1
        request.topics = [
            .init(name: topic, partitions: [.init(partitionIndex: partition, timestamp: -1, maxNumOffsets: 1)])
        ]
        let response = try await client.sendWithRetries(
            request, to: .leader(topic: topic, partition: partition), kind: .fetch
        ) { response in
            for topicResponse in response.topics {
                for entry in topicResponse.partitions where entry.errorCode != 0 {
                    return KafkaError(
                        code: KafkaErrorCode(rawValue: entry.errorCode), api: .listOffsets, topic: topic,
                        partition: entry.partitionIndex)
                }
            }
            return nil
        }
        let entry = try #require(response.topics.first?.partitions.first)
        return entry.offset
    }

    @Test func bootstrapsPastAnUnreachableServerAndReadsMetadata() async throws {
        let cluster = try Self.mockCluster(brokers: 3)
        try cluster.createTopic("orders", partitions: 6, replicationFactor: 3)
        // Port 1 on loopback refuses connections: the client moves on to the next entry.
        let client = try KafkaClusterClient(
            configuration: Self.configuration(cluster, extraBootstrap: [BrokerAddress(host: "127.0.0.1", port: 1)]))
        defer { Task { await client.shutdown() } }
        let metadata = try await client.metadata(for: ["orders"])
        #expect(metadata.brokers.count == 3)
        let topic = try #require(metadata.topics["orders"])
        #expect(topic.partitions.count == 6)
        for partition in topic.partitions {
            #expect(partition.leader != nil)
            #expect(partition.replicas.count == 3)
            #expect(metadata.leader(topic: "orders", partition: partition.partition) != nil)
        }
        #expect(metadata.controllerID != nil)
    }

    @Test func concurrentRefreshesCoalesce() async throws {
        let cluster = try Self.mockCluster(brokers: 3)
        try cluster.createTopic("orders", partitions: 3, replicationFactor: 1)
        let client = try KafkaClusterClient(configuration: Self.configuration(cluster))
        defer { Task { await client.shutdown() } }
        _ = try await client.metadata(for: ["orders"])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { try await client.refreshMetadata() } }
            try await group.waitForAll()
        }
        #expect(client.cachedMetadata.topics["orders"]?.partitions.count == 3)
    }

    @Test func routesToLeadersAndFollowsAMovedLeader() async throws {
        let cluster = try Self.mockCluster(brokers: 3)
        try cluster.createTopic("moves", partitions: 1, replicationFactor: 3)
        let client = try KafkaClusterClient(configuration: Self.configuration(cluster))
        defer { Task { await client.shutdown() } }
        let before = try await client.metadata(for: ["moves"])
        let leader = try #require(before.partition(topic: "moves", partition: 0)?.leader)
        #expect(try await Self.latestOffset(client, topic: "moves", partition: 0) == 0)

        // The leader moves; the cached metadata still names the old one, which now answers
        // NOT_LEADER_OR_FOLLOWER. The client refreshes and retries on the new leader.
        let newLeader: Int32 = leader == 3 ? 1 : leader + 1
        try cluster.setLeader(topic: "moves", partition: 0, broker: newLeader)
        #expect(try await Self.latestOffset(client, topic: "moves", partition: 0) == 0)
        #expect(client.cachedMetadata.partition(topic: "moves", partition: 0)?.leader == newLeader)
    }

    @Test func injectedRetriableErrorsAreRetried() async throws {
        let cluster = try Self.mockCluster(brokers: 3)
        try cluster.createTopic("flaky", partitions: 1, replicationFactor: 1)
        let client = try KafkaClusterClient(configuration: Self.configuration(cluster))
        defer { Task { await client.shutdown() } }
        cluster.pushRequestErrors(
            .listOffsets, [.notLeaderOrFollower, .requestTimedOut, .leaderNotAvailable])
        #expect(try await Self.latestOffset(client, topic: "flaky", partition: 0) == 0)
    }

    @Test func nonRetriableErrorsSurfaceAtOnce() async throws {
        let cluster = try Self.mockCluster(brokers: 1)
        try cluster.createTopic("denied", partitions: 1, replicationFactor: 1)
        let client = try KafkaClusterClient(configuration: Self.configuration(cluster))
        defer { Task { await client.shutdown() } }
        cluster.pushRequestErrors(.listOffsets, [.topicAuthorizationFailed])
        let error = try await #require(throws: KafkaError.self) {
            try await Self.latestOffset(client, topic: "denied", partition: 0)
        }
        #expect(error.code == .topicAuthorizationFailed)
        #expect(error.topic == "denied")
    }

    @Test func findsAndFollowsGroupCoordinators() async throws {
        let cluster = try Self.mockCluster(brokers: 3)
        try cluster.setCoordinator(.group, key: "payments", broker: 2)
        let client = try KafkaClusterClient(configuration: Self.configuration(cluster))
        defer { Task { await client.shutdown() } }
        cluster.pushRequestErrors(.findCoordinator, [.coordinatorNotAvailable])
        let coordinator = try await client.coordinator(for: "payments", type: .group)
        #expect(coordinator.nodeID == 2)

        let batch = try await client.lookUpCoordinators(for: ["a", "b", "payments"], type: .group)
        #expect(batch.count == 3)
        #expect(try batch["payments"]?.get().nodeID == 2)

        // The coordinator moves: the cached one answers NOT_COORDINATOR; the client looks it up
        // again and retries on the new coordinator.
        try cluster.setCoordinator(.group, key: "payments", broker: 3)
        // Heartbeat checks the coordinator: the old one answers NOT_COORDINATOR; the right one
        // answers about the (unknown) group instead, which proves the request reached it.
        var heartbeat = HeartbeatRequest()
        heartbeat.groupId = "payments"
        heartbeat.generationId = 1
        heartbeat.memberId = "nobody"
        let response = try await client.sendWithRetries(heartbeat, to: .groupCoordinator("payments"), kind: .group) {
            response in
            let code = KafkaErrorCode(rawValue: response.errorCode)
            return code.isCoordinatorError ? KafkaError(code: code, api: .heartbeat) : nil
        }
        let code = KafkaErrorCode(rawValue: response.errorCode)
        #expect(!code.isCoordinatorError)
        #expect(code == .groupIdNotFound || code == .unknownMemberId)
        #expect(try await client.coordinator(for: "payments", type: .group).nodeID == 3)
    }

    @Test func findsTransactionCoordinators() async throws {
        let cluster = try Self.mockCluster(brokers: 3)
        try cluster.setCoordinator(.transaction, key: "txn-1", broker: 3)
        let client = try KafkaClusterClient(configuration: Self.configuration(cluster))
        defer { Task { await client.shutdown() } }
        #expect(try await client.coordinator(for: "txn-1", type: .transaction).nodeID == 3)
        let connection = try await client.connection(to: .transactionCoordinator("txn-1"), kind: .produce)
        #expect(connection.nodeID == 3)
        #expect(connection.kind == .produce)
    }

    @Test func aBrokerGoingDownAndComingBackIsReconnectedWithBackoff() async throws {
        let cluster = try Self.mockCluster(brokers: 3)
        try cluster.createTopic("outage", partitions: 1, replicationFactor: 1)
        try cluster.setLeader(topic: "outage", partition: 0, broker: 2)
        var configuration = Self.configuration(cluster)
        configuration.retries = 1000
        let client = try KafkaClusterClient(configuration: configuration)
        defer { Task { await client.shutdown() } }
        #expect(try await Self.latestOffset(client, topic: "outage", partition: 0) == 0)

        try cluster.setBrokerDown(2)
        let pending = Task { try await Self.latestOffset(client, topic: "outage", partition: 0) }
        try await Task.sleep(for: .milliseconds(600))
        let address = try #require(client.cachedMetadata.broker(2)).address
        // On a loaded machine (the suite runs in parallel) the first attempt may take longer: wait up to 5 s.
        var failures = await client.pool.consecutiveFailures(of: address)
        let deadline = ContinuousClock.now + .seconds(5)
        while failures == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            failures = await client.pool.consecutiveFailures(of: address)
        }
        #expect(failures >= 1, "attempts while down were recorded")
        #expect(failures < 25, "backoff keeps attempts few (no busy loop): \(failures)")
        try cluster.setBrokerUp(2)
        #expect(try await pending.value == 0)
        #expect(await client.pool.consecutiveFailures(of: address) == 0)
    }

    @Test func aSlowBrokerTimesOutAndTheConnectionIsReplaced() async throws {
        let cluster = try Self.mockCluster(brokers: 1)
        try cluster.createTopic("slow", partitions: 1, replicationFactor: 1)
        var configuration = Self.configuration(cluster)
        // Long enough for a loaded machine's first Metadata, far below the delay.
        configuration.requestTimeout = .seconds(2)
        let client = try KafkaClusterClient(configuration: configuration)
        defer { Task { await client.shutdown() } }
        _ = try await client.metadata(for: ["slow"])
        try cluster.setRoundTripDelay(broker: 1, milliseconds: 8000)
        let error = try await #require(throws: KafkaNetworkError.self) {
            try await client.send(MetadataRequest(), to: .broker(1), kind: .admin)
        }
        #expect(error.kind == .requestTimedOut)
        try cluster.setRoundTripDelay(broker: 1, milliseconds: 0)
        let response = try await client.send(MetadataRequest(), to: .broker(1), kind: .admin)
        #expect(response.brokers.count == 1)
    }

    @Test func noReachableBrokerIsAClearError() async throws {
        var configuration = KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: 1)])
        configuration.retries = 0
        let client = try KafkaClusterClient(configuration: configuration)
        defer { Task { await client.shutdown() } }
        let error = try await #require(throws: KafkaNetworkError.self) { try await client.metadata(for: ["x"]) }
        #expect(error.kind == .noBrokerAvailable)
        #expect(error.message.contains("127.0.0.1:1"))
    }
}

extension BrokerMetadata {
    var address: BrokerAddress { BrokerAddress(host: host, port: port) }
}

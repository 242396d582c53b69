import KafkaAdmin
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Testing

/// alterPartitionReassignments, listPartitionReassignments and electLeaders against a three-broker dev cluster.
@Suite(.timeLimit(.minutes(3))) struct AdminReassignmentTests {
    static func key(_ topic: String, _ partition: Int32) -> TopicPartitionKey {
        TopicPartitionKey(topic: topic, partition: partition)
    }

    @Test("per-partition results of a reassignment, its listing while it runs, and its cancellation")
    func reassignments() async throws {
        try await AdminTests.withAdmin(brokers: 3) { cluster, admin in
            _ = try await admin.createTopics([
                NewTopic(name: "r", replicaAssignment: [0: [1]]), NewTopic(name: "s", replicaAssignment: [0: [2]]),
            ])
            // A throttle of 1 B/s on broker 3 keeps the move of s-0 (which holds records) running.
            let throttled = await admin.incrementalAlterConfigs([
                .broker(3): [.set(name: "follower.replication.throttled.rate", value: "1")],
                .topic("s"): [.set(name: "follower.replication.throttled.replicas", value: "0:3")],
            ])
            #expect(throttled.values.allSatisfy { (try? $0.get()) != nil })
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "s", lines: ["a", "b", "c"])
            let results = try await admin.alterPartitionReassignments([
                Self.key("r", 0): .replicas([2, 3]), Self.key("s", 0): .replicas([3]),
                Self.key("r", 5): .replicas([1]), Self.key("nope", 0): .replicas([1]),
            ])
            #expect(throws: Never.self) { try results[Self.key("r", 0)]?.get() }
            #expect(throws: Never.self) { try results[Self.key("s", 0)]?.get() }
            #expect(results[Self.key("r", 5)].flatMap { try? $0.get() } == nil)
            if case .failure(let error) = results[Self.key("nope", 0)] {
                #expect(error.code == .unknownTopicOrPartition)
                #expect(error.topicPartition == Self.key("nope", 0))
            } else {
                Issue.record("a missing topic was reassigned")
            }
            let listed = try await admin.listPartitionReassignments()
            #expect(
                listed == [
                    Self.key("s", 0): PartitionReassignment(
                        replicas: [3, 2], addingReplicas: [3], removingReplicas: [2])
                ])
            #expect(try await admin.listPartitionReassignments([Self.key("r", 0)]).isEmpty)
            let described = try await admin.describeTopics(["r", "s"])
            let r = try #require(try described["r"]?.get().partitions.first)
            #expect(r.replicas == [2, 3] && r.inSyncReplicas == [2, 3] && r.leader == 2)
            let s = try #require(try described["s"]?.get().partitions.first)
            #expect(s.replicas == [3, 2] && s.inSyncReplicas == [2] && s.leader == 2)

            let cancelled = try await admin.alterPartitionReassignments([
                Self.key("s", 0): .cancel, Self.key("r", 0): .cancel,
            ])
            #expect(throws: Never.self) { try cancelled[Self.key("s", 0)]?.get() }
            if case .failure(let error) = cancelled[Self.key("r", 0)] {
                #expect(error.code == .noReassignmentInProgress)
            } else {
                Issue.record("cancelled a reassignment that had completed")
            }
            #expect(try await admin.listPartitionReassignments().isEmpty)
        }
    }

    @Test(
        "electLeaders: PREFERRED after a restart, ELECTION_NOT_NEEDED, and UNCLEAN refused in one line by a v0 broker")
    func elections() async throws {
        try await AdminTests.withAdmin(brokers: 3) { cluster, admin in
            _ = try await admin.createTopics([NewTopic(name: "e", replicaAssignment: [0: [1, 2], 1: [2, 1]])])
            try await cluster.stopBroker(1)
            try await cluster.startBroker(1)
            let results = try await admin.electLeaders(.preferred, partitions: [Self.key("e", 0), Self.key("e", 1)])
            #expect(throws: Never.self) { try results[Self.key("e", 0)]?.get() }
            if case .failure(let error) = results[Self.key("e", 1)] {
                #expect(error.code == .electionNotNeeded)
            } else {
                Issue.record("partition 1 needed no election")
            }
            #expect(cluster.leader(topic: "e", partition: 0) == 1)
            #expect(try await admin.electLeaders(.preferred, partitions: nil).isEmpty)
        }
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 2
        configuration.apiVersions = [.electLeaders: 0...0]
        try await DevCluster.withRunning(configuration) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            _ = try await admin.createTopics([NewTopic(name: "old", replicaAssignment: [0: [1, 2]])])
            let preferred = try await admin.electLeaders(.preferred, partitions: [Self.key("old", 0)])
            #expect(throws: Never.self) { try preferred[Self.key("old", 0)]?.get() }
            await #expect {
                _ = try await admin.electLeaders(.unclean, partitions: [Self.key("old", 0)])
            } throws: { error in
                guard let error = error as? AdminError else { return false }
                return error.code == .unsupportedVersion
                    && error.message?.contains("UNCLEAN leader election needs ElectLeaders v1 or later (Kafka 2.4)")
                        == true
                    && error.message?.contains("supports only ElectPreferredLeaders v0–v0") == true
            }
            await admin.close()
        }
    }
}

import KafkaAdmin
import KafkaNetwork
import KafkaProtocol
import Testing

@testable import KafkaDevCluster

/// Topics, partitions and the cluster through the admin client, on the in-process dev cluster.
@Suite(.timeLimit(.minutes(5))) struct AdminTopicsTests {
    @Test func createsTopicsWithCountsAssignmentsAndConfigs() async throws {
        try await AdminTests.withAdmin(brokers: 3) { cluster, admin in
            let results = try await admin.createTopics([
                NewTopic(name: "counted", partitions: 3, replicationFactor: 2),
                NewTopic(name: "placed", replicaAssignment: [0: [2, 3], 1: [3, 1]]),
                NewTopic(name: "defaults", configs: ["retention.ms": "1000"]),
            ])
            #expect(results.count == 3)
            let counted = try #require(try results["counted"]?.get())
            #expect(counted.partitions == 3)
            #expect(counted.replicationFactor == 2)
            #expect(counted.topicID != nil)
            let defaults = try #require(try results["defaults"]?.get())
            #expect(defaults.partitions == 1)  // the dev cluster's num.partitions
            #expect(defaults.configs?.first { $0.name == "retention.ms" }?.value == "1000")
            #expect(defaults.configs?.first { $0.name == "retention.ms" }?.source == .dynamicTopicConfig)
            _ = try #require(try results["placed"]?.get())
            #expect(cluster.topicNames == ["counted", "defaults", "placed"])

            let described = try await admin.describeTopics(["counted", "placed"])
            let countedTopic = try #require(try described["counted"]?.get())
            #expect(countedTopic.partitions.map(\.partition) == [0, 1, 2])
            #expect(countedTopic.partitions.allSatisfy { $0.replicas.count == 2 })
            let placed = try #require(try described["placed"]?.get())
            #expect(placed.partitions.map(\.replicas) == [[2, 3], [3, 1]])
            #expect(placed.partitions.map(\.leader) == [2, 3])
        }
    }

    @Test func validateOnlyCreatesNothing() async throws {
        try await AdminTests.withAdmin(brokers: 3) { cluster, admin in
            let results = try await admin.createTopics(
                [NewTopic(name: "checked", partitions: 4, replicationFactor: 3), NewTopic(name: "bad", partitions: 0)],
                validateOnly: true)
            let checked = try #require(try results["checked"]?.get())
            #expect(checked.partitions == 4)
            #expect(checked.replicationFactor == 3)
            #expect(checked.topicID == nil)
            #expect(throws: AdminError.self) { try results["bad"]?.get() }
            #expect(cluster.topicNames.isEmpty)
            #expect(try await admin.listTopics().isEmpty)
        }
    }

    @Test func anExistingTopicFailsAloneWithTopicAlreadyExists() async throws {
        try await AdminTests.withAdmin(brokers: 1, topics: ["existing": 1]) { cluster, admin in
            let results = try await admin.createTopics([
                NewTopic(name: "existing", partitions: 2, replicationFactor: 1),
                NewTopic(name: "fresh", partitions: 2, replicationFactor: 1),
                NewTopic(name: "too-many-replicas", partitions: 1, replicationFactor: 3),
            ])
            #expect(throws: Never.self) { try #require(results["fresh"]).get() }
            guard case .failure(let error) = results["existing"] else {
                Issue.record("creating an existing topic succeeded: \(String(describing: results["existing"]))")
                return
            }
            #expect(error.code == .topicAlreadyExists)
            #expect(error.api == .createTopics)
            #expect(error.resourceKind == .topic)
            #expect(error.resourceName == "existing")
            #expect("\(error)".contains("TOPIC_ALREADY_EXISTS"))
            #expect("\(error)".contains("'existing'"))
            guard case .failure(let replication) = results["too-many-replicas"] else {
                Issue.record("three replicas on one broker were accepted")
                return
            }
            #expect(replication.code == .invalidReplicationFactor)
            #expect(cluster.topicNames == ["existing", "fresh"])
        }
    }

    @Test func emptyNamesFailWithoutBeingSent() async throws {
        try await AdminTests.withAdmin(brokers: 1) { cluster, admin in
            let results = try await admin.createTopics([NewTopic(name: "", partitions: 1, replicationFactor: 1)])
            guard case .failure(let error) = results[""] else {
                Issue.record("an empty topic name was accepted")
                return
            }
            #expect(error.code == .invalidTopicException)
            #expect(cluster.requestCount(.createTopics) == 0)
        }
    }

    @Test func createTopicsRetriesNotControllerOnTheController() async throws {
        try await AdminTests.withAdmin(brokers: 3) { cluster, admin in
            cluster.failNext(.createTopics, error: .notController)
            let results = try await admin.createTopics([NewTopic(name: "moved", partitions: 1, replicationFactor: 1)])
            #expect(throws: Never.self) { try #require(results["moved"]).get() }
            #expect(cluster.requestCount(.createTopics) == 2)
            #expect(cluster.topicNames == ["moved"])
        }
    }

    @Test func deletesTopicsAndReportsUnknownOnesAlone() async throws {
        try await AdminTests.withAdmin(brokers: 2, topics: ["gone": 2, "kept": 1]) { cluster, admin in
            let results = try await admin.deleteTopics(["gone", "missing"])
            #expect(results.count == 2)
            #expect(throws: Never.self) { try #require(results["gone"]).get() }
            guard case .failure(let error) = results["missing"] else {
                Issue.record("deleting an unknown topic succeeded")
                return
            }
            #expect(error.code == .unknownTopicOrPartition)
            #expect(error.api == .deleteTopics)
            #expect(error.resourceName == "missing")
            #expect(cluster.topicNames == ["kept"])
            #expect(try await admin.listTopics() == ["kept"])
        }
    }

    @Test func createPartitionsGrowsAndRefusesToShrink() async throws {
        try await AdminTests.withAdmin(brokers: 2, topics: ["grow": 2, "shrink": 3, "placed": 1]) { _, admin in
            let results = try await admin.createPartitions(["grow": 4, "shrink": 1, "missing": 2])
            #expect(throws: Never.self) { try #require(results["grow"]).get() }
            guard case .failure(let shrink) = results["shrink"] else {
                Issue.record("shrinking a topic succeeded")
                return
            }
            #expect(shrink.code == .invalidPartitions)
            #expect(shrink.api == .createPartitions)
            guard case .failure(let missing) = results["missing"] else {
                Issue.record("growing an unknown topic succeeded")
                return
            }
            #expect(missing.code == .unknownTopicOrPartition)

            let placed = try await admin.createPartitions(
                ["placed": NewPartitions(totalCount: 3, assignments: [[2], [1]])])
            #expect(throws: Never.self) { try #require(placed["placed"]).get() }

            let checked = try await admin.createPartitions(["grow": 10], validateOnly: true)
            #expect(throws: Never.self) { try #require(checked["grow"]).get() }

            let described = try await admin.describeTopics(["grow", "shrink", "placed"])
            #expect(try described["grow"]?.get().partitions.count == 4)
            #expect(try described["shrink"]?.get().partitions.count == 3)
            #expect(try described["placed"]?.get().partitions.map(\.replicas).dropFirst() == [[2], [1]])
        }
    }

    @Test func listTopicsLeavesOutInternalTopicsUnlessAsked() async throws {
        try await AdminTests.withAdmin(brokers: 1, topics: ["b": 1, "a": 2]) { cluster, admin in
            try cluster.createTopic("__consumer_offsets", partitions: 1)
            cluster.core.mutate { $0.topics["__consumer_offsets"]?.isInternal = true }
            #expect(try await admin.listTopics() == ["a", "b"])
            #expect(try await admin.listTopics(includeInternal: true) == ["__consumer_offsets", "a", "b"])
            let described = try await admin.describeTopics(["__consumer_offsets", "a"])
            #expect(try described["__consumer_offsets"]?.get().isInternal == true)
            #expect(try described["a"]?.get().isInternal == false)
        }
    }

    @Test func describeTopicsMatchesTheClusterAndReportsUnknownTopicsAlone() async throws {
        try await AdminTests.withAdmin(brokers: 3) { cluster, admin in
            let created = try await admin.createTopics([NewTopic(name: "orders", partitions: 6, replicationFactor: 3)])
            _ = try created["orders"]?.get()
            let results = try await admin.describeTopics(["orders", "nope"])
            let orders = try #require(try results["orders"]?.get())
            #expect(orders.name == "orders")
            #expect(orders.topicID != nil)
            #expect(orders.partitions.count == 6)
            for partition in orders.partitions {
                #expect(partition.leader == cluster.leader(topic: "orders", partition: partition.partition))
                #expect(Set(partition.replicas) == [1, 2, 3])
                #expect(Set(partition.inSyncReplicas) == Set(partition.replicas))
                #expect(partition.leader.map(partition.replicas.contains) == true)
                #expect(partition.offlineReplicas.isEmpty)
                #expect(partition.error == nil)
            }
            guard case .failure(let error) = results["nope"] else {
                Issue.record("an unknown topic was described")
                return
            }
            #expect(error.code == .unknownTopicOrPartition)
            #expect(cluster.topicNames == ["orders"])  // describing does not create topics
        }
    }

    @Test func describeTopicsReportsOfflineReplicas() async throws {
        try await AdminTests.withAdmin(brokers: 3) { cluster, admin in
            _ = try await admin.createTopics([NewTopic(name: "spread", partitions: 3, replicationFactor: 3)])
            try await cluster.stopBroker(3)
            let described = try await admin.describeTopics(["spread"])
            let spread = try #require(try described["spread"]?.get())
            for partition in spread.partitions {
                #expect(partition.offlineReplicas == [3])
                #expect(partition.leader != 3)
                #expect(partition.leader == cluster.leader(topic: "spread", partition: partition.partition))
            }
        }
    }

    @Test func describeClusterListsBrokersAndTheController() async throws {
        try await AdminTests.withAdmin(brokers: 3) { cluster, admin in
            let description = try await admin.describeCluster()
            #expect(description.clusterID == "swift-kafka-dev-cluster")
            #expect(description.brokers.map(\.nodeID) == [1, 2, 3])
            for broker in description.brokers {
                let expected = try #require(cluster.brokers.first { $0.nodeID == broker.nodeID })
                #expect(broker.host == expected.host)
                #expect(broker.port == expected.port)
            }
            let controller = try #require(description.controller)
            #expect(description.controllerID == controller.nodeID)
            #expect([1, 2, 3].contains(controller.nodeID))
            #expect(cluster.requestCount(.describeCluster) >= 1)
        }
    }
}

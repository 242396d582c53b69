import KafkaProtocol
import Testing

@testable import KafkaDevCluster

/// CreateTopics, DeleteTopics and CreatePartitions through ``HandlerHarness``.
@Suite(.timeLimit(.minutes(5))) struct TopicAdminHandlerTests {
    typealias Topic = CreateTopicsRequest.CreatableTopic

    static func create(_ topics: [Topic], validateOnly: Bool = false) -> CreateTopicsRequest {
        CreateTopicsRequest(topics: topics, timeoutMs: 1000, validateOnly: validateOnly)
    }

    @Test func createAtHighestVersionReportsEffectiveConfigs() throws {
        var harness = HandlerHarness()
        let request = Self.create([
            Topic(
                name: "orders", numPartitions: 3, replicationFactor: 2,
                configs: [.init(name: "cleanup.policy", value: "compact")])
        ])
        let response = try harness.respond(CreateTopicsHandler.self, request, version: 7)
        let result = try #require(response.topics.first)
        #expect(result.errorCode == 0)
        #expect(result.errorMessage == nil)
        #expect(result.numPartitions == 3)
        #expect(result.replicationFactor == 2)
        let topic = try #require(harness.state.topics["orders"])
        #expect(result.topicId == topic.id)
        #expect(topic.partitions.count == 3)
        #expect(topic.partitions.allSatisfy { $0.replicas.count == 2 })
        #expect(topic.configs == ["cleanup.policy": "compact"])
        let configs = try #require(result.configs)
        let policy = try #require(configs.first { $0.name == "cleanup.policy" })
        #expect(policy.value == "compact")
        #expect(policy.configSource == DevConfigSource.dynamicTopicConfig.rawValue)
        let maxBytes = try #require(configs.first { $0.name == "max.message.bytes" })
        #expect(maxBytes.value == "1048588")
        #expect(maxBytes.configSource == DevConfigSource.defaultConfig.rawValue)
    }

    @Test func createAtVersionZero() throws {
        var harness = HandlerHarness()
        let response = try harness.respond(
            CreateTopicsHandler.self, Self.create([Topic(name: "v0", numPartitions: 2, replicationFactor: 1)]),
            version: 0)
        #expect(response.topics.map(\.errorCode) == [0])
        #expect(harness.state.topics["v0"]?.partitions.count == 2)
    }

    @Test func defaultsFromVersionFourOnly() throws {
        var harness = HandlerHarness { $0.defaultPartitions = 4 }
        let topic = Topic(name: "dflt", numPartitions: -1, replicationFactor: -1)
        let v3 = try harness.respond(CreateTopicsHandler.self, Self.create([topic]), version: 3)
        #expect(v3.topics.first?.errorCode == KafkaErrorCode.invalidPartitions.rawValue)
        let v4 = try harness.respond(CreateTopicsHandler.self, Self.create([topic]), version: 4)
        #expect(v4.topics.first?.errorCode == 0)
        #expect(harness.state.topics["dflt"]?.partitions.count == 4)
    }

    @Test func createErrors() throws {
        var harness = HandlerHarness()
        harness.state.createTopic("exists", partitions: 1, replicationFactor: 1)
        let request = Self.create([
            Topic(name: "bad name!", numPartitions: 1, replicationFactor: 1),
            Topic(name: "exists", numPartitions: 1, replicationFactor: 1),
            Topic(name: "zero", numPartitions: 0, replicationFactor: 1),
            Topic(name: "toomany", numPartitions: 1, replicationFactor: 4),
            Topic(
                name: "unknown-config", numPartitions: 1, replicationFactor: 1,
                configs: [.init(name: "nope", value: "1")]),
            Topic(
                name: "bad-value", numPartitions: 1, replicationFactor: 1,
                configs: [.init(name: "retention.ms", value: "soon")]),
            Topic(name: "twice", numPartitions: 1, replicationFactor: 1),
            Topic(name: "twice", numPartitions: 2, replicationFactor: 1),
            Topic(
                name: "manual-with-count", numPartitions: 2, replicationFactor: -1,
                assignments: [.init(partitionIndex: 0, brokerIds: [1])]),
            Topic(
                name: "manual-unknown-broker", numPartitions: -1, replicationFactor: -1,
                assignments: [.init(partitionIndex: 0, brokerIds: [9])]),
            Topic(
                name: "manual-gap", numPartitions: -1, replicationFactor: -1,
                assignments: [.init(partitionIndex: 1, brokerIds: [1])]),
        ])
        let response = try harness.respond(CreateTopicsHandler.self, request, version: 7)
        let codes = Dictionary(response.topics.map { ($0.name, $0.errorCode) }, uniquingKeysWith: { a, _ in a })
        #expect(response.topics.count == 10)
        #expect(codes["bad name!"] == KafkaErrorCode.invalidTopicException.rawValue)
        #expect(codes["exists"] == KafkaErrorCode.topicAlreadyExists.rawValue)
        #expect(codes["zero"] == KafkaErrorCode.invalidPartitions.rawValue)
        #expect(codes["toomany"] == KafkaErrorCode.invalidReplicationFactor.rawValue)
        #expect(codes["unknown-config"] == KafkaErrorCode.invalidConfig.rawValue)
        #expect(codes["bad-value"] == KafkaErrorCode.invalidConfig.rawValue)
        #expect(codes["twice"] == KafkaErrorCode.invalidRequest.rawValue)
        #expect(codes["manual-with-count"] == KafkaErrorCode.invalidRequest.rawValue)
        #expect(codes["manual-unknown-broker"] == KafkaErrorCode.invalidReplicaAssignment.rawValue)
        #expect(codes["manual-gap"] == KafkaErrorCode.invalidReplicaAssignment.rawValue)
        let badValue = response.topics.first { $0.name == "bad-value" }
        #expect(badValue?.errorMessage?.contains("retention.ms") == true)
        #expect(Set(harness.state.topics.keys) == ["exists"])
    }

    @Test func manualAssignmentAndCollision() throws {
        var harness = HandlerHarness()
        let request = Self.create([
            Topic(
                name: "a.b", numPartitions: -1, replicationFactor: -1,
                assignments: [
                    .init(partitionIndex: 1, brokerIds: [3, 1]), .init(partitionIndex: 0, brokerIds: [2, 3]),
                ])
        ])
        let response = try harness.respond(CreateTopicsHandler.self, request, version: 5)
        #expect(response.topics.first?.errorCode == 0)
        #expect(harness.state.topics["a.b"]?.partitions.map(\.replicas) == [[2, 3], [3, 1]])
        let collide = try harness.respond(
            CreateTopicsHandler.self, Self.create([Topic(name: "a_b", numPartitions: 1, replicationFactor: 1)]))
        #expect(collide.topics.first?.errorCode == KafkaErrorCode.invalidTopicException.rawValue)
    }

    @Test func validateOnlyCreatesNothing() throws {
        var harness = HandlerHarness()
        let request = Self.create([Topic(name: "dry", numPartitions: 2, replicationFactor: 3)], validateOnly: true)
        let response = try harness.respond(CreateTopicsHandler.self, request, version: 7)
        #expect(response.topics.first?.errorCode == 0)
        #expect(response.topics.first?.numPartitions == 2)
        #expect(response.topics.first?.topicId == .zero)
        #expect(harness.state.topics.isEmpty)
    }

    @Test func deleteByNameAtVersionZero() throws {
        var harness = HandlerHarness()
        harness.state.createTopic("gone", partitions: 1, replicationFactor: 1)
        let response = try harness.respond(
            DeleteTopicsHandler.self, DeleteTopicsRequest(topicNames: ["gone", "never"], timeoutMs: 100), version: 0)
        #expect(response.responses.map(\.errorCode) == [0, KafkaErrorCode.unknownTopicOrPartition.rawValue])
        #expect(response.responses.map(\.name) == ["gone", "never"])
        #expect(harness.state.topics["gone"] == nil)
    }

    @Test func deleteByNameAndIDAtVersionSix() throws {
        var harness = HandlerHarness()
        harness.state.createTopic("by-name", partitions: 1, replicationFactor: 1)
        harness.state.createTopic("by-id", partitions: 1, replicationFactor: 1)
        let id = try #require(harness.state.topics["by-id"]?.id)
        let nameID = try #require(harness.state.topics["by-name"]?.id)
        let request = DeleteTopicsRequest(
            topics: [
                .init(name: "by-name"), .init(topicId: id), .init(topicId: KafkaUUID(high: 1, low: 2)),
                .init(name: "missing"),
            ], timeoutMs: 100)
        let response = try harness.respond(DeleteTopicsHandler.self, request, version: 6)
        #expect(
            response.responses.map(\.errorCode) == [
                0, 0, KafkaErrorCode.unknownTopicId.rawValue, KafkaErrorCode.unknownTopicOrPartition.rawValue,
            ])
        #expect(response.responses[0].topicId == nameID)
        #expect(response.responses[1].name == "by-id")
        #expect(response.responses[3].errorMessage != nil)
        #expect(harness.state.topics.isEmpty)
    }

    @Test func createPartitionsGrowsRoundRobin() throws {
        var harness = HandlerHarness()
        harness.state.createTopic("grow", partitions: 2, replicationFactor: 2)
        let request = CreatePartitionsRequest(topics: [.init(name: "grow", count: 5, assignments: nil)], timeoutMs: 100)
        let response = try harness.respond(CreatePartitionsHandler.self, request, version: 3)
        #expect(response.results.map(\.errorCode) == [0])
        let partitions = try #require(harness.state.topics["grow"]?.partitions)
        #expect(partitions.map(\.index) == [0, 1, 2, 3, 4])
        #expect(partitions.allSatisfy { $0.replicas.count == 2 && $0.leader == $0.replicas[0] })
    }

    @Test func createPartitionsErrorsAtVersionZero() throws {
        var harness = HandlerHarness()
        harness.state.createTopic("grow", partitions: 3, replicationFactor: 1)
        let request = CreatePartitionsRequest(
            topics: [
                .init(name: "grow", count: 2, assignments: nil),
                .init(name: "missing", count: 2, assignments: nil),
            ], timeoutMs: 100)
        let response = try harness.respond(CreatePartitionsHandler.self, request, version: 0)
        #expect(
            response.results.map(\.errorCode) == [
                KafkaErrorCode.invalidPartitions.rawValue, KafkaErrorCode.unknownTopicOrPartition.rawValue,
            ])
        let same = try harness.respond(
            CreatePartitionsHandler.self,
            CreatePartitionsRequest(topics: [.init(name: "grow", count: 3, assignments: nil)]), version: 0)
        #expect(same.results.first?.errorCode == KafkaErrorCode.invalidPartitions.rawValue)
        let wrongCount = try harness.respond(
            CreatePartitionsHandler.self,
            CreatePartitionsRequest(topics: [.init(name: "grow", count: 5, assignments: [.init(brokerIds: [1])])]))
        #expect(wrongCount.results.first?.errorCode == KafkaErrorCode.invalidReplicaAssignment.rawValue)
        let badBroker = try harness.respond(
            CreatePartitionsHandler.self,
            CreatePartitionsRequest(topics: [.init(name: "grow", count: 4, assignments: [.init(brokerIds: [7])])]))
        #expect(badBroker.results.first?.errorCode == KafkaErrorCode.invalidReplicaAssignment.rawValue)
        let dry = try harness.respond(
            CreatePartitionsHandler.self,
            CreatePartitionsRequest(
                topics: [.init(name: "grow", count: 4, assignments: [.init(brokerIds: [2])])], validateOnly: true))
        #expect(dry.results.first?.errorCode == 0)
        #expect(harness.state.topics["grow"]?.partitions.count == 3)
        let manual = try harness.respond(
            CreatePartitionsHandler.self,
            CreatePartitionsRequest(topics: [.init(name: "grow", count: 4, assignments: [.init(brokerIds: [2])])]))
        #expect(manual.results.first?.errorCode == 0)
        #expect(harness.state.topics["grow"]?.partitions.last?.replicas == [2])
    }
}

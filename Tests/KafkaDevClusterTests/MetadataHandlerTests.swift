import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// Metadata, FindCoordinator, DescribeCluster and ApiVersions without sockets, at their lowest and
/// highest versions.
@Suite(.timeLimit(.minutes(5))) struct MetadataHandlerTests {
    @Test(arguments: MetadataRequest.validVersions)
    func metadataAtEveryVersion(version: Int16) throws {
        var harness = HandlerHarness(brokers: 3)
        harness.state.createTopic("orders", partitions: 3, replicationFactor: 2)
        let request: MetadataRequest
        if version == 0 {
            request = MetadataRequest(topics: [])  // v0: empty means every topic
        } else {
            request = MetadataRequest(topics: nil)
        }
        let response = try harness.respond(MetadataHandler.self, request, version: version)
        #expect(response.brokers.map(\.nodeId) == [1, 2, 3])
        #expect(response.brokers.map(\.port) == [9092, 9093, 9094])
        #expect(response.controllerId == (version >= 1 ? 1 : -1))
        #expect(response.clusterId == (version >= 2 ? "swift-kafka-dev-cluster" : nil))
        let topic = try #require(response.topics.first)
        #expect(topic.name == "orders")
        #expect(topic.partitions.count == 3)
        #expect(topic.partitions.allSatisfy { $0.replicaNodes.count == 2 && $0.leaderId == $0.replicaNodes[0] })
        let id = try #require(harness.state.topics["orders"]?.id)
        #expect(topic.topicId == (version >= 10 ? id : .zero))
    }

    @Test func topicsByIdAndUnknownIds() throws {
        var harness = HandlerHarness(brokers: 1)
        harness.state.createTopic("by-id", partitions: 2, replicationFactor: 1)
        let id = try #require(harness.state.topics["by-id"]?.id)
        let request = MetadataRequest(topics: [
            MetadataRequest.MetadataRequestTopic(topicId: id, name: nil),
            MetadataRequest.MetadataRequestTopic(topicId: KafkaUUID(high: 1, low: 2), name: nil),
        ])
        let response = try harness.respond(MetadataHandler.self, request, version: 12)
        #expect(response.topics.count == 2)
        #expect(response.topics[0].name == "by-id" && response.topics[0].partitions.count == 2)
        #expect(response.topics[1].errorCode == KafkaErrorCode.unknownTopicId.rawValue)
    }

    @Test func autoCreationFollowsTheRequestFlagFromV4AndTheClusterSwitch() throws {
        var harness = HandlerHarness(brokers: 2) { $0.defaultPartitions = 4 }
        let ask = { (name: String, allow: Bool) in
            MetadataRequest(topics: [MetadataRequest.MetadataRequestTopic(name: name)], allowAutoTopicCreation: allow)
        }
        let refused = try harness.respond(MetadataHandler.self, ask("a", false), version: 4)
        #expect(refused.topics[0].errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
        // Before v4 the flag does not exist: a broker with auto-creation on creates the topic.
        // As Kafka, the request that creates a topic is answered LEADER_NOT_AVAILABLE; the next one describes it.
        let old = try harness.respond(MetadataHandler.self, ask("b", true), version: 3)
        #expect(old.topics[0].errorCode == KafkaErrorCode.leaderNotAvailable.rawValue)
        #expect(old.topics[0].partitions.isEmpty)
        let oldAgain = try harness.respond(MetadataHandler.self, ask("b", true), version: 3)
        #expect(oldAgain.topics[0].errorCode == 0 && oldAgain.topics[0].partitions.count == 4)
        let created = try harness.respond(MetadataHandler.self, ask("c", true), version: 12)
        #expect(created.topics[0].errorCode == KafkaErrorCode.leaderNotAvailable.rawValue)
        let described = try harness.respond(MetadataHandler.self, ask("c", true), version: 12)
        #expect(described.topics[0].partitions.count == 4)
        #expect(harness.state.topics.keys.sorted() == ["b", "c"])
        harness.state.autoCreateTopics = false
        let off = try harness.respond(MetadataHandler.self, ask("d", true), version: 12)
        #expect(off.topics[0].errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
    }

    @Test func leaderlessPartitionsReportLeaderNotAvailableAndOfflineReplicas() throws {
        var harness = HandlerHarness(brokers: 2)
        harness.state.createTopic("t", partitions: 2, replicationFactor: 1)
        harness.state.brokers[1].isUp = false
        harness.state.reelectLeaders()
        let response = try harness.respond(
            MetadataHandler.self, MetadataRequest(topics: [MetadataRequest.MetadataRequestTopic(name: "t")]),
            version: 12)
        #expect(response.brokers.map(\.nodeId) == [1])
        let partitions = response.topics[0].partitions
        let offline = try #require(partitions.first { $0.leaderId == -1 })
        #expect(offline.errorCode == KafkaErrorCode.leaderNotAvailable.rawValue)
        #expect(offline.offlineReplicas == [2])
    }

    @Test(arguments: [Int16(0), 3, 4, 6])
    func findCoordinator(version: Int16) throws {
        var harness = HandlerHarness(brokers: 3)
        let expected = harness.state.coordinator(type: 0, key: "g1")
        if version >= 4 {
            let request = FindCoordinatorRequest(keyType: 0, coordinatorKeys: ["g1", ""])
            let response = try harness.respond(FindCoordinatorHandler.self, request, version: version)
            #expect(response.coordinators.count == 2)
            #expect(response.coordinators[0].nodeId == expected && response.coordinators[0].errorCode == 0)
            #expect(response.coordinators[1].errorCode == KafkaErrorCode.invalidGroupId.rawValue)
        } else {
            let response = try harness.respond(
                FindCoordinatorHandler.self, FindCoordinatorRequest(key: "g1"), version: version)
            #expect(response.errorCode == 0 && response.nodeId == expected)
            #expect(response.port == 9092 + expected - 1)
        }
    }

    @Test func coordinatorsSpreadAndSkipStoppedBrokers() throws {
        var harness = HandlerHarness(brokers: 3)
        let nodes = Set((0..<50).map { harness.state.coordinator(type: 0, key: "group-\($0)") })
        #expect(nodes == [1, 2, 3])
        harness.state.brokers[0].isUp = false
        #expect((0..<50).allSatisfy { harness.state.coordinator(type: 0, key: "group-\($0)") != 1 })
        let transactional = try harness.respond(
            FindCoordinatorHandler.self, FindCoordinatorRequest(keyType: 1, coordinatorKeys: ["tx"]), version: 6)
        #expect(transactional.coordinators[0].nodeId == harness.state.coordinator(type: 1, key: "tx"))
        let badType = try harness.respond(
            FindCoordinatorHandler.self, FindCoordinatorRequest(keyType: 7, coordinatorKeys: ["x"]), version: 6)
        #expect(badType.coordinators[0].errorCode == KafkaErrorCode.invalidRequest.rawValue)
    }

    @Test func describeCluster() throws {
        var harness = HandlerHarness(brokers: 2)
        let v0 = try harness.respond(DescribeClusterHandler.self, DescribeClusterRequest(), version: 0)
        #expect(v0.clusterId == "swift-kafka-dev-cluster" && v0.controllerId == 1)
        #expect(v0.brokers.map(\.brokerId) == [1, 2])
        let controllers = try harness.respond(
            DescribeClusterHandler.self, DescribeClusterRequest(endpointType: 2), version: 1)
        #expect(controllers.errorCode == KafkaErrorCode.unsupportedEndpointType.rawValue)
    }

    @Test func errorResponsesEncodeAtEveryVersion() throws {
        let harness = HandlerHarness(brokers: 1)
        for version in MetadataRequest.validVersions {
            let request = MetadataRequest(topics: [MetadataRequest.MetadataRequestTopic(name: "t")])
            let response = MetadataHandler.errorResponse(
                to: request, error: .leaderNotAvailable, context: harness.context(version: version))
            let decoded = try HandlerHarness.roundTrip(response, version: version)
            #expect(decoded.topics.first?.errorCode == KafkaErrorCode.leaderNotAvailable.rawValue)
        }
        for version in FindCoordinatorRequest.validVersions {
            let request = FindCoordinatorRequest(key: "g", coordinatorKeys: version >= 4 ? ["g"] : [])
            let response = FindCoordinatorHandler.errorResponse(
                to: request, error: .coordinatorNotAvailable, context: harness.context(version: version))
            let decoded = try HandlerHarness.roundTrip(response, version: version)
            let code = version >= 4 ? decoded.coordinators.first?.errorCode : decoded.errorCode
            #expect(code == KafkaErrorCode.coordinatorNotAvailable.rawValue)
        }
    }

    @Test func apiVersionsAnswersUnknownVersionsInTheV0Layout() throws {
        let configuration = DevClusterConfiguration()
        var body = ByteBuffer()
        body.writeInteger(Int16(0))
        let header = RequestHeader(
            requestApiKey: KafkaAPIKey.apiVersions.rawValue, requestApiVersion: 99, correlationId: 7)
        guard
            case .send(var frame) = DevApiVersions.answer(
                header, body: body, advertised: DevApiVersions.advertised(configuration: configuration))
        else {
            Issue.record("expected an answer")
            return
        }
        frame.moveReaderIndex(forwardBy: 4)
        let decoded = try KafkaFrame.decodeResponse(to: ApiVersionsRequest.self, version: 0, frame: frame)
        #expect(decoded.correlationID == 7)
        #expect(decoded.response.errorCode == KafkaErrorCode.unsupportedVersion.rawValue)
        #expect(decoded.response.apiKeys.map(\.maxVersion) == [ApiVersionsRequest.validVersions.upperBound])
    }
}

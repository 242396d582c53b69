import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// The authorizer at work in the handlers, for the harness's principal (User:ANONYMOUS, no SASL): allowed and
/// denied per topic, as Kafka answers.
@Suite struct AuthorizationEnforcementTests {
    typealias O = DevAcls.Operation
    typealias A = AclAuthorizerTests

    /// A one-broker cluster with topics `t` and `u`, its authorizer on (no super user, closed without ACLs), and
    /// `acls` for User:ANONYMOUS on topic `t`.
    static func harness(_ operations: [Int8], deny: [Int8] = []) throws -> HandlerHarness {
        var harness = HandlerHarness(brokers: 1) { $0.authorizer = .init() }
        harness.state.createTopic("t", partitions: 1, replicationFactor: 1)
        harness.state.createTopic("u", partitions: 1, replicationFactor: 1)
        try FetchFixtures.append(&harness.state, "t", 0, records: 2)
        harness.state.acls.bindings = Set(
            operations.map { A.acl("t", $0, principal: "User:ANONYMOUS") }
                + deny.map { A.acl("t", $0, principal: "User:ANONYMOUS", allow: false) })
        return harness
    }

    static func fetchCode(_ harness: inout HandlerHarness) throws -> Int16? {
        let response = try harness.respond(
            FetchHandler.self, FetchFixtures.request("t", partitions: [(0, 0)], version: 12), version: 12)
        return response.responses.first?.partitions.first?.errorCode
    }

    static func produceCode(_ harness: inout HandlerHarness) throws -> Int16 {
        var request = ProduceRequest(acks: 1, timeoutMs: 1000)
        request.topicData = [
            .init(name: "t", partitionData: [.init(index: 0, records: try FetchFixtures.batch(records: 1))])
        ]
        let response = try harness.respond(ProduceHandler.self, request, version: 9)
        return response.responses.first?.partitionResponses.first?.errorCode ?? -1
    }

    @Test func describeAloneListsTheTopicButNeitherReadsNorWrites() throws {
        var harness = try Self.harness([O.describe])
        let all = try harness.respond(MetadataHandler.self, MetadataRequest(topics: nil), version: 12)
        #expect(all.topics.compactMap(\.name) == ["t"])
        let named = try harness.respond(
            MetadataHandler.self,
            MetadataRequest(topics: [.init(name: "t"), .init(name: "u")], allowAutoTopicCreation: false), version: 9)
        #expect(named.topics.map(\.errorCode) == [0, KafkaErrorCode.topicAuthorizationFailed.rawValue])
        #expect(try Self.fetchCode(&harness) == KafkaErrorCode.topicAuthorizationFailed.rawValue)
        #expect(try Self.produceCode(&harness) == KafkaErrorCode.topicAuthorizationFailed.rawValue)
        let configs = try harness.respond(
            DescribeConfigsHandler.self,
            DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t", configurationKeys: nil)]))
        #expect(configs.results.first?.errorCode == KafkaErrorCode.topicAuthorizationFailed.rawValue)
    }

    @Test func readAndWriteAllowTheirRequestsAndImplyDescribe() throws {
        var harness = try Self.harness([O.read, O.write])
        #expect(try Self.fetchCode(&harness) == 0)
        #expect(try Self.produceCode(&harness) == 0)
        let named = try harness.respond(
            MetadataHandler.self, MetadataRequest(topics: [.init(name: "t")], allowAutoTopicCreation: false),
            version: 9)
        #expect(named.topics.first?.errorCode == 0)
        // A DENY of WRITE wins over the ALLOW.
        var denied = try Self.harness([O.read, O.write], deny: [O.write])
        #expect(try Self.produceCode(&denied) == KafkaErrorCode.topicAuthorizationFailed.rawValue)
        #expect(try Self.fetchCode(&denied) == 0)
    }

    @Test func createAndDeleteTopicsNeedCreateAndDelete() throws {
        var harness = try Self.harness([O.read])
        let created = try harness.respond(
            CreateTopicsHandler.self,
            CreateTopicsRequest(topics: [.init(name: "new", numPartitions: 1, replicationFactor: 1)], timeoutMs: 1000))
        #expect(created.topics.first?.errorCode == KafkaErrorCode.topicAuthorizationFailed.rawValue)
        #expect(harness.state.topics["new"] == nil)
        let deleted = try harness.respond(
            DeleteTopicsHandler.self, DeleteTopicsRequest(topicNames: ["t"], timeoutMs: 1000), version: 5)
        #expect(deleted.responses.first?.errorCode == KafkaErrorCode.topicAuthorizationFailed.rawValue)
        #expect(harness.state.topics["t"] != nil)
        let records = try harness.respond(
            DeleteRecordsHandler.self,
            DeleteRecordsRequest(topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, offset: 1)])]))
        #expect(records.topics.first?.partitions.first?.errorCode == KafkaErrorCode.topicAuthorizationFailed.rawValue)
        #expect(harness.state.partition("t", 0)?.log.logStartOffset == 0)
        let grown = try harness.respond(
            CreatePartitionsHandler.self,
            CreatePartitionsRequest(topics: [.init(name: "t", count: 2, assignments: nil)], timeoutMs: 1000))
        #expect(grown.results.first?.errorCode == KafkaErrorCode.topicAuthorizationFailed.rawValue)
        harness.state.acls.bindings.insert(
            DevAcls.Binding(
                resourceType: DevAcls.ResourceType.cluster, name: "kafka-cluster",
                patternType: DevAcls.PatternType.literal, principal: "User:*", host: "*", operation: O.create,
                permission: DevAcls.Permission.allow))
        let allowed = try harness.respond(
            CreateTopicsHandler.self,
            CreateTopicsRequest(topics: [.init(name: "new", numPartitions: 1, replicationFactor: 1)], timeoutMs: 1000))
        #expect(allowed.topics.first?.errorCode == 0)
    }
}

import KafkaProtocol
import Testing

@testable import KafkaDevCluster

/// The authorizer on the admin APIs of transactions, reassignments, elections, quotas and SCRAM credentials, for the
/// harness's principal (User:ANONYMOUS): denied without ACLs, allowed with the ACLs Kafka requires.
@Suite struct AdminAuthorizationTests {
    typealias O = DevAcls.Operation
    typealias R = DevAcls.ResourceType
    typealias E = KafkaErrorCode

    static func allow(_ type: Int8, _ name: String, _ operation: Int8) -> DevAcls.Binding {
        DevAcls.Binding(
            resourceType: type, name: name, patternType: DevAcls.PatternType.literal, principal: "User:ANONYMOUS",
            host: "*", operation: operation, permission: DevAcls.Permission.allow)
    }

    /// The whole-request denials of the cluster-wide admin APIs (applied by `DevClusterCore` before the handler).
    static func clusterDenials(_ harness: HandlerHarness) -> [KafkaErrorCode?] {
        let context = harness.context(version: 0)
        let state = harness.state
        return [
            DescribeClientQuotasHandler.denial(of: DescribeClientQuotasRequest(), in: state, context: context),
            AlterClientQuotasHandler.denial(of: AlterClientQuotasRequest(), in: state, context: context),
            DescribeUserScramCredentialsHandler.denial(
                of: DescribeUserScramCredentialsRequest(), in: state, context: context),
            AlterUserScramCredentialsHandler.denial(
                of: AlterUserScramCredentialsRequest(), in: state, context: context),
            AlterPartitionReassignmentsHandler.denial(
                of: AlterPartitionReassignmentsRequest(), in: state, context: context),
            ListPartitionReassignmentsHandler.denial(
                of: ListPartitionReassignmentsRequest(), in: state, context: context),
            ElectLeadersHandler.denial(of: ElectLeadersRequest(), in: state, context: context),
            WriteTxnMarkersHandler.denial(of: WriteTxnMarkersRequest(), in: state, context: context),
        ]
    }

    @Test func transactionsAndClusterAdminAPIsAreDeniedWithoutACLsAndAllowedWithKafkasOnes() throws {
        var fixture = TransactionFixture()
        try fixture.initProducer(timeoutMs: 90_000)
        #expect(try fixture.addPartitions([0]) == ["t-0": 0])
        #expect(Self.clusterDenials(fixture.harness).allSatisfy { $0 == nil })  // no authorizer: nothing denied

        fixture.harness.state.acls = DevAcls(enabled: true, superUsers: [], allowEveryoneIfNoACLFound: false)
        let listed = try fixture.harness.respond(ListTransactionsHandler.self, ListTransactionsRequest(), version: 0)
        #expect(listed.transactionStates.isEmpty)
        let described = try fixture.harness.respond(
            DescribeTransactionsHandler.self, DescribeTransactionsRequest(transactionalIds: ["tx"]))
        #expect(described.transactionStates.map(\.errorCode) == [E.transactionalIdAuthorizationFailed.rawValue])
        let producers = try fixture.harness.respond(
            DescribeProducersHandler.self, DescribeProducersRequest(topics: [.init(name: "t", partitionIndexes: [0])]))
        #expect(producers.topics.first?.partitions.map(\.errorCode) == [E.topicAuthorizationFailed.rawValue])
        #expect(Self.clusterDenials(fixture.harness) == Array(repeating: .clusterAuthorizationFailed, count: 8))

        fixture.harness.state.acls.bindings = [
            Self.allow(R.transactionalID, "tx", O.describe), Self.allow(R.topic, "t", O.read),
            Self.allow(R.cluster, "kafka-cluster", O.describeConfigs),
            Self.allow(R.cluster, "kafka-cluster", O.alterConfigs), Self.allow(R.cluster, "kafka-cluster", O.alter),
            Self.allow(R.cluster, "kafka-cluster", O.clusterAction),
        ]
        let allowed = try fixture.harness.respond(ListTransactionsHandler.self, ListTransactionsRequest(), version: 0)
        #expect(allowed.transactionStates.map(\.transactionalId) == ["tx"])
        let describedNow = try fixture.harness.respond(
            DescribeTransactionsHandler.self, DescribeTransactionsRequest(transactionalIds: ["tx"]))
        #expect(describedNow.transactionStates.map(\.errorCode) == [0])
        let producersNow = try fixture.harness.respond(
            DescribeProducersHandler.self, DescribeProducersRequest(topics: [.init(name: "t", partitionIndexes: [0])]))
        #expect(producersNow.topics.first?.partitions.map(\.errorCode) == [0])
        // ALTER implies DESCRIBE on the cluster: every cluster-wide admin API is allowed now.
        #expect(Self.clusterDenials(fixture.harness).allSatisfy { $0 == nil })
    }
}

import KafkaProtocol

// What the authorizer requires of the cluster-wide admin APIs, as Kafka's `KafkaApis`: CLUSTER_AUTHORIZATION_FAILED
// for the whole request unless the principal may perform the operation on the cluster. (ListTransactions,
// DescribeTransactions and DescribeProducers check each transactional id or topic in their handlers.)

extension ClusterState {
    /// CLUSTER_AUTHORIZATION_FAILED unless the principal may perform `operation` on the cluster.
    func clusterDenial(_ context: RequestContext, _ operation: Int8) -> KafkaErrorCode? {
        authorizesCluster(context, operation) ? nil : .clusterAuthorizationFailed
    }
}

extension DescribeClientQuotasHandler {
    static func denial(of request: DescribeClientQuotasRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.clusterDenial(context, DevAcls.Operation.describeConfigs) }
}

extension AlterClientQuotasHandler {
    static func denial(of request: AlterClientQuotasRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.clusterDenial(context, DevAcls.Operation.alterConfigs) }
}

extension DescribeUserScramCredentialsHandler {
    static func denial(
        of request: DescribeUserScramCredentialsRequest, in state: ClusterState, context: RequestContext
    ) -> KafkaErrorCode? { state.clusterDenial(context, DevAcls.Operation.describe) }
}

extension AlterUserScramCredentialsHandler {
    static func denial(of request: AlterUserScramCredentialsRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.clusterDenial(context, DevAcls.Operation.alter) }
}

extension AlterPartitionReassignmentsHandler {
    static func denial(
        of request: AlterPartitionReassignmentsRequest, in state: ClusterState, context: RequestContext
    ) -> KafkaErrorCode? { state.clusterDenial(context, DevAcls.Operation.alter) }
}

extension ListPartitionReassignmentsHandler {
    static func denial(
        of request: ListPartitionReassignmentsRequest, in state: ClusterState, context: RequestContext
    ) -> KafkaErrorCode? { state.clusterDenial(context, DevAcls.Operation.describe) }
}

extension ElectLeadersHandler {
    static func denial(of request: ElectLeadersRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.clusterDenial(context, DevAcls.Operation.alter) }
}

extension WriteTxnMarkersHandler {
    static func denial(of request: WriteTxnMarkersRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.clusterDenial(context, DevAcls.Operation.clusterAction) }
}

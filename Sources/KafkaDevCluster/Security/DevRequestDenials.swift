import KafkaProtocol

// What the authorizer requires of whole requests (see ``DevAPIHandler/denial(of:in:context:)``); the handlers of
// Produce, Fetch, Metadata, ListOffsets, the topic, config and group-listing APIs check per resource themselves.

extension ClusterState {
    /// GROUP_AUTHORIZATION_FAILED unless the principal may perform `operation` on group `id`.
    func groupDenial(_ context: RequestContext, _ operation: Int8, _ id: String) -> KafkaErrorCode? {
        authorizes(context, operation, DevAcls.ResourceType.group, id) ? nil : .groupAuthorizationFailed
    }

    /// TRANSACTIONAL_ID_AUTHORIZATION_FAILED unless the principal may perform `operation` on transactional id `id`.
    func transactionDenial(_ context: RequestContext, _ operation: Int8, _ id: String) -> KafkaErrorCode? {
        authorizes(context, operation, DevAcls.ResourceType.transactionalID, id)
            ? nil : .transactionalIdAuthorizationFailed
    }
}

extension JoinGroupHandler {
    static func denial(of request: JoinGroupRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.groupDenial(context, DevAcls.Operation.read, request.groupId) }
}

extension SyncGroupHandler {
    static func denial(of request: SyncGroupRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.groupDenial(context, DevAcls.Operation.read, request.groupId) }
}

extension HeartbeatHandler {
    static func denial(of request: HeartbeatRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.groupDenial(context, DevAcls.Operation.read, request.groupId) }
}

extension LeaveGroupHandler {
    static func denial(of request: LeaveGroupRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.groupDenial(context, DevAcls.Operation.read, request.groupId) }
}

extension OffsetCommitHandler {
    /// READ on the group (Kafka then also wants READ on each topic; the dev cluster checks the group only).
    static func denial(of request: OffsetCommitRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.groupDenial(context, DevAcls.Operation.read, request.groupId) }
}

extension OffsetFetchHandler {
    /// DESCRIBE on the group (every group of a batched v8+ request).
    static func denial(of request: OffsetFetchRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    {
        let groups = context.version >= 8 ? request.groups.map(\.groupId) : [request.groupId]
        return groups.lazy.compactMap { state.groupDenial(context, DevAcls.Operation.describe, $0) }.first
    }
}

extension OffsetDeleteHandler {
    static func denial(of request: OffsetDeleteRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.groupDenial(context, DevAcls.Operation.delete, request.groupId) }
}

extension FindCoordinatorHandler {
    /// DESCRIBE on the group or transactional id looked up (every key of a batched v4+ request).
    static func denial(of request: FindCoordinatorRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    {
        let keys = context.version >= 4 ? request.coordinatorKeys : [request.key]
        for key in keys {
            let denial =
                request.keyType == 1
                ? state.transactionDenial(context, DevAcls.Operation.describe, key)
                : state.groupDenial(context, DevAcls.Operation.describe, key)
            if let denial { return denial }
        }
        return nil
    }
}

extension InitProducerIdHandler {
    /// WRITE on the transactional id; without one, IDEMPOTENT_WRITE on the cluster or WRITE on some topic
    /// (CLUSTER_AUTHORIZATION_FAILED), as Kafka 3.0+.
    static func denial(of request: InitProducerIdRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    {
        if let id = request.transactionalId { return state.transactionDenial(context, DevAcls.Operation.write, id) }
        if state.authorizesCluster(context, DevAcls.Operation.idempotentWrite) { return nil }
        let someTopic = state.acls.authorizesSomeResource(
            principal: context.principal, host: context.host, operation: DevAcls.Operation.write,
            resourceType: DevAcls.ResourceType.topic)
        return someTopic ? nil : .clusterAuthorizationFailed
    }
}

extension AddPartitionsToTxnHandler {
    static func denial(of request: AddPartitionsToTxnRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    {
        let ids =
            context.version >= 4 ? request.transactions.map(\.transactionalId) : [request.v3AndBelowTransactionalId]
        return ids.lazy.compactMap { state.transactionDenial(context, DevAcls.Operation.write, $0) }.first
    }
}

extension AddOffsetsToTxnHandler {
    static func denial(of request: AddOffsetsToTxnRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    {
        state.transactionDenial(context, DevAcls.Operation.write, request.transactionalId)
            ?? state.groupDenial(context, DevAcls.Operation.read, request.groupId)
    }
}

extension EndTxnHandler {
    static func denial(of request: EndTxnRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.transactionDenial(context, DevAcls.Operation.write, request.transactionalId) }
}

extension TxnOffsetCommitHandler {
    static func denial(of request: TxnOffsetCommitRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    {
        state.transactionDenial(context, DevAcls.Operation.write, request.transactionalId)
            ?? state.groupDenial(context, DevAcls.Operation.read, request.groupId)
    }
}

extension DescribeLogDirsHandler {
    static func denial(of request: DescribeLogDirsRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    { state.authorizesCluster(context, DevAcls.Operation.describe) ? nil : .clusterAuthorizationFailed }
}

extension ClusterState {
    /// The error of a config resource (type and name as in DescribeConfigs) whose `operation` (DESCRIBE_CONFIGS or
    /// ALTER_CONFIGS) the principal may not perform: on the topic (TOPIC_AUTHORIZATION_FAILED) for topics, on the
    /// cluster (CLUSTER_AUTHORIZATION_FAILED) for brokers and broker loggers; nil when allowed.
    func configDenial(_ context: RequestContext, type: Int8, name: String, _ operation: Int8) -> (
        code: KafkaErrorCode, message: String?
    )? {
        if type == 2 {
            guard !authorizes(context, operation, DevAcls.ResourceType.topic, name) else { return nil }
            return (.topicAuthorizationFailed, KafkaErrorCode.topicAuthorizationFailed.message)
        }
        guard !authorizesCluster(context, operation) else { return nil }
        return (.clusterAuthorizationFailed, KafkaErrorCode.clusterAuthorizationFailed.message)
    }
}

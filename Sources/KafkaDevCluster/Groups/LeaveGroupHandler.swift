import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum LeaveGroupHandler: DevAPIHandler {
    static func handle(_ request: LeaveGroupRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        LeaveGroupResponse
    > {
        .close
    }

    static func errorResponse(to request: LeaveGroupRequest, error: KafkaErrorCode, context: RequestContext)
        -> LeaveGroupResponse
    {
        LeaveGroupResponse()
    }
}

import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum JoinGroupHandler: DevAPIHandler {
    static func handle(_ request: JoinGroupRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        JoinGroupResponse
    > {
        .close
    }

    static func errorResponse(to request: JoinGroupRequest, error: KafkaErrorCode, context: RequestContext)
        -> JoinGroupResponse
    {
        JoinGroupResponse()
    }
}

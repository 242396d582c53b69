import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum SyncGroupHandler: DevAPIHandler {
    static func handle(_ request: SyncGroupRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        SyncGroupResponse
    > {
        .close
    }

    static func errorResponse(to request: SyncGroupRequest, error: KafkaErrorCode, context: RequestContext)
        -> SyncGroupResponse
    {
        SyncGroupResponse()
    }
}

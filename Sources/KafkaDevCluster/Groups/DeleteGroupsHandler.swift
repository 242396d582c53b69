import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum DeleteGroupsHandler: DevAPIHandler {
    static func handle(_ request: DeleteGroupsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DeleteGroupsResponse>
    {
        .close
    }

    static func errorResponse(to request: DeleteGroupsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DeleteGroupsResponse
    {
        DeleteGroupsResponse()
    }
}

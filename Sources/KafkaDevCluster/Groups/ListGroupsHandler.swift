import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum ListGroupsHandler: DevAPIHandler {
    static func handle(_ request: ListGroupsRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        ListGroupsResponse
    > {
        .close
    }

    static func errorResponse(to request: ListGroupsRequest, error: KafkaErrorCode, context: RequestContext)
        -> ListGroupsResponse
    {
        ListGroupsResponse()
    }
}

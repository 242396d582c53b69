import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum ListOffsetsHandler: DevAPIHandler {
    static func handle(_ request: ListOffsetsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<ListOffsetsResponse>
    {
        .close
    }

    static func errorResponse(to request: ListOffsetsRequest, error: KafkaErrorCode, context: RequestContext)
        -> ListOffsetsResponse
    {
        ListOffsetsResponse()
    }
}

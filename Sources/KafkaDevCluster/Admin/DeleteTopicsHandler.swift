import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum DeleteTopicsHandler: DevAPIHandler {
    static func handle(_ request: DeleteTopicsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DeleteTopicsResponse>
    {
        .close
    }

    static func errorResponse(to request: DeleteTopicsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DeleteTopicsResponse
    {
        DeleteTopicsResponse()
    }
}

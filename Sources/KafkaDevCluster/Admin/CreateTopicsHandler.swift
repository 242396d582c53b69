import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum CreateTopicsHandler: DevAPIHandler {
    static func handle(_ request: CreateTopicsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<CreateTopicsResponse>
    {
        .close
    }

    static func errorResponse(to request: CreateTopicsRequest, error: KafkaErrorCode, context: RequestContext)
        -> CreateTopicsResponse
    {
        CreateTopicsResponse()
    }
}

import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum CreatePartitionsHandler: DevAPIHandler {
    static func handle(_ request: CreatePartitionsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<CreatePartitionsResponse>
    {
        .close
    }

    static func errorResponse(to request: CreatePartitionsRequest, error: KafkaErrorCode, context: RequestContext)
        -> CreatePartitionsResponse
    {
        CreatePartitionsResponse()
    }
}

import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum InitProducerIdHandler: DevAPIHandler {
    static func handle(_ request: InitProducerIdRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<InitProducerIdResponse>
    {
        .close
    }

    static func errorResponse(to request: InitProducerIdRequest, error: KafkaErrorCode, context: RequestContext)
        -> InitProducerIdResponse
    {
        InitProducerIdResponse()
    }
}

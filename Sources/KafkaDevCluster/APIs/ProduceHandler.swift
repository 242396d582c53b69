import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum ProduceHandler: DevAPIHandler {
    static func handle(_ request: ProduceRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        ProduceResponse
    > {
        .close
    }

    static func errorResponse(to request: ProduceRequest, error: KafkaErrorCode, context: RequestContext)
        -> ProduceResponse
    {
        ProduceResponse()
    }
}

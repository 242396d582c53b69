import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum FetchHandler: DevAPIHandler {
    static func handle(_ request: FetchRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        FetchResponse
    > {
        .close
    }

    static func errorResponse(to request: FetchRequest, error: KafkaErrorCode, context: RequestContext) -> FetchResponse
    {
        FetchResponse()
    }
}

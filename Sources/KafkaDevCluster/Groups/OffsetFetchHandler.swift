import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum OffsetFetchHandler: DevAPIHandler {
    static func handle(_ request: OffsetFetchRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<OffsetFetchResponse>
    {
        .close
    }

    static func errorResponse(to request: OffsetFetchRequest, error: KafkaErrorCode, context: RequestContext)
        -> OffsetFetchResponse
    {
        OffsetFetchResponse()
    }
}

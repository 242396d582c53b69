import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum OffsetDeleteHandler: DevAPIHandler {
    static func handle(_ request: OffsetDeleteRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<OffsetDeleteResponse>
    {
        .close
    }

    static func errorResponse(to request: OffsetDeleteRequest, error: KafkaErrorCode, context: RequestContext)
        -> OffsetDeleteResponse
    {
        OffsetDeleteResponse()
    }
}

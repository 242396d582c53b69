import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum OffsetCommitHandler: DevAPIHandler {
    static func handle(_ request: OffsetCommitRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<OffsetCommitResponse>
    {
        .close
    }

    static func errorResponse(to request: OffsetCommitRequest, error: KafkaErrorCode, context: RequestContext)
        -> OffsetCommitResponse
    {
        OffsetCommitResponse()
    }
}

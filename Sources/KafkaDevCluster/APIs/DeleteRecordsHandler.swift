import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum DeleteRecordsHandler: DevAPIHandler {
    static func handle(_ request: DeleteRecordsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DeleteRecordsResponse>
    {
        .close
    }

    static func errorResponse(to request: DeleteRecordsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DeleteRecordsResponse
    {
        DeleteRecordsResponse()
    }
}

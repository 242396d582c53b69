import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum IncrementalAlterConfigsHandler: DevAPIHandler {
    static func handle(_ request: IncrementalAlterConfigsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<IncrementalAlterConfigsResponse>
    {
        .close
    }

    static func errorResponse(
        to request: IncrementalAlterConfigsRequest, error: KafkaErrorCode, context: RequestContext
    ) -> IncrementalAlterConfigsResponse {
        IncrementalAlterConfigsResponse()
    }
}

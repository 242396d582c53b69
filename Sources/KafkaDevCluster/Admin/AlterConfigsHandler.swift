import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum AlterConfigsHandler: DevAPIHandler {
    static func handle(_ request: AlterConfigsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<AlterConfigsResponse>
    {
        .close
    }

    static func errorResponse(to request: AlterConfigsRequest, error: KafkaErrorCode, context: RequestContext)
        -> AlterConfigsResponse
    {
        AlterConfigsResponse()
    }
}

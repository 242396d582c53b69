import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum DescribeConfigsHandler: DevAPIHandler {
    static func handle(_ request: DescribeConfigsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeConfigsResponse>
    {
        .close
    }

    static func errorResponse(to request: DescribeConfigsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DescribeConfigsResponse
    {
        DescribeConfigsResponse()
    }
}

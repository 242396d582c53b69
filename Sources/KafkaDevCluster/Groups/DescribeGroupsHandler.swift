import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum DescribeGroupsHandler: DevAPIHandler {
    static func handle(_ request: DescribeGroupsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeGroupsResponse>
    {
        .close
    }

    static func errorResponse(to request: DescribeGroupsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DescribeGroupsResponse
    {
        DescribeGroupsResponse()
    }
}

import KafkaProtocol

/// PLACEHOLDER: replaced by the real handler.
enum HeartbeatHandler: DevAPIHandler {
    static func handle(_ request: HeartbeatRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        HeartbeatResponse
    > {
        .close
    }

    static func errorResponse(to request: HeartbeatRequest, error: KafkaErrorCode, context: RequestContext)
        -> HeartbeatResponse
    {
        HeartbeatResponse()
    }
}

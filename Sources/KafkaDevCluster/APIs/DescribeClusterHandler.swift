import KafkaProtocol

/// DescribeCluster: the live brokers, the controller and the cluster id (broker endpoints only).
enum DescribeClusterHandler: DevAPIHandler {
    static func handle(_ request: DescribeClusterRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeClusterResponse>
    {
        var response = DescribeClusterResponse()
        response.endpointType = context.version >= 1 ? request.endpointType : 1
        if context.version >= 1 && request.endpointType != 1 {
            response.errorCode = KafkaErrorCode.unsupportedEndpointType.rawValue
            response.errorMessage = "The dev cluster has no controller endpoints."
            return .respond(response)
        }
        response.clusterId = state.clusterID
        response.controllerId = state.controllerID
        response.brokers = state.liveBrokers.map {
            DescribeClusterResponse.DescribeClusterBroker(
                brokerId: $0.nodeID, host: $0.host, port: $0.port, rack: $0.rack)
        }
        return .respond(response)
    }

    static func errorResponse(to request: DescribeClusterRequest, error: KafkaErrorCode, context: RequestContext)
        -> DescribeClusterResponse
    {
        var response = DescribeClusterResponse()
        response.errorCode = error.rawValue
        response.errorMessage = error.message
        response.endpointType = context.version >= 1 ? request.endpointType : 1
        return response
    }
}

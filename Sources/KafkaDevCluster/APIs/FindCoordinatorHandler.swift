import KafkaProtocol

/// FindCoordinator for groups (key type 0) and transactional ids (key type 1), single (v0-3) and
/// batched (v4+).
enum FindCoordinatorHandler: DevAPIHandler {
    static func handle(_ request: FindCoordinatorRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<FindCoordinatorResponse>
    {
        var response = FindCoordinatorResponse()
        if context.version >= 4 {
            response.coordinators = request.coordinatorKeys.map { key in
                let found = lookup(key: key, type: request.keyType, state: state)
                return FindCoordinatorResponse.Coordinator(
                    key: key, nodeId: found.node, host: found.host, port: found.port, errorCode: found.error.rawValue,
                    errorMessage: found.error == .none ? nil : found.error.message)
            }
            return .respond(response)
        }
        let found = lookup(key: request.key, type: context.version >= 1 ? request.keyType : 0, state: state)
        response.errorCode = found.error.rawValue
        response.errorMessage = context.version >= 1 && found.error != .none ? found.error.message : nil
        response.nodeId = found.node
        response.host = found.host
        response.port = found.port
        return .respond(response)
    }

    static func errorResponse(to request: FindCoordinatorRequest, error: KafkaErrorCode, context: RequestContext)
        -> FindCoordinatorResponse
    {
        var response = FindCoordinatorResponse()
        if context.version >= 4 {
            response.coordinators = request.coordinatorKeys.map {
                FindCoordinatorResponse.Coordinator(
                    key: $0, nodeId: -1, host: "", port: -1, errorCode: error.rawValue,
                    errorMessage: error.message)
            }
        } else {
            response.errorCode = error.rawValue
            response.nodeId = -1
            response.port = -1
            response.errorMessage = context.version >= 1 ? error.message : nil
        }
        return response
    }

    private static func lookup(key: String, type: Int8, state: ClusterState)
        -> (error: KafkaErrorCode, node: Int32, host: String, port: Int32)
    {
        guard type == 0 || type == 1 else { return (.invalidRequest, -1, "", -1) }
        if type == 0 && key.isEmpty { return (.invalidGroupId, -1, "", -1) }
        let node = state.coordinator(type: type, key: key)
        guard let broker = state.broker(node), broker.isUp else { return (.coordinatorNotAvailable, -1, "", -1) }
        return (.none, broker.nodeID, broker.host, broker.port)
    }
}

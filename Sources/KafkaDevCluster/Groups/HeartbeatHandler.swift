import KafkaProtocol

/// Heartbeat v0-4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
enum HeartbeatHandler: DevAPIHandler {
    static func handle(_ request: HeartbeatRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        HeartbeatResponse
    > {
        .respond(HeartbeatResponse(errorCode: error(for: request, in: &state, context: context).rawValue))
    }

    private static func error(for request: HeartbeatRequest, in state: inout ClusterState, context: RequestContext)
        -> KafkaErrorCode
    {
        if request.groupId.isEmpty { return .invalidGroupId }
        guard state.coordinates(group: request.groupId, context: context) else { return .notCoordinator }
        guard state.groups.groups[request.groupId] != nil else { return .unknownMemberId }
        let instanceID = context.version >= 3 ? request.groupInstanceId : nil
        return state.groups.groups[request.groupId]?.heartbeat(
            memberID: request.memberId, instanceID: instanceID, generation: request.generationId, now: context.now)
            ?? .unknownMemberId
    }

    static func errorResponse(to request: HeartbeatRequest, error: KafkaErrorCode, context: RequestContext)
        -> HeartbeatResponse
    {
        HeartbeatResponse(errorCode: error.rawValue)
    }
}

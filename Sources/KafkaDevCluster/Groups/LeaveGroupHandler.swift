import KafkaProtocol

/// LeaveGroup v0-5: removes members (v0-2 the one `memberId`, v3+ a batch identified by member id
/// and/or group instance id) and rebalances the group. Per-member errors at v3+; before, the
/// first member error becomes the top-level error, as Kafka's `LeaveGroupResponse` does.
enum LeaveGroupHandler: DevAPIHandler {
    static func handle(_ request: LeaveGroupRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        LeaveGroupResponse
    > {
        let leaving =
            context.version >= 3
            ? request.members.map { (memberID: $0.memberId, instanceID: $0.groupInstanceId) }
            : [(memberID: request.memberId, instanceID: String?.none)]
        if request.groupId.isEmpty {
            return .respond(errorResponse(to: request, error: .invalidGroupId, context: context))
        }
        guard state.coordinates(group: request.groupId, context: context) else {
            return .respond(errorResponse(to: request, error: .notCoordinator, context: context))
        }
        if state.groups.groups[request.groupId]?.state == .dead {
            return .respond(errorResponse(to: request, error: .coordinatorNotAvailable, context: context))
        }
        let config = state.groups.config
        var results: [LeaveGroupResponse.MemberResponse] = []
        for member in leaving {
            let error =
                state.groups.groups[request.groupId]?.leave(
                    memberID: member.memberID, instanceID: member.instanceID, now: context.now, config: config)
                ?? .unknownMemberId
            results.append(
                LeaveGroupResponse.MemberResponse(
                    memberId: member.memberID, groupInstanceId: member.instanceID, errorCode: error.rawValue))
        }
        var response = LeaveGroupResponse()
        if context.version >= 3 {
            response.members = results
        } else {
            response.errorCode = results.first { $0.errorCode != 0 }?.errorCode ?? 0
        }
        return .respond(response)
    }

    static func errorResponse(to request: LeaveGroupRequest, error: KafkaErrorCode, context: RequestContext)
        -> LeaveGroupResponse
    {
        LeaveGroupResponse(errorCode: error.rawValue)
    }
}

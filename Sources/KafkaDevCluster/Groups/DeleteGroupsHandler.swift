import KafkaProtocol

/// DeleteGroups v0-2: deletes Empty groups with their committed offsets; groups with members get
/// NON_EMPTY_GROUP, unknown ones GROUP_ID_NOT_FOUND.
enum DeleteGroupsHandler: DevAPIHandler {
    static func handle(_ request: DeleteGroupsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DeleteGroupsResponse>
    {
        var response = DeleteGroupsResponse()
        for groupID in request.groupsNames {
            let error: KafkaErrorCode
            if let denial = state.groupDenial(context, DevAcls.Operation.delete, groupID) {
                error = denial
            } else if !state.coordinates(group: groupID, context: context) {
                error = .notCoordinator
            } else if let group = state.groups.groups[groupID], group.state != .dead {
                if group.state == .empty {
                    state.groups.groups[groupID] = nil
                    error = .none
                } else {
                    error = .nonEmptyGroup
                }
            } else {
                error = .groupIdNotFound
            }
            response.results.append(.init(groupId: groupID, errorCode: error.rawValue))
        }
        return .respond(response)
    }

    static func errorResponse(to request: DeleteGroupsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DeleteGroupsResponse
    {
        DeleteGroupsResponse(results: request.groupsNames.map { .init(groupId: $0, errorCode: error.rawValue) })
    }
}

import KafkaProtocol

/// ListGroups v0-5: the groups this broker coordinates (as Kafka, each broker lists its own),
/// filtered by state (v4+) and type (v5+; every group here is "classic"), both case-insensitive.
enum ListGroupsHandler: DevAPIHandler {
    static func handle(_ request: ListGroupsRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        ListGroupsResponse
    > {
        let states = Set((context.version >= 4 ? request.statesFilter : []).map { $0.lowercased() })
        let types = Set((context.version >= 5 ? request.typesFilter : []).map { $0.lowercased() })
        var response = ListGroupsResponse()
        if !types.isEmpty && !types.contains("classic") { return .respond(response) }
        // With an authorizer: every group with DESCRIBE on the cluster, else the groups the principal may describe.
        let mayDescribeAll = state.authorizesCluster(context, DevAcls.Operation.describe)
        for groupID in state.groups.groups.keys.sorted() {
            guard let group = state.groups.groups[groupID], group.state != .dead,
                mayDescribeAll || state.groupDenial(context, DevAcls.Operation.describe, groupID) == nil,
                state.coordinates(group: groupID, context: context),
                states.isEmpty || states.contains(group.state.rawValue.lowercased())
            else { continue }
            response.groups.append(
                .init(
                    groupId: groupID, protocolType: group.protocolType ?? "",
                    groupState: context.version >= 4 ? group.state.rawValue : "",
                    groupType: context.version >= 5 ? "classic" : ""))
        }
        return .respond(response)
    }

    static func errorResponse(to request: ListGroupsRequest, error: KafkaErrorCode, context: RequestContext)
        -> ListGroupsResponse
    {
        ListGroupsResponse(errorCode: error.rawValue)
    }
}

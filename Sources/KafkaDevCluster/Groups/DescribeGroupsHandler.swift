import KafkaProtocol
import NIOCore

/// DescribeGroups v0-5: state, protocol and members of groups. An unknown group is described as
/// "Dead" with no error (Kafka answers GROUP_ID_NOT_FOUND only from v6). Member metadata and
/// assignments, and the protocol name (`protocolData`), are filled in only for Stable groups, as
/// Kafka does.
enum DescribeGroupsHandler: DevAPIHandler {
    static func handle(_ request: DescribeGroupsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeGroupsResponse>
    {
        var response = DescribeGroupsResponse()
        response.groups = request.groups.map { groupID in
            if state.groupDenial(context, DevAcls.Operation.describe, groupID) != nil {
                return .init(errorCode: KafkaErrorCode.groupAuthorizationFailed.rawValue, groupId: groupID)
            }
            guard state.coordinates(group: groupID, context: context) else {
                return .init(errorCode: KafkaErrorCode.notCoordinator.rawValue, groupId: groupID)
            }
            guard let group = state.groups.groups[groupID] else {
                return .init(groupId: groupID, groupState: ClassicGroup.State.dead.rawValue)
            }
            let stable = group.state == .stable
            return .init(
                groupId: groupID, groupState: group.state.rawValue, protocolType: group.protocolType ?? "",
                protocolData: stable ? group.protocolName ?? "" : "",
                members: group.members.map { member in
                    .init(
                        memberId: member.memberID, groupInstanceId: context.version >= 4 ? member.groupInstanceID : nil,
                        clientId: member.clientID, clientHost: member.clientHost,
                        memberMetadata: stable ? member.metadata(for: group.protocolName) : ByteBuffer(),
                        memberAssignment: stable ? member.assignment : ByteBuffer())
                })
        }
        return .respond(response)
    }

    static func errorResponse(to request: DescribeGroupsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DescribeGroupsResponse
    {
        DescribeGroupsResponse(groups: request.groups.map { .init(errorCode: error.rawValue, groupId: $0) })
    }
}

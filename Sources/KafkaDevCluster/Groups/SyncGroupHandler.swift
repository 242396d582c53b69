import KafkaProtocol
import NIOCore

/// SyncGroup v0-5: the leader hands in the assignments; every member's SyncGroup waits
/// (``DevReply/park(deadline:poll:)``) until then and returns its own assignment. A rebalance
/// starting meanwhile answers REBALANCE_IN_PROGRESS.
enum SyncGroupHandler: DevAPIHandler {
    static func handle(_ request: SyncGroupRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        SyncGroupResponse
    > {
        let version = context.version
        if request.groupId.isEmpty { return .respond(response(.invalidGroupId, version: version)) }
        guard state.coordinates(group: request.groupId, context: context) else {
            return .respond(response(.notCoordinator, version: version))
        }
        guard var group = state.groups.groups[request.groupId] else {
            return .respond(response(.unknownMemberId, version: version))
        }
        if group.state == .dead { return .respond(response(.coordinatorNotAvailable, version: version)) }
        let instanceID = version >= 3 ? request.groupInstanceId : nil
        let memberError = group.validate(memberID: request.memberId, instanceID: instanceID)
        guard memberError == .none else { return .respond(response(memberError, version: version)) }
        guard request.generationId == group.generationID else {
            return .respond(response(.illegalGeneration, version: version))
        }
        if version >= 5 {
            if let type = request.protocolType, type != group.protocolType {
                return .respond(response(.inconsistentGroupProtocol, version: version))
            }
            if let name = request.protocolName, name != group.protocolName {
                return .respond(response(.inconsistentGroupProtocol, version: version))
            }
        }
        var assignments: [String: ByteBuffer] = [:]
        for assignment in request.assignments { assignments[assignment.memberId] = assignment.assignment }
        let decision = group.sync(memberID: request.memberId, assignments: assignments, now: context.now)
        state.groups.groups[request.groupId] = group
        let protocolType = group.protocolType
        let protocolName = group.protocolName
        switch decision {
        case .respond(let error, let assignment):
            return .respond(
                response(
                    error, assignment: assignment, protocolType: protocolType, protocolName: protocolName,
                    version: version))
        case .wait:
            let groupID = request.groupId
            let memberID = request.memberId
            let generation = request.generationId
            let timeout = Int64(max(group.member(memberID)?.rebalanceTimeoutMs ?? 0, 0))
            return .park(deadline: context.now &+ timeout &+ JoinGroupHandler.parkingSlackMs) { state, _, expired in
                guard let group = state.groups.groups[groupID] else {
                    return response(.unknownMemberId, version: version)
                }
                if let (error, assignment) = group.syncResult(memberID: memberID, generation: generation) {
                    return response(
                        error, assignment: assignment, protocolType: protocolType, protocolName: protocolName,
                        version: version)
                }
                return expired ? response(.rebalanceInProgress, version: version) : nil
            }
        }
    }

    static func errorResponse(to request: SyncGroupRequest, error: KafkaErrorCode, context: RequestContext)
        -> SyncGroupResponse
    {
        response(error, version: context.version)
    }

    /// The response; protocol type and name (v5+) only on success.
    static func response(
        _ error: KafkaErrorCode, assignment: ByteBuffer = ByteBuffer(), protocolType: String? = nil,
        protocolName: String? = nil, version: Int16
    ) -> SyncGroupResponse {
        var response = SyncGroupResponse()
        response.errorCode = error.rawValue
        response.assignment = error == .none ? assignment : ByteBuffer()
        if version >= 5 && error == .none {
            response.protocolType = protocolType
            response.protocolName = protocolName
        }
        return response
    }
}

import KafkaProtocol
import NIOCore

/// JoinGroup v0-9: joins a classic group; the answer waits (``DevReply/park(deadline:poll:)``)
/// until the rebalance completes. New dynamic members at v4+ first get MEMBER_ID_REQUIRED with
/// their member id (KIP-394); static members (v5+) keep their place across restarts (KIP-345).
enum JoinGroupHandler: DevAPIHandler {
    /// How long after its rebalance deadline a parked join answers REBALANCE_IN_PROGRESS anyway
    /// (the rebalance itself completes at its deadline through ``GroupCoordinatorState/tick(now:)``).
    static let parkingSlackMs: Int64 = 30_000

    static func handle(_ request: JoinGroupRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        JoinGroupResponse
    > {
        if request.groupId.isEmpty {
            return .respond(response(.failure(.invalidGroupId, memberID: request.memberId), version: context.version))
        }
        guard state.coordinates(group: request.groupId, context: context) else {
            return .respond(response(.failure(.notCoordinator, memberID: request.memberId), version: context.version))
        }
        let instanceID = context.version >= 5 ? request.groupInstanceId : nil
        let clientID = context.clientID ?? ""
        let parameters = JoinGroupParameters(
            memberID: request.memberId, groupInstanceID: instanceID, clientID: clientID,
            clientHost: context.clientHost, sessionTimeoutMs: request.sessionTimeoutMs,
            rebalanceTimeoutMs: context.version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
            protocolType: request.protocolType,
            protocols: request.protocols.map { GroupProtocol(name: $0.name, metadata: $0.metadata) },
            requireKnownMemberID: context.version >= 4, supportsSkipAssignment: context.version >= 9,
            newMemberID: GroupCoordinatorState.newMemberID(prefix: instanceID ?? clientID))
        let groupID = request.groupId
        let version = context.version
        switch state.groups.join(groupID: groupID, parameters, now: context.now) {
        case .respond(let outcome):
            return .respond(response(outcome, version: version))
        case .wait(let token):
            let timeout = Int64(max(parameters.rebalanceTimeoutMs, 0))
            let delay = state.groups.config.initialRebalanceDelayMs
            let deadline = context.now &+ timeout &+ max(delay, 0) &+ parkingSlackMs
            let memberID = request.memberId.isEmpty ? parameters.newMemberID : request.memberId
            // The join may have completed the rebalance at once.
            if let outcome = state.groups.takeJoinOutcome(groupID: groupID, token: token) {
                return .respond(response(outcome, version: version))
            }
            return .park(deadline: deadline) { state, _, expired in
                if let outcome = state.groups.takeJoinOutcome(groupID: groupID, token: token) {
                    return response(outcome, version: version)
                }
                guard expired else { return nil }
                state.groups.groups[groupID]?.updateMember(memberID) { member in
                    if member.joinToken == token { member.joinToken = nil }
                }
                return response(.failure(.rebalanceInProgress, memberID: memberID), version: version)
            }
        }
    }

    static func errorResponse(to request: JoinGroupRequest, error: KafkaErrorCode, context: RequestContext)
        -> JoinGroupResponse
    {
        response(.failure(error, memberID: request.memberId), version: context.version)
    }

    /// The wire response of `outcome` at `version`: protocol names are null on errors at v7+ and
    /// empty before, as Kafka's `JoinGroupResponse` does.
    static func response(_ outcome: JoinOutcome, version: Int16) -> JoinGroupResponse {
        var response = JoinGroupResponse()
        response.errorCode = outcome.error.rawValue
        response.generationId = outcome.generationID
        response.memberId = outcome.memberID
        response.leader = outcome.leaderID
        if version >= 7 {
            response.protocolType = outcome.protocolType
            response.protocolName = outcome.protocolName
        } else {
            response.protocolName = outcome.protocolName ?? ""
        }
        response.skipAssignment = version >= 9 && outcome.skipAssignment
        response.members = outcome.members.map {
            JoinGroupResponse.JoinGroupResponseMember(
                memberId: $0.memberID, groupInstanceId: version >= 5 ? $0.groupInstanceID : nil, metadata: $0.metadata)
        }
        return response
    }
}

import KafkaProtocol
import NIOCore

extension GroupMembershipStateMachine {
    /// The classic group protocol type of consumers.
    static let protocolType = "consumer"

    /// JoinGroup with one protocol per assignor, preferred first, each carrying the member's
    /// subscription (topics, the assignor's user data, owned partitions, generation, rack).
    /// An encoding failure (a topic name too long) is fatal.
    mutating func joinRequest(_ actions: inout [GroupMembershipAction]) -> JoinGroupRequest {
        let topics = subscription.sorted(by: byteOrderPrecedes)
        let generation: Int32? = generationId >= 0 ? generationId : nil
        var protocols: [JoinGroupRequest.JoinGroupRequestProtocol] = []
        for assignor in configuration.assignors {
            let metadata = Subscription(
                topics: topics,
                userData: assignor.subscriptionUserData(
                    topics: topics, ownedPartitions: ownedPartitions, generationId: generation),
                ownedPartitions: ownedPartitions, generationId: generation, rackId: configuration.rackId)
            do {
                protocols.append(.init(name: assignor.name, metadata: try metadata.encoded()))
            } catch {
                fail(.assignment("\(error)"), &actions)
            }
        }
        return JoinGroupRequest(
            groupId: configuration.groupId,
            sessionTimeoutMs: configuration.sessionTimeout.int32Milliseconds,
            rebalanceTimeoutMs: configuration.maxPollInterval.int32Milliseconds,
            memberId: memberId,
            groupInstanceId: configuration.groupInstanceId,
            protocolType: Self.protocolType,
            protocols: protocols)
    }

    /// Sends SyncGroup (the leader's assignments, or none for a follower) and enters syncing.
    mutating func sendSync(
        assignments: [SyncGroupRequest.SyncGroupRequestAssignment], _ actions: inout [GroupMembershipAction]
    ) {
        phase = .syncing
        inFlight = .syncGroup
        actions.append(
            .sendSyncGroup(
                SyncGroupRequest(
                    groupId: configuration.groupId, generationId: generationId, memberId: memberId,
                    groupInstanceId: configuration.groupInstanceId, protocolType: Self.protocolType,
                    protocolName: protocolName, assignments: assignments)))
    }

    /// Heartbeat for the current generation.
    func heartbeatRequest() -> HeartbeatRequest {
        HeartbeatRequest(
            groupId: configuration.groupId, generationId: generationId, memberId: memberId,
            groupInstanceId: configuration.groupInstanceId)
    }

    /// LeaveGroup for this member (the member id for versions 0-2, the member list for 3+).
    func leaveRequest(reason: String) -> LeaveGroupRequest {
        LeaveGroupRequest(
            groupId: configuration.groupId, memberId: memberId,
            members: [.init(memberId: memberId, groupInstanceId: configuration.groupInstanceId, reason: reason)])
    }
}

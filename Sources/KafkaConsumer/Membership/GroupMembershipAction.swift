import KafkaNetwork
import KafkaProtocol

/// What the owner of a ``GroupMembershipStateMachine`` must do. Actions are returned in order and
/// must be run in that order: a rebalance listener callback (``revokePartitions(_:)``) finishes
/// before the request that follows it is sent.
enum GroupMembershipAction: Sendable, Hashable {
    /// Look up the group coordinator (FindCoordinator), then report
    /// ``GroupMembershipStateMachine/coordinatorFound(_:now:)`` or
    /// ``GroupMembershipStateMachine/coordinatorLookupFailed(_:now:)``.
    case findCoordinator(groupId: String)
    /// Send JoinGroup to the coordinator; report the response or the failure.
    case sendJoinGroup(JoinGroupRequest)
    /// This member leads the group: run the assignor named `protocol` over every member's
    /// subscription (keyed by member id), then report
    /// ``GroupMembershipStateMachine/assignmentComputed(_:now:)``.
    case runAssignment(members: [String: Subscription], protocol: String)
    /// Send SyncGroup to the coordinator; report the response or the failure.
    case sendSyncGroup(SyncGroupRequest)
    /// Send Heartbeat to the coordinator; report the response or the failure.
    case sendHeartbeat(HeartbeatRequest)
    /// Send LeaveGroup to the coordinator. During ``GroupMembershipStateMachine/close(now:)``,
    /// report the response or the failure; otherwise the outcome does not matter.
    case sendLeaveGroup(LeaveGroupRequest)
    /// Call the listener's `partitionsRevoked` (commit offsets while still owning them), then stop
    /// fetching these partitions.
    case revokePartitions([TopicPartition])
    /// Start consuming these partitions and call the listener's `partitionsAssigned` (called even
    /// when empty, as Java does).
    case assignPartitions([TopicPartition])
    /// Ownership of these partitions is already gone: stop fetching them and call the listener's
    /// `partitionsLost` (no commits).
    case losePartitions([TopicPartition])
    /// Call ``GroupMembershipStateMachine/tick(now:)`` at this instant (replaces any earlier timer).
    case scheduleTimer(at: ContinuousClock.Instant)
    /// Membership failed for good: surface the error to the application (from `poll`).
    case fail(GroupMembershipError)
    /// ``GroupMembershipStateMachine/close(now:)`` is complete.
    case closed
}

/// The coordinator request a failure concerns.
enum GroupRequestKind: Sendable, Hashable {
    /// JoinGroup.
    case joinGroup
    /// SyncGroup.
    case syncGroup
    /// Heartbeat.
    case heartbeat
    /// LeaveGroup.
    case leaveGroup
}

/// Why group membership failed for good.
enum GroupMembershipError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The coordinator answered with a fatal error (FENCED_INSTANCE_ID,
    /// GROUP_AUTHORIZATION_FAILED, INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, ...).
    case broker(KafkaError)
    /// A request failed in a way a retry will not fix (unsupported version, authentication, ...).
    case request(String)
    /// A subscription or assignment could not be decoded or encoded, or the assignor failed.
    case assignment(String)

    var description: String {
        switch self {
        case .broker(let error): return error.description
        case .request(let text): return "group request failed: \(text)"
        case .assignment(let text): return "group assignment failed: \(text)"
        }
    }
}

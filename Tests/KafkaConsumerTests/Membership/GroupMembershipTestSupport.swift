import KafkaNetwork
import KafkaProtocol
import NIOCore

@testable import KafkaConsumer

/// Drives a ``GroupMembershipStateMachine`` with a manual clock and builds the requests and
/// responses the tests expect.
final class MembershipHarness {
    let start = ContinuousClock.now
    var now: ContinuousClock.Instant
    var machine: GroupMembershipStateMachine
    let coordinator = BrokerMetadata(nodeID: 1, host: "broker1", port: 9092)
    let coordinator2 = BrokerMetadata(nodeID: 2, host: "broker2", port: 9092)

    init(
        assignors: [any PartitionAssignor] = [RangeAssignor()], instanceId: String? = nil
    ) {
        now = start
        var configuration = GroupMembershipConfiguration(groupId: "g", groupInstanceId: instanceId)
        configuration.sessionTimeout = .seconds(10)
        configuration.heartbeatInterval = .seconds(3)
        configuration.maxPollInterval = .seconds(60)
        configuration.retryBackoff = .milliseconds(100)
        configuration.assignors = assignors
        machine = GroupMembershipStateMachine(configuration: configuration)
    }

    /// The instant `ms` milliseconds after the start.
    func at(_ ms: Int) -> ContinuousClock.Instant { start + .milliseconds(ms) }

    func advance(to ms: Int) { now = at(ms) }

    // MARK: Requests

    func join(
        memberId: String, topics: [String] = ["t"], owned: [TopicPartition] = [], generation: Int32? = nil
    ) -> GroupMembershipAction {
        let protocols = machine.configuration.assignors.map { assignor in
            let subscription = Subscription(
                topics: topics,
                userData: assignor.subscriptionUserData(
                    topics: topics, ownedPartitions: owned, generationId: generation),
                ownedPartitions: owned, generationId: generation)
            return JoinGroupRequest.JoinGroupRequestProtocol(
                name: assignor.name, metadata: try! subscription.encoded())
        }
        return .sendJoinGroup(
            JoinGroupRequest(
                groupId: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 60_000, memberId: memberId,
                groupInstanceId: machine.configuration.groupInstanceId, protocolType: "consumer",
                protocols: protocols))
    }

    func sync(
        generation: Int32, memberId: String, protocolName: String = "range",
        assignments: [String: [TopicPartition]] = [:]
    ) -> GroupMembershipAction {
        .sendSyncGroup(
            SyncGroupRequest(
                groupId: "g", generationId: generation, memberId: memberId,
                groupInstanceId: machine.configuration.groupInstanceId, protocolType: "consumer",
                protocolName: protocolName,
                assignments: assignments.keys.sorted().map {
                    .init(memberId: $0, assignment: try! MemberAssignment(partitions: assignments[$0]!).encoded())
                }))
    }

    func heartbeat(generation: Int32, memberId: String) -> GroupMembershipAction {
        .sendHeartbeat(
            HeartbeatRequest(
                groupId: "g", generationId: generation, memberId: memberId,
                groupInstanceId: machine.configuration.groupInstanceId))
    }

    func leave(memberId: String, reason: String) -> GroupMembershipAction {
        .sendLeaveGroup(
            LeaveGroupRequest(
                groupId: "g", memberId: memberId,
                members: [.init(memberId: memberId, groupInstanceId: nil, reason: reason)]))
    }

    func timer(_ ms: Int) -> GroupMembershipAction { .scheduleTimer(at: at(ms)) }

    // MARK: Responses

    static func joinResponse(
        _ code: KafkaErrorCode = .none, generation: Int32 = 1, memberId: String, leader: String = "",
        protocolName: String = "range", members: [String: [String]] = [:]
    ) -> JoinGroupResponse {
        JoinGroupResponse(
            errorCode: code.rawValue, generationId: generation, protocolType: "consumer",
            protocolName: protocolName, leader: leader, memberId: memberId,
            members: members.keys.sorted().map {
                .init(memberId: $0, metadata: try! Subscription(topics: members[$0]!).encoded())
            })
    }

    static func syncResponse(
        _ code: KafkaErrorCode = .none, partitions: [TopicPartition] = [], protocolName: String = "range"
    ) -> SyncGroupResponse {
        SyncGroupResponse(
            errorCode: code.rawValue, protocolType: "consumer", protocolName: protocolName,
            assignment: code == .none ? try! MemberAssignment(partitions: partitions).encoded() : ByteBuffer())
    }

    static func heartbeatResponse(_ code: KafkaErrorCode = .none) -> HeartbeatResponse {
        HeartbeatResponse(errorCode: code.rawValue)
    }

    // MARK: Scripts

    /// Finds the coordinator and joins as a follower with `partitions` of topic `t`, at time 0.
    func joinAsFollower(
        memberId: String = "m1", generation: Int32 = 1, partitions: [Int32], protocolName: String = "range"
    ) {
        _ = machine.start(subscription: ["t"], now: now)
        _ = machine.coordinatorFound(coordinator, now: now)
        _ = machine.joinGroupResponse(
            Self.joinResponse(generation: generation, memberId: memberId, leader: "other", protocolName: protocolName),
            now: now)
        _ = machine.syncGroupResponse(
            SyncGroupResponse(
                protocolType: "consumer", protocolName: protocolName,
                assignment: try! MemberAssignment(partitions: partitions.map { tp($0) }).encoded()),
            now: now)
    }
}

/// Partition `p` of topic `t`.
func tp(_ p: Int32, _ topic: String = "t") -> TopicPartition { TopicPartition(topic: topic, partition: p) }

import KafkaNetwork
import KafkaProtocol
import NIOCore

/// The client side of classic consumer-group membership (JoinGroup / SyncGroup / Heartbeat /
/// LeaveGroup), as a plain state machine: each event returns the ``GroupMembershipAction``s to
/// run, in order. No I/O and no clock of its own: every event carries `now`.
///
/// The member moves unjoined → (finding the coordinator) → joining → assigning (leader only) →
/// syncing → stable, back to joining on a rebalance, and to leaving → left on ``close(now:)``, or
/// failed on a fatal error. The behaviour follows Java's `AbstractCoordinator` and
/// `ConsumerCoordinator`: eager members revoke everything before rejoining, cooperative members
/// (KIP-429) keep their partitions and revoke only those the new assignment drops, then rejoin
/// once more; a reset generation (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, session expiry, poll
/// timeout) makes partitions lost rather than revoked.
///
/// The owner must drop responses from a coordinator connection it abandoned after
/// ``GroupMembershipAction/findCoordinator(groupId:)``: the machine accepts one outstanding
/// JoinGroup/SyncGroup/LeaveGroup and one Heartbeat, and takes any response of that kind as the
/// answer.
struct GroupMembershipStateMachine: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// Where the member is, for diagnostics and tests.
    enum State: Sendable, Hashable {
        /// Not started, or out of the group after a poll timeout until the next poll.
        case unjoined
        /// Waiting for the coordinator to be found (the membership, if any, is kept).
        case findingCoordinator
        /// JoinGroup pending or in flight.
        case joining
        /// The leader is running the assignor.
        case assigning
        /// SyncGroup in flight.
        case syncing
        /// Member of the current generation with an assignment.
        case stable
        /// LeaveGroup in flight during close.
        case leaving
        /// Closed.
        case left
        /// Failed for good.
        case failed(GroupMembershipError)
    }

    enum Phase: Sendable, Hashable {
        case idle
        case joining
        case assigning
        case syncing
        case stable
        case awaitingPoll
        case leaving
        case left
        case failed(GroupMembershipError)
    }

    let configuration: GroupMembershipConfiguration
    var phase: Phase = .idle

    /// The coordinator, `nil` while unknown.
    private(set) var coordinator: BrokerMetadata?
    var lookupInFlight = false
    /// The JoinGroup, SyncGroup or LeaveGroup in flight.
    var inFlight: GroupRequestKind?
    /// The generation of the Heartbeat in flight, `nil` when none is.
    var heartbeatInFlight: Int32?
    /// FindCoordinator and JoinGroup wait until then after a retriable failure.
    var retryAt: Instant?

    private(set) var generationId: Int32 = -1
    private(set) var memberId: String = ""
    /// The assignor the coordinator chose in the current generation.
    private(set) var protocolName: String?
    /// Whether this member leads the current generation.
    private(set) var isLeader = false

    /// The topics the application subscribes to.
    private(set) var subscription: Set<String> = []
    /// The subscription sent in the last successful JoinGroup.
    var joinedSubscription: Set<String>?
    /// The partitions owned now, sorted.
    private(set) var ownedPartitions: [TopicPartition] = []
    /// The leader saw partition counts change before the rebalance completed: rejoin after it.
    var metadataRejoinPending = false

    var lastPoll: Instant?
    /// The session timer's start: the last successful heartbeat (or join/sync).
    var lastHeartbeatReceived: Instant?
    var nextHeartbeatAt: Instant?
    var scheduledDeadline: Instant?

    /// Creates an unjoined member.
    init(configuration: GroupMembershipConfiguration) {
        self.configuration = configuration
    }

    /// Where the member is.
    var state: State {
        switch phase {
        case .idle, .awaitingPoll: return .unjoined
        case .left: return .left
        case .failed(let error): return .failed(error)
        case .joining, .assigning, .syncing, .stable, .leaving:
            if coordinator == nil { return .findingCoordinator }
            switch phase {
            case .joining: return .joining
            case .assigning: return .assigning
            case .syncing: return .syncing
            case .stable: return .stable
            default: return .leaving
            }
        }
    }

    /// The group, generation and member identity (for transactional offset commits).
    var groupMetadata: GroupMetadata {
        GroupMetadata(
            groupId: configuration.groupId, generationId: generationId, memberId: memberId,
            groupInstanceId: configuration.groupInstanceId)
    }

    // MARK: - Events

    /// The consumer subscribed: find the coordinator and join.
    mutating func start(subscription: Set<String>, now: Instant) -> [GroupMembershipAction] {
        guard phase == .idle else { return [] }
        self.subscription = subscription
        lastPoll = now
        phase = .joining
        var actions: [GroupMembershipAction] = []
        finish(now: now, &actions)
        return actions
    }

    /// FindCoordinator answered.
    mutating func coordinatorFound(_ node: BrokerMetadata, now: Instant) -> [GroupMembershipAction] {
        guard lookupInFlight else { return [] }
        lookupInFlight = false
        coordinator = node
        var actions: [GroupMembershipAction] = []
        finish(now: now, &actions)
        return actions
    }

    /// FindCoordinator failed: retry after `retry.backoff.ms`, unless the error is fatal.
    mutating func coordinatorLookupFailed(_ error: any Error, now: Instant) -> [GroupMembershipAction] {
        guard lookupInFlight else { return [] }
        lookupInFlight = false
        var actions: [GroupMembershipAction] = []
        if let fatal = Self.fatalError(from: error) {
            fail(fatal, &actions)
            return actions
        }
        if phase == .leaving {
            leaveDone(&actions)
            return actions
        }
        retryAt = now + configuration.retryBackoff
        finish(now: now, &actions)
        return actions
    }

    /// The leader's assignor finished: send SyncGroup with every member's assignment.
    mutating func assignmentComputed(_ assignment: GroupAssignment, now: Instant) -> [GroupMembershipAction] {
        guard phase == .assigning else { return [] }
        var actions: [GroupMembershipAction] = []
        let encoded: [String: ByteBuffer]
        do {
            encoded = try assignment.encoded()
        } catch {
            fail(.assignment("\(error)"), &actions)
            return actions
        }
        let assignments = encoded.keys.sorted(by: byteOrderPrecedes).map {
            SyncGroupRequest.SyncGroupRequestAssignment(memberId: $0, assignment: encoded[$0] ?? ByteBuffer())
        }
        sendSync(assignments: assignments, &actions)
        finish(now: now, &actions)
        return actions
    }

    /// The leader's assignor threw: fatal, as in Java.
    mutating func assignmentFailed(_ error: any Error, now: Instant) -> [GroupMembershipAction] {
        guard phase == .assigning else { return [] }
        var actions: [GroupMembershipAction] = []
        fail(.assignment("\(error)"), &actions)
        return actions
    }

    /// The timer fired: poll timeout (KIP-62), session expiry, heartbeats and retries.
    mutating func tick(now: Instant) -> [GroupMembershipAction] {
        var actions: [GroupMembershipAction] = []
        scheduledDeadline = nil
        if isHeartbeating {
            if let lastPoll, now >= lastPoll + configuration.maxPollInterval {
                pollTimeoutExpired(&actions)
            } else if let lastHeartbeatReceived, now >= lastHeartbeatReceived + configuration.sessionTimeout {
                // librdkafka's choice (Java only marks the coordinator unknown and learns of the
                // expiry from the next UNKNOWN_MEMBER_ID): the broker has expelled us by now.
                resetGeneration(resetMemberId: true)
                beginRejoin(lost: true, &actions)
                markCoordinatorUnknown(&actions)
            }
        }
        finish(now: now, &actions)
        return actions
    }

    /// The application polled: restarts the poll timer; after a poll timeout, rejoins.
    mutating func pollCalled(now: Instant) -> [GroupMembershipAction] {
        lastPoll = now
        var actions: [GroupMembershipAction] = []
        if phase == .awaitingPoll { beginRejoin(lost: true, &actions) }
        finish(now: now, &actions)
        return actions
    }

    /// The subscription changed: rejoin when it differs from the one the member joined with.
    mutating func subscriptionChanged(_ topics: Set<String>, now: Instant) -> [GroupMembershipAction] {
        subscription = topics
        var actions: [GroupMembershipAction] = []
        if phase == .stable, joinedSubscription != topics { beginRejoin(lost: false, &actions) }
        finish(now: now, &actions)
        return actions
    }

    /// The partition count of a subscribed topic changed. Only the leader rejoins, as in Java
    /// (it owns the assignment snapshot); later if a rebalance is under way.
    mutating func metadataChanged(now: Instant) -> [GroupMembershipAction] {
        var actions: [GroupMembershipAction] = []
        guard isLeader else { return actions }
        switch phase {
        case .stable: beginRejoin(lost: false, &actions)
        case .assigning, .syncing: metadataRejoinPending = true
        default: break
        }
        finish(now: now, &actions)
        return actions
    }

    /// The consumer closes: revoke (or lose) the owned partitions, then LeaveGroup (dynamic
    /// members with a known coordinator only), then ``GroupMembershipAction/closed``.
    mutating func close(now: Instant) -> [GroupMembershipAction] {
        var actions: [GroupMembershipAction] = []
        switch phase {
        case .left, .failed, .leaving: return actions
        case .idle:
            phase = .left
            actions.append(.closed)
            return actions
        case .joining, .assigning, .syncing, .stable, .awaitingPoll: break
        }
        if !ownedPartitions.isEmpty {
            actions.append(generationId < 0 ? .losePartitions(ownedPartitions) : .revokePartitions(ownedPartitions))
            ownedPartitions = []
        }
        let wasJoined = phase != .awaitingPoll
        heartbeatInFlight = nil
        lookupInFlight = false
        retryAt = nil
        if !configuration.isStatic, coordinator != nil, !memberId.isEmpty, wasJoined {
            inFlight = .leaveGroup
            phase = .leaving
            actions.append(.sendLeaveGroup(leaveRequest(reason: "the consumer is being closed")))
        } else {
            inFlight = nil
            phase = .left
            actions.append(.closed)
        }
        return actions
    }

    /// LeaveGroup answered (errors are only logged, as in Java).
    mutating func leaveGroupResponse(_ response: LeaveGroupResponse, now: Instant) -> [GroupMembershipAction] {
        guard phase == .leaving, inFlight == .leaveGroup else { return [] }
        var actions: [GroupMembershipAction] = []
        leaveDone(&actions)
        return actions
    }

    // MARK: - Transitions

    /// Heartbeats run once the member joined a generation, until it rejoins (Java's heartbeat
    /// thread runs in COMPLETING_REBALANCE and STABLE).
    var isHeartbeating: Bool {
        switch phase {
        case .assigning, .syncing, .stable: return true
        default: return false
        }
    }

    /// Leaves the generation to join again. A reset generation loses the owned partitions; else
    /// eager revokes all of them and cooperative only those no longer subscribed.
    mutating func beginRejoin(lost: Bool, _ actions: inout [GroupMembershipAction]) {
        if lost || generationId < 0 {
            if !ownedPartitions.isEmpty { actions.append(.losePartitions(ownedPartitions)) }
            ownedPartitions = []
        } else {
            switch configuration.rebalanceProtocol {
            case .eager:
                if !ownedPartitions.isEmpty { actions.append(.revokePartitions(ownedPartitions)) }
                ownedPartitions = []
            case .cooperative:
                let gone = ownedPartitions.filter { !subscription.contains($0.topic) }
                if !gone.isEmpty { actions.append(.revokePartitions(gone)) }
                ownedPartitions.removeAll { !subscription.contains($0.topic) }
            }
        }
        phase = .joining
        if inFlight == .syncGroup || inFlight == .joinGroup { inFlight = nil }
        heartbeatInFlight = nil
        nextHeartbeatAt = nil
        isLeader = false
        metadataRejoinPending = false
    }

    /// `max.poll.interval.ms` passed without a poll: a dynamic member sends LeaveGroup; every
    /// member resets its generation and waits for the next poll to rejoin (Java's
    /// `maybeLeaveGroup`).
    mutating func pollTimeoutExpired(_ actions: inout [GroupMembershipAction]) {
        if !configuration.isStatic, coordinator != nil, !memberId.isEmpty {
            actions.append(
                .sendLeaveGroup(
                    leaveRequest(
                        reason: "consumer poll timeout has expired (max.poll.interval.ms exceeded)")))
        }
        resetGeneration(resetMemberId: true)
        phase = .awaitingPoll
        if inFlight == .syncGroup { inFlight = nil }
        heartbeatInFlight = nil
        nextHeartbeatAt = nil
        isLeader = false
    }

    /// Forgets the coordinator: the lookup starts again; the membership is kept, but a SyncGroup in
    /// flight is lost, so the member rejoins; close gives up on LeaveGroup.
    mutating func markCoordinatorUnknown(_ actions: inout [GroupMembershipAction]) {
        coordinator = nil
        heartbeatInFlight = nil
        switch inFlight {
        case .joinGroup:
            inFlight = nil
        case .syncGroup:
            inFlight = nil
            beginRejoin(lost: false, &actions)
        case .leaveGroup:
            if phase == .leaving { leaveDone(&actions) }
        case .heartbeat, nil:
            break
        }
        if phase == .assigning { beginRejoin(lost: false, &actions) }
    }

    mutating func resetGeneration(resetMemberId: Bool) {
        generationId = -1
        protocolName = nil
        if resetMemberId { memberId = "" }
    }

    mutating func leaveDone(_ actions: inout [GroupMembershipAction]) {
        inFlight = nil
        phase = .left
        actions.append(.closed)
    }

    mutating func fail(_ error: GroupMembershipError, _ actions: inout [GroupMembershipAction]) {
        phase = .failed(error)
        inFlight = nil
        heartbeatInFlight = nil
        lookupInFlight = false
        retryAt = nil
        actions.append(.fail(error))
    }

    mutating func setOwned(_ partitions: [TopicPartition]) {
        ownedPartitions = Array(Set(partitions)).sorted()
    }

    mutating func setGeneration(id: Int32, memberId: String, protocolName: String, isLeader: Bool) {
        generationId = id
        self.memberId = memberId
        self.protocolName = protocolName
        self.isLeader = isLeader
    }

    mutating func setMemberId(_ memberId: String) {
        self.memberId = memberId
    }

    /// Sends whatever the state calls for (FindCoordinator, JoinGroup, Heartbeat, LeaveGroup),
    /// then schedules the next timer.
    mutating func finish(now: Instant, _ actions: inout [GroupMembershipAction]) {
        if let retryAt, now >= retryAt { self.retryAt = nil }
        switch phase {
        case .joining, .assigning, .syncing, .stable, .leaving:
            if coordinator == nil {
                if !lookupInFlight, retryAt == nil {
                    lookupInFlight = true
                    actions.append(.findCoordinator(groupId: configuration.groupId))
                }
            } else if phase == .joining {
                if inFlight == nil, retryAt == nil {
                    let request = joinRequest(&actions)
                    if case .failed = phase { return }
                    inFlight = .joinGroup
                    actions.append(.sendJoinGroup(request))
                }
            } else if isHeartbeating, heartbeatInFlight == nil, generationId >= 0 {
                let due = nextHeartbeatAt ?? now
                if now >= due {
                    heartbeatInFlight = generationId
                    nextHeartbeatAt = now + configuration.heartbeatInterval
                    actions.append(.sendHeartbeat(heartbeatRequest()))
                }
            }
        case .idle, .awaitingPoll, .left, .failed:
            break
        }
        if case .failed = phase { return }
        scheduleTimer(&actions)
    }

    /// The earliest instant something is due, announced when it changed.
    mutating func scheduleTimer(_ actions: inout [GroupMembershipAction]) {
        var deadlines: [Instant] = []
        if let retryAt { deadlines.append(retryAt) }
        if isHeartbeating {
            if coordinator != nil, heartbeatInFlight == nil, let nextHeartbeatAt { deadlines.append(nextHeartbeatAt) }
            if let lastHeartbeatReceived { deadlines.append(lastHeartbeatReceived + configuration.sessionTimeout) }
            if let lastPoll { deadlines.append(lastPoll + configuration.maxPollInterval) }
        }
        guard let deadline = deadlines.min() else {
            scheduledDeadline = nil
            return
        }
        guard deadline != scheduledDeadline else { return }
        scheduledDeadline = deadline
        actions.append(.scheduleTimer(at: deadline))
    }

    /// The fatal error in a failed lookup or request, `nil` when a retry may succeed.
    static func fatalError(from error: any Error) -> GroupMembershipError? {
        if let error = error as? KafkaError {
            return error.isRetriable ? nil : .broker(error)
        }
        if let error = error as? KafkaNetworkError {
            return error.isRetriable ? nil : .request(error.description)
        }
        return .request("\(error)")
    }
}

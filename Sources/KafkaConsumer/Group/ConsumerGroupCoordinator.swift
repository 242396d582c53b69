import KafkaNetwork
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers

/// Runs a ``GroupMembershipStateMachine`` against the group coordinator: it feeds the machine every
/// event (responses, failures, timer ticks, polls) and performs the actions it returns.
///
/// Network actions (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and the leader's
/// assignment run on tasks of their own, so heartbeats keep their schedule while the application
/// processes records. The rebalance-listener actions (revoke, assign, lose) wait at the head of the
/// action queue until the application's task picks them up in ``runCallbacks(_:)`` — from `poll`,
/// `unsubscribe` or `close` — so that callbacks never run while the application still handles records of
/// an earlier poll; the actions behind them (the JoinGroup after a revocation) wait too. Timers bypass
/// the queue: a member that stops polling still leaves the group after `max.poll.interval.ms`.
///
/// Responses of requests sent to a coordinator that was since abandoned (a new lookup started) are
/// dropped, as the state machine requires.
final class ConsumerGroupCoordinator: Sendable {
    struct State: Sendable {
        var machine: GroupMembershipStateMachine
        var queue: [GroupMembershipAction] = []
        var timer: Task<Void, Never>?
        /// Bumped at every coordinator lookup; responses from an older coordinator are dropped.
        var coordinatorEpoch = 0
        var failure: GroupMembershipError?
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var isClosed = false
        /// The partition counts the last assignment (as leader) was computed from.
        var assignedPartitionCounts: [String: Int32]?
    }

    let groupId: String
    let cluster: KafkaClusterClient
    let logger: Logger
    /// JoinGroup may wait for the whole rebalance: its timeout is `max.poll.interval.ms` plus this margin.
    let joinTimeoutMargin: Duration = .seconds(5)
    let state: NIOLockedValueBox<State>

    init(configuration: GroupMembershipConfiguration, cluster: KafkaClusterClient, logger: Logger) {
        self.groupId = configuration.groupId
        self.cluster = cluster
        self.logger = logger
        self.state = NIOLockedValueBox(State(machine: GroupMembershipStateMachine(configuration: configuration)))
    }

    // MARK: Application-facing

    /// Starts membership with `topics`, or tells the machine the subscription changed.
    func subscribe(_ topics: Set<String>) {
        handle { machine, now in
            machine.phase == .idle
                ? machine.start(subscription: topics, now: now) : machine.subscriptionChanged(topics, now: now)
        }
    }

    /// The subscribed topics.
    var subscription: Set<String> { state.withLockedValue { $0.machine.subscription } }

    /// The group identity for offset commits: generation and member id (generation -1 when not a member).
    var groupMetadata: GroupMetadata { state.withLockedValue { $0.machine.groupMetadata } }

    /// Whether the member is in a stable generation.
    var isStable: Bool { state.withLockedValue { $0.machine.state == .stable } }

    /// The failure that ended membership, if any.
    var failure: GroupMembershipError? { state.withLockedValue { $0.failure } }

    /// The application polled: restarts the poll timer (and rejoins after a poll timeout).
    func pollCalled() {
        handle { machine, now in machine.pollCalled(now: now) }
    }

    /// A metadata refresh saw `partitionCounts` for the subscribed topics: the leader rejoins when they
    /// differ from those its last assignment used.
    func metadataRefreshed(partitionCounts: [String: Int32]) {
        let changed = state.withLockedValue { state -> Bool in
            guard let previous = state.assignedPartitionCounts else { return false }
            return previous != partitionCounts
        }
        if changed { handle { machine, now in machine.metadataChanged(now: now) } }
    }

    /// Runs the listener actions waiting at the head of the queue, in order, with `perform`, then lets the
    /// actions behind them go. Returns whether any ran.
    @discardableResult
    func runCallbacks(_ perform: (GroupMembershipAction) async -> Void) async -> Bool {
        var ranAny = false
        while true {
            let next = state.withLockedValue { state -> GroupMembershipAction? in
                guard let head = state.queue.first, head.isListenerAction else { return nil }
                state.queue.removeFirst()
                return head
            }
            guard let next else { break }
            ranAny = true
            await perform(next)
            drain()
        }
        return ranAny
    }

    /// Leaves the group: revocation callbacks run through `perform` on the calling task, then LeaveGroup
    /// is sent (dynamic members) and awaited for at most `timeout`.
    func close(timeout: Duration, _ perform: (GroupMembershipAction) async -> Void) async {
        handle { machine, now in machine.close(now: now) }
        await runCallbacks(perform)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done = self.state.withLockedValue { state -> Bool in
                        if state.isClosed { return true }
                        state.closeWaiters.append(continuation)
                        return false
                    }
                    if done { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.finishClose()
            }
            await group.next()
            group.cancelAll()
        }
        finishClose()
    }

    // MARK: Event loop

    /// Feeds one event to the machine and performs what it returns.
    func handle(_ event: (inout GroupMembershipStateMachine, ContinuousClock.Instant) -> [GroupMembershipAction]) {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            guard !state.isClosed else { return }
            for action in event(&state.machine, now) {
                if case .scheduleTimer(let deadline) = action {
                    state.timer?.cancel()
                    state.timer = Task { [weak self] in
                        try? await Task.sleep(until: deadline)
                        guard !Task.isCancelled else { return }
                        self?.handle { machine, now in machine.tick(now: now) }
                    }
                } else {
                    state.queue.append(action)
                }
            }
        }
        drain()
    }

    /// Performs queued actions up to the first listener action (which waits for the application).
    private func drain() {
        let (actions, epoch) = state.withLockedValue { state -> ([GroupMembershipAction], Int) in
            var actions: [GroupMembershipAction] = []
            while let head = state.queue.first, !head.isListenerAction {
                state.queue.removeFirst()
                if case .findCoordinator = head { state.coordinatorEpoch += 1 }
                actions.append(head)
            }
            return (actions, state.coordinatorEpoch)
        }
        for action in actions { perform(action, epoch: epoch) }
    }

    private func perform(_ action: GroupMembershipAction, epoch: Int) {
        switch action {
        case .findCoordinator:
            cluster.invalidateCoordinator(for: groupId, type: .group)
            Task {
                do {
                    let node = try await cluster.coordinator(for: groupId, type: .group)
                    handle { machine, now in machine.coordinatorFound(node, now: now) }
                } catch {
                    logger.debug(
                        "group coordinator lookup failed", metadata: ["group": "\(groupId)", "error": "\(error)"])
                    handle { machine, now in machine.coordinatorLookupFailed(error, now: now) }
                }
            }
        case .sendJoinGroup(let request):
            let timeout = Duration.milliseconds(Int64(request.rebalanceTimeoutMs)) + joinTimeoutMargin
            send(request, kind: .joinGroup, epoch: epoch, timeout: timeout) { machine, response, now in
                machine.joinGroupResponse(response, now: now)
            }
        case .sendSyncGroup(let request):
            send(request, kind: .syncGroup, epoch: epoch, timeout: nil) { machine, response, now in
                machine.syncGroupResponse(response, now: now)
            }
        case .sendHeartbeat(let request):
            send(request, kind: .heartbeat, epoch: epoch, timeout: nil) { machine, response, now in
                machine.heartbeatResponse(response, now: now)
            }
        case .sendLeaveGroup(let request):
            send(
                request, kind: .leaveGroup, epoch: epoch, timeout: nil,
                forVersion: { request, version in
                    // v0-2 name the member in `memberId`, v3+ in the `members` batch (KIP-345).
                    if version < 3 { request.members = [] } else { request.memberId = "" }
                }
            ) { machine, response, now in
                machine.leaveGroupResponse(response, now: now)
            }
        case .runAssignment(let members, let protocolName):
            Task { await runAssignment(members: members, protocolName: protocolName) }
        case .fail(let error):
            logger.error("group membership failed", metadata: ["group": "\(groupId)", "error": "\(error)"])
            state.withLockedValue { $0.failure = error }
        case .closed:
            finishClose()
        case .scheduleTimer, .revokePartitions, .assignPartitions, .losePartitions:
            break
        }
    }

    /// Sends a coordinator request on a task; the answer (or failure) goes back to the machine unless the
    /// coordinator was abandoned meanwhile.
    private func send<R: KafkaRequest>(
        _ request: R, kind: GroupRequestKind, epoch: Int, timeout: Duration?,
        forVersion adapt: @escaping @Sendable (inout R, Int16) -> Void = { _, _ in },
        onResponse:
            @escaping @Sendable (inout GroupMembershipStateMachine, R.Response, ContinuousClock.Instant) ->
            [GroupMembershipAction]
    ) where R.Response: Sendable {
        guard let node = state.withLockedValue({ $0.machine.coordinator?.nodeID }) else {
            handle { machine, now in
                machine.requestFailed(
                    kind, error: KafkaError(code: .coordinatorNotAvailable, api: R.apiKey), now: now)
            }
            return
        }
        Task {
            let result: Result<R.Response, any Error>
            var connection: BrokerConnection?
            do {
                let open = try await cluster.connection(to: .broker(node), kind: .group)
                connection = open
                let version = try open.versions.version(for: R.self)
                var request = request
                adapt(&request, version)
                result = .success(try await open.send(request, version: version, timeout: timeout))
            } catch {
                if let connection, let networkError = error as? KafkaNetworkError,
                    networkError.kind != .unsupportedVersion, networkError.kind != .undecodableResponse
                {
                    await cluster.discard(connection)
                }
                result = .failure(error)
            }
            guard state.withLockedValue({ $0.coordinatorEpoch == epoch }) else { return }
            switch result {
            case .success(let response):
                handle { machine, now in onResponse(&machine, response, now) }
            case .failure(let error):
                logger.debug(
                    "group request failed",
                    metadata: ["group": "\(groupId)", "api": "\(R.apiKey)", "error": "\(error)"])
                handle { machine, now in machine.requestFailed(kind, error: error, now: now) }
            }
        }
    }

    /// The leader's part: partition counts of every subscribed topic, then the chosen assignor.
    private func runAssignment(members: [String: Subscription], protocolName: String) async {
        let assignor = state.withLockedValue { state in
            state.machine.configuration.assignors.first { $0.name == protocolName }
        }
        let topics = Set(members.values.flatMap(\.topics))
        do {
            guard let assignor else { throw KafkaConsumerError(.groupFailed("no assignor named \(protocolName)")) }
            let metadata = try await cluster.metadata(for: topics)
            var counts: [String: Int32] = [:]
            for topic in topics {
                guard let info = metadata.topics[topic], info.error == nil || info.error == KafkaErrorCode.none else {
                    continue
                }
                counts[topic] = Int32(clamping: info.partitions.count)
            }
            let assignment = try assignor.assign(partitionsPerTopic: counts, subscriptions: members)
            state.withLockedValue { $0.assignedPartitionCounts = counts }
            handle { machine, now in machine.assignmentComputed(GroupAssignment(assignment), now: now) }
        } catch {
            handle { machine, now in machine.assignmentFailed(error, now: now) }
        }
    }

    private func finishClose() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.isClosed = true
            state.timer?.cancel()
            state.timer = nil
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension GroupMembershipAction {
    /// Whether the action calls the rebalance listener (and so runs on the application's task).
    var isListenerAction: Bool {
        switch self {
        case .revokePartitions, .assignPartitions, .losePartitions: true
        default: false
        }
    }
}

import KafkaNetwork
import KafkaProtocol

extension GroupMembershipStateMachine {
    /// JoinGroup answered.
    ///
    /// MEMBER_ID_REQUIRED (KIP-394), UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and
    /// REBALANCE_IN_PROGRESS retry at once; COORDINATOR_LOAD_IN_PROGRESS after the backoff;
    /// NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE find the coordinator again; the rest is fatal.
    mutating func joinGroupResponse(_ response: JoinGroupResponse, now: Instant) -> [GroupMembershipAction] {
        guard phase == .joining, inFlight == .joinGroup else { return [] }
        inFlight = nil
        var actions: [GroupMembershipAction] = []
        let code = KafkaErrorCode(rawValue: response.errorCode)
        switch code {
        case .none:
            joined(response, now: now, &actions)
            if case .failed = phase { return actions }
        case .memberIdRequired:
            setMemberId(response.memberId)
        case .unknownMemberId, .illegalGeneration:
            resetGeneration(resetMemberId: code == .unknownMemberId)
            beginRejoin(lost: true, &actions)
        case .rebalanceInProgress:
            break
        case .coordinatorLoadInProgress:
            retryAt = now + configuration.retryBackoff
        case .notCoordinator, .coordinatorNotAvailable:
            markCoordinatorUnknown(&actions)
        default:
            handleOtherError(code, api: .joinGroup, now: now, &actions)
            if case .failed = phase { return actions }
        }
        finish(now: now, &actions)
        return actions
    }

    private mutating func joined(_ response: JoinGroupResponse, now: Instant, _ actions: inout [GroupMembershipAction])
    {
        if let type = response.protocolType, type != Self.protocolType {
            fail(.broker(KafkaError(code: .inconsistentGroupProtocol, api: .joinGroup)), &actions)
            return
        }
        guard let name = response.protocolName, configuration.assignors.contains(where: { $0.name == name }) else {
            fail(.broker(KafkaError(code: .inconsistentGroupProtocol, api: .joinGroup)), &actions)
            return
        }
        let leads = response.leader == response.memberId
        setGeneration(id: response.generationId, memberId: response.memberId, protocolName: name, isLeader: leads)
        joinedSubscription = subscription
        lastHeartbeatReceived = now
        nextHeartbeatAt = now + configuration.heartbeatInterval
        guard leads, !response.skipAssignment else {
            // A follower, or a static leader told to keep the current assignment (KIP-814).
            sendSync(assignments: [], &actions)
            return
        }
        var members: [String: Subscription] = [:]
        for member in response.members {
            do {
                members[member.memberId] = try Subscription(
                    decoding: member.metadata, groupInstanceId: member.groupInstanceId)
            } catch {
                fail(.assignment("member \(member.memberId): \(error)"), &actions)
                return
            }
        }
        phase = .assigning
        actions.append(.runAssignment(members: members, protocol: name))
    }

    /// SyncGroup answered: on success the assignment takes effect (for cooperative members,
    /// dropped partitions are revoked first and the member rejoins once more).
    mutating func syncGroupResponse(_ response: SyncGroupResponse, now: Instant) -> [GroupMembershipAction] {
        guard phase == .syncing, inFlight == .syncGroup else { return [] }
        inFlight = nil
        var actions: [GroupMembershipAction] = []
        let code = KafkaErrorCode(rawValue: response.errorCode)
        switch code {
        case .none:
            synced(response, now: now, &actions)
            if case .failed = phase { return actions }
        case .rebalanceInProgress:
            beginRejoin(lost: false, &actions)
        case .unknownMemberId, .illegalGeneration:
            resetGeneration(resetMemberId: code == .unknownMemberId)
            beginRejoin(lost: true, &actions)
        case .notCoordinator, .coordinatorNotAvailable:
            markCoordinatorUnknown(&actions)
            beginRejoin(lost: false, &actions)
        default:
            // Only the errors that rejoining cannot fix are fatal here; anything else rejoins, as
            // librdkafka does (librdkafka's mock cluster, for one, answers a follower's SyncGroup that
            // arrives after the leader's with INVALID_REQUEST).
            handleOtherError(code, api: .syncGroup, now: now, rejoinOtherwise: true, &actions)
            if case .failed = phase { return actions }
            beginRejoin(lost: false, &actions)
        }
        finish(now: now, &actions)
        return actions
    }

    private mutating func synced(_ response: SyncGroupResponse, now: Instant, _ actions: inout [GroupMembershipAction])
    {
        if let type = response.protocolType, type != Self.protocolType {
            fail(.broker(KafkaError(code: .inconsistentGroupProtocol, api: .syncGroup)), &actions)
            return
        }
        if let name = response.protocolName, name != protocolName {
            fail(.broker(KafkaError(code: .inconsistentGroupProtocol, api: .syncGroup)), &actions)
            return
        }
        let assigned: [TopicPartition]
        do {
            assigned = Array(Set(try MemberAssignment(decoding: response.assignment).partitions)).sorted()
        } catch {
            fail(.assignment("\(error)"), &actions)
            return
        }
        phase = .stable
        lastHeartbeatReceived = now
        var revoked: [TopicPartition] = []
        switch configuration.rebalanceProtocol {
        case .eager:
            if !ownedPartitions.isEmpty { actions.append(.revokePartitions(ownedPartitions)) }
            setOwned(assigned)
            actions.append(.assignPartitions(assigned))
        case .cooperative:
            revoked = CooperativeStickyAssignor.partitionsToRevoke(owned: ownedPartitions, assigned: assigned)
            let added = CooperativeStickyAssignor.partitionsToAdd(owned: ownedPartitions, assigned: assigned)
            if !revoked.isEmpty { actions.append(.revokePartitions(revoked)) }
            setOwned(assigned)
            actions.append(.assignPartitions(added))
        }
        if !revoked.isEmpty || metadataRejoinPending || joinedSubscription != subscription {
            beginRejoin(lost: false, &actions)
        }
    }

    /// Heartbeat answered.
    ///
    /// REBALANCE_IN_PROGRESS rejoins when stable (ignored during a rebalance, as in Java);
    /// ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID lose the partitions and rejoin (when the heartbeat
    /// was for the current generation); NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE find the
    /// coordinator again, keeping the membership; FENCED_INSTANCE_ID and authorization errors are
    /// fatal; other retriable errors retry after the backoff.
    mutating func heartbeatResponse(_ response: HeartbeatResponse, now: Instant) -> [GroupMembershipAction] {
        guard let sentGeneration = heartbeatInFlight else { return [] }
        heartbeatInFlight = nil
        var actions: [GroupMembershipAction] = []
        guard isHeartbeating else {
            finish(now: now, &actions)
            return actions
        }
        let code = KafkaErrorCode(rawValue: response.errorCode)
        switch code {
        case .none:
            lastHeartbeatReceived = now
        case .rebalanceInProgress:
            lastHeartbeatReceived = now
            if phase == .stable { beginRejoin(lost: false, &actions) }
        case .unknownMemberId, .illegalGeneration:
            if sentGeneration == generationId {
                resetGeneration(resetMemberId: code == .unknownMemberId)
                beginRejoin(lost: true, &actions)
            }
        case .notCoordinator, .coordinatorNotAvailable:
            markCoordinatorUnknown(&actions)
        default:
            handleOtherError(code, api: .heartbeat, now: now, &actions)
            if case .failed = phase { return actions }
            nextHeartbeatAt = now + configuration.retryBackoff
        }
        finish(now: now, &actions)
        return actions
    }

    /// A request to the coordinator failed without a response. Retriable failures (disconnects,
    /// timeouts) mark the coordinator unknown, as Java does on a disconnect, and retry after the
    /// backoff; the rest is fatal. A failed LeaveGroup still completes the close.
    mutating func requestFailed(_ kind: GroupRequestKind, error: any Error, now: Instant) -> [GroupMembershipAction] {
        var actions: [GroupMembershipAction] = []
        switch kind {
        case .heartbeat:
            guard heartbeatInFlight != nil else { return [] }
            heartbeatInFlight = nil
        case .joinGroup, .syncGroup, .leaveGroup:
            guard inFlight == kind else { return [] }
        }
        if kind == .leaveGroup {
            leaveDone(&actions)
            return actions
        }
        if let fatal = Self.fatalError(from: error) {
            fail(fatal, &actions)
            return actions
        }
        markCoordinatorUnknown(&actions)
        switch kind {
        case .heartbeat: nextHeartbeatAt = now + configuration.retryBackoff
        case .joinGroup, .syncGroup: retryAt = now + configuration.retryBackoff
        case .leaveGroup: break
        }
        finish(now: now, &actions)
        return actions
    }

    /// Errors without a specific rule: fatal unless retriable (then the caller retries).
    private mutating func handleOtherError(
        _ code: KafkaErrorCode, api: KafkaAPIKey, now: Instant, rejoinOtherwise: Bool = false,
        _ actions: inout [GroupMembershipAction]
    ) {
        switch code {
        case .fencedInstanceId, .groupAuthorizationFailed, .inconsistentGroupProtocol, .invalidSessionTimeout,
            .invalidGroupId, .groupMaxSizeReached, .unsupportedVersion:
            fail(.broker(KafkaError(code: code, api: api)), &actions)
        default:
            if code.isRetriable || rejoinOtherwise {
                retryAt = now + configuration.retryBackoff
            } else {
                fail(.broker(KafkaError(code: code, api: api)), &actions)
            }
        }
    }
}

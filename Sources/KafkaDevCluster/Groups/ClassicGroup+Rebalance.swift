import KafkaProtocol
import NIOCore

/// The rebalance protocol of a classic group (JoinGroup, SyncGroup, Heartbeat, LeaveGroup and
/// timeouts), following Kafka's `GroupCoordinator`.
extension ClassicGroup {
    // MARK: - JoinGroup

    /// Handles a JoinGroup whose session timeout was already validated.
    ///
    /// - Parameter token: the token to wait under, when the join has to wait for the rebalance.
    mutating func join(_ request: JoinGroupParameters, token: UInt64, now: Int64, config: GroupCoordinatorConfig)
        -> JoinDecision
    {
        if state == .dead { return .respond(.failure(.coordinatorNotAvailable, memberID: request.memberID)) }
        guard supports(protocolType: request.protocolType, protocols: request.protocols) else {
            return .respond(.failure(.inconsistentGroupProtocol, memberID: request.memberID))
        }
        if request.memberID.isEmpty {
            return joinNewMember(request, token: token, now: now, config: config)
        }
        if pendingMembers[request.memberID] != nil {
            pendingMembers[request.memberID] = nil
            return addMemberAndRebalance(request, memberID: request.memberID, token: token, now: now, config: config)
        }
        if isFenced(instanceID: request.groupInstanceID, memberID: request.memberID) {
            return .respond(.failure(.fencedInstanceId, memberID: request.memberID))
        }
        let instanceNotFound = request.groupInstanceID.map { staticMemberID($0) == nil } ?? false
        guard let existing = member(request.memberID), !instanceNotFound else {
            return .respond(.failure(.unknownMemberId, memberID: request.memberID))
        }
        switch state {
        case .preparingRebalance:
            return updateMemberAndRebalance(request, token: token, now: now, config: config)
        case .completingRebalance:
            if existing.matches(request.protocols) {
                return .respond(currentGeneration(for: request.memberID, withMembers: leaderID == request.memberID))
            }
            return updateMemberAndRebalance(request, token: token, now: now, config: config)
        case .stable:
            // The leader rejoining forces a rebalance (it may have seen metadata changes); a follower
            // with unchanged metadata just gets the current generation.
            if leaderID == request.memberID || !existing.matches(request.protocols) {
                return updateMemberAndRebalance(request, token: token, now: now, config: config)
            }
            updateMember(request.memberID) { $0.lastHeartbeat = now }
            return .respond(currentGeneration(for: request.memberID, withMembers: false))
        case .empty, .dead:
            return .respond(.failure(.unknownMemberId, memberID: request.memberID))
        }
    }

    private mutating func joinNewMember(
        _ request: JoinGroupParameters, token: UInt64, now: Int64, config: GroupCoordinatorConfig
    ) -> JoinDecision {
        if let instanceID = request.groupInstanceID {
            if let oldMemberID = staticMemberID(instanceID) {
                return replaceStaticMember(oldMemberID, request, token: token, now: now, config: config)
            }
            return addMemberAndRebalance(request, memberID: request.newMemberID, token: token, now: now, config: config)
        }
        if request.requireKnownMemberID {
            pendingMembers[request.newMemberID] = now + Int64(request.sessionTimeoutMs)
            return .respond(.failure(.memberIdRequired, memberID: request.newMemberID))
        }
        return addMemberAndRebalance(request, memberID: request.newMemberID, token: token, now: now, config: config)
    }

    private mutating func addMemberAndRebalance(
        _ request: JoinGroupParameters, memberID: String, token: UInt64, now: Int64, config: GroupCoordinatorConfig
    ) -> JoinDecision {
        add(
            GroupMember(
                memberID: memberID, groupInstanceID: request.groupInstanceID, clientID: request.clientID,
                clientHost: request.clientHost, sessionTimeoutMs: request.sessionTimeoutMs,
                rebalanceTimeoutMs: request.rebalanceTimeoutMs, protocolType: request.protocolType,
                protocols: request.protocols, lastHeartbeat: now, joinToken: token))
        if state == .preparingRebalance && generationID == 0 { newMemberAdded = true }
        maybePrepareRebalance(now: now, config: config)
        return .wait(token: token)
    }

    private mutating func updateMemberAndRebalance(
        _ request: JoinGroupParameters, token: UInt64, now: Int64, config: GroupCoordinatorConfig
    ) -> JoinDecision {
        if let old = member(request.memberID)?.joinToken, old != token {
            // A second join of the same member replaces the first, which is asked to rejoin.
            completedJoins[old] = .failure(.rebalanceInProgress, memberID: request.memberID)
        }
        updateMember(request.memberID) { member in
            member.protocols = request.protocols
            member.sessionTimeoutMs = request.sessionTimeoutMs
            member.rebalanceTimeoutMs = request.rebalanceTimeoutMs
            member.clientID = request.clientID
            member.clientHost = request.clientHost
            member.lastHeartbeat = now
            member.joinToken = token
        }
        maybePrepareRebalance(now: now, config: config)
        tryCompleteJoin(now: now, config: config)
        return .wait(token: token)
    }

    /// KIP-345: a known instance id joins with a new member id. The new id replaces the old one
    /// (whose parked join gets FENCED_INSTANCE_ID); a Stable group whose selected protocol stays
    /// the same answers at once with the current generation (Kafka compares the selected protocol,
    /// not the metadata bytes); otherwise the group rebalances.
    private mutating func replaceStaticMember(
        _ oldMemberID: String, _ request: JoinGroupParameters, token: UInt64, now: Int64,
        config: GroupCoordinatorConfig
    ) -> JoinDecision {
        let newMemberID = request.newMemberID
        if let old = member(oldMemberID)?.joinToken {
            completedJoins[old] = .failure(.fencedInstanceId, memberID: oldMemberID)
        }
        updateMember(oldMemberID) { member in
            member.memberID = newMemberID
            member.protocols = request.protocols
            member.sessionTimeoutMs = request.sessionTimeoutMs
            member.rebalanceTimeoutMs = request.rebalanceTimeoutMs
            member.clientID = request.clientID
            member.clientHost = request.clientHost
            member.lastHeartbeat = now
            member.joinToken = token
        }
        if leaderID == oldMemberID { leaderID = newMemberID }
        switch state {
        case .stable:
            if selectProtocol() == protocolName {
                updateMember(newMemberID) { $0.joinToken = nil }
                let isLeader = leaderID == newMemberID
                var outcome = currentGeneration(
                    for: newMemberID, withMembers: isLeader && request.supportsSkipAssignment)
                outcome.skipAssignment = isLeader && request.supportsSkipAssignment
                return .respond(outcome)
            }
            maybePrepareRebalance(now: now, config: config)
        case .completingRebalance:
            prepareRebalance(now: now, config: config)
        case .preparingRebalance, .empty, .dead:
            break
        }
        tryCompleteJoin(now: now, config: config)
        return .wait(token: token)
    }

    /// The current generation as a JoinGroup answer.
    func currentGeneration(for memberID: String, withMembers: Bool) -> JoinOutcome {
        JoinOutcome(
            error: .none, memberID: memberID, generationID: generationID, protocolType: protocolType,
            protocolName: protocolName, leaderID: leaderID ?? "", members: withMembers ? currentMemberMetadata() : [])
    }

    // MARK: - Rebalance

    /// Starts a rebalance unless one is running.
    mutating func maybePrepareRebalance(now: Int64, config: GroupCoordinatorConfig) {
        guard state == .stable || state == .completingRebalance || state == .empty else { return }
        prepareRebalance(now: now, config: config)
    }

    /// Moves to PreparingRebalance: an empty group waits `initialRebalanceDelayMs` (extended while
    /// new members come, up to the rebalance timeout), others until every member rejoined or the
    /// rebalance timeout passed. Assignments of a CompletingRebalance group are dropped (pending
    /// SyncGroups get REBALANCE_IN_PROGRESS).
    mutating func prepareRebalance(now: Int64, config: GroupCoordinatorConfig) {
        if state == .completingRebalance {
            for index in members.indices { members[index].assignment = ByteBuffer() }
        }
        if state == .empty {
            let delay = max(config.initialRebalanceDelayMs, 0)
            initialDelayRemainingMs = max(rebalanceTimeoutMs - delay, 0)
            rebalanceDeadline = now + delay
        } else {
            initialDelayRemainingMs = nil
            rebalanceDeadline = now + rebalanceTimeoutMs
        }
        newMemberAdded = false
        state = .preparingRebalance
    }

    /// Kafka's `hasAllMembersJoined`.
    var allMembersJoined: Bool { pendingMembers.isEmpty && members.allSatisfy(\.isAwaitingJoin) }

    /// Completes the rebalance when every member rejoined (not during the initial delay) or when
    /// its deadline passed.
    mutating func tryCompleteJoin(now: Int64, config: GroupCoordinatorConfig) {
        guard state == .preparingRebalance else { return }
        if now >= rebalanceDeadline {
            if let remaining = initialDelayRemainingMs, newMemberAdded, remaining > 0 {
                let delay = min(max(config.initialRebalanceDelayMs, 0), remaining)
                initialDelayRemainingMs = max(remaining - delay, 0)
                newMemberAdded = false
                rebalanceDeadline = now + delay
                return
            }
            completeJoin(now: now, config: config)
        } else if initialDelayRemainingMs == nil && allMembersJoined {
            completeJoin(now: now, config: config)
        }
    }

    /// Kafka's `onCompleteJoin`: drops dynamic members that did not rejoin (static ones stay until
    /// their session expires), starts the next generation and answers every waiting join.
    private mutating func completeJoin(now: Int64, config: GroupCoordinatorConfig) {
        for member in members where !member.isAwaitingJoin && member.groupInstanceID == nil {
            remove(member.memberID)
        }
        initialDelayRemainingMs = nil
        let joined = members.filter(\.isAwaitingJoin)
        if !members.isEmpty && joined.isEmpty {
            // Nobody rejoined: wait another round until sessions remove the silent members.
            rebalanceDeadline = now + rebalanceTimeoutMs
            return
        }
        if leaderID.flatMap({ member($0) })?.isAwaitingJoin != true {
            leaderID = joined.first?.memberID
        }
        generationID &+= 1
        if members.isEmpty {
            protocolName = nil
            leaderID = nil
            state = .empty
            return
        }
        protocolName = selectProtocol()
        state = .completingRebalance
        rebalanceDeadline = now + rebalanceTimeoutMs
        for index in members.indices {
            guard let token = members[index].joinToken else { continue }
            let memberID = members[index].memberID
            completedJoins[token] = currentGeneration(for: memberID, withMembers: memberID == leaderID)
            members[index].joinToken = nil
            members[index].lastHeartbeat = now
        }
    }

    // MARK: - SyncGroup

    /// Handles a SyncGroup whose member and generation were validated. The leader's assignments
    /// make the group Stable; followers wait for them.
    mutating func sync(memberID: String, assignments: [String: ByteBuffer], now: Int64) -> SyncDecision {
        switch state {
        case .empty, .dead:
            return .respond(.unknownMemberId, assignment: ByteBuffer())
        case .preparingRebalance:
            return .respond(.rebalanceInProgress, assignment: ByteBuffer())
        case .completingRebalance:
            let generation = generationID
            updateMember(memberID) {
                $0.lastHeartbeat = now
                $0.syncedGeneration = generation
            }
            guard memberID == leaderID else { return .wait }
            for index in members.indices {
                members[index].assignment = assignments[members[index].memberID] ?? ByteBuffer()
            }
            state = .stable
            return .respond(.none, assignment: member(memberID)?.assignment ?? ByteBuffer())
        case .stable:
            updateMember(memberID) { $0.lastHeartbeat = now }
            return .respond(.none, assignment: member(memberID)?.assignment ?? ByteBuffer())
        }
    }

    /// The answer to a parked SyncGroup of `generation`, or nil while it still waits.
    func syncResult(memberID: String, generation: Int32) -> (KafkaErrorCode, ByteBuffer)? {
        guard let member = member(memberID) else { return (.unknownMemberId, ByteBuffer()) }
        if generationID != generation || state == .preparingRebalance || state == .empty {
            return (.rebalanceInProgress, ByteBuffer())
        }
        return state == .stable ? (.none, member.assignment) : nil
    }

    // MARK: - Heartbeat and leave

    /// Kafka's heartbeat handling after the coordinator check.
    mutating func heartbeat(memberID: String, instanceID: String?, generation: Int32, now: Int64) -> KafkaErrorCode {
        if state == .empty { return .unknownMemberId }
        if state == .dead { return .coordinatorNotAvailable }
        let error = validate(memberID: memberID, instanceID: instanceID)
        guard error == .none else { return error }
        guard generation == generationID else { return .illegalGeneration }
        updateMember(memberID) { $0.lastHeartbeat = now }
        return state == .preparingRebalance ? .rebalanceInProgress : .none
    }

    /// Removes a leaving member (by member id, or by instance id for static members at v3+).
    mutating func leave(memberID: String, instanceID: String?, now: Int64, config: GroupCoordinatorConfig)
        -> KafkaErrorCode
    {
        if let instanceID {
            guard let holder = staticMemberID(instanceID) else { return .unknownMemberId }
            if !memberID.isEmpty && holder != memberID { return .fencedInstanceId }
            removeMemberAndUpdateGroup(holder, now: now, config: config)
            return .none
        }
        if pendingMembers.removeValue(forKey: memberID) != nil {
            tryCompleteJoin(now: now, config: config)
            return .none
        }
        guard has(memberID) else { return .unknownMemberId }
        removeMemberAndUpdateGroup(memberID, now: now, config: config)
        return .none
    }

    /// Removes a member and rebalances (or completes the running rebalance).
    mutating func removeMemberAndUpdateGroup(_ memberID: String, now: Int64, config: GroupCoordinatorConfig) {
        remove(memberID)
        switch state {
        case .stable, .completingRebalance:
            prepareRebalance(now: now, config: config)
            tryCompleteJoin(now: now, config: config)
        case .preparingRebalance:
            tryCompleteJoin(now: now, config: config)
        case .empty, .dead:
            break
        }
    }

    // MARK: - Time

    /// Expires pending member ids, sessions and rebalance deadlines at `now`.
    mutating func tick(now: Int64, config: GroupCoordinatorConfig) {
        let before = pendingMembers.count
        pendingMembers = pendingMembers.filter { $0.value > now }
        let pendingExpired = pendingMembers.count != before
        for member in members where shouldExpire(member, now: now) {
            removeMemberAndUpdateGroup(member.memberID, now: now, config: config)
        }
        if state == .completingRebalance && now >= rebalanceDeadline {
            // Kafka's pending-sync timeout: members that never sent SyncGroup leave.
            let silent = members.filter { $0.syncedGeneration != generationID }.map(\.memberID)
            for memberID in silent { remove(memberID) }
            if !silent.isEmpty { prepareRebalance(now: now, config: config) }
        }
        if pendingExpired || state == .preparingRebalance { tryCompleteJoin(now: now, config: config) }
    }

    /// Members waiting for a join, or synced and waiting for the leader, are kept alive.
    private func shouldExpire(_ member: GroupMember, now: Int64) -> Bool {
        if member.isAwaitingJoin { return false }
        if state == .completingRebalance && member.syncedGeneration == generationID { return false }
        return now - member.lastHeartbeat >= Int64(member.sessionTimeoutMs)
    }
}

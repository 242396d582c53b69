public import KafkaNetwork
import KafkaProtocol
import Logging

/// How the consumer's partitions are chosen.
enum SubscriptionMode: Sendable, Equatable {
    /// Nothing yet (or after ``KafkaConsumer/unsubscribe()``).
    case none
    /// The application assigns partitions itself (``KafkaConsumer/assign(_:)``).
    case assigned
    /// The group assigns partitions of these topics.
    case topics(Set<String>)
    /// The group assigns partitions of the topics whose whole name matches this regular expression.
    case pattern(String)
}

extension KafkaConsumer {
    /// Joins the consumer group `group.id` with `topics`: the group coordinator and the group's leader
    /// share the topics' partitions among the members, and rebalance them as members come and go.
    ///
    /// Membership starts in the background right away; partitions arrive through
    /// ``poll(timeout:)``, which also runs the `listener`'s callbacks. Subscribing again replaces the
    /// topics (the group rebalances when they differ).
    ///
    /// - Throws: ``KafkaConsumerError/Kind/noGroupId`` without `group.id`,
    ///   ``KafkaConsumerError/Kind/subscriptionConflict(_:)`` after ``assign(_:)`` with partitions or
    ///   when `topics` is empty (call ``unsubscribe()`` to leave), ``KafkaConsumerError/Kind/closed``.
    public func subscribe(
        topics: [String], listener: (any ConsumerRebalanceListener)? = nil
    ) throws(KafkaConsumerError) {
        guard !topics.isEmpty else {
            throw KafkaConsumerError(
                .subscriptionConflict("Subscribe to at least one topic; call unsubscribe() to leave the group"))
        }
        let group = try startGroup(mode: .topics(Set(topics)), listener: listener)
        group.subscribe(Set(topics))
    }

    /// Joins the consumer group `group.id` with every topic whose whole name matches the regular
    /// expression `pattern` (Java's `subscribe(Pattern)`; internal topics are left out). The topics are
    /// found in the cluster's metadata now and at every refresh (`metadata.max.age.ms`), so matching
    /// topics created later are picked up.
    ///
    /// - Throws: ``KafkaConsumerError/Kind/invalidPattern(_:)`` for a pattern that does not compile,
    ///   and the errors of ``subscribe(topics:listener:)``.
    public func subscribe(pattern: String, listener: (any ConsumerRebalanceListener)? = nil) throws(KafkaConsumerError)
    {
        do {
            _ = try Regex(pattern)
        } catch {
            throw KafkaConsumerError(.invalidPattern("\(pattern): \(error)"))
        }
        let group = try startGroup(mode: .pattern(pattern), listener: listener)
        let matching = Self.topics(matching: pattern, in: cluster.cachedMetadata)
        // The first metadata refresh (started by the watcher) brings the matching topics.
        if !matching.isEmpty { group.subscribe(matching) }
    }

    /// Leaves the group: the listener's `partitionsRevoked` runs (after an automatic commit when
    /// `enable.auto.commit` is on), LeaveGroup is sent, and the consumer owns no partition until it
    /// subscribes or assigns again. Does nothing when not subscribed.
    public func unsubscribe() async {
        let group = state.withLockedValue { state -> ConsumerGroupCoordinator? in
            defer {
                state.group = nil
                state.metadataWatcher?.cancel()
                state.metadataWatcher = nil
                state.mode = .none
            }
            return state.group
        }
        if let group {
            await group.close(timeout: configuration.client.requestTimeout) { action in
                _ = try? await self.apply(action)
            }
        }
        state.withLockedValue { state in
            state.subscriptions.assign([])
            state.buffered = [:]
        }
    }

    /// The subscribed topics (for a pattern: those it matched at the last metadata refresh), sorted.
    public var subscription: [String] {
        let group = state.withLockedValue { $0.group }
        return (group?.subscription ?? []).sorted()
    }

    /// The group, generation and member id of this consumer, for
    /// `sendOffsetsToTransaction`; `nil` when it has not subscribed.
    public var groupMetadata: GroupMetadata? {
        state.withLockedValue { $0.group }?.groupMetadata
    }

    // MARK: Internals

    private func startGroup(
        mode: SubscriptionMode, listener: (any ConsumerRebalanceListener)?
    ) throws(KafkaConsumerError) -> ConsumerGroupCoordinator {
        guard let membership = configuration.groupMembership else { throw KafkaConsumerError(.noGroupId) }
        let outcome = state.withLockedValue { state -> Result<ConsumerGroupCoordinator, KafkaConsumerError> in
            if state.isClosed { return .failure(KafkaConsumerError(.closed)) }
            if state.mode == .assigned && !state.subscriptions.assignedPartitions.isEmpty {
                return .failure(
                    KafkaConsumerError(
                        .subscriptionConflict(
                            "Subscription to topics, partitions and pattern are mutually exclusive: "
                                + "assign([]) or unsubscribe() before subscribing")))
            }
            state.mode = mode
            // As Java: subscribing without a listener means none (not the previous one).
            state.listener = listener ?? NoRebalanceListener()
            if let group = state.group { return .success(group) }
            let group = ConsumerGroupCoordinator(configuration: membership, cluster: cluster, logger: logger)
            state.group = group
            state.metadataWatcher = Task { [weak self] in await self?.watchMetadata() }
            return .success(group)
        }
        return try outcome.get()
    }

    /// Refreshes metadata every `metadata.max.age.ms` while subscribed: a pattern is matched again, and
    /// the group's leader rejoins when a subscribed topic's partition count changed. While a subscribed topic has
    /// no partitions in the metadata (not created yet, or being created), it refreshes after `retry.backoff.ms`,
    /// doubling up to `retry.backoff.max.ms`, as Java's consumer does for a topic without usable metadata: the
    /// topic's partitions are then assigned soon after it exists, not after the next `metadata.max.age.ms`.
    private func watchMetadata() async {
        var first = true
        var incompleteRefreshes = 0
        while !Task.isCancelled {
            if !first {
                try? await Task.sleep(for: nextMetadataRefresh(afterIncomplete: &incompleteRefreshes))
                if Task.isCancelled { return }
            }
            let (mode, group) = state.withLockedValue { ($0.mode, $0.group) }
            guard let group else { return }
            do {
                switch mode {
                case .pattern(let pattern):
                    try await cluster.refreshMetadata(allTopics: true)
                    let metadata = cluster.cachedMetadata
                    let matching = Self.topics(matching: pattern, in: metadata)
                    group.subscribe(matching)
                    group.metadataRefreshed(partitionCounts: Self.partitionCounts(of: matching, in: metadata))
                case .topics(let topics):
                    if first {
                        first = false
                        continue
                    }
                    cluster.invalidateMetadata()
                    let metadata = try await cluster.metadata(for: topics)
                    group.metadataRefreshed(partitionCounts: Self.partitionCounts(of: topics, in: metadata))
                case .none, .assigned:
                    return
                }
            } catch {
                logger.debug("metadata refresh for the subscription failed", metadata: ["error": "\(error)"])
            }
            first = false
        }
    }

    /// The pause before the watcher's next refresh: `metadata.max.age.ms` while every subscribed topic has partitions
    /// in the cached metadata; otherwise the retry backoff, doubled per refresh that still found a topic without them.
    private func nextMetadataRefresh(afterIncomplete incompleteRefreshes: inout Int) -> Duration {
        guard case .topics(let topics) = state.withLockedValue({ $0.mode }),
            Self.partitionCounts(of: topics, in: cluster.cachedMetadata).values.filter({ $0 > 0 }).count < topics.count
        else {
            incompleteRefreshes = 0
            return configuration.client.metadataMaxAge
        }
        defer { incompleteRefreshes += 1 }
        return Self.backoff(
            attempt: incompleteRefreshes, base: configuration.client.retryBackoff,
            maximum: min(configuration.client.retryBackoffMax, configuration.client.metadataMaxAge))
    }

    /// `base` doubled `attempt` times, at most `maximum` (and at least `base` when that is smaller).
    static func backoff(attempt: Int, base: Duration, maximum: Duration) -> Duration {
        var pause = base
        for _ in 0..<min(attempt, 32) where pause < maximum { pause = pause * 2 }
        return max(min(pause, maximum), min(base, maximum))
    }

    /// Throws TOPIC_AUTHORIZATION_FAILED for a subscribed topic that the cluster's metadata says this principal may
    /// not describe, as Java's poll throws `TopicAuthorizationException`: the group would never assign it.
    func requireSubscriptionAuthorized() throws {
        guard case .topics(let topics) = state.withLockedValue({ $0.mode }) else { return }
        try Self.requireAuthorized(topics, in: cluster.cachedMetadata)
    }

    static func topics(matching pattern: String, in metadata: ClusterMetadata) -> Set<String> {
        guard let regex = try? Regex(pattern) else { return [] }
        return Set(
            metadata.topics.values.filter { !$0.isInternal && $0.name.wholeMatch(of: regex) != nil }.map(\.name))
    }

    static func partitionCounts(of topics: Set<String>, in metadata: ClusterMetadata) -> [String: Int32] {
        var counts: [String: Int32] = [:]
        for topic in topics {
            guard let info = metadata.topics[topic], info.error == nil || info.error == KafkaErrorCode.none else {
                continue
            }
            counts[topic] = Int32(clamping: info.partitions.count)
        }
        return counts
    }

    /// One poll's share of group work: restarts the poll timer, runs waiting listener callbacks, reports a
    /// failed membership, and commits automatically when due.
    func groupStep() async throws {
        guard let group = state.withLockedValue({ $0.group }) else {
            try await autoCommitIfDue(stable: true)
            return
        }
        group.pollCalled()
        var callbackError: (any Error)?
        await group.runCallbacks { action in
            do {
                try await self.apply(action)
            } catch {
                if callbackError == nil { callbackError = error }
            }
        }
        if let failure = group.failure {
            throw KafkaConsumerError(.groupFailed(failure.description), groupId: configuration.groupId)
        }
        try await autoCommitIfDue(stable: group.isStable)
        if let callbackError { throw callbackError }
    }

    /// Performs a listener action: the assignment changes and the listener hears of it.
    ///
    /// - Throws: ``KafkaConsumerError/Kind/rebalanceListener(_:)`` with what the listener threw.
    func apply(_ action: GroupMembershipAction) async throws(KafkaConsumerError) {
        let listener = state.withLockedValue { $0.listener }
        switch action {
        case .revokePartitions(let partitions):
            if configuration.enableAutoCommit {
                await commitBeforeLosingOwnership(Set(partitions))
            }
            defer { removeFromAssignment(partitions) }
            try await callListener("partitionsRevoked") {
                try await listener.partitionsRevoked(partitions, consumer: self)
            }
        case .assignPartitions(let partitions):
            state.withLockedValue { state in
                state.subscriptions.assign(state.subscriptions.assignedPartitions + partitions)
            }
            metrics.rebalanceCompleted()
            try await callListener("partitionsAssigned") {
                try await listener.partitionsAssigned(partitions, consumer: self)
            }
        case .losePartitions(let partitions):
            removeFromAssignment(partitions)
            try await callListener("partitionsLost") { try await listener.partitionsLost(partitions, consumer: self) }
        default:
            break
        }
    }

    /// Runs a callback of the application's rebalance listener; what it throws becomes
    /// ``KafkaConsumerError/Kind/rebalanceListener(_:)`` with the listener's error as
    /// ``KafkaConsumerError/underlying``.
    private func callListener(
        _ callback: String, _ body: () async throws -> Void
    ) async throws(KafkaConsumerError) {
        do {
            try await body()
        } catch {
            throw KafkaConsumerError(.rebalanceListener(callback), groupId: configuration.groupId, underlying: error)
        }
    }

    private func removeFromAssignment(_ partitions: [TopicPartition]) {
        let gone = Set(partitions)
        state.withLockedValue { state in
            state.subscriptions.assign(state.subscriptions.assignedPartitions.filter { !gone.contains($0) })
            state.buffered = state.buffered.filter { !gone.contains($0.key) }
        }
    }
}

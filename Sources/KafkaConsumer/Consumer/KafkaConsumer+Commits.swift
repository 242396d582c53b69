public import KafkaNetwork
import KafkaProtocol
import Logging

extension KafkaConsumer {
    /// Commits `offsets` for `group.id` to the group coordinator and waits for the answer.
    ///
    /// A subscribed consumer commits as a member of its current generation; a commit made after the
    /// group rebalanced without it (or while it is not a member) fails with
    /// ``KafkaConsumerError/Kind/commitFailed(_:)`` — commit in
    /// ``ConsumerRebalanceListener/partitionsRevoked(_:consumer:)`` to avoid that. A consumer with
    /// manually assigned partitions is not a member: its commit carries generation -1 and an empty member
    /// id, as Java's `commitSync` does. Coordinator changes and other retriable errors are retried for up
    /// to `request.timeout.ms`.
    ///
    /// - Throws: ``KafkaConsumerError`` of kind ``KafkaConsumerError/Kind/noGroupId`` without `group.id`,
    ///   ``KafkaConsumerError/Kind/closed``, ``KafkaConsumerError/Kind/commitFailed(_:)``;
    ///   ``KafkaConsumerError/Kind/broker(_:)`` naming the topic and partition when the coordinator refuses a
    ///   partition's offset; ``KafkaConsumerError/Kind/network(_:)`` when the coordinator cannot be reached in
    ///   time; ``KafkaConsumerError/Kind/cancelled``. The error names the group.
    public func commit(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws(KafkaConsumerError) {
        let groupId = try groupIdForCommits()
        guard !offsets.isEmpty else { return }
        let member = state.withLockedValue { $0.group }?.groupMetadata
        if let member, member.generationId < 0 {
            throw KafkaConsumerError(
                .commitFailed("this consumer is not a member of group \(groupId) right now"), groupId: groupId)
        }
        let started = ContinuousClock.now
        do {
            try await commitToCoordinator(offsets, groupId: groupId, member: member)
        } catch {
            throw KafkaConsumerError(wrapping: error, groupId: groupId)
        }
        metrics.commitCompleted(since: started)
        interceptors.onCommit(offsets)
    }

    /// OffsetCommit of `offsets` to the coordinator of `groupId`, as `member` (generation -1 without one).
    private func commitToCoordinator(
        _ offsets: [TopicPartition: OffsetAndMetadata], groupId: String, member: GroupMetadata?
    ) async throws {
        _ = try await sendToCoordinator(
            groupId: groupId,
            refusals: [.illegalGeneration, .unknownMemberId, .rebalanceInProgress, .fencedInstanceId],
            build: { version in
                OffsetCommitRequest(
                    groupId: groupId, generationIdOrMemberEpoch: member?.generationId ?? -1,
                    memberId: member?.memberId ?? "", groupInstanceId: version >= 7 ? member?.groupInstanceId : nil,
                    topics: OffsetCommitRequest.topics(offsets, version: version))
            },
            errors: { (response: OffsetCommitResponse) in
                response.topics.flatMap { topic in
                    topic.partitions.map {
                        KafkaError(
                            code: KafkaErrorCode(rawValue: $0.errorCode), api: .offsetCommit, topic: topic.name,
                            partition: $0.partitionIndex)
                    }
                }
                .filter { $0.code != .none }
            })
    }

    /// Commits without waiting: `completion` is called with the outcome (Java's `commitAsync`), a failure being
    /// what ``commit(_:)`` throws. Commits reach the coordinator in the order they were made.
    public func commitAsync(
        _ offsets: [TopicPartition: OffsetAndMetadata],
        completion: @escaping @Sendable (Result<[TopicPartition: OffsetAndMetadata], KafkaConsumerError>) -> Void = {
            _ in
        }
    ) {
        Task {
            do throws(KafkaConsumerError) {
                try await commit(offsets)
                completion(.success(offsets))
            } catch {
                completion(.failure(error))
            }
        }
    }

    /// Commits the current positions without waiting (see ``commit()`` and ``commitAsync(_:completion:)``).
    public func commitAsync(
        completion: @escaping @Sendable (Result<[TopicPartition: OffsetAndMetadata], KafkaConsumerError>) -> Void = {
            _ in
        }
    ) {
        commitAsync(currentPositions(), completion: completion)
    }

    /// Commits the current positions of the assigned partitions: the offsets after the records
    /// ``poll(timeout:)`` has returned (or where a seek or reset put them). Partitions without a
    /// position yet are left out.
    ///
    /// - Throws: as ``commit(_:)``.
    public func commit() async throws(KafkaConsumerError) {
        _ = try groupIdForCommits()
        try await commit(currentPositions())
    }

    /// The positions of the assigned partitions (of `only` when given) that have one, as offsets to commit.
    func currentPositions(only: Set<TopicPartition>? = nil) -> [TopicPartition: OffsetAndMetadata] {
        state.withLockedValue { state -> [TopicPartition: OffsetAndMetadata] in
            var offsets: [TopicPartition: OffsetAndMetadata] = [:]
            for partition in state.subscriptions.assignedPartitions where only?.contains(partition) ?? true {
                guard let partitionState = state.subscriptions[partition],
                    let offset = PartitionStateSnapshot(partitionState).settledOffset
                else { continue }
                offsets[partition] = OffsetAndMetadata(
                    offset: offset, leaderEpoch: partitionState.position?.leaderEpoch)
            }
            return offsets
        }
    }

    /// `enable.auto.commit`: commits the positions every `auto.commit.interval.ms`, from `poll`, while the
    /// group is `stable` (errors are logged: the next interval tries again).
    func autoCommitIfDue(stable: Bool) async throws {
        guard configuration.enableAutoCommit, configuration.groupId != nil, stable else { return }
        let now = ContinuousClock.now
        let due = state.withLockedValue { state -> Bool in
            guard let next = state.nextAutoCommit else {
                state.nextAutoCommit = now + configuration.autoCommitInterval
                return false
            }
            guard now >= next else { return false }
            state.nextAutoCommit = now + configuration.autoCommitInterval
            return true
        }
        guard due else { return }
        let offsets = currentPositions()
        guard !offsets.isEmpty else { return }
        do {
            try await commit(offsets)
        } catch {
            logger.warning("automatic offset commit failed", metadata: ["error": "\(error)"])
        }
    }

    /// `enable.auto.commit`: commits the positions of `partitions` before they are revoked or the consumer
    /// closes (errors are logged: the partitions go all the same).
    func commitBeforeLosingOwnership(_ partitions: Set<TopicPartition>?) async {
        guard configuration.enableAutoCommit, configuration.groupId != nil else { return }
        let offsets = currentPositions(only: partitions)
        guard !offsets.isEmpty else { return }
        do {
            try await commit(offsets)
        } catch {
            logger.warning("offset commit before giving up partitions failed", metadata: ["error": "\(error)"])
        }
    }

    /// The offsets committed for `group.id` (OffsetFetch to the group coordinator); `nil` for a
    /// partition without a committed offset.
    ///
    /// - Throws: ``KafkaConsumerError`` of kind ``KafkaConsumerError/Kind/noGroupId`` without `group.id`,
    ///   ``KafkaConsumerError/Kind/closed``; ``KafkaConsumerError/Kind/broker(_:)`` for errors the coordinator
    ///   reports (the partition named when it concerns one); ``KafkaConsumerError/Kind/network(_:)``;
    ///   ``KafkaConsumerError/Kind/cancelled``. The error names the group.
    public func committed(
        _ partitions: Set<TopicPartition>
    ) async throws(KafkaConsumerError) -> [TopicPartition: OffsetAndMetadata?] {
        let groupId = try groupIdForCommits()
        do {
            return try await fetchCommittedOffsets(partitions, groupId: groupId)
        } catch {
            throw KafkaConsumerError(wrapping: error, groupId: groupId)
        }
    }

    // MARK: Internals

    func groupIdForCommits() throws(KafkaConsumerError) -> String {
        if state.withLockedValue({ $0.isClosed }) { throw KafkaConsumerError(.closed) }
        guard let groupId = configuration.groupId, !groupId.isEmpty else { throw KafkaConsumerError(.noGroupId) }
        return groupId
    }

    /// OffsetFetch for `partitions` of `groupId`, retried on coordinator and retriable errors.
    func fetchCommittedOffsets(
        _ partitions: Set<TopicPartition>, groupId: String
    ) async throws -> [TopicPartition: OffsetAndMetadata?] {
        guard !partitions.isEmpty else { return [:] }
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        let topicNames = byTopic.keys.sorted()
        func indexes(_ topic: String) -> [Int32] { (byTopic[topic] ?? []).map(\.partition).sorted() }
        let response = try await sendToCoordinator(
            groupId: groupId,
            build: { version in
                var request = OffsetFetchRequest()
                if version >= 8 {
                    request.groups = [
                        OffsetFetchRequest.OffsetFetchRequestGroup(
                            groupId: groupId,
                            topics: topicNames.map {
                                OffsetFetchRequest.OffsetFetchRequestTopics(name: $0, partitionIndexes: indexes($0))
                            })
                    ]
                } else {
                    request.groupId = groupId
                    request.topics = topicNames.map {
                        OffsetFetchRequest.OffsetFetchRequestTopic(name: $0, partitionIndexes: indexes($0))
                    }
                }
                if version >= 7 { request.requireStable = true }
                return request
            },
            errors: { (response: OffsetFetchResponse) in
                Self.committedEntries(response, groupId: groupId).errors
            })
        var result: [TopicPartition: OffsetAndMetadata?] = [:]
        for partition in partitions { result[partition] = .some(nil) }
        for (partition, value) in Self.committedEntries(response, groupId: groupId).offsets
        where partitions.contains(partition) {
            result[partition] = .some(value)
        }
        return result
    }

    /// The offsets and errors of an OffsetFetch response, old (v0–7) or batched (v8+) layout.
    private static func committedEntries(
        _ response: OffsetFetchResponse, groupId: String
    ) -> (offsets: [TopicPartition: OffsetAndMetadata?], errors: [KafkaError]) {
        var offsets: [TopicPartition: OffsetAndMetadata?] = [:]
        var errors: [KafkaError] = []
        func add(topic: String, partition: Int32, offset: Int64, epoch: Int32, metadata: String?, code: Int16) {
            let code = KafkaErrorCode(rawValue: code)
            guard code == .none else {
                errors.append(KafkaError(code: code, api: .offsetFetch, topic: topic, partition: partition))
                return
            }
            offsets[TopicPartition(topic: topic, partition: partition)] =
                offset < 0
                ? .some(nil)
                : OffsetAndMetadata(offset: offset, leaderEpoch: epoch >= 0 ? epoch : nil, metadata: metadata ?? "")
        }
        if let group = response.groups.first(where: { $0.groupId == groupId }) {
            errors.append(KafkaError(code: KafkaErrorCode(rawValue: group.errorCode), api: .offsetFetch))
            for topic in group.topics {
                for p in topic.partitions {
                    add(
                        topic: topic.name, partition: p.partitionIndex, offset: p.committedOffset,
                        epoch: p.committedLeaderEpoch, metadata: p.metadata, code: p.errorCode)
                }
            }
        } else {
            errors.append(KafkaError(code: KafkaErrorCode(rawValue: response.errorCode), api: .offsetFetch))
            for topic in response.topics {
                for p in topic.partitions {
                    add(
                        topic: topic.name, partition: p.partitionIndex, offset: p.committedOffset,
                        epoch: p.committedLeaderEpoch, metadata: p.metadata, code: p.errorCode)
                }
            }
        }
        return (offsets, errors.filter { $0.code != .none })
    }

    /// Sends a request built for the negotiated version to the coordinator of `groupId`. Network
    /// errors, coordinator errors (the coordinator is looked up again) and retriable errors are
    /// retried for up to `request.timeout.ms`; the first other error in `errors` is thrown.
    private func sendToCoordinator<R: KafkaRequest>(
        groupId: String, refusals: Set<KafkaErrorCode> = [], build: (Int16) -> R,
        errors: @escaping @Sendable (R.Response) -> [KafkaError]
    ) async throws -> R.Response where R.Response: Sendable {
        try await cluster.withRetries(timeout: configuration.client.requestTimeout) { attempt in
            let response: R.Response
            do {
                let connection = try await cluster.connection(to: .groupCoordinator(groupId), kind: .group)
                let version = try connection.versions.version(for: R.self)
                response = try await connection.send(build(version), version: version)
            } catch let error as KafkaNetworkError {
                cluster.invalidateCoordinator(for: groupId, type: .group)
                throw error
            }
            let failures = errors(response)
            if let refused = failures.first(where: { refusals.contains($0.code) }) {
                throw KafkaConsumerError(.commitFailed("\(refused)"), groupId: groupId)
            }
            if failures.contains(where: { $0.code.isCoordinatorError }) {
                cluster.invalidateCoordinator(for: groupId, type: .group)
            }
            if let retriable = failures.first(where: { $0.code.isCoordinatorError || $0.isRetriable }) {
                logger.debug(
                    "coordinator request failed",
                    metadata: ["group": "\(groupId)", "attempt": "\(attempt)", "error": "\(retriable)"])
                throw retriable
            }
            if let failure = failures.first { throw failure }
            return response
        }
    }
}

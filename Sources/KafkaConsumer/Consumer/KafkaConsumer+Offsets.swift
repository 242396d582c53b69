import KafkaNetwork
import KafkaProtocol
import Logging

extension KafkaConsumer {
    /// Gives partitions without a position their committed offset when `group.id` is set (OffsetFetch),
    /// else (or when none was committed) a reset by `auto.offset.reset`, then resolves the pending resets with ListOffsets, one request per
    /// leader. Failed lookups stay pending for the next call.
    ///
    /// - Parameter only: limits the lookups to these partitions (`nil`: every assigned partition).
    /// - Throws: ``ConsumerFetchError`` of kind ``ConsumerFetchError/Kind/noResetPolicy`` for the
    ///   first partition needing a reset when `auto.offset.reset` is `none`.
    func updatePositions(only: Set<TopicPartition>?) async throws {
        // With a group, partitions without a position first take their committed offsets (as Java).
        var lookedUp: Set<TopicPartition>?
        if let groupId = configuration.groupId {
            let awaiting = state.withLockedValue { state in
                Set(state.subscriptions.partitionsAwaitingPosition.filter { only?.contains($0) ?? true })
            }
            if !awaiting.isEmpty {
                let committed = try await fetchCommittedOffsets(awaiting, groupId: groupId)
                state.withLockedValue { state in
                    let stillAwaiting = Set(state.subscriptions.partitionsAwaitingPosition)
                    for case (let partition, let value?) in committed where stillAwaiting.contains(partition) {
                        try? state.subscriptions.seek(partition, to: value.offset, leaderEpoch: value.leaderEpoch)
                    }
                }
            }
            lookedUp = awaiting
        }
        let (resets, withoutPolicy) = state.withLockedValue { state in
            for partition in state.subscriptions.partitionsAwaitingPosition
            where lookedUp?.contains(partition) ?? true {
                try? state.subscriptions.requestReset(partition)
            }
            return state.subscriptions.partitionsNeedingReset()
        }
        let relevant = only.map { set in withoutPolicy.filter { set.contains($0) } } ?? withoutPolicy
        if let partition = relevant.first {
            let offset = state.withLockedValue { $0.subscriptions.position(partition)?.offset }
            throw ConsumerFetchError(
                .noResetPolicy, topic: partition.topic, partition: partition.partition, offset: offset)
        }
        let targets = resets.filter { only?.contains($0.0) ?? true }
        guard !targets.isEmpty else { return }
        let metadata = try await cluster.metadata(for: Set(targets.map(\.0.topic)))
        try Self.requireAuthorized(targets.map(\.0.topic), in: metadata)
        var byLeader: [Int32: [(TopicPartition, OffsetResetTarget)]] = [:]
        for (partition, target) in targets {
            guard let leader = metadata.partition(topic: partition.topic, partition: partition.partition)?.leader else {
                cluster.invalidateMetadata(topic: partition.topic)
                continue
            }
            byLeader[leader, default: []].append((partition, target))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (node, partitions) in byLeader {
                group.addTask { try await self.listOffsets(node: node, partitions: partitions) }
            }
            try await group.waitForAll()
        }
    }

    private func listOffsets(node: Int32, partitions: [(TopicPartition, OffsetResetTarget)]) async throws {
        var topics: [String: [ListOffsetsRequest.ListOffsetsPartition]] = [:]
        for (partition, target) in partitions {
            topics[partition.topic, default: []].append(
                ListOffsetsRequest.ListOffsetsPartition(
                    partitionIndex: partition.partition, timestamp: target.listOffsetsTimestamp))
        }
        let request = ListOffsetsRequest(
            replicaId: -1, isolationLevel: configuration.fetchIsolationLevel.rawValue,
            topics: topics.keys.sorted().map {
                ListOffsetsRequest.ListOffsetsTopic(name: $0, partitions: topics[$0] ?? [])
            },
            timeoutMs: Int32(clamping: configuration.client.requestTimeout.components.seconds * 1000))
        let response: ListOffsetsResponse
        let version: Int16
        do {
            let connection = try await cluster.connection(to: .broker(node), kind: .fetch)
            version = try connection.versions.version(for: ListOffsetsRequest.self)
            response = try await connection.send(request, version: version)
        } catch let error as CancellationError {
            throw error
        } catch let error as KafkaNetworkError where !error.isRetriable {
            // An answer that cannot be decoded, no common version, failed authentication: retrying cannot help,
            // and the partitions would silently never get a position. `poll` reports it.
            throw error
        } catch {
            logger.debug("ListOffsets failed", metadata: ["node": "\(node)", "error": "\(error)"])
            cluster.invalidateMetadata()
            return
        }
        let requested = Dictionary(partitions.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        var stale: Set<String> = []
        var denied: KafkaError?
        state.withLockedValue { state in
            for topic in response.topics {
                for data in topic.partitions {
                    let partition = TopicPartition(topic: topic.name, partition: data.partitionIndex)
                    guard let target = requested[partition] else { continue }
                    let code = KafkaErrorCode(rawValue: data.errorCode)
                    if code == .topicAuthorizationFailed {
                        // Not authorized to describe the topic: retrying cannot help (Java's TopicAuthorizationException).
                        denied =
                            denied
                            ?? KafkaError(
                                code: code, api: .listOffsets, topic: partition.topic, partition: partition.partition)
                    }
                    guard code == .none else {
                        if code.invalidatesMetadata || code.isRetriable { stale.insert(partition.topic) }
                        logger.debug(
                            "ListOffsets error", metadata: ["partition": "\(partition)", "code": "\(code)"])
                        continue
                    }
                    let offset = version == 0 ? data.oldStyleOffsets.first : data.offset
                    guard let offset, offset >= 0 else { continue }
                    state.subscriptions.completeReset(
                        partition, requested: target, offset: offset,
                        leaderEpoch: data.leaderEpoch >= 0 ? data.leaderEpoch : nil)
                }
            }
        }
        for topic in stale { cluster.invalidateMetadata(topic: topic) }
        if let denied { throw denied }
    }

    /// Throws TOPIC_AUTHORIZATION_FAILED for the first of `topics` the metadata says this principal may not describe
    /// (Java's `TopicAuthorizationException`): no refresh changes that, so waiting for the topic's leaders would
    /// only hide it.
    static func requireAuthorized(_ topics: some Sequence<String>, in metadata: ClusterMetadata) throws {
        for topic in Set(topics).sorted() where metadata.topics[topic]?.error == .topicAuthorizationFailed {
            throw KafkaError(code: .topicAuthorizationFailed, api: .metadata, topic: topic)
        }
    }
}

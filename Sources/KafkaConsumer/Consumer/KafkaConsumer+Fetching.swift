import KafkaNetwork
import KafkaProtocol
import Logging
import NIOCore

/// What one fetch round did.
enum FetchRoundOutcome: Sendable, Hashable {
    /// Requests were sent and answered (records may or may not have arrived).
    case fetched
    /// Nothing could be fetched (no fetchable partition, no leader, a failed request): the poll
    /// loop backs off before trying again.
    case idle
}

extension KafkaConsumer {
    /// Hands out up to `max.poll.records` buffered records, advancing positions. Buffers that no
    /// longer match their partition's position (seek, reset, unassignment) are dropped; those of
    /// paused partitions are kept.
    func drainBuffered() throws -> [ConsumerRecord] {
        let limit = configuration.maxPollRecords
        let (records, error) = state.withLockedValue { state -> ([ConsumerRecord], (any Error)?) in
            if let pending = state.pendingError {
                state.pendingError = nil
                return ([], pending)
            }
            var records: [ConsumerRecord] = []
            records.reserveCapacity(min(limit, 4096))
            var failure: (any Error)?
            // Each partition's data is read in place in `buffered` (a copy of it costs as much as its records).
            for partition in state.buffered.keys.sorted() {
                guard records.count < limit, failure == nil, let index = state.buffered.index(forKey: partition)
                else { break }
                guard let partitionState = state.subscriptions[partition],
                    partitionState.pendingReset == nil, !partitionState.needsResetWithoutPolicy,
                    partitionState.position?.offset == state.buffered.values[index].nextFetchOffset
                else {
                    state.buffered.remove(at: index)
                    continue
                }
                if partitionState.isPaused { continue }
                do {
                    try state.buffered.values[index].appendRecords(to: &records, max: limit - records.count)
                } catch {
                    failure = error
                }
                state.subscriptions.updatePosition(partition, to: state.buffered.values[index].nextPosition)
                if state.buffered.values[index].isDrained { state.buffered.remove(at: index) }
            }
            if let failure, !records.isEmpty {
                state.pendingError = failure
                return (records, nil)
            }
            return (records, failure)
        }
        if let error { throw error }
        metrics.recordsHandedOut(records)
        return records
    }

    /// Fetches once from the leaders of the fetchable partitions that have nothing buffered, one
    /// request per broker, concurrently, and buffers what arrives.
    func fetchOnce(maxWait: Duration) async throws -> FetchRoundOutcome {
        let wanted = state.withLockedValue { state in
            state.subscriptions.fetchablePartitions.filter { state.buffered[$0.0] == nil }
        }
        guard !wanted.isEmpty else { return .idle }
        let metadata = try await cluster.metadata(for: Set(wanted.map(\.0.topic)))
        try Self.requireAuthorized(wanted.map(\.0.topic), in: metadata)
        var byLeader: [Int32: [TopicPartition: FetchPartitionRequest]] = [:]
        let maxBytes = Int32(clamping: configuration.maxPartitionFetchBytes)
        for (partition, position) in wanted {
            guard let info = metadata.partition(topic: partition.topic, partition: partition.partition),
                let leader = info.leader, metadata.broker(leader) != nil
            else {
                cluster.invalidateMetadata(topic: partition.topic)
                continue
            }
            byLeader[leader, default: [:]][partition] = FetchPartitionRequest(
                fetchOffset: position.offset, maxBytes: maxBytes, currentLeaderEpoch: info.leaderEpoch ?? -1)
        }
        guard !byLeader.isEmpty else { return .idle }
        var topicIds: [String: KafkaUUID] = [:]
        for (name, topic) in metadata.topics { if let id = topic.topicID { topicIds[name] = id } }
        let ids = topicIds
        let anyAnswered = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (node, partitions) in byLeader {
                group.addTask {
                    try await self.fetch(from: node, partitions: partitions, topicIds: ids, maxWait: maxWait)
                }
            }
            var answered = false
            for try await ok in group { answered = answered || ok }
            return answered
        }
        return anyAnswered ? .fetched : .idle
    }

    /// One fetch request to `node`; returns whether it was answered without a top-level error.
    private func fetch(
        from node: Int32, partitions wanted: [TopicPartition: FetchPartitionRequest],
        topicIds: [String: KafkaUUID], maxWait: Duration
    ) async throws -> Bool {
        let connection: BrokerConnection
        let version: Int16
        do {
            connection = try await cluster.connection(to: .broker(node), kind: .fetch)
            version = try connection.versions.version(for: FetchRequest.self)
        } catch let error as CancellationError {
            throw error
        } catch {
            logger.debug("fetch connection failed", metadata: ["node": "\(node)", "error": "\(error)"])
            cluster.invalidateMetadata()
            return false
        }
        let session = state.withLockedValue { state in
            var builder = state.sessions[node] ?? FetchSessionBuilder()
            let request = builder.nextRequest(wanted, version: version, topicIds: topicIds)
            state.sessions[node] = builder
            return request
        }
        for topic in Set(session.partitionsWithoutTopicId.map(\.topic)) { cluster.invalidateMetadata(topic: topic) }
        let waitMs = Int32(
            clamping: maxWait.components.seconds * 1000 + maxWait.components.attoseconds / 1_000_000_000_000_000)
        var request = FetchRequest(
            maxWaitMs: waitMs, minBytes: Int32(clamping: configuration.fetchMinBytes),
            maxBytes: Int32(clamping: configuration.fetchMaxBytes),
            isolationLevel: configuration.fetchIsolationLevel.rawValue)
        session.apply(to: &request)
        let response: FetchResponse
        let sentAt = ContinuousClock.now
        metrics.fetchRequests.increment()
        do {
            response = try await connection.send(
                request, version: version, timeout: configuration.client.requestTimeout + maxWait)
            metrics.fetchAnswered(since: sentAt)
        } catch {
            state.withLockedValue { $0.sessions[node]?.handleError() }
            if error is CancellationError { throw error }
            logger.debug("fetch failed", metadata: ["node": "\(node)", "error": "\(error)"])
            if let networkError = error as? KafkaNetworkError, networkError.kind != .unsupportedVersion {
                await cluster.discard(connection)
            }
            cluster.invalidateMetadata()
            return false
        }
        return handle(response, from: node, version: version, wanted: wanted)
    }

    private func handle(
        _ response: FetchResponse, from node: Int32, version: Int16,
        wanted: [TopicPartition: FetchPartitionRequest]
    ) -> Bool {
        var staleTopics: Set<String> = []
        var maxLag: Int64?
        let usable = state.withLockedValue { state -> Bool in
            let topLevel = KafkaErrorCode(rawValue: response.errorCode)
            var builder = state.sessions[node] ?? FetchSessionBuilder()
            let usable = builder.handleResponse(errorCode: topLevel, sessionId: response.sessionId)
            state.sessions[node] = builder
            guard usable else { return false }
            for topic in response.responses {
                let name =
                    version >= FetchSessionBuilder.topicIdVersion ? builder.topicName(for: topic.topicId) : topic.topic
                guard let name else { continue }
                for data in topic.partitions {
                    let partition = TopicPartition(topic: name, partition: data.partitionIndex)
                    guard let requested = wanted[partition],
                        state.subscriptions.isFetchable(partition) || state.subscriptions.isPaused(partition),
                        state.subscriptions.position(partition)?.offset == requested.fetchOffset,
                        state.buffered[partition] == nil
                    else { continue }
                    let code = KafkaErrorCode(rawValue: data.errorCode)
                    switch FetchErrorAction.classify(code, partition: partition, fetchOffset: requested.fetchOffset) {
                    case .none:
                        state.subscriptions.updateFetchMetadata(
                            partition, highWatermark: data.highWatermark, lastStableOffset: data.lastStableOffset,
                            logStartOffset: data.logStartOffset)
                        guard let records = data.records, records.readableBytes > 0 else { continue }
                        state.buffered[partition] = FetchedPartition(
                            partition: partition, data: data, fetchOffset: requested.fetchOffset,
                            isolationLevel: configuration.fetchIsolationLevel, verifyChecksums: configuration.checkCRCs)
                    case .resetPosition:
                        logger.debug("offset out of range", metadata: ["partition": "\(partition)"])
                        try? state.subscriptions.requestReset(partition)
                    case .refreshMetadata:
                        staleTopics.insert(partition.topic)
                    case .retry:
                        continue
                    case .fail(let error):
                        if state.pendingError == nil { state.pendingError = error }
                    }
                }
            }
            maxLag = state.subscriptions.assignedPartitions.compactMap { state.subscriptions.lag($0) }.max()
            return true
        }
        metrics.lagAfterFetch(maxLag)
        for topic in staleTopics { cluster.invalidateMetadata(topic: topic) }
        if !usable {
            logger.debug("fetch session error", metadata: ["node": "\(node)", "code": "\(response.errorCode)"])
        }
        return usable && staleTopics.isEmpty
    }
}

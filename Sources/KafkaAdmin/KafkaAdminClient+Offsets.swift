public import KafkaNetwork
import KafkaProtocol
import Logging

extension KafkaAdminClient {
    // MARK: Committed offsets of a group

    /// The offsets committed for a consumer group (Java's `listConsumerGroupOffsets`), with
    /// OffsetFetch to the group's coordinator.
    ///
    /// - Parameters:
    ///   - groupId: the group.
    ///   - partitions: the partitions to look up; `nil` for every partition the group committed.
    /// - Returns: the committed offset of each partition that has one; partitions without a commit,
    ///   or for which the coordinator reports a non-retriable error, are left out.
    /// - Throws: ``AdminError``, the resource being the group: a group-level error (`GROUP_AUTHORIZATION_FAILED`, …),
    ///   `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT` when the coordinator cannot be reached within the retries, or the
    ///   task's cancellation (``AdminError/isCancellation``).
    public func listConsumerGroupOffsets(
        _ groupId: String, partitions: [TopicPartitionKey]? = nil
    ) async throws(AdminError) -> [TopicPartitionKey: ConsumerGroupOffset] {
        try await reportingAdminError(api: .offsetFetch, resourceKind: .group, resourceName: groupId) {
            if let partitions, partitions.isEmpty { return [:] }
            let byTopic = partitions.map { Dictionary(grouping: $0, by: \.topic) }
            func indexes(_ topic: String) -> [Int32] { Array(Set((byTopic?[topic] ?? []).map(\.partition))).sorted() }
            let topicNames = byTopic?.keys.sorted()
            let (response, _) = try await sendToCoordinator(groupId: groupId, api: .offsetFetch) { (version: Int16) in
                var request = OffsetFetchRequest()
                if version >= 8 {
                    request.groups = [
                        OffsetFetchRequest.OffsetFetchRequestGroup(
                            groupId: groupId,
                            topics: topicNames?.map {
                                OffsetFetchRequest.OffsetFetchRequestTopics(name: $0, partitionIndexes: indexes($0))
                            })
                    ]
                } else {
                    guard topicNames != nil || version >= 2 else {
                        throw KafkaError(
                            code: .unsupportedVersion, api: .offsetFetch,
                            brokerMessage: "listing every committed partition needs OffsetFetch v2+")
                    }
                    request.groupId = groupId
                    request.topics = topicNames?.map {
                        OffsetFetchRequest.OffsetFetchRequestTopic(name: $0, partitionIndexes: indexes($0))
                    }
                }
                return request
            } check: { (response: OffsetFetchResponse) in
                let entries = Self.committedEntries(response, groupId: groupId)
                return entries.groupError ?? entries.errors.first { $0.isRetriable || $0.code.isCoordinatorError }
            }
            let entries = Self.committedEntries(response, groupId: groupId)
            for error in entries.errors {
                logger.debug("no committed offset returned", metadata: ["group": "\(groupId)", "error": "\(error)"])
            }
            let wanted = partitions.map(Set.init)
            return entries.offsets.filter { wanted?.contains($0.key) ?? true }
        }
    }

    /// Changes the offsets committed for a consumer group (Java's `alterConsumerGroupOffsets`),
    /// with OffsetCommit to the group's coordinator as a non-member (generation -1).
    ///
    /// Only a group without active members accepts it: while members are in the group the
    /// coordinator refuses every partition with `UNKNOWN_MEMBER_ID`.
    ///
    /// - Returns: a result per requested partition (`UNKNOWN_TOPIC_OR_PARTITION`,
    ///   `UNKNOWN_MEMBER_ID`, `OFFSET_METADATA_TOO_LARGE`, …).
    /// - Throws: ``AdminError`` for the group: coordinator errors that outlast the retries, `NETWORK_EXCEPTION` or
    ///   `REQUEST_TIMED_OUT` when the coordinator cannot be reached, or the task's cancellation
    ///   (``AdminError/isCancellation``).
    public func alterConsumerGroupOffsets(
        _ groupId: String, offsets: [TopicPartitionKey: ConsumerGroupOffset]
    ) async throws(AdminError) -> [TopicPartitionKey: Result<Void, AdminError>] {
        try await reportingAdminError(api: .offsetCommit, resourceKind: .group, resourceName: groupId) {
            guard !offsets.isEmpty else { return [:] }
            let (response, _) = try await sendToCoordinator(groupId: groupId, api: .offsetCommit) { (version: Int16) in
                OffsetCommitRequest(
                    groupId: groupId, generationIdOrMemberEpoch: -1, memberId: "",
                    topics: OffsetCommitRequest.topics(offsets, version: version))
            } check: { (response: OffsetCommitResponse) in
                Self.partitionErrors(
                    response.topics.map { ($0.name, $0.partitions.map { ($0.partitionIndex, $0.errorCode) }) }
                )
                .first { $0.code.isCoordinatorError }
            }
            return Self.partitionResults(
                requested: Set(offsets.keys), api: .offsetCommit,
                answers: response.topics.map { ($0.name, $0.partitions.map { ($0.partitionIndex, $0.errorCode) }) })
        }
    }

    /// Changes the offsets committed for a consumer group to plain offsets, without metadata or
    /// leader epoch; see the variant taking ``ConsumerGroupOffset`` values.
    public func alterConsumerGroupOffsets(
        _ groupId: String, offsets: [TopicPartitionKey: Int64]
    ) async throws(AdminError) -> [TopicPartitionKey: Result<Void, AdminError>] {
        try await alterConsumerGroupOffsets(groupId, offsets: offsets.mapValues { ConsumerGroupOffset(offset: $0) })
    }

    /// Deletes offsets committed for a consumer group (Java's `deleteConsumerGroupOffsets`), with
    /// OffsetDelete to the group's coordinator.
    ///
    /// The offsets of topics that active members subscribe to cannot be deleted: those partitions
    /// fail with `GROUP_SUBSCRIBED_TO_TOPIC`.
    ///
    /// - Returns: a result per requested partition.
    /// - Throws: ``AdminError`` for an error of the whole group (`GROUP_ID_NOT_FOUND`, `NON_EMPTY_GROUP` for a
    ///   non-consumer group with members, …) and for coordinator errors that outlast the retries, `NETWORK_EXCEPTION`
    ///   or `REQUEST_TIMED_OUT` when the coordinator cannot be reached, or the task's cancellation
    ///   (``AdminError/isCancellation``); the resource is the group.
    public func deleteConsumerGroupOffsets(
        _ groupId: String, partitions: Set<TopicPartitionKey>
    ) async throws(AdminError) -> [TopicPartitionKey: Result<Void, AdminError>] {
        try await reportingAdminError(api: .offsetDelete, resourceKind: .group, resourceName: groupId) {
            guard !partitions.isEmpty else { return [:] }
            let byTopic = Dictionary(grouping: partitions, by: \.topic)
            let (response, _) = try await sendToCoordinator(groupId: groupId, api: .offsetDelete) { (_: Int16) in
                OffsetDeleteRequest(
                    groupId: groupId,
                    topics: byTopic.keys.sorted().map { topic in
                        OffsetDeleteRequest.OffsetDeleteRequestTopic(
                            name: topic,
                            partitions: (byTopic[topic] ?? []).map(\.partition).sorted().map {
                                OffsetDeleteRequest.OffsetDeleteRequestPartition(partitionIndex: $0)
                            })
                    })
            } check: { (response: OffsetDeleteResponse) in
                let code = KafkaErrorCode(rawValue: response.errorCode)
                if code != .none { return KafkaError(code: code, api: .offsetDelete) }
                return Self.partitionErrors(
                    response.topics.map { ($0.name, $0.partitions.map { ($0.partitionIndex, $0.errorCode) }) }
                )
                .first { $0.code.isCoordinatorError }
            }
            return Self.partitionResults(
                requested: partitions, api: .offsetDelete,
                answers: response.topics.map { ($0.name, $0.partitions.map { ($0.partitionIndex, $0.errorCode) }) })
        }
    }

    // MARK: Log offsets and records

    /// Looks up offsets of partitions (Java's `listOffsets`): the earliest, the latest, the one
    /// with the largest timestamp, or the first at or after a time. ListOffsets goes to each
    /// partition's leader; leader changes are retried.
    ///
    /// - Parameters:
    ///   - specs: for each partition, which offset to look up.
    ///   - isolationLevel: with ``IsolationLevel/readCommitted`` the latest offset is the last
    ///     stable offset (records of open transactions are not counted).
    /// - Returns: a result per requested partition. A time after every record gives offset -1.
    /// - Throws: ``AdminError`` naming the partitions, with `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`, when their
    ///   leaders cannot be reached within the retries; when the task is cancelled, ``AdminError/isCancellation`` is
    ///   true.
    public func listOffsets(
        _ specs: [TopicPartitionKey: OffsetSpec], isolationLevel: IsolationLevel = .readUncommitted
    ) async throws(AdminError) -> [TopicPartitionKey: Result<ListedOffset, AdminError>] {
        try await reportingAdminError(
            api: .listOffsets, resourceKind: .partition,
            resourceName: AdminError.resourceNames(specs.keys.map(\.description))
        ) {
            let timeout = Int32(clamping: configuration.requestTimeout.components.seconds * 1000)
            return try await forEachLeader(Set(specs.keys), api: .listOffsets) { leader, partitions in
                var results: [TopicPartitionKey: Result<ListedOffset, AdminError>] = [:]
                var partitions = partitions
                let connection = try await cluster.connection(to: .broker(leader), kind: .admin)
                if try connection.versions.version(for: ListOffsetsRequest.self) < 7 {
                    let range = connection.versions.brokerRanges[.listOffsets].map {
                        "v\($0.lowerBound)–v\($0.upperBound)"
                    }
                    for partition in partitions where specs[partition] == .maxTimestamp {
                        results[partition] = .failure(
                            AdminError(
                                code: .unsupportedVersion, api: .listOffsets, partition: partition,
                                message: "the max-timestamp lookup needs ListOffsets v7 or later (Kafka 3.0); broker "
                                    + "\(leader) supports ListOffsets \(range ?? "not at all")"))
                    }
                    partitions.removeAll { specs[$0] == .maxTimestamp }
                    if partitions.isEmpty { return results }
                }
                let byTopic = Dictionary(grouping: partitions, by: \.topic)
                let (response, version) = try await cluster.send(on: connection) { version in
                    ListOffsetsRequest(
                        replicaId: -1, isolationLevel: isolationLevel.rawValue,
                        topics: byTopic.keys.sorted().map { topic in
                            ListOffsetsRequest.ListOffsetsTopic(
                                name: topic,
                                partitions: (byTopic[topic] ?? []).sorted().map {
                                    ListOffsetsRequest.ListOffsetsPartition(
                                        partitionIndex: $0.partition,
                                        timestamp: specs[$0]?.requestTimestamp ?? OffsetSpec.latest.requestTimestamp)
                                })
                        }, timeoutMs: timeout)
                }
                for topic in response.topics {
                    for answer in topic.partitions {
                        let partition = TopicPartitionKey(topic: topic.name, partition: answer.partitionIndex)
                        let code = KafkaErrorCode(rawValue: answer.errorCode)
                        guard code == .none else {
                            results[partition] = .failure(
                                AdminError(code: code, api: .listOffsets, partition: partition))
                            continue
                        }
                        let offset = version == 0 ? (answer.oldStyleOffsets.first ?? -1) : answer.offset
                        results[partition] = .success(
                            ListedOffset(
                                offset: offset, timestamp: version == 0 ? -1 : answer.timestamp,
                                leaderEpoch: answer.leaderEpoch >= 0 ? answer.leaderEpoch : nil))
                    }
                }
                return results
            }
        }
    }

    /// Deletes the records of partitions before the given offsets (Java's `deleteRecords`): the
    /// log start offset moves forward, with DeleteRecords to each partition's leader.
    ///
    /// - Parameter offsets: for each partition, the first offset to keep; -1 for the high
    ///   watermark (every record).
    /// - Returns: a result per requested partition: the new low watermark (log start offset), or
    ///   the error (`OFFSET_OUT_OF_RANGE` past the high watermark, `POLICY_VIOLATION` for a
    ///   compacted topic, …).
    /// - Throws: ``AdminError`` naming the partitions, with `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`, when their
    ///   leaders cannot be reached within the retries; when the task is cancelled, ``AdminError/isCancellation`` is
    ///   true.
    public func deleteRecords(
        _ offsets: [TopicPartitionKey: Int64]
    ) async throws(AdminError) -> [TopicPartitionKey: Result<Int64, AdminError>] {
        try await reportingAdminError(
            api: .deleteRecords, resourceKind: .partition,
            resourceName: AdminError.resourceNames(offsets.keys.map(\.description))
        ) {
            let timeout = Int32(clamping: configuration.requestTimeout.components.seconds * 1000)
            return try await forEachLeader(Set(offsets.keys), api: .deleteRecords) { leader, partitions in
                let byTopic = Dictionary(grouping: partitions, by: \.topic)
                let request = DeleteRecordsRequest(
                    topics: byTopic.keys.sorted().map { topic in
                        DeleteRecordsRequest.DeleteRecordsTopic(
                            name: topic,
                            partitions: (byTopic[topic] ?? []).sorted().map {
                                DeleteRecordsRequest.DeleteRecordsPartition(
                                    partitionIndex: $0.partition, offset: offsets[$0] ?? -1)
                            })
                    }, timeoutMs: timeout)
                let response = try await cluster.send(request, to: .broker(leader), kind: .admin)
                var results: [TopicPartitionKey: Result<Int64, AdminError>] = [:]
                for topic in response.topics {
                    for answer in topic.partitions {
                        let code = KafkaErrorCode(rawValue: answer.errorCode)
                        let partition = TopicPartitionKey(topic: topic.name, partition: answer.partitionIndex)
                        results[partition] =
                            code == .none
                            ? .success(answer.lowWatermark)
                            : .failure(AdminError(code: code, api: .deleteRecords, partition: partition))
                    }
                }
                return results
            }
        }
    }

    // MARK: Internals

    /// Runs `send` once per leader with the partitions it leads and collects a result per
    /// partition. Partitions whose topic does not exist fail with the metadata error; partitions
    /// without a leader, with a retriable error or metadata-invalidating error in the answer, left
    /// out of the answer, or whose leader could not be reached are tried again after a metadata
    /// refresh, until `request.timeout.ms` or `retries` run out. `api` is the API `send` uses,
    /// named by the errors of partitions it never reached.
    func forEachLeader<Value: Sendable>(
        _ partitions: Set<TopicPartitionKey>, api: KafkaAPIKey,
        _ send: (Int32, [TopicPartitionKey]) async throws -> [TopicPartitionKey: Result<Value, AdminError>]
    ) async throws -> [TopicPartitionKey: Result<Value, AdminError>] {
        var results: [TopicPartitionKey: Result<Value, AdminError>] = [:]
        var pending = partitions
        let deadline = ContinuousClock.now.advanced(by: configuration.requestTimeout)
        var attempt = 0
        while !pending.isEmpty {
            let canRetry = attempt < cluster.retryPolicy.retries && ContinuousClock.now < deadline
            var retry: [TopicPartitionKey: AdminError] = [:]
            var lastNetworkError: (any Error)?
            let metadata = try await cluster.metadata(for: Set(pending.map(\.topic)))
            var byLeader: [Int32: [TopicPartitionKey]] = [:]
            for partition in pending.sorted() {
                guard let topic = metadata.topics[partition.topic], topic.error == nil else {
                    let code = metadata.topics[partition.topic]?.error ?? .unknownTopicOrPartition
                    let error = AdminError(code: code, api: .metadata, partition: partition)
                    if canRetry && code != .unknownTopicOrPartition && RetryPolicy.isRetriable(KafkaError(code: code)) {
                        retry[partition] = error
                    } else {
                        results[partition] = .failure(error)
                    }
                    continue
                }
                guard let info = topic.partition(partition.partition) else {
                    results[partition] = .failure(
                        AdminError(code: .unknownTopicOrPartition, api: .metadata, partition: partition))
                    continue
                }
                guard let leader = info.leader, leader >= 0 else {
                    retry[partition] = AdminError(code: .leaderNotAvailable, api: .metadata, partition: partition)
                    continue
                }
                byLeader[leader, default: []].append(partition)
            }
            for leader in byLeader.keys.sorted() {
                let group = byLeader[leader] ?? []
                let answers: [TopicPartitionKey: Result<Value, AdminError>]
                do {
                    answers = try await send(leader, group)
                } catch {
                    guard canRetry, RetryPolicy.isRetriable(error) else { throw error }
                    logger.debug(
                        "partition leader request failed", metadata: ["leader": "\(leader)", "error": "\(error)"])
                    lastNetworkError = error
                    for partition in group {
                        retry[partition] = AdminError(error, api: api, partition: partition)
                    }
                    continue
                }
                for partition in group {
                    switch answers[partition] {
                    case .failure(let error)? where error.isRetriable || error.code.invalidatesMetadata:
                        retry[partition] = error
                    case let answer?:
                        results[partition] = answer
                    case nil:
                        retry[partition] = AdminError(
                            code: .unknownServerError, api: api, partition: partition,
                            message: "the leader did not answer for \(partition)")
                    }
                }
            }
            if retry.isEmpty { break }
            if !canRetry {
                if let lastNetworkError { throw lastNetworkError }
                for (partition, error) in retry { results[partition] = .failure(error) }
                break
            }
            for topic in Set(retry.keys.map(\.topic)) { cluster.invalidateMetadata(topic: topic) }
            attempt += 1
            try await Task.sleep(
                for: cluster.retryPolicy.delay(beforeRetry: attempt, random: Double.random(in: 0..<1)))
            pending = Set(retry.keys)
        }
        return results
    }

    /// The offsets, group error and partition errors of an OffsetFetch response, old (v0–7) or
    /// batched (v8+) layout. Partitions without a commit (offset -1) are left out.
    private static func committedEntries(
        _ response: OffsetFetchResponse, groupId: String
    ) -> (offsets: [TopicPartitionKey: ConsumerGroupOffset], groupError: KafkaError?, errors: [KafkaError]) {
        var offsets: [TopicPartitionKey: ConsumerGroupOffset] = [:]
        var errors: [KafkaError] = []
        func add(topic: String, partition: Int32, offset: Int64, epoch: Int32, metadata: String?, code: Int16) {
            let code = KafkaErrorCode(rawValue: code)
            guard code == .none else {
                errors.append(KafkaError(code: code, api: .offsetFetch, topic: topic, partition: partition))
                return
            }
            guard offset >= 0 else { return }
            offsets[TopicPartitionKey(topic: topic, partition: partition)] = ConsumerGroupOffset(
                offset: offset, leaderEpoch: epoch >= 0 ? epoch : nil, metadata: metadata ?? "")
        }
        let groupCode: KafkaErrorCode
        if let group = response.groups.first(where: { $0.groupId == groupId }) {
            groupCode = KafkaErrorCode(rawValue: group.errorCode)
            for topic in group.topics {
                for p in topic.partitions {
                    add(
                        topic: topic.name, partition: p.partitionIndex, offset: p.committedOffset,
                        epoch: p.committedLeaderEpoch, metadata: p.metadata, code: p.errorCode)
                }
            }
        } else {
            groupCode = KafkaErrorCode(rawValue: response.errorCode)
            for topic in response.topics {
                for p in topic.partitions {
                    add(
                        topic: topic.name, partition: p.partitionIndex, offset: p.committedOffset,
                        epoch: p.committedLeaderEpoch, metadata: p.metadata, code: p.errorCode)
                }
            }
        }
        let groupError = groupCode == .none ? nil : KafkaError(code: groupCode, api: .offsetFetch)
        return (offsets, groupError, errors)
    }

    /// The per-partition errors of a response, as `(topic, [(partition, error code)])`.
    private static func partitionErrors(_ answers: [(String, [(Int32, Int16)])]) -> [KafkaError] {
        answers.flatMap { topic, partitions in
            partitions.compactMap { partition, code in
                let code = KafkaErrorCode(rawValue: code)
                return code == .none ? nil : KafkaError(code: code, topic: topic, partition: partition)
            }
        }
    }

    /// A result per requested partition from `(topic, [(partition, error code)])` answers; a
    /// partition the answer leaves out fails with UNKNOWN_SERVER_ERROR.
    private static func partitionResults(
        requested: Set<TopicPartitionKey>, api: KafkaAPIKey, answers: [(String, [(Int32, Int16)])]
    ) -> [TopicPartitionKey: Result<Void, AdminError>] {
        var results: [TopicPartitionKey: Result<Void, AdminError>] = [:]
        for (topic, partitions) in answers {
            for (index, code) in partitions {
                let partition = TopicPartitionKey(topic: topic, partition: index)
                guard requested.contains(partition) else { continue }
                let code = KafkaErrorCode(rawValue: code)
                results[partition] =
                    code == .none
                    ? .success(()) : .failure(AdminError(code: code, api: api, partition: partition))
            }
        }
        for partition in requested where results[partition] == nil {
            results[partition] = .failure(
                AdminError(
                    code: .unknownServerError, api: api, partition: partition,
                    message: "the broker did not answer for \(partition)"))
        }
        return results
    }
}

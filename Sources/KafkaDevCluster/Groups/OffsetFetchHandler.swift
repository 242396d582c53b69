import KafkaProtocol

/// OffsetFetch v0-9: committed offsets of one group (v0-7) or of a batch of groups (v8+). Null
/// topics (v2+) mean every committed partition; a partition without a commit reads offset -1 and
/// empty metadata, as does every partition of an unknown group. With `requireStable` (v7+) a
/// partition holding a pending transactional offset (TxnOffsetCommit of a transaction not yet
/// ended) answers UNSTABLE_OFFSET_COMMIT with offset -1, as Kafka; without it the committed offset
/// is answered and pending ones stay invisible.
enum OffsetFetchHandler: DevAPIHandler {
    /// The requested partitions of one group: nil means all committed.
    typealias Selection = [(name: String, partitions: [Int32])]?

    /// One group's answer: the group error and its partitions.
    struct GroupResult {
        var error: KafkaErrorCode
        var topics: [(name: String, partitions: [(index: Int32, offset: CommittedOffset?)])]
        /// Partitions answered UNSTABLE_OFFSET_COMMIT (topic, partition).
        var unstable: Set<TransactionPartition> = []

        /// The error code of one partition.
        func code(_ topic: String, _ partition: Int32) -> Int16 {
            unstable.contains(TransactionPartition(topic: topic, partition: partition))
                ? KafkaErrorCode.unstableOffsetCommit.rawValue : 0
        }
    }

    static func handle(_ request: OffsetFetchRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<OffsetFetchResponse>
    {
        let requireStable = context.version >= 7 && request.requireStable
        var response = OffsetFetchResponse()
        if context.version >= 8 {
            for group in request.groups {
                let selection = group.topics.map { $0.map { (name: $0.name, partitions: $0.partitionIndexes) } }
                let result = fetch(
                    group.groupId, selection, requireStable: requireStable, state: state, context: context)
                response.groups.append(
                    .init(
                        groupId: group.groupId,
                        topics: result.topics.map { topic in
                            .init(
                                name: topic.name,
                                partitions: topic.partitions.map {
                                    .init(
                                        partitionIndex: $0.index, committedOffset: $0.offset?.offset ?? -1,
                                        committedLeaderEpoch: $0.offset?.leaderEpoch ?? -1,
                                        metadata: $0.offset?.metadata ?? "",
                                        errorCode: result.code(topic.name, $0.index))
                                })
                        }, errorCode: result.error.rawValue))
            }
            return .respond(response)
        }
        let topics = context.version >= 2 ? request.topics : (request.topics ?? [])
        let selection = topics.map { $0.map { (name: $0.name, partitions: $0.partitionIndexes) } }
        let result = fetch(request.groupId, selection, requireStable: requireStable, state: state, context: context)
        if context.version < 2 && result.error != .none {
            // v0-1 have no group error: every partition carries it.
            return .respond(errorResponse(to: request, error: result.error, context: context))
        }
        response.errorCode = context.version >= 2 ? result.error.rawValue : 0
        response.topics = result.topics.map { topic in
            .init(
                name: topic.name,
                partitions: topic.partitions.map {
                    .init(
                        partitionIndex: $0.index, committedOffset: $0.offset?.offset ?? -1,
                        committedLeaderEpoch: $0.offset?.leaderEpoch ?? -1, metadata: $0.offset?.metadata ?? "",
                        errorCode: result.code(topic.name, $0.index))
                })
        }
        return .respond(response)
    }

    /// The committed offsets of one group.
    static func fetch(
        _ groupID: String, _ selection: Selection, requireStable: Bool = false, state: ClusterState,
        context: RequestContext
    ) -> GroupResult {
        guard state.coordinates(group: groupID, context: context) else {
            return GroupResult(error: .notCoordinator, topics: [])
        }
        let offsets = state.groups.groups[groupID]?.offsets ?? CommittedOffsets()
        var result: GroupResult
        if let selection {
            result = GroupResult(
                error: .none,
                topics: selection.map { topic in
                    (
                        name: topic.name,
                        partitions: topic.partitions.map { (index: $0, offset: offsets[topic.name, $0]) }
                    )
                })
        } else {
            result = GroupResult(
                error: .none,
                topics: offsets.all.map { topic in
                    (name: topic.topic, partitions: topic.partitions.map { (index: $0.partition, offset: $0.offset) })
                })
        }
        guard requireStable, state.groups.pendingTransactionalOffsets[groupID] != nil else { return result }
        for topic in result.topics.indices {
            let name = result.topics[topic].name
            for partition in result.topics[topic].partitions.indices {
                let index = result.topics[topic].partitions[partition].index
                guard state.groups.hasPendingOffset(group: groupID, topic: name, partition: index) else { continue }
                result.topics[topic].partitions[partition].offset = nil
                result.unstable.insert(TransactionPartition(topic: name, partition: index))
            }
        }
        return result
    }

    static func errorResponse(to request: OffsetFetchRequest, error: KafkaErrorCode, context: RequestContext)
        -> OffsetFetchResponse
    {
        var response = OffsetFetchResponse()
        if context.version >= 8 {
            response.groups = request.groups.map { .init(groupId: $0.groupId, topics: [], errorCode: error.rawValue) }
        } else if context.version >= 2 {
            response.errorCode = error.rawValue
        } else {
            response.topics = (request.topics ?? []).map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitionIndexes.map {
                        .init(partitionIndex: $0, committedOffset: -1, metadata: "", errorCode: error.rawValue)
                    })
            }
        }
        return response
    }
}

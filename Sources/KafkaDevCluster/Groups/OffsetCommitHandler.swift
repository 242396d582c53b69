import KafkaProtocol

/// OffsetCommit v0-9: stores committed offsets of a group.
///
/// Kafka's checks, in order: unknown topics or partitions get UNKNOWN_TOPIC_OR_PARTITION; the
/// coordinator check; a group that does not exist is created (Empty) by a simple commit
/// (generation -1), while a generation-aware commit gets GROUP_ID_NOT_FOUND at v9+ and
/// ILLEGAL_GENERATION before (as Kafka's group coordinator); then FENCED_INSTANCE_ID, simple
/// commits to Empty groups, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, and REBALANCE_IN_PROGRESS
/// while CompletingRebalance. Commits during PreparingRebalance are accepted (the heartbeat tells
/// the member to rejoin). Metadata longer than `offset.metadata.max.bytes` gets
/// OFFSET_METADATA_TOO_LARGE.
enum OffsetCommitHandler: DevAPIHandler {
    static func handle(_ request: OffsetCommitRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<OffsetCommitResponse>
    {
        let groupError = validate(request, in: &state, context: context)
        let groupID = request.groupId
        var response = OffsetCommitResponse()
        for topic in request.topics {
            var partitions: [OffsetCommitResponse.OffsetCommitResponsePartition] = []
            for partition in topic.partitions {
                let error = state.offsetCommitError(
                    topic: topic.name, partition: partition.partitionIndex, metadata: partition.committedMetadata,
                    groupError: groupError)
                if error == .none {
                    let timestamp =
                        context.version == 1 && partition.commitTimestamp >= 0 ? partition.commitTimestamp : context.now
                    state.groups.groups[groupID]?.offsets[topic.name, partition.partitionIndex] = CommittedOffset(
                        offset: partition.committedOffset,
                        leaderEpoch: context.version >= 6 ? partition.committedLeaderEpoch : -1,
                        metadata: partition.committedMetadata ?? "", commitTimestamp: timestamp)
                }
                partitions.append(.init(partitionIndex: partition.partitionIndex, errorCode: error.rawValue))
            }
            response.topics.append(.init(name: topic.name, partitions: partitions))
        }
        return .respond(response)
    }

    /// The error of the whole commit (`.none` to store), creating the group for a simple commit.
    private static func validate(_ request: OffsetCommitRequest, in state: inout ClusterState, context: RequestContext)
        -> KafkaErrorCode
    {
        guard state.coordinates(group: request.groupId, context: context) else { return .notCoordinator }
        let generation = context.version >= 1 ? request.generationIdOrMemberEpoch : -1
        let memberID = context.version >= 1 ? request.memberId : ""
        let instanceID = context.version >= 7 ? request.groupInstanceId : nil
        if state.groups.groups[request.groupId] == nil {
            guard generation < 0 else { return context.version >= 9 ? .groupIdNotFound : .illegalGeneration }
            state.groups.groups[request.groupId] = ClassicGroup(groupID: request.groupId)
        }
        guard let group = state.groups.groups[request.groupId] else { return .coordinatorNotAvailable }
        if group.state == .dead { return .coordinatorNotAvailable }
        if group.isFenced(instanceID: instanceID, memberID: memberID) { return .fencedInstanceId }
        if generation < 0 && group.state == .empty { return .none }
        guard group.has(memberID) else { return .unknownMemberId }
        guard generation == group.generationID else { return .illegalGeneration }
        if group.state == .completingRebalance { return .rebalanceInProgress }
        state.groups.groups[request.groupId]?.updateMember(memberID) { $0.lastHeartbeat = context.now }
        return .none
    }

    static func errorResponse(to request: OffsetCommitRequest, error: KafkaErrorCode, context: RequestContext)
        -> OffsetCommitResponse
    {
        OffsetCommitResponse(
            topics: request.topics.map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitions.map {
                        .init(partitionIndex: $0.partitionIndex, errorCode: error.rawValue)
                    })
            })
    }
}

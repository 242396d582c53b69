import KafkaProtocol

/// TxnOffsetCommit (versions 0–3), at the group coordinator: offsets committed inside a
/// transaction. They are kept as *pending* for the producer id and become the group's committed
/// offsets only when the transaction commits (dropped when it aborts); until then OffsetFetch with
/// `requireStable` answers UNSTABLE_OFFSET_COMMIT for those partitions.
///
/// Kafka's checks, in order: unknown topics or partitions get UNKNOWN_TOPIC_OR_PARTITION (the others
/// go on); NOT_COORDINATOR; an empty group id → INVALID_GROUP_ID; a missing group is created Empty;
/// FENCED_INSTANCE_ID (v3+ static member held by another member id), UNKNOWN_MEMBER_ID (a member id
/// the group does not know), ILLEGAL_GENERATION (a generation ≥ 0 other than the group's);
/// OFFSET_METADATA_TOO_LARGE per partition.
///
/// Beyond Kafka 3.x (whose group coordinator leaves the producer checks to the log append), the
/// producer is checked against the transaction coordinator, so pending offsets always belong to an
/// open transaction: another producer id → INVALID_PRODUCER_ID_MAPPING, another epoch →
/// INVALID_PRODUCER_EPOCH, a group not added with AddOffsetsToTxn to an Ongoing transaction →
/// INVALID_TXN_STATE (KIP-890's rule). Version 4 is not advertised; a request at it closes.
enum TxnOffsetCommitHandler: DevAPIHandler {
    static var versions: ClosedRange<Int16> { 0...3 }

    static func handle(_ request: TxnOffsetCommitRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<TxnOffsetCommitResponse>
    {
        guard versions.contains(context.version) else { return .close }
        let groupError = validate(request, in: &state, context: context)
        var response = TxnOffsetCommitResponse()
        for topic in request.topics {
            var partitions: [TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition] = []
            for partition in topic.partitions {
                let error = state.offsetCommitError(
                    topic: topic.name, partition: partition.partitionIndex, metadata: partition.committedMetadata,
                    groupError: groupError)
                if error == .none {
                    state.groups.storePendingOffset(
                        group: request.groupId, producerID: request.producerId, topic: topic.name,
                        partition: partition.partitionIndex,
                        offset: CommittedOffset(
                            offset: partition.committedOffset,
                            leaderEpoch: context.version >= 2 ? partition.committedLeaderEpoch : -1,
                            metadata: partition.committedMetadata ?? "", commitTimestamp: context.now))
                }
                partitions.append(.init(partitionIndex: partition.partitionIndex, errorCode: error.rawValue))
            }
            response.topics.append(.init(name: topic.name, partitions: partitions))
        }
        return .respond(response)
    }

    /// The error of the whole commit (`.none` to store), creating a missing group.
    private static func validate(
        _ request: TxnOffsetCommitRequest, in state: inout ClusterState, context: RequestContext
    ) -> KafkaErrorCode {
        let groupID = request.groupId
        guard state.coordinates(group: groupID, context: context) else { return .notCoordinator }
        guard !groupID.isEmpty else { return .invalidGroupId }
        let generation = context.version >= 3 ? request.generationId : -1
        let memberID = context.version >= 3 ? request.memberId : ""
        let instanceID = context.version >= 3 ? request.groupInstanceId : nil
        if state.groups.groups[groupID] == nil { state.groups.groups[groupID] = ClassicGroup(groupID: groupID) }
        guard let group = state.groups.groups[groupID] else { return .coordinatorNotAvailable }
        if group.state == .dead { return .coordinatorNotAvailable }
        if group.isFenced(instanceID: instanceID, memberID: memberID) { return .fencedInstanceId }
        if !memberID.isEmpty && !group.has(memberID) { return .unknownMemberId }
        if generation >= 0 && generation != group.generationID { return .illegalGeneration }
        switch state.transactions.validate(
            request.transactionalId, producerID: request.producerId, epoch: request.producerEpoch)
        {
        case .none: break
        case .producerFenced: return .invalidProducerEpoch
        case let error: return error
        }
        guard state.transactions.includes(group: groupID, in: request.transactionalId) else { return .invalidTxnState }
        return .none
    }

    static func errorResponse(to request: TxnOffsetCommitRequest, error: KafkaErrorCode, context: RequestContext)
        -> TxnOffsetCommitResponse
    {
        TxnOffsetCommitResponse(
            topics: request.topics.map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitions.map {
                        .init(partitionIndex: $0.partitionIndex, errorCode: error.rawValue)
                    })
            })
    }
}

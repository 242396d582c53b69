import KafkaProtocol

/// ListOffsets (versions 0-10): offsets by special or real timestamp, as Kafka's
/// `KafkaApis.handleListOffsetRequest` and `Partition.fetchOffsetForTimestamp` answer.
///
/// Access per partition: unknown → UNKNOWN_TOPIC_OR_PARTITION; on a replica, a
/// `currentLeaderEpoch` (v4+, -1 = none) older than the partition's → FENCED_LEADER_EPOCH, newer →
/// UNKNOWN_LEADER_EPOCH; then the broker must lead the partition (NOT_LEADER_OR_FOLLOWER /
/// LEADER_NOT_AVAILABLE), except for `replicaId` -2 (Kafka's debugging consumer), which any
/// replica answers. A partition listed twice (v1+) → INVALID_REQUEST on each entry.
///
/// Timestamps (v1+): -1 latest (high watermark; last stable offset with `isolationLevel` 1 from a
/// client, `replicaId` -1; the log end for other replica ids), -2 earliest and -4 earliest local
/// (log start offset), -3 max timestamp (the first batch with the largest max timestamp; offset -1
/// and timestamp -1 when the log is empty), -5 latest tiered (-1: nothing is tiered), any other
/// value the first offset whose timestamp is at or after it (-1/-1 when none). Like Kafka, the
/// special values are honoured at every version. Lookups by time and by max timestamp only return
/// offsets below the latest offset. Uncompressed batches are searched record by record, as Kafka
/// does; compressed ones (the dev cluster has no decompressor) by batch: the batch's first offset
/// for a time lookup and its last for the max timestamp, with the batch's max timestamp.
///
/// v0 answers `oldStyleOffsets` as Kafka's `fetchOffsetsBefore` does for a log of one segment whose
/// modification time is the log's largest timestamp, plus the log end at the current time: latest → [log end, log start], earliest →
/// [log start], a time → the entries at or before it, newest first, at most `maxNumOffsets`.
enum ListOffsetsHandler: DevAPIHandler {
    static let latest: Int64 = -1
    static let earliest: Int64 = -2
    static let maxTimestamp: Int64 = -3
    static let earliestLocal: Int64 = -4
    static let latestTiered: Int64 = -5
    static let debuggingReplicaID: Int32 = -2

    static func handle(_ request: ListOffsetsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<ListOffsetsResponse>
    {
        var counts: [String: [Int32: Int]] = [:]
        for topic in request.topics {
            for partition in topic.partitions {
                counts[topic.name, default: [:]][partition.partitionIndex, default: 0] += 1
            }
        }
        var response = ListOffsetsResponse()
        response.topics = request.topics.map { topic in
            ListOffsetsResponse.ListOffsetsTopicResponse(
                name: topic.name,
                partitions: topic.partitions.map { partition in
                    if context.version >= 1, (counts[topic.name]?[partition.partitionIndex] ?? 0) > 1 {
                        return failure(partition.partitionIndex, .invalidRequest)
                    }
                    if !state.mayDescribeTopic(context, topic.name) {
                        return failure(partition.partitionIndex, .topicAuthorizationFailed)
                    }
                    return answer(partition, topic: topic.name, request: request, state: state, context: context)
                })
        }
        return .respond(response)
    }

    static func errorResponse(to request: ListOffsetsRequest, error: KafkaErrorCode, context: RequestContext)
        -> ListOffsetsResponse
    {
        ListOffsetsResponse(
            topics: request.topics.map { topic in
                ListOffsetsResponse.ListOffsetsTopicResponse(
                    name: topic.name, partitions: topic.partitions.map { failure($0.partitionIndex, error) })
            })
    }

    /// An error entry (offset and timestamp -1 at v1+, no offsets at v0).
    static func failure(_ index: Int32, _ error: KafkaErrorCode) -> ListOffsetsResponse.ListOffsetsPartitionResponse {
        ListOffsetsResponse.ListOffsetsPartitionResponse(partitionIndex: index, errorCode: error.rawValue)
    }

    /// Whether the broker may answer for the partition.
    static func access(
        _ topic: String, _ index: Int32, currentLeaderEpoch: Int32, replicaID: Int32, state: ClusterState,
        broker: Int32
    ) -> (partition: ClusterState.Partition?, error: KafkaErrorCode) {
        guard let partition = state.partition(topic, index) else { return (nil, .unknownTopicOrPartition) }
        if currentLeaderEpoch >= 0, partition.replicas.contains(broker) {
            if partition.leaderEpoch > currentLeaderEpoch { return (nil, .fencedLeaderEpoch) }
            if partition.leaderEpoch < currentLeaderEpoch { return (nil, .unknownLeaderEpoch) }
        }
        if replicaID == debuggingReplicaID {
            return partition.replicas.contains(broker) ? (partition, .none) : (nil, .notLeaderOrFollower)
        }
        let leadership = state.leadership(topic, index, broker: broker)
        return leadership == .none ? (partition, .none) : (nil, leadership)
    }

    /// The answer for one partition.
    static func answer(
        _ request: ListOffsetsRequest.ListOffsetsPartition, topic: String, request whole: ListOffsetsRequest,
        state: ClusterState, context: RequestContext
    ) -> ListOffsetsResponse.ListOffsetsPartitionResponse {
        let version = context.version
        let index = request.partitionIndex
        let access = access(
            topic, index, currentLeaderEpoch: version >= 4 ? request.currentLeaderEpoch : -1,
            replicaID: whole.replicaId, state: state, broker: context.brokerID)
        guard let partition = access.partition else { return failure(index, access.error) }
        let log = partition.log
        if version == 0 {
            var entry = failure(index, .none)
            entry.oldStyleOffsets = legacyOffsets(
                log, timestamp: request.timestamp, maxCount: request.maxNumOffsets, now: context.now)
            return entry
        }
        let lastFetchable: Int64
        if whole.replicaId != -1 {
            lastFetchable = log.logEndOffset
        } else if version >= 2 && whole.isolationLevel == 1 {
            lastFetchable = log.lastStableOffset
        } else {
            lastFetchable = log.highWatermark
        }
        var found: (offset: Int64, timestamp: Int64, epoch: Int32)?
        switch request.timestamp {
        case latest:
            found = (lastFetchable, -1, partition.leaderEpoch)
        case earliest, earliestLocal:
            let first = log.batches.first { $0.lastOffset >= log.logStartOffset }
            found = (log.logStartOffset, -1, first.map(\.partitionLeaderEpoch) ?? -1)
        case latestTiered:
            found = (-1, -1, -1)
        case maxTimestamp:
            found = log.maxTimestampRecord().flatMap { $0.offset < lastFetchable ? $0 : nil }
        default:
            found = log.firstRecord(atOrAfter: request.timestamp).flatMap { $0.offset < lastFetchable ? $0 : nil }
        }
        var entry = failure(index, .none)
        if let found {
            entry.offset = found.offset
            entry.timestamp = found.timestamp
            if version >= 4 && found.epoch >= 0 { entry.leaderEpoch = found.epoch }
        }
        return entry
    }

    /// Kafka's `fetchOffsetsBefore` for ListOffsets v0 on a one-segment log.
    static func legacyOffsets(_ log: PartitionLog, timestamp: Int64, maxCount: Int32, now: Int64) -> [Int64] {
        let segmentTime = log.maxTimestampRecord()?.timestamp ?? -1
        var entries: [(offset: Int64, time: Int64)] = [(log.logStartOffset, segmentTime)]
        if !log.batches.isEmpty { entries.append((log.logEndOffset, now)) }
        var start: Int
        switch timestamp {
        case latest: start = entries.count - 1
        case earliest: start = 0
        default: start = entries.lastIndex { $0.time <= timestamp } ?? -1
        }
        var offsets: [Int64] = []
        while start >= 0 && offsets.count < Int(max(maxCount, 0)) {
            offsets.append(entries[start].offset)
            start -= 1
        }
        return offsets
    }
}

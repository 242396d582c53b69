import KafkaProtocol

/// DeleteRecords (versions 0-2): moves a partition's log start offset forward, as Kafka's
/// `Partition.deleteRecordsOnLeader` does.
///
/// Per partition: unknown → UNKNOWN_TOPIC_OR_PARTITION; the broker must lead it →
/// NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE; a topic whose `cleanup.policy` lacks `delete` →
/// POLICY_VIOLATION; offset -1 means the high watermark; an offset below 0 or above the high
/// watermark → OFFSET_OUT_OF_RANGE; an offset at or below the current log start changes nothing.
/// The answer's `lowWatermark` is the new log start offset (-1 on errors). With one replica the
/// low watermark is reached at once, so the request never waits for `timeoutMs`. Idempotent
/// producer state is kept.
enum DeleteRecordsHandler: DevAPIHandler {
    /// The offset that stands for the high watermark.
    static let highWatermark: Int64 = -1

    static func handle(_ request: DeleteRecordsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DeleteRecordsResponse>
    {
        var response = DeleteRecordsResponse()
        for topic in request.topics {
            var result = DeleteRecordsResponse.DeleteRecordsTopicResult(name: topic.name)
            // With an authorizer: DELETE on the topic.
            let mayDelete = state.authorizes(context, DevAcls.Operation.delete, DevAcls.ResourceType.topic, topic.name)
            for partition in topic.partitions {
                guard mayDelete else {
                    result.partitions.append(
                        DeleteRecordsResponse.DeleteRecordsPartitionResult(
                            partitionIndex: partition.partitionIndex, lowWatermark: -1,
                            errorCode: KafkaErrorCode.topicAuthorizationFailed.rawValue))
                    continue
                }
                let outcome = delete(
                    topic: topic.name, index: partition.partitionIndex, offset: partition.offset, state: &state,
                    broker: context.brokerID)
                result.partitions.append(
                    DeleteRecordsResponse.DeleteRecordsPartitionResult(
                        partitionIndex: partition.partitionIndex, lowWatermark: outcome.lowWatermark,
                        errorCode: outcome.error.rawValue))
            }
            response.topics.append(result)
        }
        return .respond(response)
    }

    static func errorResponse(to request: DeleteRecordsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DeleteRecordsResponse
    {
        DeleteRecordsResponse(
            topics: request.topics.map { topic in
                DeleteRecordsResponse.DeleteRecordsTopicResult(
                    name: topic.name,
                    partitions: topic.partitions.map {
                        DeleteRecordsResponse.DeleteRecordsPartitionResult(
                            partitionIndex: $0.partitionIndex, lowWatermark: -1, errorCode: error.rawValue)
                    })
            })
    }

    /// Deletes one partition's records before `offset`.
    static func delete(topic: String, index: Int32, offset: Int64, state: inout ClusterState, broker: Int32)
        -> (error: KafkaErrorCode, lowWatermark: Int64)
    {
        let leadership = state.leadership(topic, index, broker: broker)
        guard leadership == .none else { return (leadership, -1) }
        let policy = state.topics[topic]?.configs["cleanup.policy"] ?? "delete"
        guard policy.split(separator: ",").contains(where: { $0.trimmingSpaces == "delete" }) else {
            return (.policyViolation, -1)
        }
        let result: (error: KafkaErrorCode, lowWatermark: Int64)? = state.withPartition(topic, index) { partition in
            let target = offset == highWatermark ? partition.log.highWatermark : offset
            guard target >= 0, target <= partition.log.highWatermark else { return (.offsetOutOfRange, -1) }
            partition.log.deleteRecords(before: target)
            return (.none, partition.log.logStartOffset)
        }
        return result ?? (.unknownTopicOrPartition, -1)
    }
}

extension Substring {
    /// The text without leading and trailing spaces.
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}

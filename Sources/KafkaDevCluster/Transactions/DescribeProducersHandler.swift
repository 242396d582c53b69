import KafkaProtocol

/// DescribeProducers (version 0, Kafka 2.8): per partition, the producers of the receiving broker's replica, from
/// the partition's ``ProducerStateTable`` and ``TransactionIndex``: producer id and epoch, last sequence (-1 when no
/// batch of the current epoch is remembered), last timestamp, the coordinator epoch of the last marker (-1 before
/// any) and the first offset of the open transaction (-1 when none). UNKNOWN_TOPIC_OR_PARTITION for a partition that
/// does not exist, NOT_LEADER_OR_FOLLOWER when the broker holds no replica of it (a follower answers, as in Kafka:
/// every replica shares the one log here).
enum DescribeProducersHandler: DevAPIHandler {
    static func handle(_ request: DescribeProducersRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeProducersResponse>
    {
        var response = DescribeProducersResponse()
        for topic in request.topics {
            var topicResponse = DescribeProducersResponse.TopicResponse(name: topic.name)
            for index in topic.partitionIndexes {
                var answer = DescribeProducersResponse.PartitionResponse(partitionIndex: index)
                guard state.authorizes(context, DevAcls.Operation.read, DevAcls.ResourceType.topic, topic.name) else {
                    answer.errorCode = KafkaErrorCode.topicAuthorizationFailed.rawValue
                    topicResponse.partitions.append(answer)
                    continue
                }
                guard let partition = state.partition(topic.name, index) else {
                    answer.errorCode = KafkaErrorCode.unknownTopicOrPartition.rawValue
                    topicResponse.partitions.append(answer)
                    continue
                }
                guard partition.replicas.contains(context.brokerID) else {
                    answer.errorCode = KafkaErrorCode.notLeaderOrFollower.rawValue
                    answer.errorMessage = "Broker \(context.brokerID) has no replica of \(topic.name)-\(index)"
                    topicResponse.partitions.append(answer)
                    continue
                }
                let log = partition.log
                answer.activeProducers = log.producerStates.entries.keys.sorted().compactMap { producerID in
                    guard let entry = log.producerStates.entry(for: producerID) else { return nil }
                    return DescribeProducersResponse.ProducerState(
                        producerId: producerID, producerEpoch: Int32(entry.epoch), lastSequence: entry.lastSequence,
                        lastTimestamp: entry.lastTimestamp, coordinatorEpoch: entry.coordinatorEpoch,
                        currentTxnStartOffset: log.transactions.open[producerID] ?? -1)
                }
                topicResponse.partitions.append(answer)
            }
            response.topics.append(topicResponse)
        }
        return .respond(response)
    }

    static func errorResponse(to request: DescribeProducersRequest, error: KafkaErrorCode, context: RequestContext)
        -> DescribeProducersResponse
    {
        DescribeProducersResponse(
            topics: request.topics.map { topic in
                DescribeProducersResponse.TopicResponse(
                    name: topic.name,
                    partitions: topic.partitionIndexes.map {
                        DescribeProducersResponse.PartitionResponse(partitionIndex: $0, errorCode: error.rawValue)
                    })
            })
    }
}

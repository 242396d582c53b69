import KafkaProtocol

/// WriteTxnMarkers (versions 0–1): transaction markers written on request, as a transaction coordinator sends them
/// to partition leaders and as an admin client's `abortTransaction` sends one to end a hanging transaction.
///
/// Per marker and partition, as Kafka's `KafkaApis.handleWriteTxnMarkersRequest` and its append checks:
/// UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE when the receiving broker does not lead
/// the partition, INVALID_PRODUCER_EPOCH for an epoch below the producer's on the partition,
/// TRANSACTION_COORDINATOR_FENCED for a coordinator epoch below the one of the producer's last marker; otherwise
/// the marker is appended (see ``PartitionLog/appendMarker(producerID:epoch:commit:coordinatorEpoch:leaderEpoch:timestamp:)``):
/// it closes the producer's open transaction on the partition, an abort enters it in the aborted index, and the
/// last stable offset moves past it. A marker for a producer without an open transaction there is written all the
/// same (an empty transaction), as in Kafka.
///
/// The transaction coordinator is not told, as in Kafka: after an admin abort its record of the transactional id
/// is unchanged (still Ongoing with the partition), and its own later commit or abort writes a marker that finds no
/// open transaction on that partition. Markers for `__consumer_offsets` partitions are not special here (the dev
/// cluster resolves transactional offsets when the coordinator completes the transaction).
enum WriteTxnMarkersHandler: DevAPIHandler {
    static func handle(_ request: WriteTxnMarkersRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<WriteTxnMarkersResponse>
    {
        var response = WriteTxnMarkersResponse()
        for marker in request.markers {
            var result = WriteTxnMarkersResponse.WritableTxnMarkerResult(producerId: marker.producerId)
            for topic in marker.topics {
                var topicResult = WriteTxnMarkersResponse.WritableTxnMarkerTopicResult(name: topic.name)
                for index in topic.partitionIndexes {
                    let code = write(marker, topic: topic.name, partition: index, state: &state, context: context)
                    topicResult.partitions.append(
                        WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult(
                            partitionIndex: index, errorCode: code.rawValue))
                }
                result.topics.append(topicResult)
            }
            response.markers.append(result)
        }
        return .respond(response)
    }

    /// Appends one marker to one partition, or returns why not.
    static func write(
        _ marker: WriteTxnMarkersRequest.WritableTxnMarker, topic: String, partition index: Int32,
        state: inout ClusterState, context: RequestContext
    ) -> KafkaErrorCode {
        let leadership = state.leadership(topic, index, broker: context.brokerID)
        guard leadership == .none else { return leadership }
        let outcome = state.withPartition(topic, index) { partition -> KafkaErrorCode in
            if let (code, _) = partition.log.producerStates.checkMarker(
                producerID: marker.producerId, epoch: marker.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch)
            {
                return code
            }
            let offset = partition.log.appendMarker(
                producerID: marker.producerId, epoch: marker.producerEpoch, commit: marker.transactionResult,
                coordinatorEpoch: marker.coordinatorEpoch, leaderEpoch: partition.leaderEpoch, timestamp: context.now)
            return offset == nil ? .unknownServerError : .none
        }
        return outcome ?? .unknownTopicOrPartition
    }

    static func errorResponse(to request: WriteTxnMarkersRequest, error: KafkaErrorCode, context: RequestContext)
        -> WriteTxnMarkersResponse
    {
        WriteTxnMarkersResponse(
            markers: request.markers.map { marker in
                WriteTxnMarkersResponse.WritableTxnMarkerResult(
                    producerId: marker.producerId,
                    topics: marker.topics.map { topic in
                        WriteTxnMarkersResponse.WritableTxnMarkerTopicResult(
                            name: topic.name,
                            partitions: topic.partitionIndexes.map {
                                WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult(
                                    partitionIndex: $0, errorCode: error.rawValue)
                            })
                    })
            })
    }
}

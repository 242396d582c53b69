import KafkaNetwork
import KafkaProtocol

/// Builds the transactional requests and reads their answers — plain functions, tested without I/O.
enum TransactionRequests {
    /// AddPartitionsToTxn versions a client sends (v4+ batch several transactions and are for brokers).
    static let addPartitionsVersions: ClosedRange<Int16> = 0...3
    /// AddOffsetsToTxn versions (v4 only adds TRANSACTION_ABORTABLE, handled as abortable).
    static let addOffsetsVersions: ClosedRange<Int16> = 0...4
    /// EndTxn versions (v5 needs KIP-890's epoch bump on every transaction, not implemented).
    static let endTxnVersions: ClosedRange<Int16> = 0...4
    /// TxnOffsetCommit versions (v3 adds the member's generation and id, KIP-447).
    static let txnOffsetCommitVersions: ClosedRange<Int16> = 0...4

    static func addPartitions(
        transactionalID: String, identity: ProducerIdentity, partitions: [TopicPartitionKey]
    ) -> AddPartitionsToTxnRequest {
        var request = AddPartitionsToTxnRequest()
        request.v3AndBelowTransactionalId = transactionalID
        request.v3AndBelowProducerId = identity.producerID
        request.v3AndBelowProducerEpoch = identity.epoch
        request.v3AndBelowTopics = partitions.groupedByTopic().map {
            AddPartitionsToTxnRequest.AddPartitionsToTxnTopic(name: $0.topic, partitions: $0.partitions)
        }
        return request
    }

    /// The error per requested partition; a partition the broker did not answer for gets UNKNOWN_SERVER_ERROR, and a
    /// top-level error (v4+) applies to every partition.
    static func addPartitionsResults(
        _ response: AddPartitionsToTxnResponse, requested: [TopicPartitionKey]
    ) -> [TopicPartitionKey: KafkaErrorCode] {
        var answered: [TopicPartitionKey: KafkaErrorCode] = [:]
        for topic in response.resultsByTopicV3AndBelow {
            for partition in topic.resultsByPartition {
                answered[TopicPartitionKey(topic: topic.name, partition: partition.partitionIndex)] = KafkaErrorCode(
                    rawValue: partition.partitionErrorCode)
            }
        }
        let topLevel = KafkaErrorCode(rawValue: response.errorCode)
        var results: [TopicPartitionKey: KafkaErrorCode] = [:]
        for partition in requested {
            results[partition] = topLevel != .none ? topLevel : answered[partition] ?? .unknownServerError
        }
        return results
    }

    /// The TxnOffsetCommit for `offsets`. From v3 it carries the member's generation, id and instance id, so that
    /// the coordinator refuses offsets from a member rebalanced away (KIP-447); a broker older than 2.5 (v0–v2)
    /// cannot check them, and the request goes without them, as Java's `sendOffsetsToTransaction(offsets, groupId)`.
    static func txnOffsetCommit(
        transactionalID: String, identity: ProducerIdentity, offsets: [TopicPartitionKey: OffsetAndMetadata],
        group: GroupMetadata, version: Int16 = txnOffsetCommitVersions.upperBound
    ) -> TxnOffsetCommitRequest {
        var request = TxnOffsetCommitRequest()
        request.transactionalId = transactionalID
        request.groupId = group.groupId
        request.producerId = identity.producerID
        request.producerEpoch = identity.epoch
        if version >= 3 {
            request.generationId = group.generationId
            request.memberId = group.memberId
            request.groupInstanceId = group.groupInstanceId
        }
        request.topics = Array(offsets.keys).groupedByTopic().map { entry in
            TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic(
                name: entry.topic,
                partitions: entry.partitions.map { partition in
                    let offset = offsets[TopicPartitionKey(topic: entry.topic, partition: partition)]
                    return TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition(
                        partitionIndex: partition, committedOffset: offset?.offset ?? -1,
                        committedLeaderEpoch: offset?.leaderEpoch ?? -1, committedMetadata: offset?.metadata ?? "")
                })
        }
        return request
    }

    /// The partitions the coordinator refused, with their errors (empty when every offset was stored); a partition
    /// the broker did not answer for counts as UNKNOWN_SERVER_ERROR.
    static func txnOffsetCommitErrors(
        _ response: TxnOffsetCommitResponse, requested: some Collection<TopicPartitionKey>
    ) -> [TopicPartitionKey: KafkaErrorCode] {
        var answered: [TopicPartitionKey: KafkaErrorCode] = [:]
        for topic in response.topics {
            for partition in topic.partitions {
                answered[TopicPartitionKey(topic: topic.name, partition: partition.partitionIndex)] = KafkaErrorCode(
                    rawValue: partition.errorCode)
            }
        }
        var errors: [TopicPartitionKey: KafkaErrorCode] = [:]
        for partition in requested {
            let code = answered[partition] ?? .unknownServerError
            if code != .none { errors[partition] = code }
        }
        return errors
    }

    /// The most severe of several errors (fenced > fatal > abortable > retriable), for one decision per request.
    static func worst(_ codes: some Collection<KafkaErrorCode>) -> KafkaErrorCode? {
        codes.max {
            TransactionStateMachine.severity(TransactionStateMachine.classify($0))
                < TransactionStateMachine.severity(TransactionStateMachine.classify($1))
        }
    }
}

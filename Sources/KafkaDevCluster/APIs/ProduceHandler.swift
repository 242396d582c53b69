import KafkaProtocol
import NIOCore

/// Produce (versions 0-11): validates and appends record batches to partition logs.
///
/// Per partition, in Kafka's order: the partition must exist (topics are not auto-created) →
/// UNKNOWN_TOPIC_OR_PARTITION; acks must be -1, 0 or 1 → INVALID_REQUIRED_ACKS; internal topics
/// only take writes from the `__admin_client` client id → INVALID_TOPIC_EXCEPTION; the receiving
/// broker must lead it → NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE; with acks=-1 the in-sync
/// replicas (the live ones here) must reach the topic's `min.insync.replicas` →
/// NOT_ENOUGH_REPLICAS; then the batches pass ``BatchValidation`` and the idempotence rules of
/// ``ProducerStateTable``. Several batches of one partition (v0-2 only; v3+ carries exactly one)
/// are validated together and appended all or none.
///
/// Dev-cluster choices:
/// - acks=-1 answers as acks=1 at once: every write is committed on its single copy.
/// - acks=0 sends nothing, except that, like Kafka, the connection closes when any partition
///   failed (so the producer refreshes its metadata).
/// - A duplicate batch (same producer, epoch and sequence range as one of the last five) is
///   answered DUPLICATE_SEQUENCE_NUMBER with the original base offset and nothing appended. Kafka
///   1.0+ answers the same offsets without an error code; clients treat both as success.
/// - Transactional batches must come from the current epoch of a producer whose Ongoing
///   transaction includes the partition (Kafka 3.6+ partition verification): else
///   INVALID_TXN_STATE, INVALID_PRODUCER_EPOCH (Kafka's answer for a fenced producer) or
///   INVALID_PRODUCER_ID_MAPPING; not when the broker config `transaction.partition.verification.enable` is false,
///   as in Kafka. They open the producer's transaction on the partition, which
///   holds the last stable offset until its marker is written.
/// - On `message.timestamp.type=LogAppendTime` topics the broker's time replaces the batch's max
///   timestamp and is returned as `logAppendTimeMs` (-1 otherwise).
/// - v10+: NOT_LEADER_OR_FOLLOWER answers carry the current leader and its endpoint (KIP-951).
enum ProduceHandler: DevAPIHandler {
    /// The client id Kafka lets write to internal topics.
    static let adminClientID = "__admin_client"

    /// One partition's result.
    struct Outcome {
        var code: KafkaErrorCode = .none
        var message: String? = nil
        var baseOffset: Int64 = -1
        var logAppendTime: Int64 = -1
        var logStartOffset: Int64 = -1
        /// v10+: the leader to report with NOT_LEADER_OR_FOLLOWER.
        var currentLeader: (id: Int32, epoch: Int32)? = nil

        init(code: KafkaErrorCode = .none, message: String? = nil) {
            self.code = code
            self.message = message
        }
    }

    static func handle(_ request: ProduceRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        ProduceResponse
    > {
        if let transactionalID = request.transactionalId,
            !state.authorizes(context, DevAcls.Operation.write, DevAcls.ResourceType.transactionalID, transactionalID)
        {
            if request.acks == 0 { return .close }
            return .respond(errorResponse(to: request, error: .transactionalIdAuthorizationFailed, context: context))
        }
        var response = ProduceResponse()
        var failed = false
        var leaders: Set<Int32> = []
        for topic in request.topicData {
            var topicResponse = ProduceResponse.TopicProduceResponse(name: topic.name)
            let mayWrite = state.authorizes(context, DevAcls.Operation.write, DevAcls.ResourceType.topic, topic.name)
            for partition in topic.partitionData {
                guard mayWrite else {
                    failed = true
                    topicResponse.partitionResponses.append(
                        entry(partition.index, Outcome(code: .topicAuthorizationFailed), version: context.version))
                    continue
                }
                let outcome = produce(
                    partition, topic: topic.name, acks: request.acks, state: &state, context: context)
                if outcome.code != .none && outcome.code != .duplicateSequenceNumber { failed = true }
                if let leader = outcome.currentLeader, context.version >= 10, leader.id >= 0 {
                    leaders.insert(leader.id)
                }
                topicResponse.partitionResponses.append(
                    entry(partition.index, outcome, version: context.version))
            }
            response.responses.append(topicResponse)
        }
        if request.acks == 0 { return failed ? .close : .noResponse }
        if context.version >= 10 {
            response.nodeEndpoints = leaders.sorted().compactMap { id in
                state.broker(id).map {
                    ProduceResponse.NodeEndpoint(nodeId: $0.nodeID, host: $0.host, port: $0.port, rack: $0.rack)
                }
            }
        }
        return .respond(response)
    }

    static func errorResponse(to request: ProduceRequest, error: KafkaErrorCode, context: RequestContext)
        -> ProduceResponse
    {
        ProduceResponse(
            responses: request.topicData.map { topic in
                ProduceResponse.TopicProduceResponse(
                    name: topic.name,
                    partitionResponses: topic.partitionData.map {
                        entry($0.index, Outcome(code: error, message: error.message), version: context.version)
                    })
            })
    }

    /// The response entry of one partition, with only the fields `version` carries.
    static func entry(_ index: Int32, _ outcome: Outcome, version: Int16)
        -> ProduceResponse.PartitionProduceResponse
    {
        var entry = ProduceResponse.PartitionProduceResponse(
            index: index, errorCode: outcome.code.rawValue, baseOffset: outcome.baseOffset)
        if version >= 2 { entry.logAppendTimeMs = outcome.logAppendTime }
        if version >= 5 { entry.logStartOffset = outcome.logStartOffset }
        if version >= 8 { entry.errorMessage = outcome.message }
        if version >= 10, let leader = outcome.currentLeader {
            entry.currentLeader = ProduceResponse.LeaderIdAndEpoch(leaderId: leader.id, leaderEpoch: leader.epoch)
        }
        return entry
    }

    /// Validates and appends one partition's records.
    static func produce(
        _ data: ProduceRequest.PartitionProduceData, topic: String, acks: Int16, state: inout ClusterState,
        context: RequestContext
    ) -> Outcome {
        guard let topicState = state.topics[topic], let partition = state.partition(topic, data.index) else {
            return Outcome(code: .unknownTopicOrPartition)
        }
        guard acks == -1 || acks == 0 || acks == 1 else { return Outcome(code: .invalidRequiredAcks) }
        if topicState.isInternal && context.clientID != adminClientID {
            return Outcome(code: .invalidTopicException, message: "Cannot append to internal topic \(topic)")
        }
        let leadership = state.leadership(topic, data.index, broker: context.brokerID)
        guard leadership == .none else {
            var outcome = Outcome(code: leadership, message: leadership.message)
            if leadership == .notLeaderOrFollower {
                outcome.currentLeader = (partition.leader, partition.leaderEpoch)
            }
            return outcome
        }
        let name = "\(topic)-\(data.index)"
        let minISR = topicState.configs["min.insync.replicas"].flatMap { Int($0) } ?? 1
        if acks == -1, partition.isr.count < minISR {
            return Outcome(
                code: .notEnoughReplicas,
                message: "The size of the current ISR \(partition.isr) is insufficient to satisfy the min.isr "
                    + "requirement of \(minISR) for partition \(name)")
        }
        let maxBytes = topicState.configs["max.message.bytes"].flatMap { Int($0) } ?? Int(state.maxMessageBytes)
        let batches: [ValidatedBatch]
        do {
            batches = try BatchValidation.validate(
                data.records, version: context.version, maxMessageBytes: maxBytes, partition: name)
        } catch {
            return Outcome(code: error.code, message: error.message)
        }
        let verifies = BrokerConfigs.isEnabled(
            "transaction.partition.verification.enable", nodeID: context.brokerID, state: state)
        for batch in batches where verifies && batch.isTransactional && batch.hasProducerID {
            let verdict = state.transactions.verify(
                producerID: batch.producerID, epoch: batch.producerEpoch,
                partition: TransactionPartition(topic: topic, partition: data.index))
            if verdict != .none {
                let reason =
                    verdict == .invalidTxnState
                    ? "The partition \(name) was not added to an ongoing transaction of producer \(batch.producerID)"
                    : verdict.message
                return Outcome(code: verdict, message: reason)
            }
        }
        let logAppendTime: Int64? =
            topicState.configs["message.timestamp.type"] == "LogAppendTime" ? context.now : nil
        let result = state.withPartition(topic, data.index) { partition in
            append(batches, to: &partition, logAppendTime: logAppendTime)
        }
        return result ?? Outcome(code: .unknownTopicOrPartition)
    }

    /// Checks the batches against the producer state, then appends them all (or nothing).
    static func append(_ batches: [ValidatedBatch], to partition: inout ClusterState.Partition, logAppendTime: Int64?)
        -> Outcome
    {
        var producers = partition.log.producerStates
        var nextOffset = partition.log.logEndOffset
        for batch in batches {
            let last = nextOffset &+ Int64(batch.lastOffsetDelta)
            if batch.hasProducerID {
                switch producers.check(
                    producerID: batch.producerID, epoch: batch.producerEpoch, firstSequence: batch.baseSequence,
                    lastSequence: batch.lastSequence)
                {
                case .reject(let code, let message):
                    return Outcome(code: code, message: message)
                case .duplicate(let original):
                    var outcome = Outcome(
                        code: .duplicateSequenceNumber,
                        message: "The broker received a duplicate sequence number; the batch was written before at "
                            + "offset \(original.baseOffset).")
                    outcome.baseOffset = original.baseOffset
                    outcome.logAppendTime = logAppendTime == nil ? -1 : original.timestamp
                    outcome.logStartOffset = partition.log.logStartOffset
                    return outcome
                case .append:
                    producers.record(
                        producerID: batch.producerID, epoch: batch.producerEpoch,
                        batch: ProducerStateTable.BatchMetadata(
                            firstSequence: batch.baseSequence, lastSequence: batch.lastSequence,
                            baseOffset: nextOffset, lastOffset: last,
                            timestamp: logAppendTime ?? batch.maxTimestamp))
                }
            }
            nextOffset = last &+ 1
        }
        var outcome = Outcome()
        for batch in batches {
            let base = partition.log.append(
                batch: batch.bytes, lastOffsetDelta: batch.lastOffsetDelta, leaderEpoch: partition.leaderEpoch,
                maxTimestamp: batch.maxTimestamp, logAppendTime: logAppendTime,
                transactionalProducerID: batch.isTransactional && batch.hasProducerID ? batch.producerID : nil)
            if outcome.baseOffset < 0 { outcome.baseOffset = base }
        }
        partition.log.producerStates = producers
        outcome.logAppendTime = batches.isEmpty ? -1 : (logAppendTime ?? -1)
        outcome.logStartOffset = partition.log.logStartOffset
        return outcome
    }
}

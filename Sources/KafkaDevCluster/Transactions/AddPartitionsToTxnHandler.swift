import KafkaProtocol

/// AddPartitionsToTxn (versions 0–3, the client versions): adds partitions to the producer's
/// transaction, starting it when none is open.
///
/// As Kafka's `KafkaApis` and `TransactionCoordinator`: when a partition does not exist, it gets
/// UNKNOWN_TOPIC_OR_PARTITION and every other one OPERATION_NOT_ATTEMPTED, and nothing is added;
/// then routing (INVALID_REQUEST for an empty id, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE) and
/// the coordinator's checks (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED — INVALID_PRODUCER_EPOCH
/// before v2 —, CONCURRENT_TRANSACTIONS) answer on every partition. Versions 4–5 (broker to broker,
/// KIP-890) are not advertised; a request at them closes the connection.
enum AddPartitionsToTxnHandler: DevAPIHandler {
    static var versions: ClosedRange<Int16> { 0...3 }

    static func handle(_ request: AddPartitionsToTxnRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<AddPartitionsToTxnResponse>
    {
        guard versions.contains(context.version) else { return .close }
        var partitions = Set<TransactionPartition>()
        var unknown = Set<TransactionPartition>()
        for topic in request.v3AndBelowTopics {
            for index in topic.partitions {
                let partition = TransactionPartition(topic: topic.name, partition: index)
                partitions.insert(partition)
                if state.partition(topic.name, index) == nil { unknown.insert(partition) }
            }
        }
        guard unknown.isEmpty else {
            return .respond(
                response(request) { unknown.contains($0) ? .unknownTopicOrPartition : .operationNotAttempted })
        }
        let id = request.v3AndBelowTransactionalId
        var error = TransactionRouting.check(id, in: state, context: context)
        if error == .none {
            error = state.transactions.add(
                id, producerID: request.v3AndBelowProducerId, epoch: request.v3AndBelowProducerEpoch,
                partitions: partitions, now: context.now)
        }
        let answer = TransactionRouting.fenced(error, version: context.version)
        return .respond(response(request) { _ in answer })
    }

    static func errorResponse(to request: AddPartitionsToTxnRequest, error: KafkaErrorCode, context: RequestContext)
        -> AddPartitionsToTxnResponse
    {
        response(request) { _ in error }
    }

    /// The v0–3 answer: every requested partition with the error `code` gives it.
    static func response(
        _ request: AddPartitionsToTxnRequest, code: (TransactionPartition) -> KafkaErrorCode
    ) -> AddPartitionsToTxnResponse {
        AddPartitionsToTxnResponse(
            resultsByTopicV3AndBelow: request.v3AndBelowTopics.map { topic in
                .init(
                    name: topic.name,
                    resultsByPartition: topic.partitions.map { index in
                        .init(
                            partitionIndex: index,
                            partitionErrorCode: code(TransactionPartition(topic: topic.name, partition: index))
                                .rawValue)
                    })
            })
    }
}

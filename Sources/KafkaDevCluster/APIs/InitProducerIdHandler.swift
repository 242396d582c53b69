import KafkaProtocol

/// InitProducerId (versions 0-5): producer ids for idempotent and transactional producers, as
/// Kafka's `KafkaApis.handleInitProducerIdRequest` and `TransactionCoordinator` answer it.
///
/// - A producer id and epoch (v3+) must be both -1 or both set → else INVALID_REQUEST.
/// - Null transactional id (idempotent producer): any broker answers with a new producer id at
///   epoch 0. As in Kafka, a producer id and epoch sent along (KIP-360 epoch bump) are not
///   checked: the producer simply gets a fresh id.
/// - Transactional id: empty → INVALID_REQUEST; `transactionTimeoutMs` ≤ 0 or above Kafka's
///   default `transaction.max.timeout.ms` (900000) → INVALID_TRANSACTION_TIMEOUT; a broker that is
///   not the id's transaction coordinator → NOT_COORDINATOR (COORDINATOR_NOT_AVAILABLE when no
///   broker is up); then ``ClusterState/initTransactionalProducer(_:timeoutMs:expected:now:)``:
///   an Ongoing transaction of the id is aborted (markers written) with a fencing epoch bump, then
///   ``ProducerIDAllocator/initTransactional(_:timeoutMs:expected:)`` allocates or bumps again and
///   the id's transaction state becomes Empty. A stale expected id or epoch is PRODUCER_FENCED from
///   v4, INVALID_PRODUCER_EPOCH before (KIP-588).
///
/// Kafka answers CONCURRENT_TRANSACTIONS while it aborts the open transaction and bumps the epoch a
/// second time on the client's retry; the dev cluster does both at once and answers the final epoch.
enum InitProducerIdHandler: DevAPIHandler {
    /// Kafka's default `transaction.max.timeout.ms`.
    static let maxTransactionTimeoutMs: Int32 = 900_000

    static func handle(_ request: InitProducerIdRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<InitProducerIdResponse>
    {
        let version = context.version
        let expectedID = version >= 3 ? request.producerId : -1
        let expectedEpoch = version >= 3 ? request.producerEpoch : -1
        guard (expectedID == -1) == (expectedEpoch == -1) else {
            return .respond(errorResponse(to: request, error: .invalidRequest, context: context))
        }
        guard let transactionalID = request.transactionalId else {
            let id = state.producerIDs.allocate()
            return .respond(InitProducerIdResponse(errorCode: 0, producerId: id, producerEpoch: 0))
        }
        let error: KafkaErrorCode
        if transactionalID.isEmpty {
            error = .invalidRequest
        } else if request.transactionTimeoutMs <= 0 || request.transactionTimeoutMs > maxTransactionTimeoutMs {
            error = .invalidTransactionTimeout
        } else {
            let coordinator = state.coordinator(type: 1, key: transactionalID)
            if coordinator == -1 {
                error = .coordinatorNotAvailable
            } else if coordinator != context.brokerID {
                error = .notCoordinator
            } else {
                let expected = expectedID == -1 ? nil : (id: expectedID, epoch: expectedEpoch)
                guard
                    let producer = state.initTransactionalProducer(
                        transactionalID, timeoutMs: request.transactionTimeoutMs, expected: expected, now: context.now)
                else {
                    let fenced: KafkaErrorCode = version < 4 ? .invalidProducerEpoch : .producerFenced
                    return .respond(errorResponse(to: request, error: fenced, context: context))
                }
                return .respond(
                    InitProducerIdResponse(errorCode: 0, producerId: producer.id, producerEpoch: producer.epoch))
            }
        }
        return .respond(errorResponse(to: request, error: error, context: context))
    }

    static func errorResponse(to request: InitProducerIdRequest, error: KafkaErrorCode, context: RequestContext)
        -> InitProducerIdResponse
    {
        InitProducerIdResponse(errorCode: error.rawValue, producerId: -1, producerEpoch: -1)
    }
}

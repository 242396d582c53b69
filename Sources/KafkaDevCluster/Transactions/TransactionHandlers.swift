import KafkaProtocol

/// Checks shared by the transaction coordinator's handlers.
enum TransactionRouting {
    /// The error of a call for `transactionalID` received by `context.brokerID` before the
    /// coordinator looks at it: empty id → INVALID_REQUEST, no live broker → COORDINATOR_NOT_AVAILABLE,
    /// another broker coordinates it → NOT_COORDINATOR.
    static func check(_ transactionalID: String, in state: ClusterState, context: RequestContext) -> KafkaErrorCode {
        if transactionalID.isEmpty { return .invalidRequest }
        let coordinator = state.coordinator(type: 1, key: transactionalID)
        if coordinator == -1 { return .coordinatorNotAvailable }
        return coordinator == context.brokerID ? .none : .notCoordinator
    }

    /// PRODUCER_FENCED as a version of AddPartitionsToTxn, AddOffsetsToTxn or EndTxn can carry it:
    /// versions before 2 (KIP-588) get INVALID_PRODUCER_EPOCH, as Kafka's `KafkaApis` answers.
    static func fenced(_ error: KafkaErrorCode, version: Int16) -> KafkaErrorCode {
        error == .producerFenced && version < 2 ? .invalidProducerEpoch : error
    }
}

/// AddOffsetsToTxn (versions 0–3): adds a group's offsets to the producer's transaction, as Kafka's
/// `TransactionCoordinator.handleAddPartitionsToTransaction` does for the group's offsets partition.
/// Routing and the coordinator's checks are those of ``AddPartitionsToTxnHandler``. Version 4
/// (KIP-890) is not advertised; a request at it closes the connection.
enum AddOffsetsToTxnHandler: DevAPIHandler {
    static var versions: ClosedRange<Int16> { 0...3 }

    static func handle(_ request: AddOffsetsToTxnRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<AddOffsetsToTxnResponse>
    {
        guard versions.contains(context.version) else { return .close }
        var error = TransactionRouting.check(request.transactionalId, in: state, context: context)
        if error == .none {
            error = state.transactions.add(
                request.transactionalId, producerID: request.producerId, epoch: request.producerEpoch,
                groups: [request.groupId], now: context.now)
        }
        return .respond(
            AddOffsetsToTxnResponse(errorCode: TransactionRouting.fenced(error, version: context.version).rawValue))
    }

    static func errorResponse(to request: AddOffsetsToTxnRequest, error: KafkaErrorCode, context: RequestContext)
        -> AddOffsetsToTxnResponse
    {
        AddOffsetsToTxnResponse(errorCode: error.rawValue)
    }
}

/// EndTxn (versions 0–3): commits or aborts the producer's transaction. From Ongoing the coordinator
/// writes a commit or abort marker to every partition of the transaction, commits or drops the
/// pending offsets of its groups and answers once the transaction is CompleteCommit/CompleteAbort
/// (Kafka answers after PrepareCommit/PrepareAbort is logged and writes markers afterwards; here they
/// are written before the answer). Repeating the completed result succeeds; see
/// ``TransactionCoordinatorState/end(_:producerID:epoch:commit:)`` for the errors. Versions 4–5
/// (KIP-890) are not advertised; a request at them closes the connection.
enum EndTxnHandler: DevAPIHandler {
    static var versions: ClosedRange<Int16> { 0...3 }

    static func handle(_ request: EndTxnRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<EndTxnResponse>
    {
        guard versions.contains(context.version) else { return .close }
        var error = TransactionRouting.check(request.transactionalId, in: state, context: context)
        if error == .none {
            switch state.transactions.end(
                request.transactionalId, producerID: request.producerId, epoch: request.producerEpoch,
                commit: request.committed)
            {
            case .complete(let completion): state.finish(completion, now: context.now)
            case .alreadyComplete: break
            case .failed(let failure): error = failure
            }
        }
        return .respond(EndTxnResponse(errorCode: TransactionRouting.fenced(error, version: context.version).rawValue))
    }

    static func errorResponse(to request: EndTxnRequest, error: KafkaErrorCode, context: RequestContext)
        -> EndTxnResponse
    {
        EndTxnResponse(errorCode: error.rawValue)
    }
}

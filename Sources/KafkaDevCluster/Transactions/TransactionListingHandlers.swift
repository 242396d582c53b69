import KafkaProtocol

/// ListTransactions (versions 0–1, Kafka 2.8 / 3.8): the transactional ids the receiving broker coordinates and the
/// principal may describe (with an authorizer on), as
/// Kafka's `TransactionStateManager.listTransactionStates` filters them: by state (names the coordinator does not
/// know are returned in `unknownStateFilters` and match nothing), by producer id, and from v1 by duration (only
/// transactions whose start is more than `durationFilter` ms ago; an id without a transaction has start -1, so it
/// passes, as in Kafka).
enum ListTransactionsHandler: DevAPIHandler {
    static func handle(_ request: ListTransactionsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<ListTransactionsResponse>
    {
        var response = ListTransactionsResponse()
        var wantedStates = Set<TransactionState>()
        for name in request.stateFilters {
            if let known = TransactionState(rawValue: name) {
                wantedStates.insert(known)
            } else {
                response.unknownStateFilters.append(name)
            }
        }
        let producers = Set(request.producerIdFilters)
        let duration = context.version >= 1 ? request.durationFilter : -1
        for id in state.transactions.transactions.keys.sorted() {
            guard let metadata = state.transactions[id], state.coordinator(type: 1, key: id) == context.brokerID,
                state.transactionDenial(context, DevAcls.Operation.describe, id) == nil
            else { continue }
            if !producers.isEmpty && !producers.contains(metadata.producerID) { continue }
            if !request.stateFilters.isEmpty && !wantedStates.contains(metadata.state) { continue }
            if duration >= 0 && context.now &- metadata.startTimestamp <= duration { continue }
            response.transactionStates.append(
                ListTransactionsResponse.TransactionState(
                    transactionalId: id, producerId: metadata.producerID, transactionState: metadata.state.rawValue))
        }
        return .respond(response)
    }

    static func errorResponse(to request: ListTransactionsRequest, error: KafkaErrorCode, context: RequestContext)
        -> ListTransactionsResponse
    {
        ListTransactionsResponse(errorCode: error.rawValue)
    }
}

/// DescribeTransactions (version 0, Kafka 3.0): per transactional id, as Kafka's
/// `TransactionCoordinator.handleDescribeTransactions`: TRANSACTIONAL_ID_AUTHORIZATION_FAILED for an id the principal
/// may not describe (with an authorizer on), then routing (INVALID_REQUEST for an empty id,
/// COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR), TRANSACTIONAL_ID_NOT_FOUND for an id the coordinator has no record
/// of, else its producer id and epoch, state, timeout, the start of the open transaction (-1 when none) and the
/// partitions of the transaction.
enum DescribeTransactionsHandler: DevAPIHandler {
    static func handle(_ request: DescribeTransactionsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeTransactionsResponse>
    {
        var response = DescribeTransactionsResponse()
        for id in request.transactionalIds {
            var answer = DescribeTransactionsResponse.TransactionState(transactionalId: id)
            if let denial = state.transactionDenial(context, DevAcls.Operation.describe, id) {
                answer.errorCode = denial.rawValue
                response.transactionStates.append(answer)
                continue
            }
            let routing = TransactionRouting.check(id, in: state, context: context)
            guard routing == .none else {
                answer.errorCode = routing.rawValue
                response.transactionStates.append(answer)
                continue
            }
            guard let metadata = state.transactions[id] else {
                answer.errorCode = KafkaErrorCode.transactionalIdNotFound.rawValue
                response.transactionStates.append(answer)
                continue
            }
            answer.transactionState = metadata.state.rawValue
            answer.transactionTimeoutMs = metadata.transactionTimeoutMs
            answer.transactionStartTimeMs = metadata.startTimestamp
            answer.producerId = metadata.producerID
            answer.producerEpoch = metadata.producerEpoch
            let byTopic = Dictionary(grouping: metadata.partitions, by: \.topic)
            answer.topics = byTopic.keys.sorted().map { topic in
                DescribeTransactionsResponse.TopicData(
                    topic: topic, partitions: (byTopic[topic] ?? []).map(\.partition).sorted())
            }
            response.transactionStates.append(answer)
        }
        return .respond(response)
    }

    static func errorResponse(to request: DescribeTransactionsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DescribeTransactionsResponse
    {
        DescribeTransactionsResponse(
            transactionStates: request.transactionalIds.map {
                DescribeTransactionsResponse.TransactionState(errorCode: error.rawValue, transactionalId: $0)
            })
    }
}

import KafkaNetwork
import KafkaProtocol
import NIOConcurrencyHelpers

extension ProducerSender {
    /// Once per loop for a transactional producer: fails the unsent batches of a transaction that is being aborted
    /// (or cannot commit any more), and starts AddPartitionsToTxn for the partitions first written to.
    func checkTransaction(
        _ transactions: NIOLockedValueBox<TransactionStateMachine>, group: inout DiscardingTaskGroup
    ) {
        let mayAdd = !addPartitionsRunning && !lifecycle.isForced
        let (state, lastError, transactionalID, identity, partitions) = transactions.withLockedValue { machine in
            let partitions = mayAdd ? machine.takePartitionsToAdd() : []
            return (machine.state, machine.lastError, machine.transactionalID, machine.identity, partitions)
        }
        switch state {
        case .aborting:
            failQueuedBatches(
                with: KafkaProducerError(.transactionAborted, "the transaction was aborted before the record was sent"))
        case .abortableError, .fatalError:
            failQueuedBatches(
                with: lastError ?? KafkaProducerError(.transactionAbortable, "the transaction must be aborted"))
        default:
            break
        }
        guard !partitions.isEmpty else { return }
        addPartitionsRunning = true
        group.addTask {
            await self.addPartitions(partitions, transactionalID: transactionalID, identity: identity)
        }
    }

    /// Sends one AddPartitionsToTxn to the transaction coordinator and reports the answer; after a retriable failure
    /// waits `retry.backoff.ms` before the partitions may be requested again.
    private nonisolated func addPartitions(
        _ partitions: [TopicPartitionKey], transactionalID: String, identity: ProducerIdentity
    ) async {
        var retry = false
        do {
            let connection = try await cluster.connection(to: .transactionCoordinator(transactionalID), kind: .admin)
            let version = try connection.versions.version(
                for: .addPartitionsToTxn, clientRange: TransactionRequests.addPartitionsVersions)
            let request = TransactionRequests.addPartitions(
                transactionalID: transactionalID, identity: identity, partitions: partitions)
            let response = try await connection.send(request, version: version)
            let results = TransactionRequests.addPartitionsResults(response, requested: partitions)
            retry = await addPartitionsAnswered(results, transactionalID: transactionalID)
        } catch {
            retry = await addPartitionsFailed(error, transactionalID: transactionalID)
        }
        if retry { try? await Task.sleep(for: settings.retryBackoff) }
        await addPartitionsFinished()
    }

    private func addPartitionsAnswered(
        _ results: [TopicPartitionKey: KafkaErrorCode], transactionalID: String
    ) -> Bool {
        guard let transactions else { return false }
        let (errorClass, lastError) = transactions.withLockedValue { ($0.partitionsAdded(results), $0.lastError) }
        switch errorClass {
        case nil:
            return false
        case .retry(let findCoordinator):
            if findCoordinator { cluster.invalidateCoordinator(for: transactionalID, type: .transaction) }
            if results.values.contains(.unknownTopicOrPartition) { metadataRefreshWanted = true }
            return true
        case .abortable:
            return false
        case .fenced, .fatal:
            if let lastError { becomeFatal(lastError.message, kind: lastError.kind) }
            return false
        }
    }

    private func addPartitionsFailed(_ error: any Error, transactionalID: String) -> Bool {
        guard let transactions else { return false }
        if let error = error as? KafkaNetworkError, !error.isRetriable || error.kind == .unsupportedVersion {
            let lastError = transactions.withLockedValue { state -> KafkaProducerError? in
                state.addPartitionsRequestFailed()
                state.fail(.fatal, KafkaProducerError(.network, "AddPartitionsToTxn: \(error)"))
                return state.lastError
            }
            if let lastError { becomeFatal(lastError.message, kind: lastError.kind) }
            return false
        }
        logger.debug("AddPartitionsToTxn failed", metadata: ["error": "\(error)"])
        transactions.withLockedValue { $0.addPartitionsRequestFailed() }
        cluster.invalidateCoordinator(for: transactionalID, type: .transaction)
        return true
    }

    private func addPartitionsFinished() {
        addPartitionsRunning = false
        wakeup.wake()
    }
}

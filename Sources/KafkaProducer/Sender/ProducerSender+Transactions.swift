import KafkaNetwork
import KafkaProtocol
import NIOConcurrencyHelpers

extension ProducerSender {
    /// Once per loop for a transactional producer: fails the unsent batches of a transaction that is being aborted
    /// (or cannot commit any more), and starts AddPartitionsToTxn for the partitions first written to.
    func checkTransaction(group: inout DiscardingTaskGroup) {
        typealias Step = (
            state: TransactionStateMachine.State, lastError: KafkaProducerError?, transactionalID: String,
            identity: ProducerIdentity, partitions: [TopicPartitionKey]
        )
        let step = core.withCore { core -> Step? in
            guard core.transaction != nil else { return nil }
            let mayAdd = !core.background.addPartitionsRunning && !core.lifecycle.isForced
            let partitions = mayAdd ? core.transaction!.takePartitionsToAdd() : []
            if !partitions.isEmpty { core.background.addPartitionsRunning = true }
            let machine = core.transaction!
            return (machine.state, machine.lastError, machine.transactionalID, machine.identity, partitions)
        }
        guard let (state, lastError, transactionalID, identity, partitions) = step else { return }
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
        let (errorClass, lastError) = core.withCore {
            core -> (TransactionStateMachine.ErrorClass?, KafkaProducerError?) in
            guard core.transaction != nil else { return (nil, nil) }
            return (core.transaction!.partitionsAdded(results), core.transaction!.lastError)
        }
        switch errorClass {
        case nil:
            return false
        case .retry(let findCoordinator):
            if findCoordinator { cluster.invalidateCoordinator(for: transactionalID, type: .transaction) }
            if results.values.contains(.unknownTopicOrPartition) {
                core.withCore { $0.background.metadataRefreshWanted = true }
            }
            return true
        case .abortable:
            return false
        case .fenced, .fatal:
            if let lastError { becomeFatal(lastError.message, kind: lastError.kind) }
            return false
        }
    }

    private func addPartitionsFailed(_ error: any Error, transactionalID: String) -> Bool {
        if let error = error as? KafkaNetworkError, !error.isRetriable || error.kind == .unsupportedVersion {
            let lastError = core.withCore { core -> KafkaProducerError? in
                core.transaction?.addPartitionsRequestFailed()
                core.transaction?.fail(.fatal, KafkaProducerError(.network, "AddPartitionsToTxn: \(error)"))
                return core.transaction?.lastError
            }
            if let lastError { becomeFatal(lastError.message, kind: lastError.kind) }
            return false
        }
        logger.debug("AddPartitionsToTxn failed", metadata: ["error": "\(error)"])
        core.withCore { $0.transaction?.addPartitionsRequestFailed() }
        cluster.invalidateCoordinator(for: transactionalID, type: .transaction)
        return true
    }

    private func addPartitionsFinished() {
        core.withCore { $0.background.addPartitionsRunning = false }
        wakeup.wake()
    }
}

public import KafkaNetwork
import KafkaProtocol
import NIOConcurrencyHelpers

/// Transactions (`transactional.id`): records sent between ``beginTransaction()`` and ``commitTransaction()`` become
/// visible to `read_committed` consumers together, or — after ``abortTransaction()`` — never.
///
/// ```swift
/// let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(properties: [
///     "bootstrap.servers": "localhost:9092", "transactional.id": "orders-enricher-1",
/// ]))
/// try await producer.initTransactions()
/// while running {
///     let records = try await consumer.poll()
///     try producer.beginTransaction()
///     do {
///         for record in records { try await producer.send(ProducerRecord(topic: "out", …), completion: { _ in }) }
///         try await producer.sendOffsetsToTransaction(consumer.nextOffsets(records), groupMetadata: group)
///         try await producer.commitTransaction()
///     } catch let error as KafkaProducerError where error.kind == .fenced || error.kind == .fatal {
///         throw error                             // another instance took over: stop
///     } catch {
///         try await producer.abortTransaction()   // and reprocess from the last committed offsets
///     }
/// }
/// ```
///
/// The rules are those of the Java client, kept by ``TransactionStateMachine`` (in the producer's ``ProducerCore``): one transaction at a time; `send`
/// only inside one; after an abortable error only ``abortTransaction()``; after fencing only ``close(timeout:)``.
extension KafkaProducer {
    /// Registers the `transactional.id` with its transaction coordinator and obtains the producer id and epoch
    /// (InitProducerId). Completes or aborts whatever an earlier producer with the same id left open and fences that
    /// producer: its later transactional calls fail with ``KafkaProducerError/Kind/fenced``.
    ///
    /// Call once, before the first ``beginTransaction()``. Waits at most `max.block.ms`; after a
    /// ``KafkaProducerError/Kind/timedOut`` error, call it again.
    public func initTransactions() async throws(KafkaProducerError) {
        try transaction { state throws(KafkaProducerError) in try state.startInitialization() }
        let identity = try await initProducerID(bumping: .none, deadline: .now + configuration.maxBlock)
        installProducerID(identity)
    }

    /// Opens a transaction: the records sent from now on, and offsets given to ``sendOffsetsToTransaction(_:groupMetadata:)``,
    /// commit or abort together. A local step: nothing is sent until the first record.
    public func beginTransaction() throws(KafkaProducerError) {
        try transaction { state throws(KafkaProducerError) in try state.beginTransaction() }
    }

    /// Adds a consumer group's offsets to the transaction, so that they are committed exactly when (and only if) the
    /// transaction commits: the input positions of a consume-transform-produce loop (AddOffsetsToTxn, then
    /// TxnOffsetCommit to the group's coordinator).
    ///
    /// - Parameters:
    ///   - offsets: the next offset to read per input partition (the last processed offset + 1).
    ///   - groupMetadata: the consumer's ``/KafkaNetwork/GroupMetadata`` (`consumer.groupMetadata`); its generation and member id
    ///     let the coordinator refuse offsets from a member that was rebalanced away (KIP-447).
    /// - Throws: ``KafkaProducerError/Kind/transactionAbortable`` when the coordinator refused them (for example the
    ///   consumer is no longer a member of that generation) — abort the transaction; ``KafkaProducerError/Kind/fenced``,
    ///   ``KafkaProducerError/Kind/timedOut``, ``KafkaProducerError/Kind/invalidTransactionState``.
    public func sendOffsetsToTransaction(
        _ offsets: [TopicPartitionKey: OffsetAndMetadata], groupMetadata: GroupMetadata
    ) async throws(KafkaProducerError) {
        let (transactionalID, identity) = try transaction { state throws(KafkaProducerError) in
            try state.checkCanSendOffsets()
            return (state.transactionalID, state.identity)
        }
        guard !offsets.isEmpty else { return }
        let calls = coordinatorCalls()
        let deadline = ContinuousClock.now + configuration.maxBlock
        let group = groupMetadata.groupId
        try await calls.run(
            "AddOffsetsToTxn for group '\(group)'", coordinator: transactionalID, type: .transaction, deadline: deadline
        ) {
            connection in
            let version = try connection.versions.version(
                for: .addOffsetsToTxn, clientRange: TransactionRequests.addOffsetsVersions)
            let request = AddOffsetsToTxnRequest(
                transactionalId: transactionalID, producerId: identity.producerID, producerEpoch: identity.epoch,
                groupId: group)
            let response = try await connection.send(request, version: version)
            return TransactionCoordinatorCall.outcome((), code: response.errorCode, message: nil)
        }
        core.withCore { $0.transaction?.offsetsAdded() }
        try await calls.run(
            "TxnOffsetCommit for group '\(group)'", coordinator: group, type: .group, deadline: deadline
        ) {
            connection in
            let version = try connection.versions.version(
                for: .txnOffsetCommit, clientRange: TransactionRequests.txnOffsetCommitVersions)
            let request = TransactionRequests.txnOffsetCommit(
                transactionalID: transactionalID, identity: identity, offsets: offsets, group: groupMetadata,
                version: version)
            let response = try await connection.send(request, version: version)
            let errors = TransactionRequests.txnOffsetCommitErrors(response, requested: offsets.keys)
            guard let worst = TransactionRequests.worst(errors.values) else { return .success(()) }
            let refused = errors.filter { $0.value == worst }.keys.sorted().map(\.description).joined(separator: ", ")
            var message = "\(worst.name) for \(refused)"
            if worst == .unknownMemberId || worst == .illegalGeneration || worst == .fencedInstanceId {
                message +=
                    " (member '\(groupMetadata.memberId)' of generation \(groupMetadata.generationId) is no "
                    + "longer in the group)"
            }
            return .failure(worst, message)
        }
    }

    /// Commits the transaction: flushes every record sent in it, then ends it (EndTxn) so that its records and
    /// offsets become visible to `read_committed` consumers.
    ///
    /// - Throws: ``KafkaProducerError/Kind/transactionAbortable`` when a record of the transaction could not be
    ///   delivered (or an earlier transactional call failed) — call ``abortTransaction()``;
    ///   ``KafkaProducerError/Kind/timedOut`` after `max.block.ms` — call it again;
    ///   ``KafkaProducerError/Kind/fenced``; ``KafkaProducerError/Kind/invalidTransactionState``.
    public func commitTransaction() async throws(KafkaProducerError) {
        try transaction { state throws(KafkaProducerError) in try state.beginCommit() }
        wakeup.wake()
        await sender.flush()
        let (started, error) = core.withCore { core -> (Bool, KafkaProducerError?) in
            guard let state = core.transaction else { return (false, nil) }
            return (state.transactionStarted, state.state == .committing ? nil : state.lastError)
        }
        if let error { throw error }
        if started { try await endTransaction(commit: true) }
        core.withCore { $0.transaction?.transactionEnded() }
    }

    /// Aborts the transaction: records not sent yet fail with ``KafkaProducerError/Kind/transactionAborted``, the
    /// ones in flight are waited for, then the transaction is ended (EndTxn) so that `read_committed` consumers never
    /// see its records and its offsets are dropped. Allowed after an abortable error; afterwards a new transaction
    /// may begin.
    ///
    /// - Throws: ``KafkaProducerError/Kind/timedOut`` after `max.block.ms` — call it again;
    ///   ``KafkaProducerError/Kind/fenced``; ``KafkaProducerError/Kind/invalidTransactionState``.
    public func abortTransaction() async throws(KafkaProducerError) {
        try await abort(whileClosing: false)
    }

    /// Aborts a transaction left open when the producer closes, as the Java client's sender does on a graceful close.
    func abortOpenTransactionOnClose() async {
        let open = core.withCore { core in
            core.transaction?.state == .inTransaction || core.transaction?.state == .abortableError
        }
        guard open else { return }
        do {
            try await abort(whileClosing: true)
            logger.info("aborted the open transaction on close")
        } catch {
            logger.warning("could not abort the open transaction on close", metadata: ["error": "\(error)"])
        }
    }

    private func abort(whileClosing: Bool) async throws(KafkaProducerError) {
        try transaction(whileClosing: whileClosing) { state throws(KafkaProducerError) in try state.beginAbort() }
        wakeup.wake()
        await sender.flush()
        let started = core.withCore { $0.transaction?.transactionStarted ?? false }
        if started { try await endTransaction(commit: false) }
        let (needsProducerID, current) = core.withCore { core in
            (core.idempotence?.needsProducerID ?? false, core.transaction?.identity ?? .none)
        }
        if needsProducerID {
            // A batch failed in a way that needs a new epoch (KIP-360): bump it with the coordinator.
            let identity = try await initProducerID(bumping: current, deadline: .now + configuration.maxBlock)
            installProducerID(identity)
        }
        core.withCore { $0.transaction?.transactionEnded() }
    }

    /// Installs the identity obtained from the coordinator (`initTransactions()`, or a bump while aborting) in the
    /// transaction and the idempotence bookkeeping, and wakes the sender.
    private func installProducerID(_ identity: ProducerIdentity) {
        core.withCore { core in
            core.transaction?.initializationSucceeded(identity)
            core.idempotence?.producerIDReceived(identity)
        }
        wakeup.wake()
    }

    // MARK: requests

    private func endTransaction(commit: Bool) async throws(KafkaProducerError) {
        let (transactionalID, identity) = try transaction(whileClosing: true) { state in
            (state.transactionalID, state.identity)
        }
        try await coordinatorCalls().run(
            commit ? "EndTxn (commit)" : "EndTxn (abort)", coordinator: transactionalID, type: .transaction,
            deadline: .now + configuration.maxBlock
        ) { connection in
            let version = try connection.versions.version(for: .endTxn, clientRange: TransactionRequests.endTxnVersions)
            let request = EndTxnRequest(
                transactionalId: transactionalID, producerId: identity.producerID, producerEpoch: identity.epoch,
                committed: commit)
            let response = try await connection.send(request, version: version)
            return TransactionCoordinatorCall.outcome((), code: response.errorCode, message: nil)
        }
    }

    private func initProducerID(
        bumping current: ProducerIdentity, deadline: ContinuousClock.Instant
    ) async throws(KafkaProducerError) -> ProducerIdentity {
        let transactionalID = try transaction(whileClosing: true) { state in state.transactionalID }
        let timeoutMs = Int32(clamping: configuration.transactionTimeout.components.seconds * 1000)
        return try await coordinatorCalls().run(
            "InitProducerId", coordinator: transactionalID, type: .transaction, deadline: deadline
        ) { connection in
            let version = try connection.versions.version(for: InitProducerIdRequest.self)
            // Before v3 a bump cannot name the current identity; the coordinator then bumps the id's epoch itself.
            let bump = version >= 3 && current.isValid
            let request = InitProducerIdRequest(
                transactionalId: transactionalID, transactionTimeoutMs: timeoutMs,
                producerId: bump ? current.producerID : -1, producerEpoch: bump ? current.epoch : -1)
            let response = try await connection.send(request, version: version)
            let identity = ProducerIdentity(producerID: response.producerId, epoch: response.producerEpoch)
            let outcome = TransactionCoordinatorCall.outcome(identity, code: response.errorCode, message: nil)
            if case .success = outcome, !identity.isValid {
                return .failure(.unknownServerError, "InitProducerId answered an invalid producer id \(identity)")
            }
            return outcome
        }
    }

    private func coordinatorCalls() -> TransactionCoordinatorCall {
        TransactionCoordinatorCall(cluster: cluster, core: core, logger: logger)
    }

    /// Runs `body` on the transaction's state (see ``ProducerCore/withTransaction(whileClosing:_:)``).
    private func transaction<T>(
        whileClosing: Bool = false, _ body: (inout TransactionStateMachine) throws(KafkaProducerError) -> T
    ) throws(KafkaProducerError) -> T {
        try core.withCore(throwing: { core throws(KafkaProducerError) in
            try core.withTransaction(whileClosing: whileClosing, body)
        })
    }
}

import KafkaNetwork

/// Everything the producer decides, in one value with one owner: the lifecycle, the idempotence bookkeeping
/// (producer id, epoch, sequences), the transaction's state, the batches in flight and the background requests
/// running. It performs no I/O and is tested without it.
///
/// The sender drives it: it reads what to do and reports what happened. Two other parties reach it, each through a
/// narrow API: the send path (``refusal``, ``admit(_:)``) and the caller's transactional and closing calls
/// (``withTransaction(_:)``, ``failTransaction(_:_:)``, ``lifecycle``'s `close`). It lives in ``ProducerCoreBox``.
struct ProducerCore: Sendable {
    /// Which background requests are running or wanted (at most one of each kind at a time).
    struct BackgroundRequests: Sendable {
        /// InitProducerId for an idempotent, non-transactional producer.
        var producerIDRunning = false
        /// AddPartitionsToTxn for a transaction's new partitions.
        var addPartitionsRunning = false
        /// A metadata refresh is wanted (an unknown leader, a leader error, a failed connection).
        var metadataRefreshWanted = false
        var metadataRefreshRunning = false
        var lastMetadataRefresh: ContinuousClock.Instant?
    }

    var lifecycle = ProducerLifecycle.running
    /// The idempotence bookkeeping, for an idempotent producer.
    var idempotence: IdempotentProducerState?
    /// The transaction's state, for a producer with a `transactional.id`.
    var transaction: TransactionStateMachine?
    var inFlight = InFlightBatches<DrainedBatch<RecordCompletion>>()
    var background = BackgroundRequests()

    init(idempotence: IdempotentProducerState?, transactionalID: String?) {
        self.idempotence = idempotence
        self.transaction = transactionalID.map { TransactionStateMachine(transactionalID: $0) }
    }

    // MARK: the send path

    /// Why a send is refused now (closed, or the fatal error), or `nil`.
    var refusal: KafkaProducerError? { lifecycle.refusal }

    /// A transaction notes the partition a record goes to; `true` when the coordinator must add it (the sender is
    /// woken). Without a transaction, every partition is admitted.
    ///
    /// - Throws: ``KafkaProducerError/Kind/invalidTransactionState`` outside a transaction, or the transaction's
    ///   error after an abortable one.
    mutating func admit(_ partition: TopicPartitionKey) throws(KafkaProducerError) -> Bool {
        guard transaction != nil else { return false }
        return try transaction!.recordSend(to: partition)
    }

    // MARK: the caller's transactional calls

    /// Runs `body` on the transaction's state.
    ///
    /// - Parameter whileClosing: whether a closing producer may still change it (the close aborting an open
    ///   transaction); otherwise a closing one refuses.
    /// - Throws: ``KafkaProducerError/Kind/invalidTransactionState`` without a `transactional.id`,
    ///   ``KafkaProducerError/Kind/closed`` once the producer is closing, or what `body` throws.
    mutating func withTransaction<T>(
        whileClosing: Bool = false, _ body: (inout TransactionStateMachine) throws(KafkaProducerError) -> T
    ) throws(KafkaProducerError) -> T {
        guard transaction != nil else {
            throw KafkaProducerError(
                .invalidTransactionState, "the producer has no transactional.id: transactions are not available")
        }
        if !whileClosing && (lifecycle.isClosing || lifecycle == .closed) {
            throw KafkaProducerError(.closed, "the producer is closed")
        }
        return try body(&transaction!)
    }

    /// A transactional request failed: the transaction moves (abortable, fenced, fatal), and a fenced or fatal error
    /// fails the producer. Returns the error to report (the transaction's first).
    mutating func failTransaction(
        _ errorClass: TransactionStateMachine.ErrorClass, _ error: KafkaProducerError
    ) -> KafkaProducerError {
        guard transaction != nil else { return error }
        transaction!.fail(errorClass, error)
        let result = transaction!.lastError ?? error
        if result.kind == .fenced || result.kind == .fatal { _ = lifecycle.fail(result) }
        return result
    }

    // MARK: the sender

    /// A batch failed for good: a transaction can then only abort (or, when the failure is fatal, the producer
    /// fails).
    mutating func batchFailed(_ error: KafkaProducerError) {
        guard transaction != nil else { return }
        transaction!.batchFailed(error)
        if transaction!.state == .fatalError, let fatal = transaction!.lastError { _ = lifecycle.fail(fatal) }
    }

    /// Whether the loop may end now (see ``ProducerLifecycle/mayFinish(requestsInFlight:batchesIncomplete:)``).
    func mayFinish(batchesIncomplete: Bool) -> Bool {
        lifecycle.mayFinish(requestsInFlight: !inFlight.isEmpty, batchesIncomplete: batchesIncomplete)
    }

    /// Whether the producer waits for a producer id it obtains itself (an idempotent, non-transactional producer whose
    /// request is not running yet); marks the request running when it returns `true`.
    mutating func startProducerIDRequest() -> Bool {
        guard idempotence?.needsProducerID == true, transaction == nil, !background.producerIDRunning,
            !lifecycle.isForced
        else { return false }
        background.producerIDRunning = true
        return true
    }

    /// Whether a metadata refresh should start now (wanted, none running, at most one per `backoff`); marks it
    /// running when it returns `true`.
    mutating func startMetadataRefresh(now: ContinuousClock.Instant, backoff: Duration) -> Bool {
        guard background.metadataRefreshWanted, !background.metadataRefreshRunning, !lifecycle.isForced else {
            return false
        }
        if let last = background.lastMetadataRefresh, now - last < backoff { return false }
        background.metadataRefreshWanted = false
        background.metadataRefreshRunning = true
        background.lastMetadataRefresh = now
        return true
    }
}

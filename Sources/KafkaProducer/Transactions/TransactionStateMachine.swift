package import KafkaNetwork
package import KafkaProtocol

/// The client side of a Kafka transaction, as the Java client's `TransactionManager` keeps it: which calls are
/// allowed when, which partitions the coordinator knows are in the transaction, and what an error means — as a plain
/// value type with no I/O and no clock. ``KafkaProducer`` owns one behind a lock and runs the requests it asks for.
///
/// ## States
/// ```
/// uninitialized ──initTransactions──▶ initializing ──▶ ready ──beginTransaction──▶ inTransaction
///                                                      ▲                          │        │
///                                                      │            commitTransaction   abortTransaction
///                                                      │                          ▼        ▼
///                                                      └──── EndTxn answered ── committing  aborting
///
/// inTransaction / committing ──(a batch, AddPartitionsToTxn or offsets fail)──▶ abortableError ──abort──▶ aborting
/// any state ──(fenced, not authorized, INVALID_TXN_STATE, …)──▶ fatalError        (only close() remains)
/// ```
/// - A call made in the wrong state throws ``KafkaProducerError/Kind/invalidTransactionState`` and changes nothing
///   (Java's `IllegalStateException`). A commit or abort that timed out may be called again: the state stays
///   `committing` / `aborting` and the retry continues it.
/// - `send` is allowed only `inTransaction`; in `abortableError` it fails with the error that broke the
///   transaction, in `fatalError` with the fatal one.
/// - Partitions: the first record for a partition in a transaction makes it *pending*; the sender asks
///   ``takePartitionsToAdd()`` for one AddPartitionsToTxn at a time and may drain a partition's batches only once it
///   is *added* (``mayDrain(_:)``), so the coordinator always knows of a partition before its data is written.
/// - Abortable errors (a batch that could not be delivered, offsets refused because the consumer left its group,
///   authorization of a topic or group, TRANSACTION_ABORTABLE, …) move `inTransaction` and `committing` to
///   `abortableError`; ``shouldFailUndrainedBatches`` then tells the sender to fail what it has not sent yet, as the
///   whole transaction will be aborted.
/// - Fencing (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH) and the other fatal errors (TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
///   INVALID_TXN_STATE, INVALID_TRANSACTION_TIMEOUT, CLUSTER_AUTHORIZATION_FAILED, UNSUPPORTED_VERSION, …) move any
///   state to `fatalError`.
/// - EndTxn is sent only when the coordinator knows of the transaction (``transactionStarted``: a partition or the
///   offsets of a group were added); an empty transaction commits or aborts locally.
package struct TransactionStateMachine: Sendable {
    /// Where the transactional producer is.
    package enum State: String, Sendable, Hashable {
        /// `initTransactions()` has not been called.
        case uninitialized
        /// `initTransactions()` is running (InitProducerId).
        case initializing
        /// Initialized, no transaction open.
        case ready
        /// `beginTransaction()` was called; records and offsets may be sent.
        case inTransaction
        /// `commitTransaction()` is flushing and ending the transaction.
        case committing
        /// `abortTransaction()` is failing unsent records, waiting for the in-flight ones and ending the transaction.
        case aborting
        /// The transaction failed; only `abortTransaction()` is allowed.
        case abortableError
        /// The producer cannot continue; only `close()` is allowed.
        case fatalError
    }

    /// How a coordinator's (or a batch's) error code is handled.
    package enum ErrorClass: Sendable, Hashable {
        /// Try again after a backoff; `findCoordinator` when the coordinator must be looked up again.
        case retry(findCoordinator: Bool)
        /// The transaction must be aborted.
        case abortable
        /// Another producer with the same transactional id took over.
        case fenced
        /// The producer cannot continue.
        case fatal
    }

    /// The producer's `transactional.id`.
    package let transactionalID: String
    /// The current state.
    package private(set) var state: State = .uninitialized
    /// The error that moved the producer to `abortableError` or `fatalError`.
    package private(set) var lastError: KafkaProducerError?
    /// Partitions the coordinator has added to the current transaction.
    package private(set) var addedPartitions: Set<TopicPartitionKey> = []
    /// Partitions written to in this transaction and not yet added (none of their batches may be drained).
    package private(set) var pendingPartitions: Set<TopicPartitionKey> = []
    /// Partitions of the AddPartitionsToTxn request in flight.
    package private(set) var partitionsBeingAdded: Set<TopicPartitionKey> = []
    /// Whether the coordinator knows of the current transaction (so that EndTxn must be sent).
    package private(set) var transactionStarted = false
    /// The producer id and epoch InitProducerId granted (``ProducerIdentity/none`` before).
    package private(set) var identity: ProducerIdentity = .none

    /// Creates the state of a producer with `transactionalID` that has not called `initTransactions()` yet.
    package init(transactionalID: String) {
        self.transactionalID = transactionalID
    }

    // MARK: the application's calls

    /// `initTransactions()`: allowed once (or again after it timed out).
    package mutating func startInitialization() throws(KafkaProducerError) {
        try checkNotFailed()
        guard state == .uninitialized || state == .initializing else {
            throw invalid("initTransactions() was already called")
        }
        state = .initializing
    }

    /// InitProducerId answered: the producer is ready for its first transaction. Also called during an abort that
    /// needed a new epoch (KIP-360), which then stays `aborting` until ``transactionEnded()``.
    package mutating func initializationSucceeded(_ identity: ProducerIdentity) {
        guard state == .initializing || state == .aborting else { return }
        self.identity = identity
        if state == .initializing {
            state = .ready
            clearTransaction()
        }
    }

    /// `beginTransaction()`.
    package mutating func beginTransaction() throws(KafkaProducerError) {
        try checkNotFailed()
        switch state {
        case .ready: state = .inTransaction
        case .uninitialized, .initializing: throw invalid("call initTransactions() before beginTransaction()")
        case .inTransaction: throw invalid("a transaction is already open")
        case .committing: throw invalid("the previous transaction is still being committed: call commitTransaction()")
        case .aborting: throw invalid("the previous transaction is still being aborted: call abortTransaction()")
        case .abortableError, .fatalError: throw invalid("the producer is in state \(state.rawValue)")
        }
    }

    /// Checks that a record may be sent now, and notes its partition as part of the transaction. Returns whether
    /// the partition is new to the transaction (the sender must then add it).
    package mutating func recordSend(to partition: TopicPartitionKey) throws(KafkaProducerError) -> Bool {
        try checkInTransaction(for: "send")
        if addedPartitions.contains(partition) || pendingPartitions.contains(partition)
            || partitionsBeingAdded.contains(partition)
        {
            return false
        }
        pendingPartitions.insert(partition)
        return true
    }

    /// Checks that offsets may be sent to the transaction now (`sendOffsetsToTransaction`).
    package func checkCanSendOffsets() throws(KafkaProducerError) {
        try checkInTransaction(for: "sendOffsetsToTransaction")
    }

    /// `commitTransaction()`: returns normally when the commit may proceed (flush, then EndTxn if
    /// ``transactionStarted``).
    package mutating func beginCommit() throws(KafkaProducerError) {
        switch state {
        case .inTransaction, .committing: state = .committing
        case .abortableError:
            throw KafkaProducerError(
                .transactionAbortable,
                "the transaction cannot be committed, it must be aborted: \(lastError?.message ?? "an earlier error")")
        case .fatalError: throw fatalError()
        case .aborting: throw invalid("the transaction is being aborted: call abortTransaction()")
        case .uninitialized, .initializing, .ready:
            throw invalid("no transaction is open: call beginTransaction() first")
        }
    }

    /// `abortTransaction()`: returns normally when the abort may proceed (fail unsent records, wait for the
    /// in-flight ones, then EndTxn if ``transactionStarted``).
    package mutating func beginAbort() throws(KafkaProducerError) {
        switch state {
        case .inTransaction, .abortableError, .aborting: state = .aborting
        case .fatalError: throw fatalError()
        case .committing: throw invalid("the transaction is being committed: call commitTransaction()")
        case .uninitialized, .initializing, .ready:
            throw invalid("no transaction is open: call beginTransaction() first")
        }
    }

    /// EndTxn answered (or was not needed): the transaction is over.
    package mutating func transactionEnded() {
        guard state == .committing || state == .aborting else { return }
        state = .ready
        clearTransaction()
    }

    // MARK: the sender's questions and reports

    /// Whether the sender may drain batches of `partition` (the coordinator has added it to the transaction).
    package func mayDrain(_ partition: TopicPartitionKey) -> Bool {
        addedPartitions.contains(partition)
    }

    /// Whether the sender must fail the batches it has not sent yet: the transaction will be aborted (or the
    /// producer is unusable).
    package var shouldFailUndrainedBatches: Bool {
        state == .abortableError || state == .aborting || state == .fatalError
    }

    /// The partitions for the next AddPartitionsToTxn; empty when none are pending, one request is already in flight,
    /// or the transaction is failing.
    package mutating func takePartitionsToAdd() -> [TopicPartitionKey] {
        guard state == .inTransaction || state == .committing, partitionsBeingAdded.isEmpty,
            !pendingPartitions.isEmpty
        else { return [] }
        partitionsBeingAdded = pendingPartitions
        pendingPartitions = []
        return partitionsBeingAdded.sorted()
    }

    /// The AddPartitionsToTxn answer: the error per partition (`.none` when added). Retriable errors put the
    /// partitions back to pending (returns `.retry`); otherwise the transaction fails as the worst error says.
    package mutating func partitionsAdded(_ results: [TopicPartitionKey: KafkaErrorCode]) -> ErrorClass? {
        let requested = partitionsBeingAdded
        partitionsBeingAdded = []
        var worst: (ErrorClass, KafkaErrorCode)?
        for partition in requested.sorted() {
            let code = results[partition] ?? .unknownServerError
            if code == .none {
                addedPartitions.insert(partition)
                transactionStarted = true
                continue
            }
            let errorClass = Self.classify(code)
            if case .retry = errorClass { pendingPartitions.insert(partition) }
            if worst == nil || Self.severity(errorClass) > Self.severity(worst?.0 ?? errorClass) {
                worst = (errorClass, code)
            }
        }
        guard let (errorClass, code) = worst else { return nil }
        let names = requested.filter { results[$0] != KafkaErrorCode.none }.sorted().map(\.description)
        fail(
            errorClass,
            KafkaProducerError(.broker(code), "AddPartitionsToTxn for \(names.joined(separator: ", ")): \(code.name)"))
        return errorClass
    }

    /// The AddPartitionsToTxn request could not be sent or answered: its partitions are pending again.
    package mutating func addPartitionsRequestFailed() {
        pendingPartitions.formUnion(partitionsBeingAdded)
        partitionsBeingAdded = []
    }

    /// AddOffsetsToTxn succeeded: the group's offsets partition is part of the transaction.
    package mutating func offsetsAdded() {
        // A late answer after the transaction ended must not mark the next one as started.
        switch state {
        case .inTransaction, .committing, .abortableError, .aborting: transactionStarted = true
        case .uninitialized, .initializing, .ready, .fatalError: return
        }
    }

    /// A batch of the transaction failed for good (after the idempotence bookkeeping's decision).
    package mutating func batchFailed(_ error: KafkaProducerError) {
        switch error.kind {
        case .fenced: fail(.fenced, error)
        case .fatal: fail(.fatal, error)
        default: fail(.abortable, error)
        }
    }

    /// Moves to `abortableError` (from `inTransaction` or `committing`), or to `fatalError` for `.fenced` / `.fatal`.
    /// Retriable classes change nothing.
    package mutating func fail(_ errorClass: ErrorClass, _ error: KafkaProducerError) {
        switch errorClass {
        case .retry: return
        case .abortable:
            guard state == .inTransaction || state == .committing else { return }
            state = .abortableError
            lastError = KafkaProducerError(
                .transactionAbortable, topic: error.topic, partition: error.partition, error.message)
        case .fenced:
            state = .fatalError
            lastError = KafkaProducerError(
                .fenced,
                "transactional.id '\(transactionalID)' was fenced: another producer with the same id started "
                    + "(\(error.message)); close this one")
        case .fatal:
            guard state != .fatalError else { return }
            state = .fatalError
            lastError = KafkaProducerError(.fatal, topic: error.topic, partition: error.partition, error.message)
        }
    }

    // MARK: errors

    /// How a transactional request's error code is handled, as the Java client's handlers do.
    package static func classify(_ code: KafkaErrorCode) -> ErrorClass {
        switch code {
        case .notCoordinator, .coordinatorNotAvailable: .retry(findCoordinator: true)
        case .coordinatorLoadInProgress, .concurrentTransactions, .operationNotAttempted, .unknownTopicOrPartition,
            .requestTimedOut, .networkException:
            .retry(findCoordinator: false)
        case .producerFenced, .invalidProducerEpoch: .fenced
        case .transactionalIdAuthorizationFailed, .invalidTxnState, .invalidTransactionTimeout,
            .clusterAuthorizationFailed, .unsupportedVersion, .unsupportedForMessageFormat, .invalidRequest:
            .fatal
        default: code.isRetriable ? .retry(findCoordinator: false) : .abortable
        }
    }

    /// Orders the classes for ``partitionsAdded(_:)`` and `TransactionRequests.worst`; a retry that must look up the
    /// coordinator again outranks one that need not, so that a mix of both still finds the new coordinator.
    static func severity(_ errorClass: ErrorClass) -> Int {
        switch errorClass {
        case .retry(let findCoordinator): findCoordinator ? 1 : 0
        case .abortable: 2
        case .fatal: 3
        case .fenced: 4
        }
    }

    private mutating func clearTransaction() {
        addedPartitions = []
        pendingPartitions = []
        partitionsBeingAdded = []
        transactionStarted = false
        lastError = state == .fatalError ? lastError : nil
    }

    private func checkNotFailed() throws(KafkaProducerError) {
        if state == .fatalError { throw fatalError() }
    }

    private func checkInTransaction(for call: String) throws(KafkaProducerError) {
        switch state {
        case .inTransaction: return
        case .abortableError:
            throw lastError ?? KafkaProducerError(.transactionAbortable, "the transaction must be aborted")
        case .fatalError: throw fatalError()
        case .uninitialized, .initializing: throw invalid("call initTransactions() before \(call)")
        case .ready: throw invalid("call beginTransaction() before \(call)")
        case .committing, .aborting:
            throw invalid("cannot \(call) while the transaction is \(state == .committing ? "committing" : "aborting")")
        }
    }

    private func fatalError() -> KafkaProducerError {
        lastError ?? KafkaProducerError(.fatal, "the transactional producer failed fatally")
    }

    private func invalid(_ message: String) -> KafkaProducerError {
        KafkaProducerError(.invalidTransactionState, "transactional.id '\(transactionalID)': \(message)")
    }
}

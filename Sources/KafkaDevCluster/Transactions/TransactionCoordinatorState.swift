import KafkaProtocol

/// The transaction coordinator's state machine for every transactional id, as Kafka 3.x's
/// `TransactionCoordinator` runs it for clients of AddPartitionsToTxn v0–3, AddOffsetsToTxn and
/// EndTxn v0–3 (before KIP-890's server-side epoch bumps). A plain value: no I/O, no clock; the
/// caller passes the time, writes the markers of a ``TransactionCompletion`` and then calls
/// ``complete(_:)``.
///
/// Transitions: InitProducerId → Empty; AddPartitions/AddOffsets → Ongoing (a new transaction starts
/// its clock); EndTxn from Ongoing → PrepareCommit/PrepareAbort → (markers) → CompleteCommit /
/// CompleteAbort, partitions and groups cleared; a coordinator abort (timeout, or InitProducerId
/// while Ongoing) fences first: the epoch is bumped, then it aborts.
///
/// Errors (all after the caller's routing checks): no record of the id or another producer id →
/// INVALID_PRODUCER_ID_MAPPING; another epoch → PRODUCER_FENCED (the handlers answer
/// INVALID_PRODUCER_EPOCH to versions before KIP-588); a transaction being completed →
/// CONCURRENT_TRANSACTIONS; EndTxn with no open transaction, or the opposite result of the one just
/// completed → INVALID_TXN_STATE, while repeating the completed result succeeds.
struct TransactionCoordinatorState: Sendable {
    /// The metadata per transactional id.
    private(set) var transactions: [String: TransactionMetadata] = [:]
    /// The transactional id per current producer id.
    private var idsByProducer: [Int64: String] = [:]

    /// What ``end(_:producerID:epoch:commit:)`` decided.
    enum EndOutcome: Sendable, Hashable {
        /// Write these markers, then call ``complete(_:)``.
        case complete(TransactionCompletion)
        /// The same result was completed before: answer success, write nothing.
        case alreadyComplete
        /// Refused with this error; nothing changed.
        case failed(KafkaErrorCode)
    }

    subscript(transactionalID: String) -> TransactionMetadata? { transactions[transactionalID] }

    /// The transactional id whose current producer id is `producerID`.
    func transactionalID(of producerID: Int64) -> String? { idsByProducer[producerID] }

    /// Records the producer id and epoch InitProducerId handed out: the id is Empty again (the
    /// caller aborted an Ongoing transaction first with ``fenceAndAbort(_:fencedEpoch:)``).
    mutating func initialized(_ transactionalID: String, producerID: Int64, epoch: Int16, timeoutMs: Int32) {
        if let old = transactions[transactionalID], old.producerID != producerID {
            idsByProducer[old.producerID] = nil
        }
        transactions[transactionalID] = TransactionMetadata(
            transactionalID: transactionalID, producerID: producerID, producerEpoch: epoch,
            transactionTimeoutMs: timeoutMs)
        idsByProducer[producerID] = transactionalID
    }

    /// The producer id and epoch checks every client call makes (`.none` when they pass).
    func validate(_ transactionalID: String, producerID: Int64, epoch: Int16) -> KafkaErrorCode {
        guard let metadata = transactions[transactionalID], metadata.producerID == producerID else {
            return .invalidProducerIdMapping
        }
        return metadata.producerEpoch == epoch ? .none : .producerFenced
    }

    /// AddPartitionsToTxn and AddOffsetsToTxn: adds data partitions and groups to the transaction,
    /// starting one (Ongoing, clock started at `now`) when none is open.
    ///
    /// - Returns: `.none`, or the error for the whole call.
    mutating func add(
        _ transactionalID: String, producerID: Int64, epoch: Int16, partitions: Set<TransactionPartition> = [],
        groups: Set<String> = [], now: Int64
    ) -> KafkaErrorCode {
        let error = validate(transactionalID, producerID: producerID, epoch: epoch)
        guard error == .none, var metadata = transactions[transactionalID] else { return error }
        switch metadata.state {
        case .prepareCommit, .prepareAbort:
            return .concurrentTransactions
        case .ongoing:
            metadata.partitions.formUnion(partitions)
            metadata.groups.formUnion(groups)
        case .empty, .completeCommit, .completeAbort:
            metadata.state = .ongoing
            metadata.partitions = partitions
            metadata.groups = groups
            metadata.startTimestamp = now
        }
        transactions[transactionalID] = metadata
        return .none
    }

    /// EndTxn: commits or aborts the open transaction.
    mutating func end(_ transactionalID: String, producerID: Int64, epoch: Int16, commit: Bool) -> EndOutcome {
        let error = validate(transactionalID, producerID: producerID, epoch: epoch)
        guard error == .none, var metadata = transactions[transactionalID] else { return .failed(error) }
        switch (metadata.state, commit) {
        case (.ongoing, _):
            metadata.state = commit ? .prepareCommit : .prepareAbort
            transactions[transactionalID] = metadata
            return .complete(Self.completion(of: metadata, commit: commit))
        case (.completeCommit, true), (.completeAbort, false):
            return .alreadyComplete
        case (.prepareCommit, true), (.prepareAbort, false):
            return .failed(.concurrentTransactions)
        default:
            return .failed(.invalidTxnState)
        }
    }

    /// The coordinator aborts an Ongoing transaction on its own (timeout, or a new InitProducerId):
    /// the epoch becomes `fencedEpoch` so that the old producer instance is fenced, then the
    /// transaction goes to PrepareAbort. Nil when the id has no Ongoing transaction.
    mutating func fenceAndAbort(_ transactionalID: String, fencedEpoch: Int16) -> TransactionCompletion? {
        guard var metadata = transactions[transactionalID], metadata.state == .ongoing else { return nil }
        metadata.producerEpoch = fencedEpoch
        metadata.state = .prepareAbort
        transactions[transactionalID] = metadata
        return Self.completion(of: metadata, commit: false)
    }

    /// The markers of a PrepareCommit / PrepareAbort transaction are written: CompleteCommit /
    /// CompleteAbort, partitions and groups cleared.
    mutating func complete(_ transactionalID: String) {
        guard var metadata = transactions[transactionalID] else { return }
        switch metadata.state {
        case .prepareCommit: metadata.state = .completeCommit
        case .prepareAbort: metadata.state = .completeAbort
        default: return
        }
        metadata.partitions = []
        metadata.groups = []
        metadata.startTimestamp = -1
        transactions[transactionalID] = metadata
    }

    /// The ids whose Ongoing transaction is older than its timeout at `now`, sorted.
    func timedOut(now: Int64) -> [String] {
        transactions.values.filter { $0.hasTimedOut(now: now) }.map(\.transactionalID).sorted()
    }

    /// Kafka 3.6+ produce verification: may `producerID` at `epoch` write a transactional batch to
    /// `partition`? `.none`; INVALID_PRODUCER_ID_MAPPING for an unknown producer;
    /// INVALID_PRODUCER_EPOCH for another epoch (Kafka turns the coordinator's PRODUCER_FENCED into
    /// it for produce); INVALID_TXN_STATE when the partition is not in an Ongoing transaction.
    func verify(producerID: Int64, epoch: Int16, partition: TransactionPartition) -> KafkaErrorCode {
        guard let id = idsByProducer[producerID], let metadata = transactions[id] else {
            return .invalidProducerIdMapping
        }
        guard metadata.producerEpoch == epoch else { return .invalidProducerEpoch }
        guard metadata.state == .ongoing, metadata.partitions.contains(partition) else { return .invalidTxnState }
        return .none
    }

    /// Whether `group` is part of the Ongoing transaction of `transactionalID`.
    func includes(group: String, in transactionalID: String) -> Bool {
        guard let metadata = transactions[transactionalID] else { return false }
        return metadata.state == .ongoing && metadata.groups.contains(group)
    }

    private static func completion(of metadata: TransactionMetadata, commit: Bool) -> TransactionCompletion {
        TransactionCompletion(
            transactionalID: metadata.transactionalID, producerID: metadata.producerID,
            producerEpoch: metadata.producerEpoch, commit: commit, partitions: metadata.partitions.sorted(),
            groups: metadata.groups.sorted())
    }
}

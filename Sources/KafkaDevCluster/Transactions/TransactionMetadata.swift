import KafkaProtocol

/// The state of one transactional id, as Kafka's `TransactionState`.
///
/// The dev cluster writes markers synchronously, so `prepareCommit` and `prepareAbort` exist only
/// while an EndTxn (or an abort by the coordinator) is being carried out; they are kept so that the
/// transitions and Kafka's answers to them (CONCURRENT_TRANSACTIONS) can be tested.
enum TransactionState: String, Sendable, Hashable, CaseIterable {
    case empty = "Empty"
    case ongoing = "Ongoing"
    case prepareCommit = "PrepareCommit"
    case prepareAbort = "PrepareAbort"
    case completeCommit = "CompleteCommit"
    case completeAbort = "CompleteAbort"
}

/// A topic partition taking part in a transaction.
struct TransactionPartition: Sendable, Hashable, Comparable {
    var topic: String
    var partition: Int32

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// The coordinator's record of one transactional id (Kafka's `TransactionMetadata`).
struct TransactionMetadata: Sendable, Hashable {
    var transactionalID: String
    var producerID: Int64
    var producerEpoch: Int16
    var transactionTimeoutMs: Int32
    var state: TransactionState = .empty
    /// The data partitions of the current transaction.
    var partitions: Set<TransactionPartition> = []
    /// The groups whose offsets are part of the current transaction (AddOffsetsToTxn).
    var groups: Set<String> = []
    /// When the current transaction started (cluster milliseconds; -1 when none).
    var startTimestamp: Int64 = -1

    /// Whether the transaction is open and older than its timeout at `now`.
    func hasTimedOut(now: Int64) -> Bool {
        guard state == .ongoing else { return false }
        let (deadline, overflow) = startTimestamp.addingReportingOverflow(Int64(transactionTimeoutMs))
        return !overflow && deadline < now
    }
}

/// A transaction to finish: markers to write to its partitions and group offsets to resolve.
struct TransactionCompletion: Sendable, Hashable {
    var transactionalID: String
    var producerID: Int64
    /// The epoch the markers carry.
    var producerEpoch: Int16
    var commit: Bool
    var partitions: [TransactionPartition]
    var groups: [String]
}

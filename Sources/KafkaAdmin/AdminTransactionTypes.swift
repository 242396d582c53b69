public import KafkaNetwork

/// The state of a transactional id as its coordinator reports it (Java's `TransactionState`). States this client
/// does not know are kept as the broker's name.
public struct TransactionState: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The broker's name of the state (`Ongoing`, `PrepareCommit`, …).
    public var rawValue: String

    /// The state the broker names `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A transaction is open: records and offsets may be added to it.
    public static let ongoing = TransactionState(rawValue: "Ongoing")
    /// The producer asked to abort; the markers are being written.
    public static let prepareAbort = TransactionState(rawValue: "PrepareAbort")
    /// The producer asked to commit; the markers are being written.
    public static let prepareCommit = TransactionState(rawValue: "PrepareCommit")
    /// The last transaction was aborted and its markers written.
    public static let completeAbort = TransactionState(rawValue: "CompleteAbort")
    /// The last transaction was committed and its markers written.
    public static let completeCommit = TransactionState(rawValue: "CompleteCommit")
    /// The producer is initialized and has no transaction.
    public static let empty = TransactionState(rawValue: "Empty")
    /// The coordinator is fencing the producer's epoch before aborting its transaction.
    public static let prepareEpochFence = TransactionState(rawValue: "PrepareEpochFence")
    /// The transactional id expired and is being removed.
    public static let dead = TransactionState(rawValue: "Dead")

    /// The states a coordinator reports, in Kafka's order.
    public static let known: [TransactionState] = [
        .ongoing, .prepareAbort, .prepareCommit, .completeAbort, .completeCommit, .empty, .prepareEpochFence, .dead,
    ]

    /// The known state whose name is `name`, ignoring case; nil for another name.
    public static func named(_ name: String) -> TransactionState? {
        known.first { $0.rawValue.lowercased() == name.lowercased() }
    }

    public var description: String { rawValue }
}

/// A transactional id as ListTransactions reports it (Java's `TransactionListing`).
public struct TransactionListing: Sendable, Hashable {
    /// The transactional id.
    public var transactionalID: String
    /// The producer id the id currently has.
    public var producerID: Int64
    /// The state of its transaction.
    public var state: TransactionState

    /// Creates a listing.
    public init(transactionalID: String, producerID: Int64, state: TransactionState) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.state = state
    }
}

/// A transactional id as its coordinator describes it with DescribeTransactions (Java's `TransactionDescription`).
public struct TransactionDescription: Sendable, Hashable {
    /// The broker that coordinates the id.
    public var coordinatorID: Int32
    /// The state of the transaction.
    public var state: TransactionState
    /// The producer id the id currently has.
    public var producerID: Int64
    /// The producer's epoch.
    public var producerEpoch: Int16
    /// The transaction timeout the producer asked for, in milliseconds.
    public var transactionTimeoutMs: Int32
    /// When the current transaction started (milliseconds since the epoch); nil when none is open.
    public var transactionStartTimeMs: Int64?
    /// The partitions of the open transaction; while it is being committed or aborted, those whose marker is not
    /// written yet.
    public var topicPartitions: Set<TopicPartitionKey>

    /// Creates a description.
    public init(
        coordinatorID: Int32, state: TransactionState, producerID: Int64, producerEpoch: Int16,
        transactionTimeoutMs: Int32, transactionStartTimeMs: Int64?, topicPartitions: Set<TopicPartitionKey>
    ) {
        self.coordinatorID = coordinatorID
        self.state = state
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.transactionTimeoutMs = transactionTimeoutMs
        self.transactionStartTimeMs = transactionStartTimeMs
        self.topicPartitions = topicPartitions
    }
}

/// A producer that has written to a partition, as the partition's replica describes it with DescribeProducers
/// (Java's `ProducerState`).
public struct ProducerState: Sendable, Hashable {
    /// The producer id.
    public var producerID: Int64
    /// The producer's epoch on the partition.
    public var producerEpoch: Int32
    /// The sequence number of the producer's last record on the partition; -1 when none is known.
    public var lastSequence: Int32
    /// The timestamp of the producer's last batch or marker on the partition; -1 when none is known.
    public var lastTimestamp: Int64
    /// The coordinator epoch of the producer's last transaction marker; nil before any marker.
    public var coordinatorEpoch: Int32?
    /// The first offset of the producer's open transaction on the partition; nil when none is open.
    public var currentTransactionStartOffset: Int64?

    /// Creates a producer state.
    public init(
        producerID: Int64, producerEpoch: Int32, lastSequence: Int32, lastTimestamp: Int64, coordinatorEpoch: Int32?,
        currentTransactionStartOffset: Int64?
    ) {
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.lastSequence = lastSequence
        self.lastTimestamp = lastTimestamp
        self.coordinatorEpoch = coordinatorEpoch
        self.currentTransactionStartOffset = currentTransactionStartOffset
    }
}

/// The transaction of one producer on one partition to abort with ``KafkaAdminClient/abortTransaction(_:)`` (Java's
/// `AbortTransactionSpec`).
public struct AbortTransactionSpec: Sendable, Hashable, CustomStringConvertible {
    /// The partition.
    public var partition: TopicPartitionKey
    /// The producer id of the open transaction.
    public var producerID: Int64
    /// The producer's epoch on the partition (a lower one is refused with `INVALID_PRODUCER_EPOCH`).
    public var producerEpoch: Int16
    /// The coordinator epoch the marker carries (one below the partition's latest is refused with
    /// `TRANSACTION_COORDINATOR_FENCED`).
    public var coordinatorEpoch: Int32

    /// Creates a spec.
    public init(partition: TopicPartitionKey, producerID: Int64, producerEpoch: Int16, coordinatorEpoch: Int32) {
        self.partition = partition
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.coordinatorEpoch = coordinatorEpoch
    }

    public var description: String {
        "AbortTransactionSpec(topicPartition=\(partition), producerId=\(producerID), producerEpoch=\(producerEpoch), "
            + "coordinatorEpoch=\(coordinatorEpoch))"
    }
}

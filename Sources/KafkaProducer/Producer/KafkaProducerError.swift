public import KafkaProtocol

/// Why the producer could not accept or deliver a record. Names the topic and partition when they are known.
public struct KafkaProducerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Hashable {
        /// The record is larger than `max.request.size` or `buffer.memory`.
        case recordTooLarge
        /// No buffer memory became free within `max.block.ms`.
        case bufferExhausted
        /// The topic was not in the cluster's metadata within `max.block.ms` (it does not exist, or
        /// auto-creation is off).
        case unknownTopic
        /// The record names a partition the topic does not have, or a custom partitioner chose one.
        case invalidPartition
        /// The producer is closed (or closing).
        case closed
        /// The record was not acknowledged within `delivery.timeout.ms`.
        case deliveryTimedOut
        /// The broker rejected the record's batch with a non-retriable error, or retries ran out.
        case broker(KafkaErrorCode)
        /// The record could not be encoded, or a serializer failed.
        case invalidRecord
        /// A network failure that retries could not overcome (for example authentication).
        case network
        /// The producer hit an unrecoverable error (for example not authorized) and must be closed.
        case fatal
        /// Another producer with the same `transactional.id` took over (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH):
        /// this one can only be closed (Java's `ProducerFencedException`).
        case fenced
        /// A transactional call was made in a state that does not allow it (for example `send` before
        /// `beginTransaction()`, or `commitTransaction()` twice) — a programming error (Java's
        /// `IllegalStateException`).
        case invalidTransactionState
        /// The current transaction failed (a record could not be delivered, offsets were refused, …) and can only be
        /// aborted: call ``KafkaProducer/abortTransaction()``, then start a new one.
        case transactionAbortable
        /// The record belonged to a transaction that was aborted before it was sent.
        case transactionAborted
        /// A transactional call did not complete within `max.block.ms`; calling it again continues it.
        case timedOut
    }

    /// The kind of failure.
    public var kind: Kind
    /// The record's topic, when known.
    public var topic: String?
    /// The record's partition, when known.
    public var partition: Int32?
    /// A human-readable explanation.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, topic: String? = nil, partition: Int32? = nil, _ message: String) {
        self.kind = kind
        self.topic = topic
        self.partition = partition
        self.message = message
    }

    /// Whether sending the record again may succeed (a timeout or a retriable broker error).
    public var isRetriable: Bool {
        switch kind {
        case .bufferExhausted, .deliveryTimedOut, .unknownTopic, .timedOut: true
        case .broker(let code): code.isRetriable
        default: false
        }
    }

    /// `message`, prefixed with the topic and partition when known.
    public var description: String {
        switch (topic, partition) {
        case (let topic?, let partition?): "\(topic)-\(partition): \(message)"
        case (let topic?, nil): "\(topic): \(message)"
        default: message
        }
    }
}

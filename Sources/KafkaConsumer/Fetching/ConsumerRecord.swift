public import KafkaProtocol
public import NIOCore
public import Tracing

/// A record as the consumer hands it to the application.
///
/// `key`, `value` and the header bytes are zero-copy slices of the fetch response (or of the
/// decompressed batch): holding a record keeps that buffer alive. Copy the bytes out if you keep
/// records for long.
///
/// Two records are equal when their fields other than ``serviceContext`` are.
public struct ConsumerRecord: Sendable, Hashable {
    /// The topic the record was fetched from.
    public let topic: String
    /// The partition the record was fetched from.
    public let partition: Int32
    /// The record's offset in its partition.
    public let offset: Int64
    /// The timestamp in milliseconds since the epoch (-1 when the record has none: legacy v0
    /// messages).
    public let timestamp: Int64
    /// What ``timestamp`` means; `nil` for legacy v0 messages, which carry no timestamp (Java's
    /// `TimestampType.NO_TIMESTAMP_TYPE`).
    public let timestampType: RecordTimestampType?
    /// The key; `nil` is a null key.
    public let key: ByteBuffer?
    /// The value; `nil` is a null value (a tombstone).
    public let value: ByteBuffer?
    /// The headers, parsed when read.
    public let headers: RecordHeaders
    /// The leader epoch of the partition when the record was appended, when known (record batches
    /// written by brokers since Kafka 2.1; `nil` for legacy messages).
    public let leaderEpoch: Int32?
    /// The size of the serialized key in bytes, or -1 for a null key.
    public let serializedKeySize: Int
    /// The size of the serialized value in bytes, or -1 for a null value.
    public let serializedValueSize: Int
    /// The record's trace context, with ``KafkaConsumerConfiguration/enableTracing``; `nil` with tracing off.
    ///
    /// From ``KafkaConsumer/records`` and ``KafkaConsumer/batches``, the context of the record's `process` span (a
    /// child of the producer's span whose context the record's headers carry); from ``KafkaConsumer/poll(timeout:)``,
    /// the context extracted from the headers (on top of the polling task's context), with no span of the consumer's.
    /// Continue the trace in the application's own spans with it:
    /// `withSpan("handle order", context: record.serviceContext ?? .topLevel) { … }`.
    public internal(set) var serviceContext: ServiceContext?

    /// Creates a record.
    public init(
        topic: String, partition: Int32, offset: Int64, timestamp: Int64, timestampType: RecordTimestampType?,
        key: ByteBuffer?, value: ByteBuffer?, headers: RecordHeaders = RecordHeaders(), leaderEpoch: Int32? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.key = key
        self.value = value
        self.headers = headers
        self.leaderEpoch = leaderEpoch
        self.serializedKeySize = key?.readableBytes ?? -1
        self.serializedValueSize = value?.readableBytes ?? -1
    }
}

extension ConsumerRecord {
    /// Whether two records have the same fields, ``serviceContext`` left out (a context is not comparable, and the
    /// same record read twice is the same record).
    public static func == (lhs: ConsumerRecord, rhs: ConsumerRecord) -> Bool {
        lhs.topic == rhs.topic && lhs.partition == rhs.partition && lhs.offset == rhs.offset
            && lhs.timestamp == rhs.timestamp && lhs.timestampType == rhs.timestampType && lhs.key == rhs.key
            && lhs.value == rhs.value && lhs.headers == rhs.headers && lhs.leaderEpoch == rhs.leaderEpoch
    }

    /// Hashes the fields that ``==(_:_:)`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(topic)
        hasher.combine(partition)
        hasher.combine(offset)
        hasher.combine(timestamp)
        hasher.combine(timestampType)
        hasher.combine(key)
        hasher.combine(value)
        hasher.combine(headers)
        hasher.combine(leaderEpoch)
    }
}

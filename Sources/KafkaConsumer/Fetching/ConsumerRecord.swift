public import KafkaProtocol
public import NIOCore

/// A record as the consumer hands it to the application.
///
/// `key`, `value` and the header bytes are zero-copy slices of the fetch response (or of the
/// decompressed batch): holding a record keeps that buffer alive. Copy the bytes out if you keep
/// records for long.
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

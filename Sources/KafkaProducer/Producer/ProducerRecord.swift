public import KafkaProtocol
public import NIOCore

/// A record to send: the topic, optionally the partition, the serialized key and value, a timestamp and headers.
///
/// A `nil` key is a null key (the record is placed by the sticky partitioner); a `nil` value is a null value
/// (a tombstone on a compacted topic).
public struct ProducerRecord: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The partition; `nil` lets the partitioner choose.
    public var partition: Int32?
    /// The serialized key, `nil` for a null key.
    public var key: ByteBuffer?
    /// The serialized value, `nil` for a null value (tombstone).
    public var value: ByteBuffer?
    /// The timestamp in milliseconds since the Unix epoch; `nil` uses the time of the send (`CreateTime`).
    public var timestamp: Int64?
    /// The headers, in order (keys may repeat).
    public var headers: [RecordHeader]

    /// Creates a record.
    public init(
        topic: String, partition: Int32? = nil, key: ByteBuffer? = nil, value: ByteBuffer?, timestamp: Int64? = nil,
        headers: [RecordHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
    }

    /// Creates a record with a UTF-8 string key and value.
    public init(
        topic: String, partition: Int32? = nil, key: String?, value: String?, timestamp: Int64? = nil,
        headers: [RecordHeader] = []
    ) {
        self.init(
            topic: topic, partition: partition, key: key.map { ByteBuffer(string: $0) },
            value: value.map { ByteBuffer(string: $0) }, timestamp: timestamp, headers: headers)
    }

    /// Creates a record with a key and value of raw bytes.
    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, timestamp: Int64? = nil,
        headers: [RecordHeader] = []
    ) {
        self.init(
            topic: topic, partition: partition, key: key.map { ByteBuffer(bytes: $0) },
            value: value.map { ByteBuffer(bytes: $0) }, timestamp: timestamp, headers: headers)
    }
}

/// Where and when the broker stored a record, as the Java client's `RecordMetadata`.
public struct RecordMetadata: Sendable, Hashable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The record's offset; -1 when unknown (`acks=0`, or a batch the broker reported as a duplicate).
    public var offset: Int64
    /// The record's timestamp: the broker's append time when the topic uses `LogAppendTime`, otherwise the
    /// record's create time.
    public var timestamp: Int64
    /// The size of the serialized key in bytes, -1 for a null key.
    public var serializedKeySize: Int
    /// The size of the serialized value in bytes, -1 for a null value.
    public var serializedValueSize: Int

    /// Creates record metadata.
    public init(
        topic: String, partition: Int32, offset: Int64, timestamp: Int64, serializedKeySize: Int,
        serializedValueSize: Int
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.serializedKeySize = serializedKeySize
        self.serializedValueSize = serializedValueSize
    }

    /// `topic-partition@offset`, as the Java client prints it.
    public var description: String { "\(topic)-\(partition)@\(offset)" }
}

public import NIOCore

/// What a record's timestamp means (record batch attribute bit 3, legacy v1 attribute bit 3).
public enum RecordTimestampType: Sendable, Hashable {
    /// Set by the producer when the record was created.
    case createTime
    /// Set by the broker when it appended the record to the log.
    case logAppendTime
}

/// One record of a v2 record batch, as a consumer sees it.
///
/// `key`, `value` and the header bytes are zero-copy slices of the fetched (or decompressed) buffer.
/// (The properties are constants: that lets the optimizer build records without extra reference
/// counting on the decoding hot path.)
public struct Record: Sendable, Hashable {
    /// The absolute offset (the batch's base offset plus the record's offset delta).
    public let offset: Int64
    /// The absolute timestamp in milliseconds (the batch's base timestamp plus the record's delta, or
    /// the batch's max timestamp when the batch uses ``RecordTimestampType/logAppendTime``).
    public let timestamp: Int64
    /// The key; `nil` is a null key.
    public let key: ByteBuffer?
    /// The value; `nil` is a null value (a tombstone).
    public let value: ByteBuffer?
    /// The headers, parsed when read.
    public let headers: RecordHeaders
    /// The record attributes byte (unused by Kafka so far).
    public let attributes: Int8

    /// Creates a record.
    @inlinable
    public init(
        offset: Int64, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?,
        headers: RecordHeaders = RecordHeaders(), attributes: Int8 = 0
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
        self.attributes = attributes
    }
}

/// One record header: a UTF-8 key and a nullable value.
public struct RecordHeader: Sendable, Hashable {
    /// The header key.
    public var key: String
    /// The header value; `nil` is a null value.
    public var value: ByteBuffer?

    /// Creates a header.
    @inlinable
    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}

/// The headers of a ``Record``, kept as their encoded bytes and parsed only when read.
///
/// Decoding the headers can fail (they are checked lazily), so reading them throws.
public struct RecordHeaders: Sendable, Hashable {
    /// The number of headers.
    public let count: Int
    /// The encoded headers (without their count); `nil` when there are none.
    @usableFromInline let bytes: ByteBuffer?

    /// No headers.
    @inlinable
    public init() {
        self.count = 0
        self.bytes = nil
    }

    /// Headers from their encoded form: `count` entries, each key length (varint), key, value
    /// length (varint, -1 for null) and value.
    @inlinable
    public init(count: Int, encoded bytes: ByteBuffer?) {
        self.count = count
        self.bytes = bytes
    }

    /// Whether there are no headers.
    @inlinable public var isEmpty: Bool { count == 0 }

    /// The encoded header entries (without their count), as they appeared in the record.
    @inlinable public var encodedBytes: ByteBuffer { bytes ?? ByteBuffer() }

    /// An iterator parsing one header per call.
    public func makeIterator() -> Iterator { Iterator(bytes: bytes ?? ByteBuffer(), remaining: count) }

    /// Parses every header.
    ///
    /// - Throws: ``KafkaProtocolError`` when the header bytes are malformed.
    public func decoded() throws -> [RecordHeader] {
        var result: [RecordHeader] = []
        result.reserveCapacity(count)
        var iterator = makeIterator()
        while let header = try iterator.next() { result.append(header) }
        return result
    }

    /// The value of the last header named `key` (Kafka's `lastHeader`): `.none` when there is no such
    /// header, `.some(nil)` for a null value.
    public func last(_ key: String) throws -> ByteBuffer?? {
        var found: ByteBuffer?? = .none
        var iterator = makeIterator()
        while let header = try iterator.next() {
            if header.key == key { found = .some(header.value) }
        }
        return found
    }

    /// Parses headers one at a time.
    public struct Iterator {
        var bytes: ByteBuffer
        var remaining: Int

        /// The next header, or `nil` after the last.
        ///
        /// - Throws: ``KafkaProtocolError`` when the header bytes are malformed or have bytes left over.
        public mutating func next() throws -> RecordHeader? {
            guard remaining > 0 else {
                guard bytes.readableBytes == 0 else {
                    throw KafkaProtocolError(
                        .invalidLength, "\(bytes.readableBytes) bytes after the last record header")
                }
                return nil
            }
            remaining -= 1
            let keyLength = Int(try bytes.readVarint())
            guard keyLength >= 0 else {
                throw KafkaProtocolError(.invalidLength, "negative record header key length \(keyLength)")
            }
            guard keyLength <= bytes.readableBytes, let key = bytes.readString(length: keyLength) else {
                throw KafkaProtocolError(
                    .truncated, "record header key of \(keyLength) bytes exceeds the \(bytes.readableBytes) remaining")
            }
            let valueLength = Int(try bytes.readVarint())
            var value: ByteBuffer?
            if valueLength >= 0 {
                guard valueLength <= bytes.readableBytes, let slice = bytes.readSlice(length: valueLength) else {
                    throw KafkaProtocolError(
                        .truncated,
                        "record header value of \(valueLength) bytes exceeds the \(bytes.readableBytes) remaining")
                }
                value = slice
            } else if valueLength != -1 {
                throw KafkaProtocolError(.invalidLength, "negative record header value length \(valueLength)")
            }
            return RecordHeader(key: key, value: value)
        }
    }
}

public import NIOCore

extension RecordBatch {
    /// Decodes the records of a batch one at a time.
    ///
    /// Each record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint, key
    /// (varint length, -1 for null), value (likewise), header count varint, headers. Varints are
    /// decoded straight from memory; key, value and header bytes become slices of the records
    /// buffer, so iterating allocates nothing per record.
    public struct RecordIterator: Sendable {
        @usableFromInline var buffer: ByteBuffer
        @usableFromInline var remaining: Int32
        @usableFromInline let baseOffset: Int64
        @usableFromInline let baseTimestamp: Int64
        @usableFromInline let maxTimestamp: Int64
        @usableFromInline let usesLogAppendTime: Bool

        /// The smallest possible encoded record: seven one-byte fields.
        @usableFromInline static let minimumRecordSize = 7

        init(batch: RecordBatch, records: ByteBuffer) throws {
            guard Int(batch.recordCount) <= records.readableBytes / Self.minimumRecordSize else {
                throw KafkaProtocolError(
                    .invalidLength,
                    "record batch at offset \(batch.baseOffset) claims \(batch.recordCount) records in \(records.readableBytes) bytes"
                )
            }
            self.buffer = records
            self.remaining = batch.recordCount
            self.baseOffset = batch.baseOffset
            self.baseTimestamp = batch.baseTimestamp
            self.maxTimestamp = batch.maxTimestamp
            self.usesLogAppendTime = batch.timestampType == .logAppendTime
        }

        /// The number of records not yet returned.
        @inlinable public var remainingCount: Int { Int(remaining) }

        /// The next record, or `nil` after the last.
        ///
        /// - Throws: ``KafkaProtocolError`` when the record is malformed, its offset or timestamp
        ///   overflows, or bytes are left after the last record.
        @inlinable @inline(__always)
        public mutating func next() throws -> Record? {
            guard remaining > 0 else {
                guard buffer.readableBytes == 0 else { throw Self.trailingBytes(buffer.readableBytes) }
                return nil
            }
            let layout = try buffer.withUnsafeReadableBytes { try RecordLayout(parsing: $0) }
            let offset = baseOffset.addingReportingOverflow(Int64(layout.offsetDelta))
            guard !offset.overflow else { throw overflow("offset delta", Int64(layout.offsetDelta)) }
            var timestamp = maxTimestamp
            if !usesLogAppendTime {
                let sum = baseTimestamp.addingReportingOverflow(layout.timestampDelta)
                guard !sum.overflow else { throw overflow("timestamp delta", layout.timestampDelta) }
                timestamp = sum.partialValue
            }
            // The layout was checked against the readable bytes, so these slices are in bounds.
            let start = buffer.readerIndex
            defer {
                buffer.moveReaderIndex(forwardBy: layout.size)
                remaining &-= 1
            }
            return Record(
                offset: offset.partialValue, timestamp: timestamp,
                key: layout.keyLength < 0
                    ? nil : buffer.getSlice(at: start &+ layout.keyStart, length: layout.keyLength),
                value: layout.valueLength < 0
                    ? nil : buffer.getSlice(at: start &+ layout.valueStart, length: layout.valueLength),
                headers: layout.headerCount == 0
                    ? RecordHeaders()
                    : RecordHeaders(
                        count: layout.headerCount,
                        encoded: buffer.getSlice(
                            at: start &+ layout.headersStart, length: layout.size &- layout.headersStart)),
                attributes: layout.attributes)
        }

        /// Decodes every remaining record into an array.
        public consuming func collect() throws -> [Record] {
            var records: [Record] = []
            records.reserveCapacity(Int(remaining))
            while let record = try next() { records.append(record) }
            return records
        }

        @usableFromInline @inline(never)
        static func trailingBytes(_ count: Int) -> KafkaProtocolError {
            return KafkaProtocolError(.invalidLength, "\(count) bytes after the last record of the batch")
        }

        @usableFromInline @inline(never)
        func overflow(_ what: String, _ delta: Int64) -> KafkaProtocolError {
            KafkaProtocolError(
                .invalidValue,
                "record \(what) \(delta) overflows (base offset \(baseOffset), base timestamp \(baseTimestamp))")
        }
    }
}

/// Where the parts of one encoded record lie, relative to its first byte (its length varint).
@usableFromInline
struct RecordLayout {
    /// The whole record's size, length varint included.
    @usableFromInline var size: Int
    @usableFromInline var attributes: Int8
    @usableFromInline var timestampDelta: Int64
    @usableFromInline var offsetDelta: Int32
    @usableFromInline var keyStart: Int
    /// -1 for a null key.
    @usableFromInline var keyLength: Int
    @usableFromInline var valueStart: Int
    /// -1 for a null value.
    @usableFromInline var valueLength: Int
    /// Where the header entries start (after the header count).
    @usableFromInline var headersStart: Int
    @usableFromInline var headerCount: Int

    /// Parses the record at the start of `bytes`, checking every length against the record's own
    /// length and that against the bytes available.
    @inlinable @inline(__always)
    init(parsing bytes: UnsafeRawBufferPointer) throws {
        var i = 0
        let length = Int(try RawVarint.readSigned32(bytes, &i, bytes.count))
        guard length >= 0, length <= bytes.count &- i else { throw RecordLayout.badLength(length, bytes.count &- i) }
        let end = i &+ length
        guard i < end else { throw RecordLayout.truncatedRecord() }
        attributes = Int8(bitPattern: bytes[i])
        i &+= 1
        timestampDelta = try RawVarint.readSigned64(bytes, &i, end)
        offsetDelta = try RawVarint.readSigned32(bytes, &i, end)
        keyLength = Int(try RawVarint.readSigned32(bytes, &i, end))
        keyStart = i
        if keyLength >= 0 {
            guard keyLength <= end &- i else { throw RecordLayout.badField("key", keyLength, end &- i) }
            i &+= keyLength
        } else if keyLength != -1 {
            throw RecordLayout.badField("key", keyLength, end &- i)
        }
        valueLength = Int(try RawVarint.readSigned32(bytes, &i, end))
        valueStart = i
        if valueLength >= 0 {
            guard valueLength <= end &- i else { throw RecordLayout.badField("value", valueLength, end &- i) }
            i &+= valueLength
        } else if valueLength != -1 {
            throw RecordLayout.badField("value", valueLength, end &- i)
        }
        headerCount = Int(try RawVarint.readSigned32(bytes, &i, end))
        headersStart = i
        // Each header takes at least two bytes (two length varints); no headers means no bytes left.
        guard headerCount >= 0, headerCount <= (end &- i) / 2, headerCount > 0 || i == end else {
            throw RecordLayout.badHeaderCount(headerCount, end &- i)
        }
        size = end
    }

    @usableFromInline @inline(never)
    static func badLength(_ length: Int, _ available: Int) -> KafkaProtocolError {
        if length < 0 { return KafkaProtocolError(.invalidLength, "negative record length \(length)") }
        return KafkaProtocolError(.truncated, "record of \(length) bytes exceeds the \(available) remaining")
    }

    @usableFromInline @inline(never)
    static func truncatedRecord() -> KafkaProtocolError {
        KafkaProtocolError(.truncated, "empty record")
    }

    @usableFromInline @inline(never)
    static func badHeaderCount(_ count: Int, _ available: Int) -> KafkaProtocolError {
        KafkaProtocolError(
            .invalidLength, "record header count \(count) does not fit the \(available) bytes left in the record")
    }

    @usableFromInline @inline(never)
    static func badField(_ what: StaticString, _ length: Int, _ available: Int) -> KafkaProtocolError {
        if length < -1 { return KafkaProtocolError(.invalidLength, "record \(what) length \(length) is negative") }
        return KafkaProtocolError(
            .truncated, "record \(what) of \(length) bytes exceeds the \(available) left in the record")
    }
}

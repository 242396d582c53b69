public import NIOCore

/// Builds a v2 record batch straight into a `ByteBuffer`.
///
/// The 61-byte header is reserved first and records are encoded after it as they are appended;
/// ``finish()`` (or ``finish(compression:compressor:level:)``, which compresses the records section)
/// back-patches the length, counts, timestamps, attributes and CRC32C. Offset deltas are the record
/// indexes; the base timestamp is the first record's.
///
/// ```swift
/// var builder = RecordBatchBuilder(producerId: pid, producerEpoch: epoch, baseSequence: seq)
/// try builder.append(key: key, value: value, timestamp: nowMs)
/// let batch = try builder.finish(compression: .zstd, compressor: codecs)
/// ```
public struct RecordBatchBuilder: Sendable {
    /// The offset of the first record (0 for produce requests; the broker assigns offsets).
    public let baseOffset: Int64
    /// The partition leader epoch (-1 for produce requests).
    public let partitionLeaderEpoch: Int32
    /// The idempotent/transactional producer id, or -1.
    public let producerId: Int64
    /// The producer epoch, or -1.
    public let producerEpoch: Int16
    /// The sequence number of the first record, or -1.
    public let baseSequence: Int32
    /// Whether the batch belongs to a transaction.
    public let isTransactional: Bool
    /// Whether the batch holds control records.
    public let isControlBatch: Bool
    /// The timestamp type written in the attributes.
    public let timestampType: RecordTimestampType

    @usableFromInline var buffer: ByteBuffer
    @usableFromInline let start: Int
    @usableFromInline var count: Int32 = 0
    @usableFromInline var baseTimestamp: Int64 = -1
    @usableFromInline var maxTimestamp: Int64 = -1
    @usableFromInline var finished = false

    /// Starts a batch.
    ///
    /// - Parameters:
    ///   - baseOffset: the offset of the first record (0 in a produce request: the broker assigns offsets).
    ///   - partitionLeaderEpoch: the leader epoch, -1 in a produce request.
    ///   - producerId: the idempotent or transactional producer's id, -1 without one.
    ///   - producerEpoch: the producer's epoch, -1 without a producer id.
    ///   - baseSequence: the sequence number of the first record, -1 without a producer id.
    ///   - isTransactional: whether the batch belongs to a transaction.
    ///   - isControlBatch: whether the batch holds control records (transaction markers).
    ///   - timestampType: whether the timestamps are the producer's (`CreateTime`) or the broker's (`LogAppendTime`).
    ///   - buffer: the batch is written after this buffer's existing bytes (for example into a
    ///     request being encoded); ``finish()`` returns the whole buffer.
    ///   - capacity: bytes to reserve up front for the batch.
    public init(
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1, producerId: Int64 = -1, producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1, isTransactional: Bool = false, isControlBatch: Bool = false,
        timestampType: RecordTimestampType = .createTime, appendingTo buffer: consuming ByteBuffer = ByteBuffer(),
        capacity: Int = 0
    ) {
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.isTransactional = isTransactional
        self.isControlBatch = isControlBatch
        self.timestampType = timestampType
        // Written in place: the buffer is consumed, so a caller handing over its only copy (a recycled batch buffer)
        // keeps the storage unique and nothing is copied.
        buffer.reserveCapacity(minimumWritableBytes: max(capacity, RecordBatch.headerSize))
        self.start = buffer.writerIndex
        buffer.writeRepeatingByte(0, count: RecordBatch.headerSize)
        self.buffer = buffer
    }

    /// The number of records appended.
    @inlinable public var recordCount: Int { Int(count) }
    /// Whether no record was appended yet.
    @inlinable public var isEmpty: Bool { count == 0 }

    /// The timestamp of the first record appended, `nil` while the batch is empty.
    @inlinable public var firstTimestamp: Int64? { count == 0 ? nil : baseTimestamp }
    /// The size of the batch so far, uncompressed.
    @inlinable public var sizeInBytes: Int { buffer.writerIndex &- start }

    /// An upper bound of the encoded size of a record with these key and value sizes (`nil` for
    /// null) and headers, whatever its timestamp and offset deltas.
    public static func maximumRecordSize(keyLength: Int?, valueLength: Int?, headers: [RecordHeader] = []) -> Int {
        let key = keyLength.map { 5 + $0 } ?? 1
        let value = valueLength.map { 5 + $0 } ?? 1
        var size = 5 + 1 + 10 + 5 + key + value + 5
        for header in headers { size += headerSize(header) }
        return size
    }

    /// The encoded size of a record with these key and value sizes (`nil` for null) and headers when its timestamp
    /// and offset deltas are 0 (a batch's first record): a lower bound for the same record at any position, so
    /// `batch bytes / minimumRecordSize` bounds how many records like it a batch holds. Sizes are clamped to
    /// `Int32.max`, as ``append(key:value:timestamp:headers:)`` refuses larger ones.
    public static func minimumRecordSize(keyLength: Int?, valueLength: Int?, headers: [RecordHeader] = []) -> Int {
        func field(_ length: Int?) -> Int {
            guard let length else { return 1 }  // -1: one varint byte
            let clamped = Int32(clamping: length)
            return RawVarint.size(RawVarint.zigZag(clamped)) + Int(clamped)
        }
        var body = 3 + field(keyLength) + field(valueLength)  // attributes and two zero deltas: a byte each
        body += RawVarint.size(RawVarint.zigZag(Int32(clamping: headers.count)))
        for header in headers { body += headerSize(header) }
        return RawVarint.size(RawVarint.zigZag(Int32(clamping: body))) + body
    }

    /// Appends a record.
    ///
    /// - Parameters:
    ///   - key: the key, `nil` for a null key.
    ///   - value: the value, `nil` for a null value.
    ///   - timestamp: milliseconds since the epoch.
    ///   - headers: the record headers.
    /// - Throws: ``KafkaProtocolError`` when the batch is finished, has `Int32.max` records, a size
    ///   exceeds the format's limits or the timestamp delta overflows.
    @inlinable
    public mutating func append(
        key: ByteBuffer?, value: ByteBuffer?, timestamp: Int64, headers: [RecordHeader] = []
    ) throws {
        try Self.withBytes(key) { keyBytes in
            try Self.withBytes(value) { valueBytes in
                try append(keyBytes: keyBytes, valueBytes: valueBytes, timestamp: timestamp, headers: headers)
            }
        }
    }

    /// Appends a record whose key and value are raw memory (copied into the batch).
    @inlinable
    public mutating func append(
        keyBytes key: UnsafeRawBufferPointer?, valueBytes value: UnsafeRawBufferPointer?, timestamp: Int64,
        headers: [RecordHeader] = []
    ) throws {
        guard !finished, count < Int32.max else { throw Self.cannotAppend(finished) }
        let base = count == 0 ? timestamp : baseTimestamp
        let delta = timestamp.subtractingReportingOverflow(base)
        guard !delta.overflow else { throw Self.timestampOverflow(timestamp, base) }
        let keyLength = key?.count ?? -1
        let valueLength = value?.count ?? -1
        guard keyLength <= Int(Int32.max), valueLength <= Int(Int32.max), headers.count <= Int(Int32.max) else {
            throw Self.tooLarge()
        }
        var body = 1 &+ RawVarint.size(RawVarint.zigZag(delta.partialValue))
        body &+= RawVarint.size(RawVarint.zigZag(count))
        body &+= RawVarint.size(RawVarint.zigZag(Int32(keyLength))) &+ max(keyLength, 0)
        body &+= RawVarint.size(RawVarint.zigZag(Int32(valueLength))) &+ max(valueLength, 0)
        body &+= RawVarint.size(RawVarint.zigZag(Int32(headers.count)))
        for header in headers { body &+= Self.headerSize(header) }
        guard body <= Int(Int32.max) else { throw Self.tooLarge() }
        let total = RawVarint.size(RawVarint.zigZag(Int32(body))) &+ body
        let offsetDelta = count
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { out in
            var i = 0
            RawVarint.write(RawVarint.zigZag(Int32(body)), out, &i)
            out[i] = 0  // attributes
            i &+= 1
            RawVarint.write(RawVarint.zigZag(delta.partialValue), out, &i)
            RawVarint.write(RawVarint.zigZag(offsetDelta), out, &i)
            RawVarint.write(RawVarint.zigZag(Int32(keyLength)), out, &i)
            Self.copy(key, to: out, at: &i)
            RawVarint.write(RawVarint.zigZag(Int32(valueLength)), out, &i)
            Self.copy(value, to: out, at: &i)
            RawVarint.write(RawVarint.zigZag(Int32(headers.count)), out, &i)
            for header in headers { Self.write(header, to: out, at: &i) }
            return i
        }
        if count == 0 {
            baseTimestamp = timestamp
            maxTimestamp = timestamp
        } else if timestamp > maxTimestamp {
            maxTimestamp = timestamp
        }
        count &+= 1
    }

    /// Appends a control record (in a batch created with `isControlBatch: true`).
    public mutating func append(control: ControlRecord, value: ByteBuffer?, timestamp: Int64) throws {
        try append(key: control.encodedKey, value: value, timestamp: timestamp)
    }

    /// Appends a transaction marker (in a batch created with `isControlBatch: true`).
    public mutating func append(_ marker: EndTransactionMarker, timestamp: Int64) throws {
        try append(control: marker.controlRecord, value: marker.encodedValue, timestamp: timestamp)
    }

    /// Completes the batch uncompressed and returns the buffer holding it.
    ///
    /// - Throws: ``KafkaProtocolError`` when no record was appended or the batch was finished.
    public mutating func finish() throws -> ByteBuffer {
        try complete(compression: .none, compressor: nil, level: nil)
    }

    /// Compresses the records section with `compression`, completes the batch and returns the
    /// buffer holding it.
    ///
    /// - Throws: ``KafkaProtocolError`` when no record was appended, the batch was finished or
    ///   compression fails.
    public mutating func finish(
        compression: CompressionCodec, compressor: any KafkaCompressor, level: Int? = nil
    ) throws -> ByteBuffer {
        try complete(compression: compression, compressor: compressor, level: level)
    }

    private mutating func complete(
        compression: CompressionCodec, compressor: (any KafkaCompressor)?, level: Int?
    ) throws -> ByteBuffer {
        guard !finished else { throw Self.cannotAppend(true) }
        guard count > 0 else { throw KafkaProtocolError(.invalidValue, "a record batch needs at least one record") }
        let recordsStart = start + RecordBatch.headerSize
        if compression != .none, let compressor {
            let compressed: ByteBuffer
            do {
                let length = buffer.writerIndex - recordsStart
                guard let records = buffer.getSlice(at: recordsStart, length: length) else {
                    throw KafkaProtocolError(.invalidValue, "record batch records section out of bounds")
                }
                compressed = try withKafkaContext("record batch compression (\(compression))") {
                    try compressor.compress(records, codec: compression, level: level)
                }
            }
            buffer.moveWriterIndex(to: recordsStart)
            buffer.writeImmutableBuffer(compressed)
        }
        let batchLength = buffer.writerIndex - start - RecordBatch.logOverhead
        guard batchLength <= Int(Int32.max) else { throw Self.tooLarge() }
        var attributes = Int16(compression.rawValue)
        if timestampType == .logAppendTime { attributes |= 0x08 }
        if isTransactional { attributes |= 0x10 }
        if isControlBatch { attributes |= 0x20 }
        buffer.setInteger(baseOffset, at: start, endianness: .big)
        buffer.setInteger(Int32(batchLength), at: start + 8, endianness: .big)
        buffer.setInteger(partitionLeaderEpoch, at: start + 12, endianness: .big)
        buffer.setInteger(RecordBatch.magic, at: start + 16)
        buffer.setInteger(attributes, at: start + 21, endianness: .big)
        buffer.setInteger(count - 1, at: start + 23, endianness: .big)
        buffer.setInteger(baseTimestamp, at: start + 27, endianness: .big)
        buffer.setInteger(maxTimestamp, at: start + 35, endianness: .big)
        buffer.setInteger(producerId, at: start + 43, endianness: .big)
        buffer.setInteger(producerEpoch, at: start + 51, endianness: .big)
        buffer.setInteger(baseSequence, at: start + 53, endianness: .big)
        buffer.setInteger(count, at: start + 57, endianness: .big)
        let crcStart = start + RecordBatch.attributesOffset - buffer.readerIndex
        let crc = buffer.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[crcStart...]))
        }
        buffer.setInteger(crc, at: start + RecordBatch.crcOffset, endianness: .big)
        finished = true
        let result = buffer
        buffer = ByteBuffer()
        return result
    }

    // MARK: Encoding helpers

    @inlinable
    static func withBytes<R>(_ bytes: ByteBuffer?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        // Optional chaining reads the buffer where it is: `guard let bytes` bound a copy, a retain and a release of the
        // buffer's storage per record; when one payload buffer is sent many times (or sits on a cache line another
        // thread writes), each of those was a cache miss.
        if let result = try bytes?.withUnsafeReadableBytes({ try body($0) }) { return result }
        return try body(nil)
    }

    @inlinable @inline(__always)
    static func copy(_ bytes: UnsafeRawBufferPointer?, to out: UnsafeMutableRawBufferPointer, at i: inout Int) {
        guard let bytes, let source = bytes.baseAddress, let destination = out.baseAddress else { return }
        (destination + i).copyMemory(from: source, byteCount: bytes.count)
        i &+= bytes.count
    }

    @usableFromInline
    static func headerSize(_ header: RecordHeader) -> Int {
        let keyLength = header.key.utf8.count
        let valueLength = header.value?.readableBytes ?? -1
        return RawVarint.size(RawVarint.zigZag(Int32(clamping: keyLength))) + keyLength
            + RawVarint.size(RawVarint.zigZag(Int32(clamping: valueLength))) + max(valueLength, 0)
    }

    @usableFromInline
    static func write(_ header: RecordHeader, to out: UnsafeMutableRawBufferPointer, at i: inout Int) {
        let key = header.key.utf8
        RawVarint.write(RawVarint.zigZag(Int32(clamping: key.count)), out, &i)
        let copied: Void? = key.withContiguousStorageIfAvailable { copy(UnsafeRawBufferPointer($0), to: out, at: &i) }
        if copied == nil {
            for byte in key {
                out[i] = byte
                i += 1
            }
        }
        RawVarint.write(RawVarint.zigZag(Int32(clamping: header.value?.readableBytes ?? -1)), out, &i)
        if let value = header.value {
            value.withUnsafeReadableBytes { copy($0, to: out, at: &i) }
        }
    }

    @usableFromInline @inline(never)
    static func cannotAppend(_ finished: Bool) -> KafkaProtocolError {
        finished
            ? KafkaProtocolError(.invalidValue, "the record batch is already finished")
            : KafkaProtocolError(.invalidLength, "a record batch holds at most \(Int32.max) records")
    }

    @usableFromInline @inline(never)
    static func timestampOverflow(_ timestamp: Int64, _ base: Int64) -> KafkaProtocolError {
        KafkaProtocolError(.invalidValue, "timestamp \(timestamp) is too far from the base timestamp \(base)")
    }

    @usableFromInline @inline(never)
    static func tooLarge() -> KafkaProtocolError {
        KafkaProtocolError(.invalidLength, "record or batch exceeds the int32 size limit")
    }
}

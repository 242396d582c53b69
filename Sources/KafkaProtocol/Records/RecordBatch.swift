public import NIOCore

/// A v2 record batch (magic 2), decoded lazily from a fetched buffer.
///
/// Decoding reads the 61-byte header and verifies the CRC32C; the records are decoded one at a time
/// when iterated (``records()`` or ``records(decompressor:maxDecompressedSize:)``), as zero-copy
/// slices of the fetched buffer (or of the decompressed records section).
///
/// Layout: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc uint32
/// (CRC32C of everything after it), attributes int16, lastOffsetDelta int32, baseTimestamp int64,
/// maxTimestamp int64, producerId int64, producerEpoch int16, baseSequence int32, record count int32,
/// then the (possibly compressed) records.
public struct RecordBatch: Sendable, Hashable {
    /// The size of the header, up to and including the record count.
    public static let headerSize = 61
    /// The bytes before `batchLength` counts from: baseOffset and batchLength.
    public static let logOverhead = 12
    /// The magic byte of this format.
    public static let magic: Int8 = 2
    /// The default decompressed-size limit of ``records(decompressor:maxDecompressedSize:)``.
    public static let defaultMaxDecompressedSize = 64 << 20

    @usableFromInline static let crcOffset = 17
    @usableFromInline static let attributesOffset = 21

    /// The offset of the first record.
    public let baseOffset: Int64
    /// The size of the batch after the batchLength field.
    public let batchLength: Int32
    /// The leader epoch the broker assigned when it appended the batch.
    public let partitionLeaderEpoch: Int32
    /// The stored CRC32C (verified unless decoding was asked not to).
    public let crc: UInt32
    /// The raw attributes (see the computed properties for their parts).
    public let attributes: Int16
    /// The offset of the last record minus ``baseOffset`` (records may since have been compacted away).
    public let lastOffsetDelta: Int32
    /// The timestamp of the first record, or the delete horizon when ``hasDeleteHorizon``.
    public let baseTimestamp: Int64
    /// The largest record timestamp (the append time for ``RecordTimestampType/logAppendTime``).
    public let maxTimestamp: Int64
    /// The idempotent/transactional producer's id, or -1.
    public let producerId: Int64
    /// The producer's epoch, or -1.
    public let producerEpoch: Int16
    /// The producer's sequence number of the first record, or -1.
    public let baseSequence: Int32
    /// The number of records.
    public let recordCount: Int32
    /// The compression codec of the records section.
    public let compression: CompressionCodec
    /// The records section, compressed with ``compression``.
    public let recordsData: ByteBuffer

    /// Decodes the batch at the start of `bytes` (which may hold more after it).
    ///
    /// - Parameters:
    ///   - bytes: the bytes the batch starts at.
    ///   - verifyChecksum: whether to check the CRC32C (the consumer's `check.crcs`).
    /// - Throws: ``KafkaProtocolError``: `.truncated` when `bytes` holds less than the whole batch,
    ///   `.checksumMismatch` when the CRC32C differs, `.invalidValue` / `.invalidLength` for a bad
    ///   magic byte, compression codec, length or count.
    public init(decoding bytes: ByteBuffer, verifyChecksum: Bool = true) throws {
        try self.init(decoding: bytes, position: nil, verifyChecksum: verifyChecksum)
    }

    init(decoding bytes: ByteBuffer, position: Int?, verifyChecksum: Bool) throws {
        let at = bytes.readerIndex
        let available = bytes.readableBytes
        guard available >= Self.headerSize,
            let baseOffset = bytes.getInteger(at: at, endianness: .big, as: Int64.self),
            let batchLength = bytes.getInteger(at: at + 8, endianness: .big, as: Int32.self),
            let partitionLeaderEpoch = bytes.getInteger(at: at + 12, endianness: .big, as: Int32.self),
            let magic = bytes.getInteger(at: at + 16, as: Int8.self),
            let crc = bytes.getInteger(at: at + 17, endianness: .big, as: UInt32.self),
            let attributes = bytes.getInteger(at: at + 21, endianness: .big, as: Int16.self),
            let lastOffsetDelta = bytes.getInteger(at: at + 23, endianness: .big, as: Int32.self),
            let baseTimestamp = bytes.getInteger(at: at + 27, endianness: .big, as: Int64.self),
            let maxTimestamp = bytes.getInteger(at: at + 35, endianness: .big, as: Int64.self),
            let producerId = bytes.getInteger(at: at + 43, endianness: .big, as: Int64.self),
            let producerEpoch = bytes.getInteger(at: at + 51, endianness: .big, as: Int16.self),
            let baseSequence = bytes.getInteger(at: at + 53, endianness: .big, as: Int32.self),
            let recordCount = bytes.getInteger(at: at + 57, endianness: .big, as: Int32.self)
        else {
            throw KafkaProtocolError(
                .truncated, "record batch header needs \(Self.headerSize) bytes, \(available) remain")
        }
        let where_ = Self.describe(baseOffset: baseOffset, position: position)
        guard magic == Self.magic else {
            throw KafkaProtocolError(.invalidValue, "record batch \(where_) has magic \(magic), expected 2")
        }
        let size = Int(batchLength) + Self.logOverhead
        guard size >= Self.headerSize else {
            throw KafkaProtocolError(
                .invalidLength,
                "record batch \(where_) has length \(batchLength), below the minimum \(Self.headerSize - Self.logOverhead)"
            )
        }
        guard size <= available else {
            throw KafkaProtocolError(.truncated, "record batch \(where_) needs \(size) bytes, \(available) remain")
        }
        if verifyChecksum {
            let computed = bytes.withUnsafeReadableBytes { raw in
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[Self.attributesOffset..<size]))
            }
            guard computed == crc else {
                let last = baseOffset.addingReportingOverflow(Int64(lastOffsetDelta))
                throw KafkaProtocolError(
                    .checksumMismatch,
                    "record batch \(where_) (offsets \(baseOffset)...\(last.overflow ? "?" : String(last.partialValue))): "
                        + "stored CRC32C \(Self.hex(crc)), computed \(Self.hex(computed))")
            }
        }
        guard let codec = CompressionCodec(rawValue: Int8(attributes & 0x07)) else {
            throw KafkaProtocolError(
                .invalidValue, "record batch \(where_) has unknown compression codec \(attributes & 0x07)")
        }
        guard recordCount >= 0 else {
            throw KafkaProtocolError(.invalidLength, "record batch \(where_) has negative record count \(recordCount)")
        }
        guard lastOffsetDelta >= 0 || (recordCount == 0 && lastOffsetDelta == -1) else {
            throw KafkaProtocolError(
                .invalidValue,
                "record batch \(where_) has last offset delta \(lastOffsetDelta) with \(recordCount) records")
        }
        // The last offset and the next one (last + 1) must be representable.
        let last = baseOffset.addingReportingOverflow(Int64(lastOffsetDelta))
        guard !last.overflow, last.partialValue < Int64.max else {
            throw KafkaProtocolError(
                .invalidValue, "record batch \(where_) has out-of-range last offset delta \(lastOffsetDelta)")
        }
        guard let recordsData = bytes.getSlice(at: at + Self.headerSize, length: size - Self.headerSize) else {
            throw KafkaProtocolError(.truncated, "record batch \(where_) records section")
        }
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordCount = recordCount
        self.compression = codec
        self.recordsData = recordsData
    }

    /// The size of the whole batch in bytes, including baseOffset and batchLength.
    public var sizeInBytes: Int { Int(batchLength) + Self.logOverhead }
    /// The meaning of the record timestamps (attribute bit 3).
    public var timestampType: RecordTimestampType { attributes & 0x08 != 0 ? .logAppendTime : .createTime }
    /// Whether the batch belongs to a transaction (attribute bit 4).
    public var isTransactional: Bool { attributes & 0x10 != 0 }
    /// Whether the batch holds control records (transaction markers; attribute bit 5).
    public var isControlBatch: Bool { attributes & 0x20 != 0 }
    /// Whether ``baseTimestamp`` is the delete horizon of a compacted batch (attribute bit 6).
    public var hasDeleteHorizon: Bool { attributes & 0x40 != 0 }
    /// The delete horizon in milliseconds, when ``hasDeleteHorizon``.
    public var deleteHorizonMs: Int64? { hasDeleteHorizon ? baseTimestamp : nil }
    /// The offset of the last record (as assigned; compaction may have removed it).
    public var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }
    /// The offset after the batch: where the next fetch continues.
    public var nextOffset: Int64 { lastOffset + 1 }

    /// The records of an uncompressed batch.
    ///
    /// - Throws: ``KafkaProtocolError`` of kind `.compression` when the batch is compressed (use
    ///   ``records(decompressor:maxDecompressedSize:)``).
    public func records() throws -> RecordIterator {
        guard compression == .none else {
            throw KafkaProtocolError(
                .compression,
                "record batch at offset \(baseOffset) is compressed with \(compression); a decompressor is needed")
        }
        return try RecordIterator(batch: self, records: recordsData)
    }

    /// The records of a batch, decompressing the records section first when it is compressed.
    ///
    /// - Parameters:
    ///   - decompressor: decompresses the records section (not called for uncompressed batches).
    ///   - maxDecompressedSize: the limit on the decompressed size, against decompression bombs.
    public func records(
        decompressor: any KafkaDecompressor, maxDecompressedSize: Int = RecordBatch.defaultMaxDecompressedSize
    ) throws -> RecordIterator {
        guard compression != .none else { return try RecordIterator(batch: self, records: recordsData) }
        let decompressed = try withKafkaContext("record batch at offset \(baseOffset) (\(compression))") {
            try decompressor.decompress(recordsData, codec: compression, maxSize: maxDecompressedSize)
        }
        return try RecordIterator(batch: self, records: decompressed)
    }

    static func describe(baseOffset: Int64, position: Int?) -> String {
        if let position { "at byte \(position) (base offset \(baseOffset))" } else { "at base offset \(baseOffset)" }
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

public import NIOCore

/// A legacy message (magic 0 or 1), the format before record batches.
///
/// Layout: offset int64, message size int32, crc uint32 (CRC-32 IEEE of the rest), magic int8,
/// attributes int8 (bits 0–2 compression, bit 3 timestamp type in v1), timestamp int64 (v1 only),
/// key (int32 length, -1 for null), value (likewise).
///
/// A compressed message is a wrapper: its value is a compressed message set whose messages
/// ``messages(decompressor:maxDecompressedSize:verifyChecksums:)`` returns with absolute offsets.
public struct LegacyMessage: Sendable, Hashable {
    /// The size of a v0 message without key and value bytes: crc, magic, attributes, two lengths.
    public static let minimumSizeV0 = 14
    /// The size of a v1 message without key and value bytes (v0 plus the timestamp).
    public static let minimumSizeV1 = 22

    /// The offset (absolute for top-level messages and inner messages returned by ``messages()``).
    public let offset: Int64
    /// 0 or 1.
    public let magic: Int8
    /// The stored CRC-32.
    public let crc: UInt32
    /// The raw attributes.
    public let attributes: Int8
    /// The compression codec (a compressed message is a wrapper of others).
    public let compression: CompressionCodec
    /// The timestamp in milliseconds (v1 only; -1 means none).
    public let timestamp: Int64?
    /// What the timestamp means (v1 only).
    public let timestampType: RecordTimestampType?
    /// The key; `nil` is a null key.
    public let key: ByteBuffer?
    /// The value; `nil` is a null value.
    public let value: ByteBuffer?

    /// Decodes the message at the start of `bytes` (which may hold more after it).
    ///
    /// - Throws: ``KafkaProtocolError``: `.truncated` when `bytes` ends early, `.checksumMismatch`
    ///   when the CRC-32 differs, `.invalidValue` / `.invalidLength` for malformed fields.
    public init(decoding bytes: ByteBuffer, verifyChecksum: Bool = true) throws {
        var bytes = bytes
        self = try Self.read(from: &bytes, verifyChecksum: verifyChecksum)
    }

    init(copying m: LegacyMessage, offset: Int64, timestamp: Int64?, timestampType: RecordTimestampType?) {
        self.offset = offset
        self.magic = m.magic
        self.crc = m.crc
        self.attributes = m.attributes
        self.compression = m.compression
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.key = m.key
        self.value = m.value
    }

    private init(
        offset: Int64, magic: Int8, crc: UInt32, attributes: Int8, compression: CompressionCodec, timestamp: Int64?,
        key: ByteBuffer?, value: ByteBuffer?
    ) {
        self.offset = offset
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.compression = compression
        self.timestamp = timestamp
        self.timestampType = magic == 0 ? nil : (attributes & 0x08 != 0 ? .logAppendTime : .createTime)
        self.key = key
        self.value = value
    }

    /// This message as a ``Record`` (without headers; timestamp -1 when there is none).
    public var record: Record {
        Record(offset: offset, timestamp: timestamp ?? -1, key: key, value: value, attributes: attributes)
    }

    /// The messages of an uncompressed message: itself.
    ///
    /// - Throws: ``KafkaProtocolError`` of kind `.compression` when this is a compressed wrapper.
    public func messages() throws -> [LegacyMessage] {
        guard compression == .none else {
            throw KafkaProtocolError(
                .compression,
                "legacy message at offset \(offset) is compressed with \(compression); a decompressor is needed")
        }
        return [self]
    }

    /// The messages a consumer sees: itself when uncompressed, otherwise the messages inside this
    /// compressed wrapper, with absolute offsets (v1 wrappers hold relative inner offsets) and, for a
    /// v1 wrapper with log-append time, the wrapper's timestamp.
    ///
    /// - Throws: ``KafkaProtocolError`` when decompression fails, an inner message is malformed or
    ///   itself compressed, or the offsets are inconsistent.
    public func messages(
        decompressor: any KafkaDecompressor, maxDecompressedSize: Int = RecordBatch.defaultMaxDecompressedSize,
        verifyChecksums: Bool = true
    ) throws -> [LegacyMessage] {
        guard compression != .none else { return [self] }
        return try withKafkaContext("legacy wrapper message at offset \(offset) (\(compression))") {
            try unwrap(
                decompressor: decompressor, maxDecompressedSize: maxDecompressedSize, verifyChecksums: verifyChecksums)
        }
    }

    private func unwrap(
        decompressor: any KafkaDecompressor, maxDecompressedSize: Int, verifyChecksums: Bool
    ) throws -> [LegacyMessage] {
        guard let value else { throw KafkaProtocolError(.invalidValue, "compressed wrapper message has a null value") }
        var inner = try decompressor.decompress(value, codec: compression, maxSize: maxDecompressedSize)
        var messages: [LegacyMessage] = []
        while inner.readableBytes > 0 {
            let message = try Self.read(from: &inner, verifyChecksum: verifyChecksums)
            guard message.compression == .none else {
                throw KafkaProtocolError(
                    .invalidValue,
                    "inner message at offset \(message.offset) is itself compressed (\(message.compression))")
            }
            messages.append(message)
        }
        guard let last = messages.last else {
            throw KafkaProtocolError(.invalidValue, "compressed wrapper message holds no messages")
        }
        // v1 inner offsets are relative: the last inner message has the wrapper's offset. (A wrapper
        // offset of 0 comes from producers that leave it unset; the inner offsets are then used as is.)
        var base: Int64 = 0
        if magic == 1 && offset != 0 {
            let difference = offset.subtractingReportingOverflow(last.offset)
            guard offset >= last.offset, !difference.overflow else {
                throw KafkaProtocolError(
                    .invalidValue, "wrapper offset \(offset) is inconsistent with the last inner offset \(last.offset)")
            }
            base = difference.partialValue
        }
        let wrapperIsLogAppendTime = magic == 1 && timestampType == .logAppendTime
        return try messages.map { message in
            let absolute = base.addingReportingOverflow(message.offset)
            guard !absolute.overflow else {
                throw KafkaProtocolError(.invalidValue, "inner offset \(message.offset) overflows with base \(base)")
            }
            var timestamp = message.timestamp
            var timestampType = message.timestampType
            if message.magic == 1 && magic == 1 {
                timestampType = self.timestampType
                if wrapperIsLogAppendTime { timestamp = self.timestamp }
            }
            return LegacyMessage(
                copying: message, offset: absolute.partialValue, timestamp: timestamp, timestampType: timestampType)
        }
    }

    /// Reads one message (offset, size, body) from `bytes`.
    static func read(from bytes: inout ByteBuffer, verifyChecksum: Bool) throws -> LegacyMessage {
        let offset = try bytes.readKafkaInt64()
        let size = Int(try bytes.readKafkaInt32())
        guard size >= minimumSizeV0 else {
            throw KafkaProtocolError(
                .invalidLength,
                "legacy message at offset \(offset) has size \(size), below the minimum \(minimumSizeV0)")
        }
        guard size <= bytes.readableBytes, var body = bytes.readSlice(length: size) else {
            throw KafkaProtocolError(
                .truncated,
                "legacy message at offset \(offset) of \(size) bytes exceeds the \(bytes.readableBytes) remaining")
        }
        let crc = try body.readKafkaUInt32()
        if verifyChecksum {
            let computed = CRC32.checksum(body)
            guard computed == crc else {
                throw KafkaProtocolError(
                    .checksumMismatch,
                    "legacy message at offset \(offset): stored CRC-32 \(RecordBatch.hex(crc)), computed \(RecordBatch.hex(computed))"
                )
            }
        }
        let magic = try body.readKafkaInt8()
        guard magic == 0 || magic == 1 else {
            throw KafkaProtocolError(.invalidValue, "legacy message at offset \(offset) has magic \(magic)")
        }
        guard magic == 0 || size >= minimumSizeV1 else {
            throw KafkaProtocolError(
                .invalidLength,
                "legacy v1 message at offset \(offset) has size \(size), below the minimum \(minimumSizeV1)")
        }
        let attributes = try body.readKafkaInt8()
        guard let compression = CompressionCodec(rawValue: attributes & 0x07), compression != .zstd else {
            throw KafkaProtocolError(
                .invalidValue, "legacy message at offset \(offset) has invalid compression codec \(attributes & 0x07)")
        }
        let timestamp = magic == 1 ? try body.readKafkaInt64() : nil
        let key = try body.readKafkaNullableBytes(compact: false)
        let value = try body.readKafkaNullableBytes(compact: false)
        guard body.readableBytes == 0 else {
            throw KafkaProtocolError(
                .invalidLength, "legacy message at offset \(offset) has \(body.readableBytes) bytes after its value")
        }
        return LegacyMessage(
            offset: offset, magic: magic, crc: crc, attributes: attributes, compression: compression,
            timestamp: timestamp, key: key, value: value)
    }
}

import KafkaProtocol
import NIOCore

/// A record batch of a produce request that passed the broker's checks, ready to append.
struct ValidatedBatch: Sendable {
    /// Exactly the batch's bytes.
    var bytes: ByteBuffer
    var lastOffsetDelta: Int32
    var recordCount: Int32
    var maxTimestamp: Int64
    var producerID: Int64
    var producerEpoch: Int16
    var baseSequence: Int32
    var isTransactional: Bool

    /// Whether the batch comes from an idempotent or transactional producer.
    var hasProducerID: Bool { producerID >= 0 }
    /// The sequence of the batch's last record.
    var lastSequence: Int32 {
        ProducerStateTable.lastSequence(first: baseSequence, lastOffsetDelta: lastOffsetDelta)
    }
}

/// Why a partition's records were refused: the error code and, where Kafka gives one, the message.
struct BatchRejection: Error, Sendable, Hashable {
    var code: KafkaErrorCode
    var message: String?
}

/// The checks Kafka's broker applies to the `records` of one partition of a produce request
/// (`ProduceRequest.validateRecords`, `UnifiedLog.analyzeAndValidateRecords`, `LogValidator`), in
/// Kafka's order:
///
/// 1. splitting into batches: a trailing part too short to be a whole batch is ignored (Kafka trims
///    it); a batch length below the minimum or an unknown magic byte is CORRUPT_MESSAGE;
/// 2. v3+: exactly one batch of magic 2, else INVALID_RECORD; zstd before v7:
///    UNSUPPORTED_COMPRESSION_TYPE; v0-2 may carry several batches, but only magic 2 is stored here
///    (Kafka would convert older formats): UNSUPPORTED_FOR_MESSAGE_FORMAT;
/// 3. per batch: base offset not 0 → INVALID_RECORD; size above `max.message.bytes` →
///    MESSAGE_TOO_LARGE; CRC32C mismatch → CORRUPT_MESSAGE; unknown codec → CORRUPT_MESSAGE (Kafka
///    answers UNKNOWN_SERVER_ERROR);
/// 4. record count ≥ 1 and equal to `lastOffsetDelta + 1`, no control batch, a sequence ≥ 0 when
///    a producer id is set: else INVALID_RECORD.
///
/// Records inside a batch are not decoded (the dev cluster has no decompressor), so Kafka's
/// per-record checks (timestamps, keys of compacted topics, offset deltas) are not made.
enum BatchValidation {
    /// The size of a batch header before its records.
    static let headerSize = RecordBatch.headerSize
    /// Kafka's smallest legal record size field (`LegacyRecord.RECORD_OVERHEAD_V0`).
    static let minimumLegacyRecordSize: Int32 = 14

    /// Validates the records of one partition.
    ///
    /// - Parameters:
    ///   - records: the partition's records as sent (nil for a null field).
    ///   - version: the produce request version.
    ///   - maxMessageBytes: the largest batch accepted (`max.message.bytes`).
    ///   - partition: `topic-index`, for messages.
    /// - Returns: the batches in order; empty only for v0-2 requests without a batch (Kafka appends
    ///   nothing and answers success).
    static func validate(_ records: ByteBuffer?, version: Int16, maxMessageBytes: Int, partition: String)
        throws(BatchRejection) -> [ValidatedBatch]
    {
        let slices = try split(records ?? ByteBuffer())
        if version >= 3 {
            guard let first = slices.first else {
                throw BatchRejection(
                    code: .invalidRecord,
                    message:
                        "Produce requests with version \(version) must have at least one record batch per partition")
            }
            guard magic(of: first) == RecordBatch.magic else {
                throw BatchRejection(
                    code: .invalidRecord,
                    message: "Produce requests with version \(version) are only allowed to contain record batches "
                        + "with magic version 2")
            }
            if version < 7, codec(of: first) == CompressionCodec.zstd.rawValue {
                throw BatchRejection(
                    code: .unsupportedCompressionType,
                    message: "Produce requests with version \(version) are not allowed to use ZStandard compression")
            }
            guard slices.count == 1 else {
                throw BatchRejection(
                    code: .invalidRecord,
                    message: "Produce requests with version \(version) are only allowed to contain exactly one "
                        + "record batch per partition")
            }
        }
        for slice in slices where magic(of: slice) != RecordBatch.magic {
            throw BatchRejection(
                code: .unsupportedForMessageFormat,
                message: "The dev cluster stores only record batches of magic version 2, got \(magic(of: slice))")
        }
        var batches: [ValidatedBatch] = []
        for slice in slices {
            batches.append(try checkStorage(slice, maxMessageBytes: maxMessageBytes, partition: partition))
        }
        for batch in batches { try checkContents(batch, partition: partition) }
        return batches
    }

    /// Splits `records` into whole batches (any magic), as Kafka's `ByteBufferLogInputStream` does.
    static func split(_ records: ByteBuffer) throws(BatchRejection) -> [ByteBuffer] {
        var slices: [ByteBuffer] = []
        var position = records.readerIndex
        let end = records.writerIndex
        while end &- position >= 17 {
            guard let length = records.getInteger(at: position &+ 8, as: Int32.self),
                let magic = records.getInteger(at: position &+ 16, as: Int8.self)
            else { break }
            guard length >= minimumLegacyRecordSize else {
                throw BatchRejection(
                    code: .corruptMessage,
                    message:
                        "Record size \(length) is less than the minimum record overhead (\(minimumLegacyRecordSize))")
            }
            let size = Int(length) &+ RecordBatch.logOverhead
            guard size <= end &- position else { break }
            guard magic >= 0, magic <= RecordBatch.magic else {
                throw BatchRejection(code: .corruptMessage, message: "Invalid magic found in record: \(magic)")
            }
            if magic == RecordBatch.magic, size < headerSize {
                throw BatchRejection(
                    code: .corruptMessage,
                    message: "Record batch size \(size) is less than the batch overhead (\(headerSize))")
            }
            guard let slice = records.getSlice(at: position, length: size) else { break }
            slices.append(slice)
            position = position &+ size
        }
        return slices
    }

    /// Base offset, size, CRC and codec of one magic-2 batch (`analyzeAndValidateRecords`).
    private static func checkStorage(_ bytes: ByteBuffer, maxMessageBytes: Int, partition: String)
        throws(BatchRejection) -> ValidatedBatch
    {
        let at = bytes.readerIndex
        let baseOffset = bytes.getInteger(at: at, as: Int64.self) ?? -1
        guard baseOffset == 0 else {
            throw BatchRejection(
                code: .invalidRecord,
                message: "The baseOffset of the record batch in the append to \(partition) should be 0, but it is "
                    + "\(baseOffset)")
        }
        guard bytes.readableBytes <= maxMessageBytes else {
            throw BatchRejection(
                code: .messageTooLarge,
                message: "The record batch size in the append to \(partition) is \(bytes.readableBytes) bytes which "
                    + "exceeds the maximum configured value of \(maxMessageBytes).")
        }
        let stored = bytes.getInteger(at: at &+ 17, as: UInt32.self) ?? 0
        let computed = bytes.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[21...]))
        }
        guard stored == computed else {
            throw BatchRejection(
                code: .corruptMessage,
                message: "Record batch for partition \(partition) is corrupt (stored crc = \(stored), computed crc = "
                    + "\(computed))")
        }
        guard CompressionCodec(rawValue: codec(of: bytes)) != nil else {
            throw BatchRejection(
                code: .corruptMessage, message: "Unknown compression type id: \(codec(of: bytes))")
        }
        let attributes = bytes.getInteger(at: at &+ 21, as: Int16.self) ?? 0
        return ValidatedBatch(
            bytes: bytes,
            lastOffsetDelta: bytes.getInteger(at: at &+ 23, as: Int32.self) ?? -1,
            recordCount: bytes.getInteger(at: at &+ 57, as: Int32.self) ?? 0,
            maxTimestamp: bytes.getInteger(at: at &+ 35, as: Int64.self) ?? -1,
            producerID: bytes.getInteger(at: at &+ 43, as: Int64.self) ?? -1,
            producerEpoch: bytes.getInteger(at: at &+ 51, as: Int16.self) ?? -1,
            baseSequence: bytes.getInteger(at: at &+ 53, as: Int32.self) ?? -1,
            isTransactional: attributes & 0x10 != 0)
    }

    /// Record count, control flag and sequence of one batch (`LogValidator.validateBatch`).
    private static func checkContents(_ batch: ValidatedBatch, partition: String) throws(BatchRejection) {
        let at = batch.bytes.readerIndex
        guard batch.lastOffsetDelta >= 0 else {
            throw BatchRejection(
                code: .invalidRecord,
                message: "Batch has an invalid offset range: [0, \(batch.lastOffsetDelta)] in topic partition "
                    + "\(partition).")
        }
        guard batch.recordCount > 0 else {
            throw BatchRejection(
                code: .invalidRecord,
                message:
                    "Invalid reported count for record batch: \(batch.recordCount) in topic partition \(partition).")
        }
        guard Int64(batch.lastOffsetDelta) + 1 == Int64(batch.recordCount) else {
            throw BatchRejection(
                code: .invalidRecord,
                message: "Inconsistent batch offset range [0, \(batch.lastOffsetDelta)] and count of records "
                    + "\(batch.recordCount) in topic partition \(partition).")
        }
        let attributes = batch.bytes.getInteger(at: at &+ 21, as: Int16.self) ?? 0
        guard attributes & 0x20 == 0 else {
            throw BatchRejection(
                code: .invalidRecord,
                message: "Clients are not allowed to write control records in topic partition \(partition).")
        }
        if batch.hasProducerID, batch.baseSequence < 0 {
            throw BatchRejection(
                code: .invalidRecord,
                message: "Invalid sequence number \(batch.baseSequence) in record batch with producerId "
                    + "\(batch.producerID) in topic partition \(partition).")
        }
    }

    private static func magic(of batch: ByteBuffer) -> Int8 {
        batch.getInteger(at: batch.readerIndex &+ 16, as: Int8.self) ?? -1
    }

    private static func codec(of batch: ByteBuffer) -> Int8 {
        Int8(truncatingIfNeeded: (batch.getInteger(at: batch.readerIndex &+ 21, as: Int16.self) ?? 0) & 0x07)
    }
}

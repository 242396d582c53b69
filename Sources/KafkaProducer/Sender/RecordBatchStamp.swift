import KafkaProtocol
package import NIOCore

/// Stamps producer state into a finished v2 record batch.
///
/// The accumulator finishes batches with producer id, epoch and base sequence -1 because the idempotent producer
/// state is only assigned when a batch is about to be sent. ``stamp(_:producerID:producerEpoch:baseSequence:isTransactional:)``
/// rewrites those header fields in place (plus the transactional attribute bit) and recomputes the CRC32C, without
/// re-encoding the records.
package enum RecordBatchStamp {
    /// Offsets of the v2 header fields, relative to the start of the batch.
    enum Offset {
        static let batchLength = 8
        static let magic = 16
        static let crc = 17
        static let attributes = 21
        static let producerID = 43
        static let producerEpoch = 51
        static let baseSequence = 53
        static let recordCount = 57
    }

    /// The transactional attribute bit (bit 4).
    static let transactionalBit: Int16 = 0x10

    /// Stamps producer id, epoch, base sequence and the transactional attribute bit into the v2 batch held by the
    /// readable bytes of `batch`, then recomputes its CRC32C.
    ///
    /// The records are not touched; only bytes 17..<25 (CRC and attributes) and 43..<57 (producer id, epoch and
    /// base sequence) change.
    ///
    /// - Parameters:
    ///   - batch: exactly one encoded v2 record batch (its readable bytes).
    ///   - producerID: the producer id to write.
    ///   - producerEpoch: the producer epoch to write.
    ///   - baseSequence: the sequence number of the batch's first record.
    ///   - isTransactional: whether to set (`true`) or clear (`false`) the transactional attribute bit.
    /// - Throws: ``KafkaProtocolError`` when the readable bytes are not exactly one v2 batch: shorter than the
    ///   61-byte header, magic other than 2, or a batch length that disagrees with the number of bytes. `batch` is
    ///   left unchanged when it throws.
    package static func stamp(
        _ batch: inout ByteBuffer, producerID: Int64, producerEpoch: Int16, baseSequence: Int32,
        isTransactional: Bool
    ) throws {
        let size = try validatedSize(of: batch)
        let start = batch.readerIndex
        guard let attributes = batch.getInteger(at: start + Offset.attributes, endianness: .big, as: Int16.self) else {
            throw KafkaProtocolError(.truncated, "record batch attributes are out of bounds")
        }
        let stamped = isTransactional ? attributes | transactionalBit : attributes & ~transactionalBit
        batch.setInteger(stamped, at: start + Offset.attributes, endianness: .big)
        batch.setInteger(producerID, at: start + Offset.producerID, endianness: .big)
        batch.setInteger(producerEpoch, at: start + Offset.producerEpoch, endianness: .big)
        batch.setInteger(baseSequence, at: start + Offset.baseSequence, endianness: .big)
        let crc = batch.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[Offset.attributes..<size]))
        }
        batch.setInteger(crc, at: start + Offset.crc, endianness: .big)
    }

    /// Stamps the identity and base sequence the idempotent producer state assigned to the batch.
    ///
    /// - Throws: ``KafkaProtocolError`` when `batch` is not exactly one v2 batch, or when its record count differs
    ///   from `sequence.recordCount` (the sequence was assigned for another batch). `batch` is left unchanged when
    ///   it throws.
    package static func stamp(
        _ batch: inout ByteBuffer, with sequence: IdempotentProducerState.BatchSequence, isTransactional: Bool
    ) throws {
        _ = try validatedSize(of: batch)
        guard let count = batch.getInteger(at: batch.readerIndex + Offset.recordCount, endianness: .big, as: Int32.self)
        else {
            throw KafkaProtocolError(.truncated, "record batch record count is out of bounds")
        }
        guard Int(count) == sequence.recordCount else {
            throw KafkaProtocolError(
                .invalidValue,
                "record batch holds \(count) records but its sequence was assigned for \(sequence.recordCount)")
        }
        try stamp(
            &batch, producerID: sequence.identity.producerID, producerEpoch: sequence.identity.epoch,
            baseSequence: sequence.baseSequence, isTransactional: isTransactional)
    }

    /// The size of the v2 batch that the readable bytes of `batch` hold, checking that they hold exactly one.
    ///
    /// - Throws: ``KafkaProtocolError`` for a short buffer, a magic other than 2 or a length mismatch.
    static func validatedSize(of batch: ByteBuffer) throws -> Int {
        let available = batch.readableBytes
        let start = batch.readerIndex
        guard available >= RecordBatch.headerSize,
            let batchLength = batch.getInteger(at: start + Offset.batchLength, endianness: .big, as: Int32.self),
            let magic = batch.getInteger(at: start + Offset.magic, as: Int8.self)
        else {
            throw KafkaProtocolError(
                .truncated, "record batch header needs \(RecordBatch.headerSize) bytes, \(available) available")
        }
        guard magic == RecordBatch.magic else {
            throw KafkaProtocolError(.invalidValue, "record batch has magic \(magic), expected \(RecordBatch.magic)")
        }
        // Int is 64-bit, so an Int32 length plus the 12-byte log overhead cannot overflow.
        let size = Int(batchLength) + RecordBatch.logOverhead
        guard size >= RecordBatch.headerSize else {
            throw KafkaProtocolError(
                .invalidLength,
                "record batch length \(batchLength) is below the minimum "
                    + "\(RecordBatch.headerSize - RecordBatch.logOverhead)")
        }
        guard size <= available else {
            throw KafkaProtocolError(
                .truncated, "record batch length \(batchLength) needs \(size) bytes, \(available) available")
        }
        guard size == available else {
            throw KafkaProtocolError(
                .invalidLength,
                "record batch length \(batchLength) covers \(size) bytes but the buffer holds \(available)")
        }
        return size
    }
}

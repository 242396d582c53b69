import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing

/// A finished v2 batch like the accumulator's: producer id, epoch and sequence -1.
func makeUnstampedBatch(values: [String] = ["a", "bb", "ccc"], timestamp: Int64 = 1_700_000_000_000) throws
    -> ByteBuffer
{
    var builder = RecordBatchBuilder()
    for (i, value) in values.enumerated() {
        try builder.append(
            key: ByteBuffer(string: "k\(i)"), value: ByteBuffer(string: value), timestamp: timestamp + Int64(i))
    }
    return try builder.finish()
}

@Suite(.timeLimit(.minutes(5))) struct ProduceRequestTests {
    @Test func stampWritesProducerStateAndAValidChecksum() throws {
        let original = try makeUnstampedBatch()
        let before = try RecordBatch(decoding: original)
        #expect(before.producerId == -1 && before.producerEpoch == -1 && before.baseSequence == -1)

        var batch = original
        try RecordBatchStamp.stamp(
            &batch, producerID: 4242, producerEpoch: 7, baseSequence: 1000, isTransactional: true)
        let after = try RecordBatch(decoding: batch)  // verifies the CRC32C
        #expect(after.producerId == 4242)
        #expect(after.producerEpoch == 7)
        #expect(after.baseSequence == 1000)
        #expect(after.isTransactional)
        #expect(after.crc != before.crc)
        #expect(after.recordCount == 3)
        #expect(after.baseTimestamp == before.baseTimestamp)
        #expect(after.compression == before.compression)
        #expect(batch.readableBytes == original.readableBytes)
        #expect(after.recordsData == before.recordsData)
        #expect(try after.records().collect() == before.records().collect())
        let values = try after.records().collect().map { $0.value.map { String(buffer: $0) } }
        #expect(values == ["a", "bb", "ccc"])
    }

    @Test func stampCanClearTheTransactionalBitAndRestamp() throws {
        var batch = try makeUnstampedBatch()
        try RecordBatchStamp.stamp(&batch, producerID: 1, producerEpoch: 1, baseSequence: 5, isTransactional: true)
        try RecordBatchStamp.stamp(
            &batch, producerID: 2, producerEpoch: 3, baseSequence: Int32.max, isTransactional: false)
        let decoded = try RecordBatch(decoding: batch)
        #expect(!decoded.isTransactional)
        #expect(decoded.producerId == 2 && decoded.producerEpoch == 3 && decoded.baseSequence == Int32.max)
        #expect(!decoded.isControlBatch)
        #expect(decoded.timestampType == .createTime)
    }

    @Test func stampHonoursTheReaderIndex() throws {
        var prefixed = ByteBuffer(string: "junk")
        var batchBytes = try makeUnstampedBatch()
        prefixed.writeBuffer(&batchBytes)
        prefixed.moveReaderIndex(forwardBy: 4)
        try RecordBatchStamp.stamp(&prefixed, producerID: 9, producerEpoch: 0, baseSequence: 0, isTransactional: false)
        let decoded = try RecordBatch(decoding: prefixed)
        #expect(decoded.producerId == 9 && decoded.baseSequence == 0)
    }

    @Test(arguments: [0, 1, 12, 60])
    func stampRejectsShortBuffers(length: Int) throws {
        let full = try makeUnstampedBatch()
        var short = try #require(full.getSlice(at: full.readerIndex, length: length))
        let error = try #require(throws: KafkaProtocolError.self) {
            try RecordBatchStamp.stamp(&short, producerID: 1, producerEpoch: 1, baseSequence: 0, isTransactional: false)
        }
        #expect(error.kind == .truncated)
        #expect(short.readableBytes == length)
    }

    @Test func stampRejectsTruncatedBatches() throws {
        let full = try makeUnstampedBatch()
        var truncated = try #require(full.getSlice(at: full.readerIndex, length: full.readableBytes - 1))
        let untouched = truncated
        let error = try #require(throws: KafkaProtocolError.self) {
            try RecordBatchStamp.stamp(
                &truncated, producerID: 1, producerEpoch: 1, baseSequence: 0, isTransactional: false)
        }
        #expect(error.kind == .truncated)
        #expect(truncated == untouched)
    }

    @Test func stampRejectsTrailingBytes() throws {
        var batch = try makeUnstampedBatch()
        batch.writeInteger(UInt8(0))
        let error = try #require(throws: KafkaProtocolError.self) {
            try RecordBatchStamp.stamp(&batch, producerID: 1, producerEpoch: 1, baseSequence: 0, isTransactional: false)
        }
        #expect(error.kind == .invalidLength)
    }

    @Test(arguments: [Int8(0), 1, 3, -1])
    func stampRejectsOtherMagics(magic: Int8) throws {
        var batch = try makeUnstampedBatch()
        batch.setInteger(magic, at: batch.readerIndex + 16)
        let untouched = batch
        let error = try #require(throws: KafkaProtocolError.self) {
            try RecordBatchStamp.stamp(&batch, producerID: 1, producerEpoch: 1, baseSequence: 0, isTransactional: false)
        }
        #expect(error.kind == .invalidValue)
        #expect(error.message.contains("magic \(magic)"))
        #expect(batch == untouched)
    }

    @Test(arguments: [Int32.min, -1, 0, 48, Int32.max])
    func stampRejectsHostileLengths(length: Int32) throws {
        var batch = try makeUnstampedBatch()
        batch.setInteger(length, at: batch.readerIndex + 8, endianness: .big)
        #expect(throws: KafkaProtocolError.self) {
            try RecordBatchStamp.stamp(&batch, producerID: 1, producerEpoch: 1, baseSequence: 0, isTransactional: false)
        }
    }
}

extension ProduceRequestTests {
    @Test func stampWithAnAssignedSequence() throws {
        var batch = try makeUnstampedBatch(values: ["x", "y"])
        let identity = ProducerIdentity(producerID: 77, epoch: 2)
        try RecordBatchStamp.stamp(
            &batch, with: IdempotentProducerState.BatchSequence(identity: identity, baseSequence: 40, recordCount: 2),
            isTransactional: false)
        let decoded = try RecordBatch(decoding: batch)
        #expect(decoded.producerId == 77 && decoded.producerEpoch == 2 && decoded.baseSequence == 40)
        #expect(!decoded.isTransactional)
    }

    @Test func stampWithASequenceForAnotherBatchThrows() throws {
        var batch = try makeUnstampedBatch(values: ["x", "y"])
        let untouched = batch
        let identity = ProducerIdentity(producerID: 77, epoch: 2)
        let error = try #require(throws: KafkaProtocolError.self) {
            try RecordBatchStamp.stamp(
                &batch,
                with: IdempotentProducerState.BatchSequence(identity: identity, baseSequence: 40, recordCount: 3),
                isTransactional: true)
        }
        #expect(error.message.contains("holds 2 records"))
        #expect(batch == untouched)
    }
}

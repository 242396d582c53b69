import KafkaProtocol
import NIOCore
import Testing

struct RecordBatchTests {
    static let baseTimestamp: Int64 = 1_700_000_000_000

    /// Three records covering null/empty keys and values, headers with a null value, and a
    /// negative timestamp delta.
    static let handRecords: [HandRecord] = [
        HandRecord(timestampDelta: 0, offsetDelta: 0, key: Array("k0".utf8), value: Array("v0".utf8)),
        HandRecord(
            timestampDelta: 5, offsetDelta: 1, key: nil, value: Array("hello".utf8),
            headers: [("h1", Array("x".utf8)), ("h2", nil)]),
        HandRecord(timestampDelta: -3, offsetDelta: 2, key: [], value: nil),
    ]

    static func handBatch() -> [UInt8] {
        handAssembledBatch(
            baseOffset: 100, partitionLeaderEpoch: 5, attributes: 0x10, lastOffsetDelta: 2,
            baseTimestamp: baseTimestamp, maxTimestamp: baseTimestamp + 5, producerId: 7, producerEpoch: 1,
            baseSequence: 3, records: handRecords)
    }

    @Test func decodesHandAssembledBatch() throws {
        let bytes = Self.handBatch()
        let batch = try RecordBatch(decoding: ByteBuffer(bytes: bytes))
        #expect(batch.baseOffset == 100)
        #expect(batch.sizeInBytes == bytes.count)
        #expect(batch.batchLength == Int32(bytes.count - 12))
        #expect(batch.partitionLeaderEpoch == 5)
        #expect(
            batch.crc == UInt32(bytes[17]) << 24 | UInt32(bytes[18]) << 16 | UInt32(bytes[19]) << 8 | UInt32(bytes[20]))
        #expect(batch.attributes == 0x10)
        #expect(batch.compression == .none)
        #expect(batch.isTransactional)
        #expect(!batch.isControlBatch)
        #expect(batch.timestampType == .createTime)
        #expect(batch.deleteHorizonMs == nil)
        #expect(batch.lastOffsetDelta == 2)
        #expect(batch.lastOffset == 102)
        #expect(batch.nextOffset == 103)
        #expect(batch.baseTimestamp == Self.baseTimestamp)
        #expect(batch.maxTimestamp == Self.baseTimestamp + 5)
        #expect(batch.producerId == 7)
        #expect(batch.producerEpoch == 1)
        #expect(batch.baseSequence == 3)
        #expect(batch.recordCount == 3)

        var iterator = try batch.records()
        #expect(iterator.remainingCount == 3)
        let records = try batch.records().collect()
        #expect(records.count == 3)
        #expect(records.map(\.offset) == [100, 101, 102])
        #expect(records.map(\.timestamp) == [Self.baseTimestamp, Self.baseTimestamp + 5, Self.baseTimestamp - 3])
        #expect(records[0].key.testBytes == Array("k0".utf8))
        #expect(records[0].value.testBytes == Array("v0".utf8))
        #expect(records[0].headers.isEmpty)
        #expect(records[1].key == nil)
        #expect(records[1].value.testBytes == Array("hello".utf8))
        let headers = try records[1].headers.decoded()
        #expect(
            headers == [RecordHeader(key: "h1", value: ByteBuffer(string: "x")), RecordHeader(key: "h2", value: nil)])
        #expect(try records[1].headers.last("h1") == .some(ByteBuffer(string: "x")))
        #expect(try records[1].headers.last("h2") == .some(nil))
        #expect(try records[1].headers.last("nope") == .none)
        #expect(records[2].key.testBytes == [])
        #expect(records[2].value == nil)
        for _ in 0..<3 { _ = try iterator.next() }
        #expect(iterator.remainingCount == 0)
        #expect(try iterator.next() == nil)
    }

    @Test func builderReproducesHandAssembledBytes() throws {
        var builder = RecordBatchBuilder(
            baseOffset: 100, partitionLeaderEpoch: 5, producerId: 7, producerEpoch: 1, baseSequence: 3,
            isTransactional: true)
        for r in Self.handRecords {
            try builder.append(
                key: r.key.map { ByteBuffer(bytes: $0) }, value: r.value.map { ByteBuffer(bytes: $0) },
                timestamp: Self.baseTimestamp + r.timestampDelta,
                headers: r.headers.map { RecordHeader(key: $0.0, value: $0.1.map { ByteBuffer(bytes: $0) }) })
        }
        #expect(builder.recordCount == 3)
        #expect(builder.sizeInBytes == Self.handBatch().count)
        let encoded = try builder.finish()
        #expect(encoded.testBytes == Self.handBatch())
        #expect(throws: KafkaProtocolError.self) { try builder.append(key: nil, value: nil, timestamp: 0) }
    }

    /// A batch encoded by another client (sarama's record_test.go, "uncompressed record").
    @Test func decodesThirdPartyVector() throws {
        let groups: [[UInt8]] = [
            [0, 0, 0, 0, 0, 0, 0, 0],  // first offset
            [0, 0, 0, 70],  // length
            [0, 0, 0, 0],  // partition leader epoch
            [2],  // magic
            [84, 121, 97, 253],  // CRC
            [0, 0],  // attributes
            [0, 0, 0, 0],  // last offset delta
            [0, 0, 1, 88, 141, 205, 89, 56],  // first timestamp
            [0, 0, 0, 0, 0, 0, 0, 0],  // max timestamp
            [0, 0, 0, 0, 0, 0, 0, 0],  // producer id
            [0, 0],  // producer epoch
            [0, 0, 0, 0],  // first sequence
            [0, 0, 0, 1],  // record count
            [40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12],  // the record
        ]
        let bytes = groups.flatMap { $0 }
        let batch = try RecordBatch(decoding: ByteBuffer(bytes: bytes))
        #expect(batch.baseTimestamp == 1_479_847_795_000)
        var records = try batch.records()
        let record = try #require(try records.next())
        #expect(record.offset == 0)
        #expect(record.timestamp == 1_479_847_795_005)
        #expect(record.key.testBytes == [1, 2, 3, 4])
        #expect(record.value.testBytes == [5, 6, 7])
        let header = try #require(try record.headers.decoded().first)
        #expect(Array(header.key.utf8) == [8, 9, 10])
        #expect(header.value.testBytes == [11, 12])
        #expect(try records.next() == nil)
    }

    @Test func roundTripsEveryFieldKind() throws {
        var builder = RecordBatchBuilder(baseOffset: 1_000_000, producerId: 12345, producerEpoch: 3, baseSequence: 99)
        var expected: [(key: [UInt8]?, value: [UInt8]?, timestamp: Int64, headers: [RecordHeader])] = []
        var rng = SplitMix64(seed: 7)
        for i in 0..<300 {
            let key: [UInt8]? = i % 5 == 0 ? nil : (0..<(i % 17)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let value: [UInt8]? =
                i % 7 == 0 ? nil : (0..<(i * 13 % 301)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var headers: [RecordHeader] = []
            for h in 0..<(i % 4) {
                headers.append(RecordHeader(key: "h\(h)-é", value: h == 1 ? nil : ByteBuffer(string: "v\(i)")))
            }
            let timestamp = Self.baseTimestamp + Int64(i * 37 % 1000) - 500
            expected.append((key, value, timestamp, headers))
            try builder.append(
                key: key.map { ByteBuffer(bytes: $0) }, value: value.map { ByteBuffer(bytes: $0) },
                timestamp: timestamp,
                headers: headers)
        }
        let encoded = try builder.finish()
        let batch = try RecordBatch(decoding: encoded)
        #expect(batch.recordCount == 300)
        #expect(batch.lastOffsetDelta == 299)
        #expect(batch.baseTimestamp == expected[0].timestamp)
        #expect(batch.maxTimestamp == expected.map(\.timestamp).max())
        #expect(batch.producerId == 12345 && batch.producerEpoch == 3 && batch.baseSequence == 99)
        #expect(!batch.isTransactional && !batch.isControlBatch)
        var records = try batch.records()
        for (i, e) in expected.enumerated() {
            let record = try #require(try records.next())
            #expect(record.offset == 1_000_000 + Int64(i))
            #expect(record.timestamp == e.timestamp)
            #expect(record.key.testBytes == e.key)
            #expect(record.value.testBytes == e.value)
            #expect(record.headers.count == e.headers.count)
            #expect(try record.headers.decoded() == e.headers)
        }
        #expect(try records.next() == nil)
    }

    @Test func rawPointerAppendAndExistingBufferPrefix() throws {
        var prefix = ByteBuffer()
        prefix.writeString("PREFIX")
        var builder = RecordBatchBuilder(appendingTo: prefix, capacity: 1024)
        let key: [UInt8] = [1, 2, 3]
        try key.withUnsafeBytes { try builder.append(keyBytes: $0, valueBytes: nil, timestamp: 5) }
        var encoded = try builder.finish()
        #expect(encoded.readString(length: 6) == "PREFIX")
        let batch = try RecordBatch(decoding: encoded)
        let records = try batch.records().collect()
        #expect(records.count == 1)
        #expect(records[0].key.testBytes == key)
        #expect(records[0].value == nil)
        #expect(records[0].timestamp == 5)
    }

    @Test func controlBatchRoundTrip() throws {
        var builder = RecordBatchBuilder(
            baseOffset: 50, producerId: 9, producerEpoch: 2, isTransactional: true, isControlBatch: true)
        try builder.append(EndTransactionMarker(type: .commit, coordinatorEpoch: 17), timestamp: 1000)
        let batch = try RecordBatch(decoding: try builder.finish())
        #expect(batch.isControlBatch && batch.isTransactional)
        let record = try #require(try batch.records().collect().first)
        #expect(record.key.testBytes == [0, 0, 0, 1])
        #expect(record.value.testBytes == [0, 0, 0, 0, 0, 17])
        let control = try ControlRecord(record: record)
        #expect(control == ControlRecord(version: 0, type: .commit))
        let marker = try EndTransactionMarker(record: record)
        #expect(marker.type == ControlRecord.ControlType.commit)
        #expect(marker.coordinatorEpoch == 17 && marker.version == 0)

        let abort = Record(
            offset: 0, timestamp: 0, key: ByteBuffer(bytes: [0, 0, 0, 0]), value: ByteBuffer(bytes: [0, 0, 0, 0, 0, 3]))
        #expect(try EndTransactionMarker(record: abort).type == .abort)
        #expect(try ControlRecord(key: ByteBuffer(bytes: [0, 0, 0, 5])).type == .kraftVersion)
        #expect(try ControlRecord(key: ByteBuffer(bytes: [0, 1, 0x7F, 0, 9])).type == .unknown(0x7F00))
        #expect(throws: KafkaProtocolError.self) { try ControlRecord(key: ByteBuffer(bytes: [0, 0, 0])) }
        #expect(throws: KafkaProtocolError.self) { try ControlRecord(key: ByteBuffer(bytes: [0xFF, 0xFF, 0, 0])) }
        #expect(throws: KafkaProtocolError.self) { try ControlRecord(key: nil) }
        let leaderChange = Record(offset: 0, timestamp: 0, key: ByteBuffer(bytes: [0, 0, 0, 2]), value: nil)
        #expect(throws: KafkaProtocolError.self) { try EndTransactionMarker(record: leaderChange) }
        let shortValue = Record(
            offset: 0, timestamp: 0, key: ByteBuffer(bytes: [0, 0, 0, 1]), value: ByteBuffer(bytes: [0, 0]))
        #expect(throws: KafkaProtocolError.self) { try EndTransactionMarker(record: shortValue) }
    }

    @Test func compressedBatchGoesThroughTheCodec() throws {
        var builder = RecordBatchBuilder(baseOffset: 10)
        for i in 0..<20 { try builder.append(key: nil, value: ByteBuffer(string: "value-\(i)"), timestamp: Int64(i)) }
        let encoded = try builder.finish(compression: .gzip, compressor: IdentityCodec())
        let batch = try RecordBatch(decoding: encoded)
        #expect(batch.compression == .gzip)
        #expect(batch.attributes & 0x07 == 1)
        let error = #expect(throws: KafkaProtocolError.self) { try batch.records() }
        #expect(error?.kind == .compression)
        let records = try batch.records(decompressor: IdentityCodec()).collect()
        #expect(records.map(\.offset) == Array(10..<30))
        #expect(records.last?.value.testBytes == Array("value-19".utf8))
        let bomb = #expect(throws: KafkaProtocolError.self) {
            try batch.records(decompressor: IdentityCodec(), maxDecompressedSize: 10)
        }
        #expect(bomb?.kind == .compression)
        // Uncompressed batches need no decompressor but accept one.
        var plain = RecordBatchBuilder()
        try plain.append(key: nil, value: nil, timestamp: 0)
        #expect(try RecordBatch(decoding: plain.finish()).records(decompressor: IdentityCodec()).collect().count == 1)
    }

    @Test func checksumMismatchIsReportedWithOffsets() throws {
        var bytes = Self.handBatch()
        bytes[bytes.count - 2] ^= 0x01
        let error = #expect(throws: KafkaProtocolError.self) { try RecordBatch(decoding: ByteBuffer(bytes: bytes)) }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.message.contains("100") == true)
        var reader = RecordBatchReader(ByteBuffer(bytes: Self.handBatch() + bytes))
        #expect(try reader.next() != nil)
        let readerError = #expect(throws: KafkaProtocolError.self) { try reader.next() }
        #expect(readerError?.kind == .checksumMismatch)
        #expect(readerError?.message.contains("byte \(bytes.count)") == true)
        #expect(try reader.next() == nil)
        // With verification off the batch decodes.
        #expect(try RecordBatch(decoding: ByteBuffer(bytes: bytes), verifyChecksum: false).recordCount == 3)
    }

    @Test func readerReportsTruncatedTrailingBatch() throws {
        let one = Self.handBatch()
        let full = one + one
        for cut in 1..<one.count {
            var reader = RecordBatchReader(ByteBuffer(bytes: full + one.prefix(cut)))
            let entries = try reader.collect()
            #expect(entries.count == 3, "cut \(cut)")
            guard entries.count == 3, case .incomplete(let partial) = entries[2] else {
                Issue.record("expected an incomplete entry at cut \(cut)")
                continue
            }
            #expect(partial.position == full.count)
            #expect(partial.availableBytes == cut)
            #expect(partial.baseOffset == (cut >= 8 ? 100 : nil))
            #expect(partial.requiredBytes == (cut >= 12 ? one.count : nil))
            #expect(reader.position == full.count)
        }
        var empty = RecordBatchReader(ByteBuffer())
        #expect(try empty.next() == nil)
    }

    @Test func readerHandlesMixedMagic() throws {
        let legacy = legacyMessage(offset: 103, magic: 1, timestamp: 77, key: nil, value: [1])
        let second = handAssembledBatch(
            baseOffset: 104, lastOffsetDelta: 0, baseTimestamp: 1, maxTimestamp: 1,
            records: [HandRecord(timestampDelta: 0, offsetDelta: 0, key: nil, value: [2])])
        var reader = RecordBatchReader(ByteBuffer(bytes: Self.handBatch() + legacy + second))
        let entries = try reader.collect()
        #expect(entries.count == 3)
        guard case .batch(let a) = entries[0], case .legacy(let m) = entries[1], case .batch(let b) = entries[2] else {
            Issue.record("unexpected entries \(entries)")
            return
        }
        #expect(a.baseOffset == 100 && m.offset == 103 && m.timestamp == 77 && b.baseOffset == 104)
    }

    @Test func readerRejectsBadSizeAndMagic() throws {
        var badSize = WireBytes()
        badSize.int64(0)
        badSize.int32(13)
        badSize.raw([UInt8](repeating: 0, count: 13))
        var reader = RecordBatchReader(badSize.buffer)
        #expect(throws: KafkaProtocolError.self) { try reader.next() }
        var badMagic = Self.handBatch()
        badMagic[16] = 3
        reader = RecordBatchReader(ByteBuffer(bytes: badMagic))
        #expect(throws: KafkaProtocolError.self) { try reader.next() }
        // A v2 batch whose length is below the header size.
        var short = Self.handBatch()
        short[11] = 40
        reader = RecordBatchReader(ByteBuffer(bytes: short))
        #expect(throws: KafkaProtocolError.self) { try reader.next() }
    }

    @Test func logAppendTimeUsesMaxTimestamp() throws {
        let bytes = handAssembledBatch(
            baseOffset: 0, attributes: 0x08, lastOffsetDelta: 1, baseTimestamp: 10, maxTimestamp: 9999,
            records: [
                HandRecord(timestampDelta: 0, offsetDelta: 0, key: nil, value: nil),
                HandRecord(timestampDelta: 3, offsetDelta: 1, key: nil, value: nil),
            ])
        let batch = try RecordBatch(decoding: ByteBuffer(bytes: bytes))
        #expect(batch.timestampType == .logAppendTime)
        #expect(try batch.records().collect().map(\.timestamp) == [9999, 9999])
    }

    @Test func deleteHorizonAttribute() throws {
        let bytes = handAssembledBatch(
            baseOffset: 0, attributes: 0x40, lastOffsetDelta: 0, baseTimestamp: 4242, maxTimestamp: 4242,
            records: [HandRecord(timestampDelta: 0, offsetDelta: 0, key: nil, value: nil)])
        #expect(try RecordBatch(decoding: ByteBuffer(bytes: bytes)).deleteHorizonMs == 4242)
    }

    @Test func overflowingOffsetsAndTimestampsThrow() throws {
        let offsetOverflow = handAssembledBatch(
            baseOffset: Int64.max - 10, lastOffsetDelta: 0, baseTimestamp: 0, maxTimestamp: 0,
            records: [HandRecord(timestampDelta: 0, offsetDelta: 20, key: nil, value: nil)])
        var records = try RecordBatch(decoding: ByteBuffer(bytes: offsetOverflow)).records()
        #expect(throws: KafkaProtocolError.self) { try records.next() }

        let timestampOverflow = handAssembledBatch(
            baseOffset: 0, lastOffsetDelta: 0, baseTimestamp: Int64.max - 1, maxTimestamp: 0,
            records: [HandRecord(timestampDelta: 5, offsetDelta: 0, key: nil, value: nil)])
        records = try RecordBatch(decoding: ByteBuffer(bytes: timestampOverflow)).records()
        #expect(throws: KafkaProtocolError.self) { try records.next() }

        let lastOffsetOverflow = handAssembledBatch(
            baseOffset: Int64.max - 1, lastOffsetDelta: 1, baseTimestamp: 0, maxTimestamp: 0,
            records: [HandRecord(timestampDelta: 0, offsetDelta: 0, key: nil, value: nil)])
        #expect(throws: KafkaProtocolError.self) { try RecordBatch(decoding: ByteBuffer(bytes: lastOffsetOverflow)) }

        var builder = RecordBatchBuilder()
        try builder.append(key: nil, value: nil, timestamp: Int64.min)
        #expect(throws: KafkaProtocolError.self) { try builder.append(key: nil, value: nil, timestamp: Int64.max) }
    }

    @Test func malformedCountsAndTrailingBytesThrow() throws {
        let records = [HandRecord(timestampDelta: 0, offsetDelta: 0, key: nil, value: Array(0..<20))]
        // Count says 2, one record present.
        let tooMany = handAssembledBatch(
            baseOffset: 0, lastOffsetDelta: 1, baseTimestamp: 0, maxTimestamp: 0, recordCount: 2, records: records)
        var iterator = try RecordBatch(decoding: ByteBuffer(bytes: tooMany)).records()
        #expect(try iterator.next() != nil)
        #expect(throws: KafkaProtocolError.self) { try iterator.next() }
        // Count says 0, one record present: bytes left over.
        let tooFew = handAssembledBatch(
            baseOffset: 0, lastOffsetDelta: 0, baseTimestamp: 0, maxTimestamp: 0, recordCount: 0, records: records)
        iterator = try RecordBatch(decoding: ByteBuffer(bytes: tooFew)).records()
        #expect(throws: KafkaProtocolError.self) { try iterator.next() }
        // A negative count and a count far beyond the bytes.
        for count: Int32 in [-1, 1_000_000] {
            let bad = handAssembledBatch(
                baseOffset: 0, lastOffsetDelta: 0, baseTimestamp: 0, maxTimestamp: 0, recordCount: count,
                records: records)
            #expect(throws: KafkaProtocolError.self) { try RecordBatch(decoding: ByteBuffer(bytes: bad)).records() }
        }
        // An unknown compression codec.
        let badCodec = handAssembledBatch(
            baseOffset: 0, attributes: 5, lastOffsetDelta: 0, baseTimestamp: 0, maxTimestamp: 0, records: records)
        #expect(throws: KafkaProtocolError.self) { try RecordBatch(decoding: ByteBuffer(bytes: badCodec)) }
    }

    @Test func malformedHeadersFailOnlyWhenRead() throws {
        // Header count 1 with a header whose value length runs past the record.
        var record = WireBytes()
        record.int8(0)
        record.varint(0)
        record.varint(0)
        record.varBytes(nil)
        record.varBytes([7])
        record.varint(1)
        record.varBytes(Array("k".utf8))
        record.varint(9)
        var body = WireBytes()
        body.int16(0)
        body.int32(0)
        body.int64(0)
        body.int64(0)
        body.int64(-1)
        body.int16(-1)
        body.int32(-1)
        body.int32(1)
        body.varint(Int64(record.testBytes.count))
        body.raw(record.testBytes)
        var batch = WireBytes()
        batch.int64(0)
        batch.int32(Int32(9 + body.testBytes.count))
        batch.int32(0)
        batch.int8(2)
        batch.uint32(referenceCRC32C(body.testBytes))
        batch.raw(body.testBytes)
        let decoded = try RecordBatch(decoding: batch.buffer).records().collect()
        #expect(decoded.count == 1)
        #expect(decoded[0].value.testBytes == [7])
        #expect(decoded[0].headers.count == 1)
        #expect(throws: KafkaProtocolError.self) { try decoded[0].headers.decoded() }
    }

    @Test func builderRejectsEmptyAndDoubleFinish() throws {
        var empty = RecordBatchBuilder()
        #expect(throws: KafkaProtocolError.self) { try empty.finish() }
        var builder = RecordBatchBuilder()
        try builder.append(key: nil, value: nil, timestamp: 0)
        _ = try builder.finish()
        #expect(throws: KafkaProtocolError.self) { try builder.finish() }
    }

    @Test func maximumRecordSizeIsAnUpperBound() throws {
        let headers = [RecordHeader(key: "trace", value: ByteBuffer(repeating: 1, count: 200))]
        var builder = RecordBatchBuilder()
        try builder.append(
            key: ByteBuffer(repeating: 0, count: 300), value: ByteBuffer(repeating: 0, count: 5000), timestamp: 0)
        let before = builder.sizeInBytes
        try builder.append(
            key: ByteBuffer(repeating: 0, count: 300), value: ByteBuffer(repeating: 0, count: 5000),
            timestamp: -1_000_000_000,
            headers: headers)
        let actual = builder.sizeInBytes - before
        let bound = RecordBatchBuilder.maximumRecordSize(keyLength: 300, valueLength: 5000, headers: headers)
        #expect(actual <= bound && bound - actual < 32)
    }

    @Test(arguments: [(nil, nil), (nil, 100), (3, 63), (300, 5000)] as [(Int?, Int?)])
    func minimumRecordSizeIsTheFirstRecordsSizeAndALowerBoundAfter(keyLength: Int?, valueLength: Int?) throws {
        let headers = keyLength == 300 ? [RecordHeader(key: "trace", value: ByteBuffer(repeating: 1, count: 200))] : []
        let key = keyLength.map { ByteBuffer(repeating: 0, count: $0) }
        let value = valueLength.map { ByteBuffer(repeating: 0, count: $0) }
        let minimum = RecordBatchBuilder.minimumRecordSize(
            keyLength: keyLength, valueLength: valueLength, headers: headers)
        var builder = RecordBatchBuilder()
        try builder.append(key: key, value: value, timestamp: 1_000, headers: headers)
        #expect(builder.sizeInBytes - RecordBatch.headerSize == minimum)
        for index in 1...200 {
            let before = builder.sizeInBytes
            try builder.append(key: key, value: value, timestamp: 1_000 + Int64(index) * 5_000, headers: headers)
            #expect(builder.sizeInBytes - before >= minimum)
        }
    }
}

import KafkaProtocol
import NIOCore
import Testing

struct LegacyMessageSetTests {
    static func entries(_ bytes: [UInt8]) throws -> [RecordBatchEntry] {
        var reader = RecordBatchReader(ByteBuffer(bytes: bytes))
        return try reader.collect()
    }

    static func legacy(_ entry: RecordBatchEntry) throws -> LegacyMessage {
        guard case .legacy(let message) = entry else { throw KafkaProtocolError(.invalidValue, "not legacy: \(entry)") }
        return message
    }

    @Test func decodesV0Set() throws {
        let set =
            legacyMessage(offset: 0, magic: 0, key: Array("a".utf8), value: Array("one".utf8))
            + legacyMessage(offset: 1, magic: 0, key: nil, value: nil)
            + legacyMessage(offset: 2, magic: 0, key: [], value: Array("three".utf8))
        let messages = try Self.entries(set).map(Self.legacy)
        #expect(messages.map(\.offset) == [0, 1, 2])
        #expect(messages.allSatisfy { $0.magic == 0 && $0.timestamp == nil && $0.timestampType == nil })
        #expect(messages[0].key.testBytes == Array("a".utf8))
        #expect(messages[0].value.testBytes == Array("one".utf8))
        #expect(messages[1].key == nil && messages[1].value == nil)
        #expect(messages[2].key.testBytes == [])
        #expect(try messages[0].messages() == [messages[0]])
        let record = messages[2].record
        #expect(record.offset == 2 && record.timestamp == -1 && record.headers.isEmpty)
        #expect(record.value.testBytes == Array("three".utf8))
        // The CRC covers magic..end.
        let first = legacyMessage(offset: 0, magic: 0, key: Array("a".utf8), value: Array("one".utf8))
        #expect(messages[0].crc == referenceCRC32(Array(first[16...])))
    }

    @Test func decodesV1SetWithTimestamps() throws {
        let set =
            legacyMessage(offset: 10, magic: 1, timestamp: 1_000, key: nil, value: [1])
            + legacyMessage(offset: 11, magic: 1, attributes: 0x08, timestamp: 2_000, key: [2], value: [3])
        let messages = try Self.entries(set).map(Self.legacy)
        #expect(messages.map(\.timestamp) == [1_000, 2_000])
        #expect(messages.map(\.timestampType) == [.createTime, .logAppendTime])
        #expect(messages[1].record.timestamp == 2_000)
    }

    /// A gzip wrapper (the identity "codec" stands in for gzip) around three v1 messages with relative
    /// offsets 0, 1, 2; the wrapper carries the absolute offset of the last one.
    @Test func v1CompressedWrapperHasRelativeInnerOffsets() throws {
        let inner =
            legacyMessage(offset: 0, magic: 1, timestamp: 500, key: nil, value: Array("a".utf8))
            + legacyMessage(offset: 1, magic: 1, timestamp: 501, key: Array("k".utf8), value: Array("b".utf8))
            + legacyMessage(offset: 2, magic: 1, timestamp: 502, key: nil, value: nil)
        let wrapper = legacyMessage(offset: 102, magic: 1, attributes: 0x01, timestamp: 502, key: nil, value: inner)
        let message = try Self.legacy(try #require(Self.entries(wrapper).first))
        #expect(message.compression == .gzip)
        let error = #expect(throws: KafkaProtocolError.self) { try message.messages() }
        #expect(error?.kind == .compression)
        let messages = try message.messages(decompressor: IdentityCodec())
        #expect(messages.map(\.offset) == [100, 101, 102])
        #expect(messages.map(\.timestamp) == [500, 501, 502])
        #expect(messages.allSatisfy { $0.compression == .none && $0.timestampType == .createTime })
        #expect(messages[1].key.testBytes == Array("k".utf8))
        #expect(messages[2].value == nil)
        // Decompression limits apply.
        #expect(throws: KafkaProtocolError.self) {
            try message.messages(decompressor: IdentityCodec(), maxDecompressedSize: 10)
        }
    }

    @Test func v1WrapperWithLogAppendTimeOverridesInnerTimestamps() throws {
        let inner =
            legacyMessage(offset: 0, magic: 1, timestamp: 1, key: nil, value: [1])
            + legacyMessage(offset: 1, magic: 1, timestamp: 2, key: nil, value: [2])
        let wrapper = legacyMessage(
            offset: 51, magic: 1, attributes: 0x01 | 0x08, timestamp: 9_999, key: nil, value: inner)
        let messages = try Self.legacy(try #require(Self.entries(wrapper).first)).messages(
            decompressor: IdentityCodec())
        #expect(messages.map(\.offset) == [50, 51])
        #expect(messages.map(\.timestamp) == [9_999, 9_999])
        #expect(messages.map(\.timestampType) == [.logAppendTime, .logAppendTime])
    }

    @Test func v1WrapperWithZeroOffsetKeepsInnerOffsets() throws {
        let inner =
            legacyMessage(offset: 0, magic: 1, key: nil, value: [1])
            + legacyMessage(offset: 1, magic: 1, key: nil, value: [2])
        let wrapper = legacyMessage(offset: 0, magic: 1, attributes: 0x02, key: nil, value: inner)
        let messages = try Self.legacy(try #require(Self.entries(wrapper).first)).messages(
            decompressor: IdentityCodec())
        #expect(messages.map(\.offset) == [0, 1])
    }

    @Test func v0CompressedWrapperHasAbsoluteInnerOffsets() throws {
        let inner =
            legacyMessage(offset: 70, magic: 0, key: nil, value: [1])
            + legacyMessage(offset: 71, magic: 0, key: nil, value: [2])
        let wrapper = legacyMessage(offset: 71, magic: 0, attributes: 0x01, key: nil, value: inner)
        let set = wrapper + legacyMessage(offset: 72, magic: 0, key: nil, value: [3])
        let entries = try Self.entries(set)
        #expect(entries.count == 2)
        let messages = try Self.legacy(entries[0]).messages(decompressor: IdentityCodec())
        #expect(messages.map(\.offset) == [70, 71])
        #expect(messages.map { $0.value.testBytes } == [[1], [2]])
        #expect(try Self.legacy(entries[1]).messages(decompressor: IdentityCodec()).map(\.offset) == [72])
    }

    @Test func invalidWrappersThrow() throws {
        let plain = legacyMessage(offset: 0, magic: 1, key: nil, value: [1])
        // Nested compression.
        let nestedInner = legacyMessage(offset: 0, magic: 1, attributes: 0x01, key: nil, value: plain)
        let nested = legacyMessage(offset: 5, magic: 1, attributes: 0x01, key: nil, value: nestedInner)
        // A wrapper offset below the last inner offset.
        let inner =
            legacyMessage(offset: 0, magic: 1, key: nil, value: [1])
            + legacyMessage(offset: 9, magic: 1, key: nil, value: [1])
        let lowWrapper = legacyMessage(offset: 3, magic: 1, attributes: 0x01, key: nil, value: inner)
        // Null and empty wrapper values; a truncated inner message.
        let nullValue = legacyMessage(offset: 1, magic: 1, attributes: 0x01, key: nil, value: nil)
        let emptyValue = legacyMessage(offset: 1, magic: 1, attributes: 0x01, key: nil, value: [])
        let truncatedInner = legacyMessage(
            offset: 1, magic: 1, attributes: 0x01, key: nil, value: Array(plain.dropLast()))
        for bytes in [nested, lowWrapper, nullValue, emptyValue, truncatedInner] {
            let message = try Self.legacy(try #require(Self.entries(bytes).first))
            #expect(throws: KafkaProtocolError.self) { try message.messages(decompressor: IdentityCodec()) }
        }
        // zstd (4) and unknown codecs are not valid in legacy messages.
        for codec: Int8 in [4, 5, 7] {
            #expect(throws: KafkaProtocolError.self) {
                try Self.entries(legacyMessage(offset: 1, magic: 1, attributes: codec, key: nil, value: plain))
            }
        }
    }

    @Test func checksumMismatchIsReported() throws {
        var bytes = legacyMessage(offset: 33, magic: 1, timestamp: 5, key: [1, 2], value: [3, 4])
        bytes[bytes.count - 1] ^= 0x80
        let error = #expect(throws: KafkaProtocolError.self) { try Self.entries(bytes) }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.message.contains("33") == true)
        #expect(
            try LegacyMessage(decoding: ByteBuffer(bytes: bytes), verifyChecksum: false).value.testBytes == [3, 0x84])
        // An inner message's CRC is checked too.
        var inner = legacyMessage(offset: 0, magic: 1, key: nil, value: [1])
        inner[inner.count - 1] ^= 1
        let wrapper = legacyMessage(offset: 0, magic: 1, attributes: 0x01, key: nil, value: inner)
        let message = try Self.legacy(try #require(Self.entries(wrapper).first))
        let innerError = #expect(throws: KafkaProtocolError.self) {
            try message.messages(decompressor: IdentityCodec())
        }
        #expect(innerError?.kind == .checksumMismatch)
        #expect(try message.messages(decompressor: IdentityCodec(), verifyChecksums: false).count == 1)
    }

    @Test func malformedMessagesThrow() throws {
        // Key length beyond the message.
        var body = WireBytes()
        body.int8(0)
        body.int8(0)
        body.int32(50)
        body.int32(-1)
        var message = WireBytes()
        message.int64(0)
        message.int32(Int32(4 + body.testBytes.count))
        message.uint32(referenceCRC32(body.testBytes))
        message.raw(body.testBytes)
        #expect(throws: KafkaProtocolError.self) { try Self.entries(message.testBytes) }
        // Bytes after the value.
        var trailing = WireBytes()
        trailing.int8(0)
        trailing.int8(0)
        trailing.int32(-1)
        trailing.int32(-1)
        trailing.raw([0])
        message = WireBytes()
        message.int64(0)
        message.int32(Int32(4 + trailing.testBytes.count))
        message.uint32(referenceCRC32(trailing.testBytes))
        message.raw(trailing.testBytes)
        #expect(throws: KafkaProtocolError.self) { try Self.entries(message.testBytes) }
        // A v1 message shorter than the v1 minimum.
        var shortV1 = WireBytes()
        shortV1.int8(1)
        shortV1.int8(0)
        shortV1.int32(-1)
        shortV1.int32(-1)
        message = WireBytes()
        message.int64(0)
        message.int32(Int32(4 + shortV1.testBytes.count))
        message.uint32(referenceCRC32(shortV1.testBytes))
        message.raw(shortV1.testBytes)
        #expect(throws: KafkaProtocolError.self) { try Self.entries(message.testBytes) }
    }

    @Test func truncatedTrailingMessageIsIncomplete() throws {
        let one = legacyMessage(offset: 4, magic: 1, key: nil, value: [1, 2, 3])
        for cut in 1..<one.count {
            let entries = try Self.entries(one + one.prefix(cut))
            #expect(entries.count == 2)
            guard case .incomplete(let partial) = entries.last else {
                Issue.record("cut \(cut): expected incomplete")
                continue
            }
            #expect(partial.availableBytes == cut)
        }
    }
}

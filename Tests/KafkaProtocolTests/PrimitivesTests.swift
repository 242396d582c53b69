import KafkaProtocol
import NIOCore
import Testing

struct PrimitivesTests {
    static let varintCases: [(UInt32, [UInt8])] = [
        (UInt32(0), [UInt8(0x00)]),
        (1, [0x01]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (300, [0xAC, 0x02]),
        (16_384, [0x80, 0x80, 0x01]),
        (UInt32.max, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    static let zigZagCases: [(Int32, [UInt8])] = [
        (Int32(0), [UInt8(0x00)]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]), (63, [0x7E]), (-64, [0x7F]),
        (64, [0x80, 0x01]), (Int32.max, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]), (Int32.min, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    @Test(arguments: PrimitivesTests.varintCases)
    func unsignedVarintKnownEncodings(_ value: UInt32, _ bytes: [UInt8]) throws {
        var buffer = ByteBuffer()
        buffer.writeUnsignedVarint(value)
        #expect(Array(buffer.readableBytesView) == bytes)
        #expect(try buffer.readUnsignedVarint() == value)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: PrimitivesTests.zigZagCases)
    func zigZagVarintKnownEncodings(_ value: Int32, _ bytes: [UInt8]) throws {
        var buffer = ByteBuffer()
        buffer.writeVarint(value)
        #expect(Array(buffer.readableBytesView) == bytes)
        #expect(try buffer.readVarint() == value)
    }

    @Test func varlongExtremes() throws {
        for value in [Int64.min, -1, 0, 1, Int64.max, 1 << 40] {
            var buffer = ByteBuffer()
            buffer.writeVarlong(value)
            #expect(try buffer.readVarlong() == value)
        }
    }

    @Test func overlongVarintsAreRejected() {
        var six = ByteBuffer(bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
        #expect(throws: KafkaProtocolError.self) { try six.readUnsignedVarint() }
        var wide = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x1F])
        #expect(throws: KafkaProtocolError.self) { try wide.readUnsignedVarint() }
        var truncated = ByteBuffer(bytes: [0x80, 0x80])
        #expect(throws: KafkaProtocolError.self) { try truncated.readUnsignedVarint() }
    }

    @Test func stringsLegacyAndCompact() throws {
        var buffer = ByteBuffer()
        try buffer.writeKafkaString("hé", compact: false)
        try buffer.writeKafkaString(nil, compact: false)
        try buffer.writeKafkaString("hé", compact: true)
        try buffer.writeKafkaString(nil, compact: true)
        try buffer.writeKafkaString("", compact: true)
        #expect(
            Array(buffer.readableBytesView) == [
                0x00, 0x03, 0x68, 0xC3, 0xA9, 0xFF, 0xFF, 0x04, 0x68, 0xC3, 0xA9, 0x00, 0x01,
            ])
        #expect(try buffer.readKafkaString(compact: false) == "hé")
        #expect(try buffer.readKafkaNullableString(compact: false) == nil)
        #expect(try buffer.readKafkaNullableString(compact: true) == "hé")
        // A null where the schema forbids one is read leniently as the default, the empty string.
        #expect(try buffer.readKafkaString(compact: true) == "")
        #expect(try buffer.readKafkaString(compact: true) == "")
    }

    @Test func lengthsBeyondTheInputAreErrorsNotAllocations() {
        var string = ByteBuffer(bytes: [0x7F, 0xFF, 0x41])
        #expect(throws: KafkaProtocolError.self) { try string.readKafkaString(compact: false) }
        var bytes = ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF, 0x00])
        #expect(throws: KafkaProtocolError.self) { try bytes.readKafkaBytes(compact: false) }
        var array = ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: KafkaProtocolError.self) { try array.readKafkaArrayCount(compact: false) }
        var negative = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFE])
        #expect(throws: KafkaProtocolError.self) { try negative.readKafkaArrayCount(compact: false) }
    }

    @Test func bytesAreZeroCopySlices() throws {
        var buffer = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x03, 1, 2, 3, 9])
        let slice = try buffer.readKafkaBytes(compact: false)
        #expect(Array(slice.readableBytesView) == [1, 2, 3])
        #expect(buffer.readableBytes == 1)
        // The slice shares storage with the source buffer.
        let sharesStorage = slice.withUnsafeReadableBytes { s in
            buffer.withUnsafeReadableBytes { b in s.baseAddress.map { $0 + 3 == b.baseAddress } ?? false }
        }
        #expect(sharesStorage)
    }

    @Test func uuidRoundTripAndFormat() throws {
        let uuid = KafkaUUID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        #expect(uuid.description == "01234567-89ab-cdef-fedc-ba9876543210")
        var buffer = ByteBuffer()
        buffer.writeKafkaUUID(uuid)
        #expect(try buffer.readKafkaUUID() == uuid)
    }

    @Test func errorCodesCarryNameRetriabilityAndMessage() {
        #expect(KafkaErrorCode.notLeaderOrFollower.rawValue == 6)
        #expect(KafkaErrorCode.notLeaderOrFollower.name == "NOT_LEADER_OR_FOLLOWER")
        #expect(KafkaErrorCode.notLeaderOrFollower.isRetriable)
        #expect(!KafkaErrorCode.topicAuthorizationFailed.isRetriable)
        #expect(KafkaErrorCode.offsetOutOfRange.message.contains("offset"))
        #expect(KafkaErrorCode(rawValue: 9999).name == "UNKNOWN_CODE_9999")
        #expect(KafkaErrorCode.allKnown.count >= 120)
        let error = KafkaError(code: .notLeaderOrFollower, api: .produce, topic: "orders", partition: 3)
        #expect(error.description.contains("Produce orders-3"))
        #expect(error.isRetriable)
    }
}

import KafkaProtocol
import NIOCore

/// A "codec" that copies bytes unchanged, so compressed-batch paths can be exercised without the
/// compression libraries (KafkaProtocolTests does not depend on KafkaCompression).
struct IdentityCodec: KafkaCompressor, KafkaDecompressor {
    func compress(_ data: ByteBuffer, codec: CompressionCodec, level: Int?) throws -> ByteBuffer {
        ByteBuffer(bytes: Array(data.readableBytesView))
    }

    func decompress(_ data: ByteBuffer, codec: CompressionCodec, maxSize: Int) throws -> ByteBuffer {
        guard data.readableBytes <= maxSize else {
            throw KafkaProtocolError(.compression, "decompressed size \(data.readableBytes) exceeds \(maxSize)")
        }
        return data
    }
}

/// Assembles wire bytes by hand, independently of the library's encoders.
struct WireBytes {
    var testBytes: [UInt8] = []

    mutating func int8(_ v: Int8) { testBytes.append(UInt8(bitPattern: v)) }
    mutating func int16(_ v: Int16) { bigEndian(UInt64(UInt16(bitPattern: v)), 2) }
    mutating func int32(_ v: Int32) { bigEndian(UInt64(UInt32(bitPattern: v)), 4) }
    mutating func uint32(_ v: UInt32) { bigEndian(UInt64(v), 4) }
    mutating func int64(_ v: Int64) { bigEndian(UInt64(bitPattern: v), 8) }
    mutating func raw(_ v: [UInt8]) { testBytes += v }
    mutating func raw(_ s: String) { testBytes += Array(s.utf8) }

    private mutating func bigEndian(_ v: UInt64, _ width: Int) {
        for i in stride(from: width - 1, through: 0, by: -1) {
            testBytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))))
        }
    }

    /// A zig-zag varint / varlong.
    mutating func varint(_ v: Int64) {
        var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        repeat {
            let low = UInt8(z & 0x7F)
            z >>= 7
            testBytes.append(z == 0 ? low : low | 0x80)
        } while z != 0
    }

    /// Varint length then bytes; `nil` is length -1.
    mutating func varBytes(_ v: [UInt8]?) {
        guard let v else { return varint(-1) }
        varint(Int64(v.count))
        testBytes += v
    }

    /// Int32 length then bytes; `nil` is length -1.
    mutating func int32Bytes(_ v: [UInt8]?) {
        guard let v else { return int32(-1) }
        int32(Int32(v.count))
        testBytes += v
    }

    var buffer: ByteBuffer { ByteBuffer(bytes: testBytes) }
}

/// Bit-at-a-time reference CRCs (reflected), independent of the table and hardware paths.
func referenceCRC(_ bytes: [UInt8], polynomial: UInt32) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
    }
    return ~crc
}

func referenceCRC32C(_ bytes: [UInt8]) -> UInt32 { referenceCRC(bytes, polynomial: 0x82F6_3B78) }
func referenceCRC32(_ bytes: [UInt8]) -> UInt32 { referenceCRC(bytes, polynomial: 0xEDB8_8320) }

/// One hand-described v2 record.
struct HandRecord {
    var timestampDelta: Int64
    var offsetDelta: Int64
    var key: [UInt8]?
    var value: [UInt8]?
    var headers: [(String, [UInt8]?)] = []
}

/// Assembles a v2 batch byte by byte (length, CRC32C and all) from its described fields.
func handAssembledBatch(
    baseOffset: Int64, partitionLeaderEpoch: Int32 = -1, attributes: Int16 = 0, lastOffsetDelta: Int32,
    baseTimestamp: Int64, maxTimestamp: Int64, producerId: Int64 = -1, producerEpoch: Int16 = -1,
    baseSequence: Int32 = -1, recordCount: Int32? = nil, records: [HandRecord]
) -> [UInt8] {
    var body = WireBytes()  // from attributes to the end: what the CRC covers
    body.int16(attributes)
    body.int32(lastOffsetDelta)
    body.int64(baseTimestamp)
    body.int64(maxTimestamp)
    body.int64(producerId)
    body.int16(producerEpoch)
    body.int32(baseSequence)
    body.int32(recordCount ?? Int32(records.count))
    for r in records {
        var rec = WireBytes()
        rec.int8(0)
        rec.varint(r.timestampDelta)
        rec.varint(r.offsetDelta)
        rec.varBytes(r.key)
        rec.varBytes(r.value)
        rec.varint(Int64(r.headers.count))
        for (k, v) in r.headers {
            rec.varBytes(Array(k.utf8))
            rec.varBytes(v)
        }
        body.varint(Int64(rec.testBytes.count))
        body.raw(rec.testBytes)
    }
    var batch = WireBytes()
    batch.int64(baseOffset)
    batch.int32(Int32(4 + 1 + 4 + body.testBytes.count))
    batch.int32(partitionLeaderEpoch)
    batch.int8(2)
    batch.uint32(referenceCRC32C(body.testBytes))
    batch.raw(body.testBytes)
    return batch.testBytes
}

/// Assembles one legacy message (offset, size, crc, magic, attributes, [timestamp], key, value).
func legacyMessage(
    offset: Int64, magic: Int8, attributes: Int8 = 0, timestamp: Int64 = 0, key: [UInt8]?, value: [UInt8]?
) -> [UInt8] {
    var body = WireBytes()  // from magic to the end: what the CRC covers
    body.int8(magic)
    body.int8(attributes)
    if magic == 1 { body.int64(timestamp) }
    body.int32Bytes(key)
    body.int32Bytes(value)
    var message = WireBytes()
    message.int64(offset)
    message.int32(Int32(4 + body.testBytes.count))
    message.uint32(referenceCRC32(body.testBytes))
    message.raw(body.testBytes)
    return message.testBytes
}

extension ByteBuffer {
    var testBytes: [UInt8] { Array(readableBytesView) }
}

extension Optional where Wrapped == ByteBuffer {
    var testBytes: [UInt8]? { self.map { Array($0.readableBytesView) } }
}

import KafkaProtocol
import NIOCore

@testable import KafkaConsumer

let fetchTestPartition = TopicPartition(topic: "orders", partition: 3)

/// A v2 batch of `count` records at `baseOffset`, values "v<offset>", keys "k<offset>".
func makeBatch(
    baseOffset: Int64, count: Int, producerId: Int64 = -1, transactional: Bool = false, leaderEpoch: Int32 = 7,
    compression: CompressionCodec = .none, timestamp: Int64 = 1_000
) throws -> ByteBuffer {
    var builder = RecordBatchBuilder(
        baseOffset: baseOffset, partitionLeaderEpoch: leaderEpoch, producerId: producerId,
        producerEpoch: producerId >= 0 ? 0 : -1, baseSequence: producerId >= 0 ? 0 : -1,
        isTransactional: transactional)
    for i in 0..<count {
        let offset = baseOffset + Int64(i)
        try builder.append(
            key: ByteBuffer(string: "k\(offset)"), value: ByteBuffer(string: "v\(offset)"),
            timestamp: timestamp + Int64(i),
            headers: i == 0 ? [RecordHeader(key: "h", value: ByteBuffer(string: "x"))] : [])
    }
    if compression == .none { return try builder.finish() }
    return try builder.finish(compression: compression, compressor: FetchedPartition.standardCodecs)
}

/// A control batch holding one commit or abort marker.
func makeMarker(at offset: Int64, producerId: Int64, abort: Bool, leaderEpoch: Int32 = 7) throws -> ByteBuffer {
    var builder = RecordBatchBuilder(
        baseOffset: offset, partitionLeaderEpoch: leaderEpoch, producerId: producerId, producerEpoch: 0,
        isTransactional: true, isControlBatch: true)
    try builder.append(EndTransactionMarker(type: abort ? .abort : .commit, coordinatorEpoch: 1), timestamp: 5_000)
    return try builder.finish()
}

/// One legacy message (magic 0 or 1).
func makeLegacyMessage(
    offset: Int64, magic: Int8, attributes: Int8 = 0, timestamp: Int64 = 0, key: ByteBuffer?, value: ByteBuffer?
) -> ByteBuffer {
    var body = ByteBuffer()
    body.writeInteger(magic)
    body.writeInteger(attributes)
    if magic == 1 { body.writeInteger(timestamp, endianness: .big) }
    for field in [key, value] {
        if var field {
            body.writeInteger(Int32(field.readableBytes), endianness: .big)
            body.writeBuffer(&field)
        } else {
            body.writeInteger(Int32(-1), endianness: .big)
        }
    }
    var message = ByteBuffer()
    message.writeInteger(offset, endianness: .big)
    message.writeInteger(Int32(4 + body.readableBytes), endianness: .big)
    message.writeInteger(CRC32.checksum(body), endianness: .big)
    message.writeBuffer(&body)
    return message
}

func concat(_ parts: ByteBuffer...) -> ByteBuffer {
    var out = ByteBuffer()
    for var part in parts { out.writeBuffer(&part) }
    return out
}

extension ByteBuffer {
    var string: String { String(buffer: self) }
}

/// Reads every record of a fetched partition.
func readAll(_ fetched: inout FetchedPartition, chunk: Int = 500) throws -> [ConsumerRecord] {
    var all: [ConsumerRecord] = []
    while !fetched.isDrained {
        all += try fetched.nextRecords(max: chunk)
    }
    return all
}

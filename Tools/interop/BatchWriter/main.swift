import Foundation
import KafkaCompression
import KafkaProtocol
import NIOCore

// kafka-interop-batch-writer DIR — writes record batches encoded and compressed by this package,
// one file per codec (`DIR/<codec>.bin`, two batches each), and `DIR/expected.json` listing the
// records, for Tools/interop/verify-librdkafka-decodes.py to feed to librdkafka.

struct ExpectedRecord: Encodable {
    struct Header: Encodable {
        var key: String
        var value: String?
    }
    var key: String?
    var value: String?
    var headers: [Header]
}

struct Expected: Encodable {
    var description: String
    var records: [ExpectedRecord]
}

func buffer(_ s: String?) -> ByteBuffer? { s.map { ByteBuffer(string: $0) } }

let first: [ExpectedRecord] = [
    .init(key: nil, value: "null key", headers: []),
    .init(key: "", value: "empty key", headers: []),
    .init(key: "k-empty-value", value: "", headers: []),
    .init(key: "k:colon", value: "value:with:colons", headers: []),
    .init(key: "ключ", value: "значение — ünïcödé ✓", headers: []),
    .init(key: "big-4k", value: String(repeating: "swift-kafka compressible payload ", count: 124), headers: []),
    .init(key: "big-12k", value: String(repeating: "0123456789abcdef", count: 768), headers: []),
]
let second: [ExpectedRecord] = [
    .init(
        key: "with-headers", value: String(repeating: "headers ", count: 384),
        headers: [
            .init(key: "a", value: "b"), .init(key: "empty", value: ""), .init(key: "null", value: nil),
            .init(key: "a", value: "dup"),
        ]),
    .init(key: "tombstone", value: nil, headers: [.init(key: "reason", value: "deleted")]),
]

func encode(_ records: [ExpectedRecord], codec: CompressionCodec) throws -> ByteBuffer {
    var builder = RecordBatchBuilder()
    for (i, r) in records.enumerated() {
        try builder.append(
            key: buffer(r.key), value: buffer(r.value), timestamp: 1_700_000_000_000 + Int64(i),
            headers: r.headers.map { RecordHeader(key: $0.key, value: buffer($0.value)) })
    }
    if codec == .none { return try builder.finish() }
    return try builder.finish(compression: codec, compressor: KafkaCodecs())
}

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: kafka-interop-batch-writer DIR\n".utf8))
    exit(2)
}
let dir = URL(fileURLWithPath: CommandLine.arguments[1])
do {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for codec in CompressionCodec.allCases {
        var file = try encode(first, codec: codec)
        var batch2 = try encode(second, codec: codec)
        file.writeBuffer(&batch2)
        try Data(file.readableBytesView).write(to: dir.appendingPathComponent("\(codec).bin"))
    }
    let expected = Expected(description: "batches written by swift-kafka's RecordBatchBuilder", records: first + second)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(expected).write(to: dir.appendingPathComponent("expected.json"))
    print("wrote \(CompressionCodec.allCases.count) batch files to \(dir.path)")
} catch {
    FileHandle.standardError.write(Data("kafka-interop-batch-writer: \(error)\n".utf8))
    exit(1)
}

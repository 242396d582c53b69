import CCRC32C
import Foundation
import KafkaCompression
import KafkaProtocol
import NIOCore

// Release-mode benchmarks for the protocol layer: `swift run -c release KafkaBenchmarks [filter]`.
// Results and method: docs/benchmarks.md.

let filter = CommandLine.arguments.dropFirst().first
func enabled(_ name: String) -> Bool { filter.map { name.contains($0) } ?? true }

print("KafkaBenchmarks — best of 5 rounds of ≥ 0.3 s each")

if enabled("crc") {
    let block = textLikeBytes(count: 64 * 1024, seed: 1)
    let gbs = block.withUnsafeBytes { raw in
        bestRate(unitsPerCall: Double(raw.count) / 1e9) { blackHole(CRC32C.checksum(raw)) }
    }
    let portable = block.withUnsafeBytes { raw in
        bestRate(unitsPerCall: Double(raw.count) / 1e9) { blackHole(CRC32C.portableChecksum(raw)) }
    }
    print(line("crc32c 64 KiB (\(CRC32C.implementation))", gbs, "GB/s"))
    print(line("crc32c 64 KiB (portable)", portable, "GB/s"))
}

/// An uncompressed ~1 MiB batch of 100-byte records (8-byte key, 92-byte value).
func makeRecords() -> (keys: [ByteBuffer], values: [ByteBuffer]) {
    let payload = textLikeBytes(count: 1 << 20, seed: 2)
    var keys: [ByteBuffer] = []
    var values: [ByteBuffer] = []
    var i = 0
    while (keys.count + 1) * 110 < 1 << 20 {
        keys.append(ByteBuffer(bytes: Array(String(format: "k%07d", keys.count).utf8)))
        values.append(ByteBuffer(bytes: payload[(i % 900_000)..<(i % 900_000 + 92)]))
        i += 92
    }
    return (keys, values)
}

func encodeBatch(_ keys: [ByteBuffer], _ values: [ByteBuffer]) throws -> ByteBuffer {
    var builder = RecordBatchBuilder(capacity: 1 << 20 + 4096)
    for i in keys.indices {
        try builder.append(key: keys[i], value: values[i], timestamp: 1_700_000_000_000 + Int64(i))
    }
    return try builder.finish()
}

if enabled("records") {
    let (keys, values) = makeRecords()
    let batch = try encodeBatch(keys, values)
    let count = Double(keys.count)
    print("record batch: \(keys.count) records, \(batch.readableBytes) bytes")
    let decodeRate = try bestRate(unitsPerCall: count / 1e6) {
        let decoded = try RecordBatch(decoding: batch)
        var iterator = try decoded.records()
        var touched = 0
        while let record = try iterator.next() {
            touched &+= record.key?.readableBytes ?? 0
            touched &+= record.value?.readableBytes ?? 0
            touched &+= Int(record.value?.getInteger(at: record.value?.readerIndex ?? 0, as: UInt8.self) ?? 0)
        }
        blackHole(touched)
    }
    print(line("decode + iterate (touch key, value)", decodeRate, "M records/s"))
    let encodeRate = try bestRate(unitsPerCall: count / 1e6) { blackHole(try encodeBatch(keys, values)) }
    print(line("encode (incl. CRC32C)", encodeRate, "M records/s"))
}

if enabled("codec") {
    let (keys, values) = makeRecords()
    let batch = try encodeBatch(keys, values)
    guard let records = batch.getSlice(at: RecordBatch.headerSize, length: batch.readableBytes - RecordBatch.headerSize)
    else { fatalError("benchmark batch is shorter than its header") }
    let input = Array(records.readableBytesView)
    let mb = Double(input.count) / 1e6
    let codecs = KafkaCodecs()
    print("codecs on the records section of that batch (\(input.count) bytes); MB/s of uncompressed data")
    print("codec   compress: ours      C   overhead | decompress: ours      C   overhead | ratio")
    for codec in [CompressionCodec.gzip, .snappy, .lz4, .zstd] {
        let compressed = try codecs.compress(records, codec: codec, level: nil)
        let wc = try bestRate(unitsPerCall: mb) { blackHole(try codecs.compress(records, codec: codec, level: nil)) }
        let wd = try bestRate(unitsPerCall: mb) {
            blackHole(try codecs.decompress(compressed, codec: codec, maxSize: 1 << 24))
        }
        let c = CLibraryBaseline(codec: codec, input: input)
        let cc = bestRate(unitsPerCall: mb) { c.compress() }
        let cd = bestRate(unitsPerCall: mb) { c.decompress() }
        let ratio = Double(input.count) / Double(compressed.readableBytes)
        let name = codec.description.padding(toLength: 8, withPad: " ", startingAt: 0)
        print(
            name
                + String(
                    format: "%15.1f %7.1f %8.1f%% | %17.1f %7.1f %8.1f%% | %5.2f", wc, cc, (cc / wc - 1) * 100, wd, cd,
                    (cd / wd - 1) * 100, ratio))
    }
}

if enabled("accumulator") {
    let rate = try accumulatorRecordsPerSecond()
    print(line("accumulator append + drain, 100 B", rate / 1e6, "M records/s"))
}

if enabled("network") {
    try await runNetworkBenchmarks()
}

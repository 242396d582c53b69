import Foundation
import KafkaCompression
import KafkaProtocol
import NIOCore
import Testing

/// librdkafka → us: record batches produced by `kcat -z <codec>` (captured from librdkafka's mock
/// cluster by Tools/interop/capture-kcat-fixtures.py) decode to exactly the records kcat was given.
struct KcatFixtureTests {
    struct Expected: Decodable {
        struct Header: Decodable {
            var key: String
            var value: String?
        }
        struct Record: Decodable {
            var key: String?
            var value: String?
            var headers: [Header]
        }
        var records: [Record]
    }

    static func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try Data(contentsOf: url)
    }

    static func string(_ buffer: ByteBuffer?) -> String? {
        buffer.map { String(decoding: $0.readableBytesView, as: UTF8.self) }
    }

    @Test(arguments: CompressionCodec.allCases)
    func kcatBatchesDecode(_ codec: CompressionCodec) throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Self.fixture("kcat-expected.json")).records
        let bytes = ByteBuffer(bytes: try Self.fixture("kcat-\(codec).bin"))
        var reader = RecordBatchReader(bytes)
        var decoded: [Record] = []
        var batches = 0
        while let entry = try reader.next() {
            guard case .batch(let batch) = entry else {
                Issue.record("unexpected entry \(entry)")
                continue
            }
            #expect(batch.compression == codec)
            batches += 1
            var records = try batch.records(decompressor: KafkaCodecs())
            while let record = try records.next() { decoded.append(record) }
        }
        #expect(batches == 2)
        try #require(decoded.count == expected.count, "\(codec): \(decoded.count) records, expected \(expected.count)")
        for (index, (record, want)) in zip(decoded, expected).enumerated() {
            #expect(record.offset == Int64(index))
            #expect(Self.string(record.key) == want.key, "\(codec) record \(index) key")
            #expect(Self.string(record.value) == want.value, "\(codec) record \(index) value")
            let headers = try record.headers.decoded()
            #expect(headers.map(\.key) == want.headers.map(\.key), "\(codec) record \(index) header keys")
            #expect(
                headers.map { Self.string($0.value) } == want.headers.map(\.value),
                "\(codec) record \(index) header values")
        }
    }

    /// Our compressor's output for the same records decodes back to them: the reverse direction is
    /// checked against librdkafka itself by Tools/interop/run-interop.sh.
    @Test(arguments: CompressionCodec.allCases)
    func reencodedKcatRecordsRoundTrip(_ codec: CompressionCodec) throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Self.fixture("kcat-expected.json")).records
        var builder = RecordBatchBuilder()
        for (i, r) in expected.enumerated() {
            try builder.append(
                key: r.key.map { ByteBuffer(string: $0) }, value: r.value.map { ByteBuffer(string: $0) },
                timestamp: 1_700_000_000_000 + Int64(i),
                headers: r.headers.map { RecordHeader(key: $0.key, value: $0.value.map { ByteBuffer(string: $0) }) })
        }
        let batch = try builder.finish(compression: codec, compressor: KafkaCodecs())
        let decoded = try RecordBatch(decoding: batch)
        #expect(decoded.compression == codec)
        let records = try decoded.records(decompressor: KafkaCodecs()).collect()
        #expect(records.map { Self.string($0.value) } == expected.map(\.value))
    }
}

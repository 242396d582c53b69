import KafkaProtocol
import NIOCore
import Testing

/// Truncated, bit-flipped and random records buffers must decode or throw — never trap — all the
/// way down: batches, records, headers, control records and legacy wrappers.
struct RecordBatchHostileBytesTests {
    /// Decodes everything reachable from `bytes`, swallowing errors (only traps would fail).
    static func exhaust(_ bytes: ByteBuffer, verifyChecksums: Bool) {
        var reader = RecordBatchReader(bytes, verifyChecksums: verifyChecksums)
        while true {
            guard let entry = try? reader.next() else { return }
            switch entry {
            case .batch(let batch):
                _ = batch.lastOffset
                _ = batch.nextOffset
                guard var records = try? batch.records(decompressor: IdentityCodec(), maxDecompressedSize: 1 << 20)
                else {
                    continue
                }
                while let record = try? records.next() {
                    _ = try? record.headers.decoded()
                    if batch.isControlBatch {
                        _ = try? ControlRecord(record: record)
                        _ = try? EndTransactionMarker(record: record)
                    }
                }
            case .legacy(let message):
                for inner in (try? message.messages(decompressor: IdentityCodec(), verifyChecksums: verifyChecksums))
                    ?? []
                {
                    _ = inner.record
                }
            case .incomplete:
                return
            }
        }
    }

    static func seeds() throws -> [[UInt8]] {
        var builder = RecordBatchBuilder(baseOffset: 40, producerId: 1, producerEpoch: 0, baseSequence: 0)
        try builder.append(
            key: ByteBuffer(string: "key"), value: ByteBuffer(string: "value"), timestamp: 1_000,
            headers: [RecordHeader(key: "a", value: ByteBuffer(string: "1")), RecordHeader(key: "b", value: nil)])
        try builder.append(key: nil, value: nil, timestamp: 900)
        try builder.append(key: ByteBuffer(), value: ByteBuffer(repeating: 7, count: 40), timestamp: 1_200)
        let plain = try builder.finish().testBytes

        var compressed = RecordBatchBuilder(baseOffset: 43)
        try compressed.append(
            key: nil, value: ByteBuffer(string: "zipped"), timestamp: 5, headers: [RecordHeader(key: "h", value: nil)])
        let gzip = try compressed.finish(compression: .gzip, compressor: IdentityCodec()).testBytes

        var control = RecordBatchBuilder(baseOffset: 44, producerId: 1, isTransactional: true, isControlBatch: true)
        try control.append(EndTransactionMarker(type: .abort, coordinatorEpoch: 3), timestamp: 6)
        let marker = try control.finish().testBytes

        let inner =
            legacyMessage(offset: 0, magic: 1, timestamp: 1, key: [1], value: [2])
            + legacyMessage(offset: 1, magic: 1, timestamp: 2, key: nil, value: [3, 4])
        let legacyV1 = legacyMessage(offset: 46, magic: 1, attributes: 0x01, timestamp: 2, key: nil, value: inner)
        let legacyV0 =
            legacyMessage(offset: 47, magic: 0, key: [9], value: nil)
            + legacyMessage(
                offset: 48, magic: 0, attributes: 0x01, key: nil,
                value: legacyMessage(offset: 48, magic: 0, key: nil, value: [5]))
        return [plain, gzip, marker, legacyV1, legacyV0, plain + legacyV1 + gzip + marker + legacyV0]
    }

    @Test func truncationsNeverTrap() throws {
        for seed in try Self.seeds() {
            for length in 0...seed.count {
                let prefix = ByteBuffer(bytes: seed.prefix(length))
                Self.exhaust(prefix, verifyChecksums: true)
                Self.exhaust(prefix, verifyChecksums: false)
                _ = try? RecordBatch(decoding: prefix)
                _ = try? LegacyMessage(decoding: prefix)
            }
        }
    }

    /// A strict prefix of a single batch is always reported as incomplete, never as an error.
    @Test func strictPrefixesAreIncomplete() throws {
        for seed in try Self.seeds().prefix(4) {
            for length in 1..<seed.count {
                var reader = RecordBatchReader(ByteBuffer(bytes: seed.prefix(length)))
                let entries = try reader.collect()
                guard entries.count == 1, case .incomplete = entries[0] else {
                    Issue.record("prefix \(length)/\(seed.count) gave \(entries)")
                    continue
                }
            }
        }
    }

    @Test func bitFlipsNeverTrap() throws {
        var rng = SplitMix64(seed: 0x5EED_BA7C)
        for seed in try Self.seeds() {
            var bytes = seed
            for _ in 0..<1500 {
                let flips = Int(rng.next() % 3) + 1
                var positions: [(Int, UInt8)] = []
                for _ in 0..<flips {
                    let position = Int(rng.next() % UInt64(bytes.count))
                    let bit = UInt8(1) << UInt8(rng.next() % 8)
                    bytes[position] ^= bit
                    positions.append((position, bit))
                }
                let buffer = ByteBuffer(bytes: bytes)
                Self.exhaust(buffer, verifyChecksums: false)
                Self.exhaust(buffer, verifyChecksums: true)
                for (position, bit) in positions { bytes[position] ^= bit }
            }
        }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<3000 {
            let length = Int(rng.next() % 120)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            // Make a plausible size and magic more often, to get past the framing checks.
            if length >= 17 && rng.next() % 2 == 0 {
                bytes[8] = 0
                bytes[9] = 0
                bytes[10] = 0
                bytes[11] = UInt8(length - 12)
                bytes[16] = UInt8(rng.next() % 3)
            }
            Self.exhaust(ByteBuffer(bytes: bytes), verifyChecksums: false)
        }
    }
}

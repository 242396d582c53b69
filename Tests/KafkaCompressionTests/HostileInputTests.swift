import KafkaCompression
import KafkaProtocol
import NIOCore
import Testing

/// Truncated, bit-flipped and random inputs: every decompressor throws `.compression` (or, for a
/// flip that leaves the data valid, returns at most the limit) — it never traps. Seeded, so every
/// run tries the same cases.
@Suite("Hostile bytes", .timeLimit(.minutes(5)))
struct HostileInputTests {
    static let codecs = KafkaCodecs()
    static let limit = 256 * 1024
    static let plain: ByteBuffer = {
        var plain = compressibleBuffer(count: 20_000)
        plain.writeImmutableBuffer(randomBuffer(count: 1000, seed: 7))
        return plain
    }()

    /// Decompresses `input`, checking that it either throws `.compression` or stays within the limit.
    @discardableResult
    static func attempt(_ input: ByteBuffer, _ codec: CompressionCodec) -> ByteBuffer? {
        do {
            let output = try codecs.decompress(input, codec: codec, maxSize: limit)
            #expect(output.readableBytes <= limit)
            return output
        } catch {
            #expect(error.kind == .compression, "\(error)")
            return nil
        }
    }

    @Test("every truncation is rejected", arguments: compressingCodecs)
    func truncated(codec: CompressionCodec) throws {
        let compressed = try Self.codecs.compress(Self.plain, codec: codec)
        for length in 0..<compressed.readableBytes {
            let prefix = compressed.getSlice(at: compressed.readerIndex, length: length) ?? ByteBuffer()
            guard let output = Self.attempt(prefix, codec) else { continue }
            // Xerial snappy cut at a block boundary is a shorter valid stream; nothing else is.
            #expect(codec == .snappy, "\(codec) prefix of \(length) bytes decoded")
            #expect(bytes(Self.plain).starts(with: bytes(output)), "\(codec) prefix of \(length) bytes")
        }
    }

    @Test("bit flips are rejected or decode within the limit", arguments: compressingCodecs)
    func bitFlips(codec: CompressionCodec) throws {
        let compressed = try Self.codecs.compress(Self.plain, codec: codec)
        var generator = SeededGenerator(seed: 0xB17F_1195 &+ UInt64(codec.rawValue))
        for _ in 0..<2500 {
            var corrupt = compressed
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<corrupt.readableBytes, using: &generator)
                let byte = corrupt.getInteger(at: index, as: UInt8.self) ?? 0
                corrupt.setInteger(byte ^ (1 << UInt8.random(in: 0...7, using: &generator)), at: index)
            }
            Self.attempt(corrupt, codec)
        }
    }

    /// A valid start for each codec, so that random bytes get past the magic checks.
    static let validPrefixes: [CompressionCodec: String] = [
        .gzip: "1f8b0800000000000003",
        .snappy: "82534e41505059000000000100000001",
        .lz4: "04224d18604082",
        .zstd: "28b52ffd",
    ]

    @Test("random bytes, with and without a valid header, are rejected", arguments: compressingCodecs)
    func randomBytes(codec: CompressionCodec) {
        var generator = SeededGenerator(seed: 0x5EED &+ UInt64(codec.rawValue))
        let prefix = buffer(hex: Self.validPrefixes[codec] ?? "")
        for round in 0..<2000 {
            var input = round.isMultiple(of: 2) ? ByteBuffer() : prefix
            input.writeImmutableBuffer(
                randomBuffer(count: Int.random(in: 0...300, using: &generator), seed: generator.next()))
            Self.attempt(input, codec)
        }
    }

    @Test("valid blocks with corrupt lengths around them")
    func corruptFraming() throws {
        // Random int32 block lengths in an xerial stream; random block sizes in an lz4 frame.
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<1000 {
            var snappy = buffer(hex: "82534e41505059000000000100000001")
            snappy.writeInteger(UInt32.random(in: 0...UInt32.max, using: &generator))
            snappy.writeImmutableBuffer(buffer(hex: "0510" + "48656c6c6f"))
            Self.attempt(snappy, .snappy)

            var lz4 = buffer(hex: "04224d18604082")
            lz4.writeInteger(UInt32.random(in: 0...UInt32.max, using: &generator), endianness: .little)
            lz4.writeImmutableBuffer(randomBuffer(count: 64, seed: generator.next()))
            Self.attempt(lz4, .lz4)

            var zstd = buffer(hex: "28b52ffd0458")
            zstd.writeImmutableBuffer(randomBuffer(count: 3, seed: generator.next()))
            zstd.writeImmutableBuffer(randomBuffer(count: 64, seed: generator.next()))
            Self.attempt(zstd, .zstd)
        }
    }

    @Test("cached contexts recover after failures", arguments: compressingCodecs)
    func recoveryAfterFailures(codec: CompressionCodec) throws {
        let compressed = try Self.codecs.compress(Self.plain, codec: codec)
        var truncated = compressed
        truncated.moveWriterIndex(to: truncated.writerIndex - 5)
        var corrupt = compressed
        corrupt.setInteger(UInt8(0xFF), at: compressed.readableBytes / 2)
        for _ in 0..<50 {
            Self.attempt(truncated, codec)
            Self.attempt(corrupt, codec)
            #expect(try Self.codecs.decompress(compressed, codec: codec) == Self.plain)
        }
    }
}

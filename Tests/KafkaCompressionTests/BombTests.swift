import KafkaCompression
import KafkaProtocol
import NIOCore
import Testing

@Suite("Decompression bombs", .timeLimit(.minutes(5)))
struct BombTests {
    static let oneMiB = 1024 * 1024

    @Test("10 MiB of zeros is rejected with a 1 MiB limit", arguments: compressingCodecs)
    func zeros(codec: CompressionCodec) throws {
        let codecs = KafkaCodecs()
        let bomb = try codecs.compress(zeroBuffer(count: 10 * Self.oneMiB), codec: codec)
        #expect(bomb.readableBytes < Self.oneMiB / 2, "\(codec): \(bomb.readableBytes) bytes")
        let error = expectCompressionError { try codecs.decompress(bomb, codec: codec, maxSize: Self.oneMiB) }
        #expect(error?.message.contains("\(codec)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("1048576") == true, "\(String(describing: error))")
        // The instance-wide cap applies to both entry points, whatever the per-call limit.
        let capped = KafkaCodecs(maxDecompressedSize: Self.oneMiB)
        expectCompressionError { try capped.decompress(bomb, codec: codec) }
        expectCompressionError { try capped.decompress(bomb, codec: codec, maxSize: Int.max) }
        // Within the limit it decodes.
        #expect(try codecs.decompress(bomb, codec: codec).readableBytes == 10 * Self.oneMiB)
    }

    @Test("a zero or negative limit accepts only empty output", arguments: compressingCodecs)
    func zeroLimit(codec: CompressionCodec) throws {
        let codecs = KafkaCodecs()
        let empty = try codecs.compress(ByteBuffer(), codec: codec)
        #expect(try codecs.decompress(empty, codec: codec, maxSize: 0).readableBytes == 0)
        #expect(try codecs.decompress(empty, codec: codec, maxSize: -1).readableBytes == 0)
        let one = try codecs.compress(ByteBuffer(bytes: [1]), codec: codec)
        expectCompressionError { try codecs.decompress(one, codec: codec, maxSize: 0) }
        expectCompressionError { try codecs.decompress(one, codec: codec, maxSize: -5) }
    }

    /// A raw snappy block at the format's maximum ratio: one literal byte, then copies of 64 bytes
    /// at offset 1 (3 bytes each), declaring and producing `size` bytes of "a".
    static func maximalSnappyBlock(size: Int) -> ByteBuffer {
        var block = ByteBuffer()
        var length = size
        while length >= 0x80 {
            block.writeInteger(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        block.writeInteger(UInt8(length))
        block.writeBytes([0x00, UInt8(ascii: "a")])  // literal of 1
        var remaining = size - 1
        while remaining > 0 {
            let copy = min(64, remaining)
            block.writeBytes([UInt8((copy - 1) << 2 | 0x02), 0x01, 0x00])  // copy, 2-byte offset 1
            remaining -= copy
        }
        return block
    }

    @Test("raw snappy blocks: bombs and lies about the length are rejected before allocating")
    func snappyRaw() throws {
        let codecs = KafkaCodecs()
        let block = Self.maximalSnappyBlock(size: 2 * Self.oneMiB)
        #expect(
            try codecs.decompress(block, codec: .snappy)
                == ByteBuffer(repeating: UInt8(ascii: "a"), count: 2 * Self.oneMiB))
        expectCompressionError { try codecs.decompress(block, codec: .snappy, maxSize: Self.oneMiB) }
        // 200 MiB claimed by 8 bytes: within the limit, but beyond what snappy can encode in 8 bytes.
        let lie = buffer(hex: "8080806410" + "48656c6c6f")
        let error = expectCompressionError { try codecs.decompress(lie, codec: .snappy) }
        #expect(error?.message.contains("claims") == true, "\(String(describing: error))")
        // Beyond the limit.
        expectCompressionError { try codecs.decompress(lie, codec: .snappy, maxSize: 1000) }
    }

    @Test("xerial blocks adding up past the limit are rejected before decoding")
    func snappyXerialTotal() throws {
        var stream = buffer(hex: "82534e41505059000000000100000001")
        let block = Self.maximalSnappyBlock(size: 30_000)
        for _ in 0..<40 {
            stream.writeInteger(Int32(block.readableBytes))
            stream.writeImmutableBuffer(block)
        }
        let codecs = KafkaCodecs()
        #expect(try codecs.decompress(stream, codec: .snappy).readableBytes == 1_200_000)
        expectCompressionError { try codecs.decompress(stream, codec: .snappy, maxSize: 1_199_999) }
    }

    @Test("lying size fields only guide allocation; the data decides")
    func lyingSizes() throws {
        let codecs = KafkaCodecs()
        // gzip: ISIZE claims 4 GiB - 16.
        var gzip = buffer(hex: Vectors.gzipPython)
        gzip.setInteger(UInt32(0xFFFF_FFF0), at: gzip.writerIndex - 4, endianness: .little)
        expectCompressionError { try codecs.decompress(gzip, codec: .gzip) }
        // zstd: a single-segment frame claiming 255 bytes instead of 112.
        var zstd = buffer(hex: Vectors.zstdFile)
        zstd.setInteger(UInt8(0xFF), at: 5)
        expectCompressionError { try codecs.decompress(zstd, codec: .zstd) }
        // lz4: content size claiming 2^62 bytes.
        var lz4 = buffer(hex: Vectors.lz4ContentSize)
        lz4.setInteger(UInt64(1) << 62, at: 6, endianness: .little)
        expectCompressionError { try codecs.decompress(lz4, codec: .lz4) }
    }

    @Test("the output buffer is sized by the data, not by the limit")
    func allocationFollowsData() throws {
        let codecs = KafkaCodecs(maxDecompressedSize: 1 << 30)
        for (codec, hex) in [
            (CompressionCodec.gzip, Vectors.gzipPython), (.zstd, Vectors.zstdStreamed), (.lz4, Vectors.lz4CLI),
        ] {
            let output = try codecs.decompress(buffer(hex: hex), codec: codec)
            #expect(output == hello)
            // At most one block's bound (zstd: 128 KiB for a compressed block), far below the limit.
            #expect(output.capacity <= 128 * 1024, "\(codec): capacity \(output.capacity)")
        }
    }

    @Test("outputs larger than the size hint grow to fit")
    func growth() throws {
        let codecs = KafkaCodecs()
        // gzip: the ISIZE trailer of the last member says 10 bytes; the first member holds 1 MiB.
        let big = compressibleBuffer(count: Self.oneMiB)
        var members = try codecs.compress(big, codec: .gzip)
        members.writeImmutableBuffer(try codecs.compress(ByteBuffer(string: "0123456789"), codec: .gzip))
        var expected = big
        expected.writeString("0123456789")
        #expect(try codecs.decompress(members, codec: .gzip) == expected)
    }
}

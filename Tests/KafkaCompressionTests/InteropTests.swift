import KafkaCompression
import KafkaProtocol
import NIOCore
import Testing

@Suite("Known-answer interop", .timeLimit(.minutes(5)))
struct InteropTests {
    static let codecs = KafkaCodecs()

    static let pattern7 = ByteBuffer(bytes: (0..<150_000).map { UInt8($0 % 7) })
    static let pattern251 = ByteBuffer(bytes: (0..<400_000).map { UInt8($0 % 251) })

    // MARK: gzip

    @Test("gzip from Python's gzip module and the gzip tool")
    func gzipVectors() throws {
        #expect(try Self.codecs.decompress(buffer(hex: Vectors.gzipPython), codec: .gzip) == hello)
        #expect(try Self.codecs.decompress(buffer(hex: Vectors.gzipCLI), codec: .gzip) == hello)
    }

    @Test("gzip concatenated members decode as one stream")
    func gzipMembers() throws {
        let restored = try Self.codecs.decompress(buffer(hex: Vectors.gzipTwoMembers), codec: .gzip)
        #expect(restored == ByteBuffer(string: "first member\nsecond member\n"))
    }

    @Test("gzip output is a gzip member")
    func gzipOutput() throws {
        let compressed = try Self.codecs.compress(hello, codec: .gzip)
        #expect(Array(bytes(compressed).prefix(3)) == [0x1F, 0x8B, 0x08])
        // The trailer's ISIZE is the input size.
        let size = compressed.getInteger(at: compressed.writerIndex - 4, endianness: .little, as: UInt32.self)
        #expect(size == UInt32(hello.readableBytes))
    }

    @Test("gzip with trailing garbage or a zlib wrapper is rejected")
    func gzipStrict() {
        var trailing = buffer(hex: Vectors.gzipPython)
        trailing.writeBytes([0x00, 0x01, 0x02])
        expectCompressionError { try Self.codecs.decompress(trailing, codec: .gzip) }
        // zlib (RFC 1950) of "hello": not gzip.
        expectCompressionError { try Self.codecs.decompress(buffer(hex: "789ccb48cdc9c90700062c0215"), codec: .gzip) }
    }

    // MARK: snappy

    /// A raw snappy block: length 5, literal "Hello".
    static let rawHello = "0510" + "48656c6c6f"
    /// A raw snappy block: length 12, literal "abc", copy of 9 bytes at offset 3.
    static let rawABC = "0c08" + "616263" + "1503"

    @Test("raw snappy blocks (librdkafka, old clients) decode")
    func snappyRaw() throws {
        #expect(try Self.codecs.decompress(buffer(hex: Self.rawHello), codec: .snappy) == ByteBuffer(string: "Hello"))
        #expect(
            try Self.codecs.decompress(buffer(hex: Self.rawABC), codec: .snappy) == ByteBuffer(string: "abcabcabcabc"))
        // The empty block.
        #expect(try Self.codecs.decompress(buffer(hex: "00"), codec: .snappy).readableBytes == 0)
    }

    static let xerialHeader = "82534e415050590000000001" + "00000001"

    @Test("xerial-framed snappy built by hand decodes")
    func snappyXerial() throws {
        let stream = Self.xerialHeader + "00000007" + Self.rawHello + "00000007" + Self.rawABC
        let restored = try Self.codecs.decompress(buffer(hex: stream), codec: .snappy)
        #expect(restored == ByteBuffer(string: "Helloabcabcabcabc"))
        // Concatenated streams (a header where a block length would be), and an empty block.
        let concatenated = stream + "00000000" + Self.xerialHeader + "00000007" + Self.rawHello
        #expect(
            try Self.codecs.decompress(buffer(hex: concatenated), codec: .snappy)
                == ByteBuffer(string: "HelloabcabcabcabcHello"))
        // A header alone is an empty stream.
        #expect(try Self.codecs.decompress(buffer(hex: Self.xerialHeader), codec: .snappy).readableBytes == 0)
    }

    @Test("xerial framing errors are rejected")
    func snappyXerialErrors() {
        for stream in [
            Self.xerialHeader + "00000008" + Self.rawHello,  // block length beyond the input
            Self.xerialHeader + "000000",  // truncated block length
            Self.xerialHeader + "ffffffff" + Self.rawHello,  // negative block length
            Self.xerialHeader + "00000007" + "0610" + "48656c6c6f",  // block claims 6 bytes, has 5
            "82534e4150505900000000",  // truncated header
        ] {
            expectCompressionError(Comment(rawValue: stream)) {
                try Self.codecs.decompress(buffer(hex: stream), codec: .snappy)
            }
        }
    }

    @Test("snappy output is xerial-framed in 32 KiB blocks, as Java's SnappyOutputStream writes")
    func snappyOutput() throws {
        let input = compressibleBuffer(count: 100 * 1024)
        var compressed = try Self.codecs.compress(input, codec: .snappy)
        #expect(compressed.readBytes(length: 16) == bytes(buffer(hex: Self.xerialHeader)))
        // Each block is an int32 length and a raw snappy block of 32 KiB (the last one of the rest).
        var blockSizes: [Int] = []
        var restored = ByteBuffer()
        while compressed.readableBytes > 0 {
            let length = compressed.readInteger(endianness: .big, as: Int32.self)
            let block = try #require(length.flatMap { compressed.readSlice(length: Int($0)) })
            var decoded = try Self.codecs.decompress(block, codec: .snappy)  // raw: no magic
            blockSizes.append(decoded.readableBytes)
            restored.writeBuffer(&decoded)
        }
        #expect(blockSizes == [32768, 32768, 32768, 4096])
        #expect(restored == input)
        // Empty input: the header alone.
        #expect(bytes(try Self.codecs.compress(ByteBuffer(), codec: .snappy)) == bytes(buffer(hex: Self.xerialHeader)))
    }

    // MARK: lz4

    @Test("lz4 frames from the lz4 tool decode (checksums, content size, block sizes, linked blocks)")
    func lz4Vectors() throws {
        #expect(try Self.codecs.decompress(buffer(hex: Vectors.lz4CLI), codec: .lz4) == hello)
        #expect(try Self.codecs.decompress(buffer(hex: Vectors.lz4ContentSize), codec: .lz4) == hello)
        #expect(try Self.codecs.decompress(buffer(hex: Vectors.lz4Pattern), codec: .lz4) == Self.pattern7)
        #expect(try Self.codecs.decompress(buffer(hex: Vectors.lz4PatternLinked), codec: .lz4) == Self.pattern7)
        // Concatenated frames.
        var twoFrames = buffer(hex: Vectors.lz4CLI)
        twoFrames.writeImmutableBuffer(buffer(hex: Vectors.lz4ContentSize))
        var twice = hello
        twice.writeImmutableBuffer(hello)
        #expect(try Self.codecs.decompress(twoFrames, codec: .lz4) == twice)
    }

    @Test("lz4 output is the frame layout the Java client writes")
    func lz4Output() throws {
        let compressed = try Self.codecs.compress(hello, codec: .lz4)
        // Magic; FLG 0x60 (version 1, independent blocks, no checksums, no content size);
        // BD 0x40 (64 KiB blocks); header checksum 0x82.
        #expect(Array(bytes(compressed).prefix(7)) == [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82])
        // Ends with the end mark.
        #expect(Array(bytes(compressed).suffix(4)) == [0, 0, 0, 0])
    }

    @Test("lz4 frames with the header checksum of Kafka before 0.10 decode; other bad checksums do not")
    func lz4LegacyChecksum() throws {
        var compressed = try Self.codecs.compress(compressibleBuffer(count: 200_000), codec: .lz4)
        // XXH32 over magic + FLG + BD (the old Kafka bug) instead of FLG + BD: 0x1A for 60 40.
        compressed.setInteger(UInt8(0x1A), at: 6)
        #expect(try Self.codecs.decompress(compressed, codec: .lz4) == compressibleBuffer(count: 200_000))
        compressed.setInteger(UInt8(0x1B), at: 6)
        expectCompressionError { try Self.codecs.decompress(compressed, codec: .lz4) }
    }

    // MARK: zstd

    @Test("zstd frames from the zstd tool decode (with and without content size, multi-block)")
    func zstdVectors() throws {
        #expect(try Self.codecs.decompress(buffer(hex: Vectors.zstdStreamed), codec: .zstd) == hello)
        #expect(try Self.codecs.decompress(buffer(hex: Vectors.zstdFile), codec: .zstd) == hello)
        #expect(try Self.codecs.decompress(buffer(hex: Vectors.zstdStreamedPattern), codec: .zstd) == Self.pattern251)
        // Concatenated frames, with a skippable frame between them.
        var frames = buffer(hex: Vectors.zstdStreamed)
        frames.writeImmutableBuffer(buffer(hex: "502a4d18" + "03000000" + "010203"))
        frames.writeImmutableBuffer(buffer(hex: Vectors.zstdFile))
        var twice = hello
        twice.writeImmutableBuffer(hello)
        #expect(try Self.codecs.decompress(frames, codec: .zstd) == twice)
    }

    @Test("zstd output is a zstd frame")
    func zstdOutput() throws {
        let compressed = try Self.codecs.compress(hello, codec: .zstd)
        #expect(Array(bytes(compressed).prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
    }

    // MARK: all

    @Test("data of one codec is rejected by the others")
    func wrongCodec() throws {
        let input = compressibleBuffer(count: 5000)
        for codec in compressingCodecs {
            let compressed = try Self.codecs.compress(input, codec: codec)
            for other in compressingCodecs where other != codec {
                expectCompressionError("\(codec) read as \(other)") {
                    try Self.codecs.decompress(compressed, codec: other)
                }
            }
        }
    }

    @Test("trailing garbage after the last frame is rejected")
    func trailingGarbage() throws {
        for (codec, hex) in [
            (CompressionCodec.gzip, Vectors.gzipPython), (.lz4, Vectors.lz4CLI), (.zstd, Vectors.zstdStreamedPattern),
            (.zstd, Vectors.zstdFile),
        ] {
            for garbage: [UInt8] in [[0x00], [0x01, 0x02, 0x03], Array(repeating: 0xAB, count: 20)] {
                var input = buffer(hex: hex)
                input.writeBytes(garbage)
                expectCompressionError("\(codec) + \(garbage.count) bytes") {
                    try Self.codecs.decompress(input, codec: codec)
                }
            }
        }
    }

    @Test("empty input is rejected by every decompressor")
    func emptyInput() {
        for codec in compressingCodecs {
            expectCompressionError("\(codec)") { try Self.codecs.decompress(ByteBuffer(), codec: codec) }
        }
    }
}

import KafkaCompression
import KafkaProtocol
import NIOCore
import Testing

@Suite("Round trips", .timeLimit(.minutes(5)))
struct RoundTripTests {
    static let codecs = KafkaCodecs()

    /// Every codec at its default and a spread of its levels.
    static let codecLevels: [(CompressionCodec, Int?)] = [
        (.gzip, nil), (.gzip, 0), (.gzip, 1), (.gzip, 9), (.gzip, -1),
        (.snappy, nil),
        (.lz4, nil), (.lz4, -5), (.lz4, 1), (.lz4, 9), (.lz4, 17),
        (.zstd, nil), (.zstd, -5), (.zstd, 1), (.zstd, 19),
    ]

    static let inputs: [(String, ByteBuffer)] = [
        ("empty", ByteBuffer()),
        ("1 byte", ByteBuffer(bytes: [0x2A])),
        ("100 KiB compressible", compressibleBuffer(count: 100 * 1024)),
        ("1 MiB random", randomBuffer(count: 1024 * 1024, seed: 1)),
    ]

    @Test("compress then decompress restores the input", arguments: codecLevels)
    func roundTrip(codec: CompressionCodec, level: Int?) throws {
        for (name, input) in Self.inputs {
            let compressed = try Self.codecs.compress(input, codec: codec, level: level)
            // The exact size is within the limit...
            let restored = try Self.codecs.decompress(compressed, codec: codec, maxSize: input.readableBytes)
            #expect(restored == input, "\(codec) level \(level.map(String.init) ?? "default"), \(name)")
            // ...one byte less is not.
            if input.readableBytes > 0 {
                expectCompressionError("\(codec) \(name)") {
                    try Self.codecs.decompress(compressed, codec: codec, maxSize: input.readableBytes - 1)
                }
            }
        }
    }

    @Test("compressible input shrinks", arguments: compressingCodecs)
    func compressibleShrinks(codec: CompressionCodec) throws {
        let input = compressibleBuffer(count: 100 * 1024)
        let compressed = try Self.codecs.compress(input, codec: codec)
        #expect(compressed.readableBytes < input.readableBytes / 3, "\(codec): \(compressed.readableBytes) bytes")
    }

    @Test("a buffer with a non-zero reader index round-trips")
    func slicedInput() throws {
        var input = compressibleBuffer(count: 10_000)
        input.moveReaderIndex(forwardBy: 123)
        for codec in compressingCodecs {
            var compressed = ByteBuffer(string: "prefix")
            compressed.writeImmutableBuffer(try Self.codecs.compress(input, codec: codec))
            compressed.moveReaderIndex(forwardBy: 6)
            #expect(try Self.codecs.decompress(compressed, codec: codec) == input, "\(codec)")
        }
    }

    @Test("multi-block inputs whose size is not a multiple of the block size")
    func oddSizes() throws {
        for size in [32 * 1024 - 1, 32 * 1024, 32 * 1024 + 1, 64 * 1024 + 7, 300_001] {
            let input = compressibleBuffer(count: size)
            for codec in compressingCodecs {
                let compressed = try Self.codecs.compress(input, codec: codec)
                #expect(try Self.codecs.decompress(compressed, codec: codec) == input, "\(codec) \(size)")
            }
        }
    }

    @Test("none passes data through")
    func none() throws {
        let input = compressibleBuffer(count: 1000)
        #expect(try Self.codecs.compress(input, codec: .none) == input)
        #expect(try Self.codecs.decompress(input, codec: .none, maxSize: 10) == input)
    }

    @Test("levels outside a codec's range are rejected")
    func invalidLevels() throws {
        for (codec, level) in [(CompressionCodec.gzip, 10), (.gzip, -2), (.lz4, 18), (.zstd, 23), (.zstd, Int.min)] {
            expectCompressionError("\(codec) level \(level)") {
                try Self.codecs.compress(hello, codec: codec, level: level)
            }
        }
        #expect(KafkaCodecs.levels(for: .gzip) == -1...9)
        #expect(KafkaCodecs.levels(for: .zstd)?.contains(22) == true)
        #expect(KafkaCodecs.levels(for: .lz4)?.contains(17) == true)
        #expect(KafkaCodecs.levels(for: .snappy) == nil)
        // Snappy has no levels: any level is ignored.
        let snappy = try Self.codecs.compress(hello, codec: .snappy)
        #expect(try Self.codecs.compress(hello, codec: .snappy, level: 99) == snappy)
    }

    @Test("concurrent use from many tasks")
    func concurrent() async throws {
        let input = compressibleBuffer(count: 200_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    let codec = compressingCodecs[task % compressingCodecs.count]
                    for _ in 0..<8 {
                        let compressed = try Self.codecs.compress(input, codec: codec)
                        let restored = try Self.codecs.decompress(compressed, codec: codec)
                        #expect(restored == input)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

import KafkaProtocol
import NIOCore
import Testing

struct CRC32CTests {
    static func crc32c(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { CRC32C.checksum($0) } }
    static func portable(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { CRC32C.portableChecksum($0) } }

    @Test func knownVectors() {
        let vectors: [([UInt8], UInt32)] = [
            (Array("123456789".utf8), 0xE306_9283),
            ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),  // RFC 3720 B.4
            ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
            (Array(0..<32), 0x46DD_794E),
            (Array((0..<32).reversed()), 0x113F_DB5C),
            ([], 0),
        ]
        for (bytes, expected) in vectors {
            #expect(Self.crc32c(bytes) == expected)
            #expect(Self.portable(bytes) == expected)
            #expect(referenceCRC32C(bytes) == expected)
            #expect(CRC32C.checksum(ByteBuffer(bytes: bytes)) == expected)
        }
    }

    @Test func crc32IEEEKnownVectors() {
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        #expect(CRC32.checksum(ByteBuffer(string: "The quick brown fox jumps over the lazy dog")) == 0x414F_A339)
        #expect(CRC32.checksum(ByteBuffer()) == 0)
    }

    @Test func activeImplementationMatchesTheCPU() {
        #if arch(arm64) && canImport(Darwin)
            #expect(CRC32C.implementation == .armv8)
        #elseif arch(x86_64)
            // Every x86-64 CPU this runs on in practice has SSE4.2.
            #expect(CRC32C.implementation == .sse42)
        #endif
    }

    /// The hardware path (three interleaved streams above 768 bytes) agrees with the portable
    /// tables and the bitwise reference for many lengths and alignments.
    @Test func hardwareAndPortableAgree() {
        var rng = SplitMix64(seed: 0xC3C3_2C2C)
        let storage = (0..<(3 * 8192 * 3 + 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var lengths = Array(0...1100)
        lengths += [2047, 2048, 4096, 8191, 8192, 24575, 24576, 24577, 3 * 8192 + 768, 49152, 65536, 73000]
        storage.withUnsafeBytes { all in
            for length in lengths {
                for alignment in [0, 1, 3, 7] where alignment + length <= all.count {
                    let slice = UnsafeRawBufferPointer(rebasing: all[alignment..<(alignment + length)])
                    #expect(
                        CRC32C.checksum(slice) == CRC32C.portableChecksum(slice),
                        "length \(length) alignment \(alignment)")
                }
            }
        }
        for length in [0, 1, 7, 8, 9, 100, 767, 768, 769, 2000] {
            let bytes = Array(storage[5..<(5 + length)])
            #expect(Self.crc32c(bytes) == referenceCRC32C(bytes))
            #expect(bytes.withUnsafeBytes { CRC32.checksum($0) } == referenceCRC32(bytes))
        }
    }

    @Test func checksumsChain() {
        var rng = SplitMix64(seed: 42)
        let bytes = (0..<30000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let whole = Self.crc32c(bytes)
        for split in [0, 1, 13, 768, 9999, 29999, 30000] {
            let first = Self.crc32c(Array(bytes[..<split]))
            let chained = Array(bytes[split...]).withUnsafeBytes { CRC32C.checksum($0, continuing: first) }
            #expect(chained == whole)
            let portableFirst = Self.portable(Array(bytes[..<split]))
            #expect(
                Array(bytes[split...]).withUnsafeBytes { CRC32C.portableChecksum($0, continuing: portableFirst) }
                    == whole)
            let ieeeFirst = Array(bytes[..<split]).withUnsafeBytes { CRC32.checksum($0) }
            #expect(
                Array(bytes[split...]).withUnsafeBytes { CRC32.checksum($0, continuing: ieeeFirst) }
                    == referenceCRC32(bytes))
        }
    }

    @Test func byteBufferUsesReadableBytesOnly() {
        var buffer = ByteBuffer(bytes: [9, 9, 9] + Array("123456789".utf8))
        buffer.moveReaderIndex(forwardBy: 3)
        #expect(CRC32C.checksum(buffer) == 0xE306_9283)
        #expect(CRC32.checksum(buffer) == 0xCBF4_3926)
    }
}

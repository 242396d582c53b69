import Foundation
import KafkaProtocol
import NIOCore
import Testing

/// Truncated, bit-flipped and random bytes fed to every generated decoder at every version must
/// produce a thrown `KafkaProtocolError` (or, for flips that stay valid, a value) — never a trap.
struct HostileMessageBytesTests {
    static var allTypes: [any KafkaMessage.Type] {
        ConformanceTests.messageTypes.keys.sorted().compactMap { ConformanceTests.messageTypes[$0] }
    }

    /// Valid encodings to mutate: the kio vectors when present, else each version's default message.
    static func seeds<T: KafkaMessage>(_: T.Type) throws -> [(Int16, ByteBuffer)] {
        var seeds: [(Int16, ByteBuffer)] = []
        for version in T.validVersions {
            seeds.append((version, try T().encoded(version: version)))
        }
        if let url = ConformanceTests.vectorURLs.first(where: {
            $0.deletingPathExtension().lastPathComponent == T.messageName
        }) {
            let file = try JSONDecoder().decode(ConformanceTests.VectorFile.self, from: Data(contentsOf: url))
            for v in file.vectors {
                if let b = ByteBuffer(hex: v.hex) { seeds.append((v.version, b)) }
            }
        }
        return seeds
    }

    @Test(arguments: 0..<allTypes.count)
    func hostileBytesNeverTrap(_ index: Int) throws {
        try Self.exercise(Self.allTypes[index])
    }

    static func exercise<T: KafkaMessage>(_ type: T.Type) throws {
        var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: T.messageName.hashValueStable))
        for (version, bytes) in try seeds(type) {
            let n = bytes.readableBytes
            // Every strict prefix is incomplete, so decoding it must throw.
            let step = max(1, n / 150)
            for length in stride(from: 0, to: n, by: step) {
                let prefix = bytes.getSlice(at: bytes.readerIndex, length: length) ?? ByteBuffer()
                #expect(throws: KafkaProtocolError.self, "\(T.messageName) v\(version) prefix \(length)/\(n)") {
                    _ = try T.decode(from: prefix, version: version)
                }
            }
            // Bit flips: decode or throw, never trap; a successful decode must re-encode.
            var bytesArray = Array(bytes.readableBytesView)
            for _ in 0..<(n == 0 ? 0 : 60) {
                let position = Int(rng.next() % UInt64(n))
                let bit = UInt8(1) << UInt8(rng.next() % 8)
                bytesArray[position] ^= bit
                if let message = try? T.decode(from: ByteBuffer(bytes: bytesArray), version: version) {
                    _ = try? message.encoded(version: version)
                }
                bytesArray[position] ^= bit
            }
            // Random garbage of random lengths.
            for _ in 0..<20 {
                let length = Int(rng.next() % 64)
                let garbage = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                _ = try? T.decode(from: ByteBuffer(bytes: garbage), version: version)
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) so hostile-input tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension String {
    /// A hash that is the same in every run (Swift's `hashValue` is randomly seeded).
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 {
            h = (h ^ UInt64(b)) &* 0x100_0000_01b3
        }
        return h
    }
}

/// The 32-bit MurmurHash2 variant the Java Kafka client uses to partition keyed records.
///
/// This reproduces `org.apache.kafka.common.utils.Utils.murmur2` bit for bit: seed `0x9747b28c`, multiplier
/// `0x5bd1e995`, shift 24, the input read as little-endian 4-byte blocks, then the 1–3 byte tail and the final
/// avalanche. All arithmetic wraps, as Java's `int` does, so every input (including empty and very long keys)
/// produces a value and nothing traps. Records keyed with the same bytes therefore land on the same partition
/// whether they were produced by this client or by the Java client.
public enum Murmur2 {
    private static let seed: UInt32 = 0x9747_b28c
    private static let multiplier: UInt32 = 0x5bd1_e995
    private static let shift: UInt32 = 24

    /// Hashes `bytes` exactly as Java's `Utils.murmur2(byte[])`.
    ///
    /// - Parameter bytes: The serialized key.
    /// - Returns: The hash as Java's signed 32-bit `int` (it is often negative).
    public static func hash<Bytes: Collection>(_ bytes: Bytes) -> Int32 where Bytes.Element == UInt8 {
        if let hash = bytes.withContiguousStorageIfAvailable({ hash(buffer: $0) }) {
            return hash
        }
        return Array(bytes).withUnsafeBufferPointer { hash(buffer: $0) }
    }

    /// Java's `Utils.toPositive`: clears the sign bit (`value & 0x7fffffff`).
    ///
    /// Unlike `abs`, this is total: `Int32.min` maps to `0` rather than trapping.
    package static func toPositive(_ value: Int32) -> Int32 {
        value & 0x7fff_ffff
    }

    /// The partition the Java client's default partitioner picks for a record with this key:
    /// `toPositive(murmur2(key)) % partitionCount`, over all of the topic's partitions.
    ///
    /// - Parameters:
    ///   - key: The serialized key.
    ///   - partitionCount: The number of partitions of the topic; must be positive. A non-positive count has no
    ///     valid answer and yields `0` (the producer rejects such topics before hashing).
    /// - Returns: A partition in `0..<partitionCount`.
    public static func partition<Bytes: Collection>(forKey key: Bytes, partitionCount: Int) -> Int
    where Bytes.Element == UInt8 {
        guard partitionCount > 0 else { return 0 }
        return Int(toPositive(hash(key))) % partitionCount
    }

    private static func hash(buffer: UnsafeBufferPointer<UInt8>) -> Int32 {
        let length = buffer.count
        // Java: `int h = seed ^ length` — the length is an int, so only its low 32 bits take part.
        var h = seed ^ UInt32(truncatingIfNeeded: length)
        let blockCount = length / 4
        var index = 0
        for _ in 0..<blockCount {
            var k =
                UInt32(buffer[index])
                | UInt32(buffer[index + 1]) << 8
                | UInt32(buffer[index + 2]) << 16
                | UInt32(buffer[index + 3]) << 24
            k = k &* multiplier
            k ^= k >> shift
            k = k &* multiplier
            h = h &* multiplier
            h ^= k
            index += 4
        }
        // The tail: Java's switch with fall-through over `length % 4`.
        let tail = length - index
        if tail >= 3 { h ^= UInt32(buffer[index + 2]) << 16 }
        if tail >= 2 { h ^= UInt32(buffer[index + 1]) << 8 }
        if tail >= 1 {
            h ^= UInt32(buffer[index])
            h = h &* multiplier
        }
        // Final mix (Java's `>>>` is a logical shift, which is what `>>` on UInt32 does).
        h ^= h >> 13
        h = h &* multiplier
        h ^= h >> 15
        return Int32(bitPattern: h)
    }
}

/// A 128-bit Kafka UUID (topic ids, directory ids, …), stored as two big-endian halves.
public struct KafkaUUID: Sendable, Hashable, CustomStringConvertible {
    /// The most significant 64 bits.
    public var high: UInt64
    /// The least significant 64 bits.
    public var low: UInt64

    /// Creates a UUID from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero UUID, which Kafka uses for "no id".
    public static let zero = KafkaUUID(high: 0, low: 0)

    /// The canonical 8-4-4-4-12 hexadecimal form.
    public var description: String {
        let hex = Self.hex(high, 16) + Self.hex(low, 16)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-"
            + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    private static func hex(_ v: UInt64, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}

import Foundation
package import KafkaProtocol

/// A topic id as Kafka prints it (`Uuid.toString`): URL-safe base64 of the 16 bytes, without padding.
package enum TopicID {
    /// `id` in Kafka's form.
    package static func format(_ id: KafkaUUID) -> String {
        var bytes: [UInt8] = []
        for half in [id.high, id.low] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: half >> shift)) }
        }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A topic id in Kafka's form (or the 8-4-4-4-12 hexadecimal form); nil when it is neither.
    package static func parse(_ text: String) -> KafkaUUID? {
        var bytes: [UInt8]
        let hex = text.replacingOccurrences(of: "-", with: "")
        if hex.count == 32, hex.allSatisfy(\.isHexDigit) {
            bytes = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
                bytes.append(byte)
                index = next
            }
        } else {
            let base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "=="
            guard text.count == 22, let data = Data(base64Encoded: base64), data.count == 16 else { return nil }
            bytes = Array(data)
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for byte in bytes[0..<8] { high = high << 8 | UInt64(byte) }
        for byte in bytes[8..<16] { low = low << 8 | UInt64(byte) }
        return KafkaUUID(high: high, low: low)
    }
}

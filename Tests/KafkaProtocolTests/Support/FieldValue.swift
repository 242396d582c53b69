import KafkaProtocol
import NIOCore

/// A JSON-like view of a decoded message, used to compare our decoding with the field values an
/// independent codec (kio) recorded next to its bytes.
indirect enum FieldValue: Equatable, Decodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([FieldValue])
    case object([String: FieldValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([FieldValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: FieldValue].self))
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[" + a.map(\.description).joined(separator: ",") + "]"
        case .object(let o):
            "{" + o.keys.sorted().map { "\($0):\(o[$0]?.description ?? "?")" }.joined(separator: ",") + "}"
        }
    }

    static func of(_ v: Int8) -> FieldValue { .int(Int64(v)) }
    static func of(_ v: Int16) -> FieldValue { .int(Int64(v)) }
    static func of(_ v: UInt16) -> FieldValue { .int(Int64(v)) }
    static func of(_ v: Int32) -> FieldValue { .int(Int64(v)) }
    static func of(_ v: UInt32) -> FieldValue { .int(Int64(v)) }
    static func of(_ v: Int64) -> FieldValue { .int(v) }
    static func of(_ v: Double) -> FieldValue { .double(v) }
    static func of(_ v: Bool) -> FieldValue { .bool(v) }
    static func of(_ v: String) -> FieldValue { .string(v) }
    static func of(_ v: KafkaUUID) -> FieldValue { .string(v.description) }
    static func of(_ v: ByteBuffer) -> FieldValue { .string(v.readableBytesView.hexString) }

    /// The first difference between `self` and `other`, as a path and both values; nil when equal.
    /// Integers recorded as doubles compare by value.
    func firstDifference(from other: FieldValue, path: String = "") -> String? {
        switch (self, other) {
        case (.object(let a), .object(let b)):
            for key in Set(a.keys).union(b.keys).sorted() {
                guard let x = a[key], let y = b[key] else {
                    return
                        "\(path).\(key): present on one side only (ours: \(a[key]?.description ?? "absent"), theirs: \(b[key]?.description ?? "absent"))"
                }
                if let d = x.firstDifference(from: y, path: "\(path).\(key)") { return d }
            }
            return nil
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return "\(path): \(a.count) elements vs \(b.count)" }
            for (i, (x, y)) in zip(a, b).enumerated() {
                if let d = x.firstDifference(from: y, path: "\(path)[\(i)]") { return d }
            }
            return nil
        case (.double(let a), .int(let b)), (.int(let b), .double(let a)):
            return a == Double(b) ? nil : "\(path): \(a) vs \(b)"
        default:
            return self == other ? nil : "\(path): ours \(self) vs theirs \(other)"
        }
    }
}

/// A generated structure that can list its fields present at a version.
protocol FieldValueConvertible {
    func fieldValues(version: Int16) -> FieldValue
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

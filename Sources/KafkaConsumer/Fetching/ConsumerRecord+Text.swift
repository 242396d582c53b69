import NIOCore

extension ConsumerRecord {
    /// The key as UTF-8 text (invalid sequences replaced), `nil` for a null key.
    public var keyString: String? { key.map { String(decoding: $0.readableBytesView, as: UTF8.self) } }

    /// The value as UTF-8 text (invalid sequences replaced), `nil` for a null value (a tombstone).
    public var valueString: String? { value.map { String(decoding: $0.readableBytesView, as: UTF8.self) } }

    /// The key's bytes, `nil` for a null key.
    public var keyBytes: [UInt8]? { key.map { Array($0.readableBytesView) } }

    /// The value's bytes, `nil` for a null value (a tombstone).
    public var valueBytes: [UInt8]? { value.map { Array($0.readableBytesView) } }
}

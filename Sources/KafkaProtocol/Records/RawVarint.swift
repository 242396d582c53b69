// Varint reading and writing on raw memory, for the per-record hot paths. Readers check every byte
// index against `limit` (which callers keep ≤ the buffer's count) and throw on overrun; writers
// assume the caller reserved room (see `RawVarint.size`).

@usableFromInline
enum RawVarint {
    /// Reads an unsigned LEB128 varint of at most 32 bits from `bytes[index..<limit]`.
    @inlinable @inline(__always)
    static func readUnsigned32(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, _ limit: Int) throws -> UInt32 {
        guard index < limit else { throw RawVarint.truncated() }
        let first = bytes[index]
        if first < 0x80 {
            index &+= 1
            return UInt32(first)
        }
        if index &+ 1 < limit {
            let second = bytes[index &+ 1]
            if second < 0x80 {
                index &+= 2
                return UInt32(first & 0x7F) | UInt32(second) << 7
            }
        }
        return try readUnsigned32Slow(bytes, &index, limit)
    }

    @inlinable
    static func readUnsigned32Slow(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, _ limit: Int) throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard index < limit else { throw RawVarint.truncated() }
            let byte = bytes[index]
            index &+= 1
            if shift == 28 && byte > 0x0F { throw RawVarint.tooLong() }
            result |= UInt32(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift &+= 7
        }
    }

    /// Reads an unsigned LEB128 varint of at most 64 bits from `bytes[index..<limit]`.
    @inlinable @inline(__always)
    static func readUnsigned64(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, _ limit: Int) throws -> UInt64 {
        guard index < limit else { throw RawVarint.truncated() }
        let first = bytes[index]
        if first < 0x80 {
            index &+= 1
            return UInt64(first)
        }
        if index &+ 1 < limit {
            let second = bytes[index &+ 1]
            if second < 0x80 {
                index &+= 2
                return UInt64(first & 0x7F) | UInt64(second) << 7
            }
        }
        return try readUnsigned64Slow(bytes, &index, limit)
    }

    @inlinable
    static func readUnsigned64Slow(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, _ limit: Int) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < limit else { throw RawVarint.truncated() }
            let byte = bytes[index]
            index &+= 1
            if shift == 63 && byte > 0x01 { throw RawVarint.tooLong() }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift &+= 7
        }
    }

    /// Reads a zig-zag signed varint (32 bits).
    @inlinable @inline(__always)
    static func readSigned32(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, _ limit: Int) throws -> Int32 {
        let raw = try readUnsigned32(bytes, &index, limit)
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads a zig-zag signed varlong (64 bits).
    @inlinable @inline(__always)
    static func readSigned64(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, _ limit: Int) throws -> Int64 {
        let raw = try readUnsigned64(bytes, &index, limit)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// The zig-zag encoding of a signed 32-bit value.
    @inlinable @inline(__always)
    static func zigZag(_ value: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    /// The zig-zag encoding of a signed 64-bit value.
    @inlinable @inline(__always)
    static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// The number of bytes the unsigned varint encoding of `value` takes (1 to 10).
    @inlinable @inline(__always)
    static func size(_ value: UInt64) -> Int {
        let bits = 64 &- (value | 1).leadingZeroBitCount
        return (bits &+ 6) / 7
    }

    /// Writes the unsigned varint encoding of `value` at `bytes[index]`, advancing `index`.
    @inlinable @inline(__always)
    static func write(_ value: UInt64, _ bytes: UnsafeMutableRawBufferPointer, _ index: inout Int) {
        var v = value
        while v >= 0x80 {
            bytes[index] = UInt8(truncatingIfNeeded: v) | 0x80
            index &+= 1
            v >>= 7
        }
        bytes[index] = UInt8(truncatingIfNeeded: v)
        index &+= 1
    }

    @usableFromInline @inline(never)
    static func truncated() -> KafkaProtocolError {
        KafkaProtocolError(.truncated, "not enough bytes for varint")
    }

    @usableFromInline @inline(never)
    static func tooLong() -> KafkaProtocolError {
        KafkaProtocolError(.invalidLength, "varint exceeds its maximum width")
    }
}

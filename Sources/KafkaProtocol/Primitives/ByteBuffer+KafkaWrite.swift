public import NIOCore

// Writing Kafka primitive types.
extension ByteBuffer {
    /// Writes a big-endian `int8`.
    @inlinable public mutating func writeKafkaInt8(_ v: Int8) { writeInteger(v) }
    /// Writes a big-endian `int16`.
    @inlinable public mutating func writeKafkaInt16(_ v: Int16) { writeInteger(v, endianness: .big) }
    /// Writes a big-endian `int32`.
    @inlinable public mutating func writeKafkaInt32(_ v: Int32) { writeInteger(v, endianness: .big) }
    /// Writes a big-endian `int64`.
    @inlinable public mutating func writeKafkaInt64(_ v: Int64) { writeInteger(v, endianness: .big) }
    /// Writes a big-endian `uint16`.
    @inlinable public mutating func writeKafkaUInt16(_ v: UInt16) { writeInteger(v, endianness: .big) }
    /// Writes a big-endian `uint32`.
    @inlinable public mutating func writeKafkaUInt32(_ v: UInt32) { writeInteger(v, endianness: .big) }
    /// Writes a `float64`.
    @inlinable public mutating func writeKafkaFloat64(_ v: Double) { writeInteger(v.bitPattern, endianness: .big) }
    /// Writes a `bool`.
    @inlinable public mutating func writeKafkaBool(_ v: Bool) { writeInteger(UInt8(v ? 1 : 0)) }

    /// Writes a `uuid`.
    @inlinable
    public mutating func writeKafkaUUID(_ v: KafkaUUID) {
        writeInteger(v.high, endianness: .big)
        writeInteger(v.low, endianness: .big)
    }

    /// Writes an unsigned LEB128 varint.
    @inlinable
    package mutating func writeUnsignedVarint(_ value: UInt32) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(truncatingIfNeeded: v))
    }

    /// Writes an unsigned LEB128 varlong.
    @inlinable
    package mutating func writeUnsignedVarlong(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(truncatingIfNeeded: v))
    }

    /// Writes a zig-zag encoded varint.
    @inlinable
    package mutating func writeVarint(_ value: Int32) {
        writeUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    /// Writes a zig-zag encoded varlong.
    @inlinable
    package mutating func writeVarlong(_ value: Int64) {
        writeUnsignedVarlong(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Writes a length prefix (see ``readKafkaNullableBytes(compact:)`` for the forms).
    @inlinable
    mutating func writeKafkaLength(_ length: Int?, compact: Bool, legacyInt16: Bool) throws {
        guard let length else {
            if compact {
                writeInteger(UInt8(0))
            } else if legacyInt16 {
                writeInteger(Int16(-1), endianness: .big)
            } else {
                writeInteger(Int32(-1), endianness: .big)
            }
            return
        }
        if compact {
            guard length < Int(UInt32.max) else {
                throw KafkaProtocolError(.invalidLength, "length \(length) too large for a compact length")
            }
            writeUnsignedVarint(UInt32(length + 1))
        } else if legacyInt16 {
            guard length <= Int(Int16.max) else {
                throw KafkaProtocolError(.invalidLength, "string of \(length) bytes exceeds the int16 limit")
            }
            writeInteger(Int16(length), endianness: .big)
        } else {
            guard length <= Int(Int32.max) else {
                throw KafkaProtocolError(.invalidLength, "length \(length) exceeds the int32 limit")
            }
            writeInteger(Int32(length), endianness: .big)
        }
    }

    /// Writes a nullable string.
    @inlinable
    public mutating func writeKafkaString(_ value: String?, compact: Bool) throws {
        guard let value else {
            try writeKafkaLength(nil, compact: compact, legacyInt16: true)
            return
        }
        try writeKafkaLength(value.utf8.count, compact: compact, legacyInt16: true)
        writeString(value)
    }

    /// Writes nullable bytes.
    @inlinable
    public mutating func writeKafkaBytes(_ value: ByteBuffer?, compact: Bool) throws {
        guard let value else {
            try writeKafkaLength(nil, compact: compact, legacyInt16: false)
            return
        }
        try writeKafkaLength(value.readableBytes, compact: compact, legacyInt16: false)
        writeImmutableBuffer(value)
    }

    /// Writes an array length prefix; `nil` writes a null array.
    @inlinable
    public mutating func writeKafkaArrayCount(_ count: Int?, compact: Bool) throws {
        try writeKafkaLength(count, compact: compact, legacyInt16: false)
    }

    /// Writes one tagged field: its tag, its size and the bytes `body` writes.
    @inlinable
    public mutating func writeKafkaTaggedField(tag: UInt32, _ body: (inout ByteBuffer) throws -> Void) throws {
        var field = ByteBuffer()
        try body(&field)
        writeUnsignedVarint(tag)
        writeUnsignedVarint(UInt32(field.readableBytes))
        writeImmutableBuffer(field)
    }
}

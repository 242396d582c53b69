public import NIOCore

// Reading Kafka primitive types. Every read is bounds-checked and throws `KafkaProtocolError`;
// nothing here can trap on hostile input.
extension ByteBuffer {
    @inlinable
    mutating func readKafkaInteger<T: FixedWidthInteger>(_: T.Type, _ what: StaticString) throws -> T {
        guard let value = self.readInteger(endianness: .big, as: T.self) else {
            throw KafkaProtocolError.truncated(what)
        }
        return value
    }

    /// Reads a big-endian `int8`.
    @inlinable public mutating func readKafkaInt8() throws -> Int8 { try readKafkaInteger(Int8.self, "int8") }
    /// Reads a big-endian `int16`.
    @inlinable public mutating func readKafkaInt16() throws -> Int16 { try readKafkaInteger(Int16.self, "int16") }
    /// Reads a big-endian `int32`.
    @inlinable public mutating func readKafkaInt32() throws -> Int32 { try readKafkaInteger(Int32.self, "int32") }
    /// Reads a big-endian `int64`.
    @inlinable public mutating func readKafkaInt64() throws -> Int64 { try readKafkaInteger(Int64.self, "int64") }
    /// Reads a big-endian `uint16`.
    @inlinable public mutating func readKafkaUInt16() throws -> UInt16 { try readKafkaInteger(UInt16.self, "uint16") }
    /// Reads a big-endian `uint32`.
    @inlinable public mutating func readKafkaUInt32() throws -> UInt32 { try readKafkaInteger(UInt32.self, "uint32") }

    /// Reads a `float64` (IEEE 754, big-endian).
    @inlinable
    public mutating func readKafkaFloat64() throws -> Double {
        Double(bitPattern: try readKafkaInteger(UInt64.self, "float64"))
    }

    /// Reads a `bool` (one byte, non-zero is true).
    @inlinable
    public mutating func readKafkaBool() throws -> Bool {
        try readKafkaInteger(UInt8.self, "bool") != 0
    }

    /// Reads a 16-byte `uuid`.
    @inlinable
    public mutating func readKafkaUUID() throws -> KafkaUUID {
        let high = try readKafkaInteger(UInt64.self, "uuid")
        let low = try readKafkaInteger(UInt64.self, "uuid")
        return KafkaUUID(high: high, low: low)
    }

    /// Reads an unsigned LEB128 varint of at most 32 bits.
    @inlinable
    package mutating func readUnsignedVarint() throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard let byte = self.readInteger(as: UInt8.self) else {
                throw KafkaProtocolError.truncated("unsigned varint")
            }
            if shift == 28 && byte > 0x0F {
                throw KafkaProtocolError(.invalidLength, "unsigned varint exceeds 32 bits")
            }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads an unsigned LEB128 varint of at most 64 bits.
    @inlinable
    package mutating func readUnsignedVarlong() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = self.readInteger(as: UInt8.self) else {
                throw KafkaProtocolError.truncated("unsigned varlong")
            }
            if shift == 63 && byte > 0x01 {
                throw KafkaProtocolError(.invalidLength, "unsigned varlong exceeds 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads a zig-zag encoded signed varint (32 bits).
    @inlinable
    package mutating func readVarint() throws -> Int32 {
        let raw = try readUnsignedVarint()
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads a zig-zag encoded signed varlong (64 bits).
    @inlinable
    package mutating func readVarlong() throws -> Int64 {
        let raw = try readUnsignedVarlong()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads the length prefix of a string, bytes or array: `nil` means null.
    ///
    /// Legacy lengths are `int16` (strings) or `int32` (bytes, arrays) with -1 for null; compact
    /// lengths are an unsigned varint holding length + 1, with 0 for null.
    @inlinable
    mutating func readKafkaLength(compact: Bool, legacyInt16: Bool, _ what: StaticString) throws -> Int? {
        let length: Int
        if compact {
            length = Int(try readUnsignedVarint()) - 1
        } else if legacyInt16 {
            length = Int(try readKafkaInteger(Int16.self, what))
        } else {
            length = Int(try readKafkaInteger(Int32.self, what))
        }
        if length < 0 {
            guard length == -1 else {
                throw KafkaProtocolError(.invalidLength, "negative length \(length) for \(what)")
            }
            return nil
        }
        return length
    }

    @inlinable
    mutating func readKafkaStringBody(length: Int) throws -> String {
        guard length <= self.readableBytes, let s = self.readString(length: length) else {
            throw KafkaProtocolError(
                .truncated, "string of \(length) bytes exceeds the \(self.readableBytes) remaining")
        }
        return s
    }

    /// Reads a nullable string (`STRING`/`NULLABLE_STRING` or their compact forms).
    @inlinable
    public mutating func readKafkaNullableString(compact: Bool) throws -> String? {
        guard let length = try readKafkaLength(compact: compact, legacyInt16: true, "string") else { return nil }
        return try readKafkaStringBody(length: length)
    }

    /// Reads a non-nullable string. A null (which some peers, librdkafka's mock cluster among them,
    /// send where the schema forbids it) reads as the empty string, the schema default.
    @inlinable
    public mutating func readKafkaString(compact: Bool) throws -> String {
        guard let length = try readKafkaLength(compact: compact, legacyInt16: true, "string") else { return "" }
        return try readKafkaStringBody(length: length)
    }

    /// Reads nullable bytes as a zero-copy slice of this buffer.
    @inlinable
    public mutating func readKafkaNullableBytes(compact: Bool) throws -> ByteBuffer? {
        guard let length = try readKafkaLength(compact: compact, legacyInt16: false, "bytes") else { return nil }
        guard length <= self.readableBytes, let slice = self.readSlice(length: length) else {
            throw KafkaProtocolError(.truncated, "bytes of \(length) exceed the \(self.readableBytes) remaining")
        }
        return slice
    }

    /// Reads non-nullable bytes as a zero-copy slice of this buffer; a null reads as empty bytes.
    @inlinable
    public mutating func readKafkaBytes(compact: Bool) throws -> ByteBuffer {
        try readKafkaNullableBytes(compact: compact) ?? ByteBuffer()
    }

    /// Reads an array length prefix; `nil` means a null array.
    ///
    /// Every element takes at least one byte, so a count larger than the bytes left is rejected
    /// before anything is allocated.
    @inlinable
    public mutating func readKafkaArrayCount(compact: Bool) throws -> Int? {
        guard let count = try readKafkaLength(compact: compact, legacyInt16: false, "array length") else { return nil }
        guard count <= self.readableBytes else {
            throw KafkaProtocolError(
                .invalidLength, "array of \(count) elements exceeds the \(self.readableBytes) bytes remaining")
        }
        return count
    }

    /// Reads a non-nullable array length prefix; a null array reads as empty.
    @inlinable
    public mutating func readKafkaNonNullArrayCount(compact: Bool) throws -> Int {
        try readKafkaArrayCount(compact: compact) ?? 0
    }

    /// Reads one tagged field's header and returns its tag and a zero-copy slice of its data.
    @inlinable
    public mutating func readKafkaTaggedField() throws -> (tag: UInt32, data: ByteBuffer) {
        let tag = try readUnsignedVarint()
        let size = Int(try readUnsignedVarint())
        guard size <= self.readableBytes, let data = self.readSlice(length: size) else {
            throw KafkaProtocolError(
                .truncated, "tagged field \(tag) of \(size) bytes exceeds the \(self.readableBytes) remaining")
        }
        return (tag, data)
    }

    /// Reads the int8 presence marker of a nullable struct: `false` means null.
    @inlinable
    public mutating func readKafkaStructPresence() throws -> Bool {
        try readKafkaInteger(Int8.self, "struct presence") >= 0
    }
}

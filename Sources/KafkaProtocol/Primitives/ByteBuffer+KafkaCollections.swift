public import NIOCore

// Arrays, tagged-field sections and null checks used by the generated code.
extension ByteBuffer {
    /// Reads a non-nullable array, decoding each element with `element`; errors name the element.
    @inlinable
    public mutating func readKafkaArray<T>(
        compact: Bool, _ field: StaticString, _ element: (inout ByteBuffer) throws -> T
    ) throws -> [T] {
        let count = try readKafkaNonNullArrayCount(compact: compact)
        return try readKafkaElements(count: count, field, element)
    }

    /// Reads a nullable array; `nil` for a null array.
    @inlinable
    public mutating func readKafkaNullableArray<T>(
        compact: Bool, _ field: StaticString, _ element: (inout ByteBuffer) throws -> T
    ) throws -> [T]? {
        guard let count = try readKafkaArrayCount(compact: compact) else { return nil }
        return try readKafkaElements(count: count, field, element)
    }

    @inlinable
    mutating func readKafkaElements<T>(
        count: Int, _ field: StaticString, _ element: (inout ByteBuffer) throws -> T
    ) throws -> [T] {
        var result: [T] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            do {
                result.append(try element(&self))
            } catch let error as KafkaProtocolError {
                throw error.within("\(field)[\(index)]")
            }
        }
        return result
    }

    /// Writes an array (or a null array for `nil`), encoding each element with `element`.
    @inlinable
    public mutating func writeKafkaArray<T>(
        _ array: [T]?, compact: Bool, _ element: (inout ByteBuffer, T) throws -> Void
    ) throws {
        guard let array else {
            try writeKafkaArrayCount(nil, compact: compact)
            return
        }
        try writeKafkaArrayCount(array.count, compact: compact)
        for e in array { try element(&self, e) }
    }

    /// Reads the number of tagged fields of a flexible structure.
    @inlinable
    public mutating func readKafkaTaggedFieldCount() throws -> Int {
        let count = Int(try readUnsignedVarint())
        // Each tagged field takes at least two bytes (tag and size).
        guard count <= self.readableBytes / 2 else {
            throw KafkaProtocolError(
                .invalidLength, "\(count) tagged fields exceed the \(self.readableBytes) bytes remaining")
        }
        return count
    }

    /// Writes the unknown tagged fields from `index` whose tag is below `limit` (all of them when
    /// `limit` is nil), so that they interleave with known fields in ascending tag order.
    @inlinable
    package mutating func writeUnknownTaggedFields(
        _ fields: [UnknownTaggedField], index: inout Int, below limit: UInt32?
    ) {
        while index < fields.count {
            let field = fields[index]
            if let limit, field.tag >= limit { return }
            writeUnsignedVarint(field.tag)
            writeUnsignedVarint(UInt32(truncatingIfNeeded: field.data.readableBytes))
            writeImmutableBuffer(field.data)
            index += 1
        }
    }
}

/// Returns `value`, or throws when it is `nil` at a version where the field is not nullable.
@inlinable
func requireNonNull<T>(_ value: T?, _ field: StaticString, version: Int16) throws -> T {
    guard let value else {
        throw KafkaProtocolError(.invalidValue, "field \(field) must not be null at version \(version)")
    }
    return value
}

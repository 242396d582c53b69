/// A failure to encode or decode Kafka wire data.
///
/// Every byte the client decodes comes from the network, so malformed input is reported as this
/// error — never a trap. The ``context`` names where decoding failed, outermost first: the API and
/// version, then the structure path, topic and partition when they are known.
public struct KafkaProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The input ended before the value was complete.
        case truncated
        /// A length, count or varint is negative where it may not be, or too large.
        case invalidLength
        /// A value is present but not valid (bad UTF-8, bad magic byte, null where not allowed, …).
        case invalidValue
        /// A checksum (CRC32C for record batches, CRC32 for legacy messages) does not match.
        case checksumMismatch
        /// A field cannot be written at the requested version.
        case unsupportedVersion
        /// Decompression failed or the decompressed size exceeded its limit.
        case compression
    }

    /// What went wrong.
    public var kind: Kind
    /// A human-readable detail.
    public var message: String
    /// Where it went wrong, outermost first (for example `["Fetch v12", "responses[0] topic=orders", "partitions[3] partition=3"]`).
    public var context: [String]

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, context: [String] = []) {
        self.kind = kind
        self.message = message
        self.context = context
    }

    /// Returns this error with `frame` prepended to its context.
    public func within(_ frame: String) -> KafkaProtocolError {
        var copy = self
        copy.context.insert(frame, at: 0)
        return copy
    }

    public var description: String {
        context.isEmpty ? "\(kind): \(message)" : "\(context.joined(separator: " > ")): \(kind): \(message)"
    }
}

extension KafkaProtocolError {
    @usableFromInline
    static func truncated(_ what: StaticString) -> KafkaProtocolError {
        KafkaProtocolError(.truncated, "not enough bytes for \(what)")
    }
}

/// Adds a context frame to any ``KafkaProtocolError`` thrown by `body`.
@inlinable
func withKafkaContext<T>(_ frame: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as KafkaProtocolError {
        throw error.within(frame())
    }
}

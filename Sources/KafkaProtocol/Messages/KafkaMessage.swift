public import NIOCore

/// A Kafka protocol structure that encodes and decodes itself at any of its versions.
///
/// Conforming types are generated from the official message schemas by `kafka-protocol-generator`.
public protocol KafkaMessage: Sendable, Hashable {
    /// The schema name, for example `MetadataRequest`.
    static var messageName: String { get }
    /// Every version this package can encode and decode.
    static var validVersions: ClosedRange<Int16> { get }
    /// The first version that uses the flexible (compact, tagged-field) encoding, if any.
    static var firstFlexibleVersion: Int16? { get }

    /// Creates the message with every field at its schema default.
    init()
    /// Decodes the message body at `version`.
    init(from buffer: inout ByteBuffer, version: Int16) throws
    /// Encodes the message body at `version`.
    func encode(into buffer: inout ByteBuffer, version: Int16) throws
}

extension KafkaMessage {
    /// Whether `version` uses the flexible encoding.
    @inlinable
    public static func isFlexible(_ version: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return version >= first
    }

    /// Decodes a message and checks that `version` is valid and that no bytes are left over.
    public static func decode(from bytes: ByteBuffer, version: Int16) throws -> Self {
        guard validVersions.contains(version) else {
            throw KafkaProtocolError(
                .unsupportedVersion, "\(messageName) has no version \(version) (valid \(validVersions))")
        }
        var buffer = bytes
        let message = try Self(from: &buffer, version: version)
        guard buffer.readableBytes == 0 else {
            throw KafkaProtocolError(
                .invalidLength, "\(buffer.readableBytes) unexpected trailing bytes",
                context: ["\(messageName) v\(version)"])
        }
        return message
    }

    /// Encodes the message at `version` into a new buffer.
    public func encoded(version: Int16) throws -> ByteBuffer {
        guard Self.validVersions.contains(version) else {
            throw KafkaProtocolError(
                .unsupportedVersion, "\(Self.messageName) has no version \(version) (valid \(Self.validVersions))")
        }
        var buffer = ByteBuffer()
        try encode(into: &buffer, version: version)
        return buffer
    }
}

/// A request message: it knows its API key and the type of its response.
public protocol KafkaRequest: KafkaMessage {
    /// The response type for this request.
    associatedtype Response: KafkaResponse
    /// The API key of this request.
    static var apiKey: KafkaAPIKey { get }
    /// About how many bytes the request's body takes encoded (0 when unknown), so that the frame it is written into
    /// is allocated once, not grown by doubling; a hint only, never a limit.
    var encodedSizeHint: Int { get }
    /// Encodes the body as `encode(into:version:)` does, but may hand large byte fields to `splicer` instead of
    /// copying them into `buffer` (see ``KafkaFrame/encodeRequestSpliced(_:version:correlationID:clientID:into:)``).
    /// Returns `false`, having written nothing, when the request is to be encoded whole (the default).
    func encode(into buffer: inout ByteBuffer, version: Int16, splicing splicer: inout RequestSplicer) throws -> Bool
}

extension KafkaRequest {
    /// Unknown: small requests grow their frame from a small start.
    public var encodedSizeHint: Int { 0 }
}

/// A response message.
public protocol KafkaResponse: KafkaMessage {
    /// The API key of the request this answers.
    static var apiKey: KafkaAPIKey { get }
}

extension KafkaRequest {
    /// The request header version to use with this request at `version`: 2 for flexible versions,
    /// 1 otherwise (0 only for ControlledShutdown v0, which is not client-facing).
    @inlinable
    public static func requestHeaderVersion(for version: Int16) -> Int16 {
        isFlexible(version) ? 2 : 1
    }

    /// The response header version to expect for this request at `version`: 1 for flexible
    /// versions, 0 otherwise — and always 0 for ApiVersions, so that a client can read the answer
    /// of a broker that does not support the requested version.
    @inlinable
    public static func responseHeaderVersion(for version: Int16) -> Int16 {
        if apiKey == .apiVersions { return 0 }
        return isFlexible(version) ? 1 : 0
    }
}

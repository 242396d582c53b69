public import NIOCore

/// The compression codec of a record batch (attribute bits 0–2) or legacy message.
public enum CompressionCodec: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Uncompressed (`compression.type=none`).
    case none = 0
    /// gzip (RFC 1952).
    case gzip = 1
    /// Snappy, in the Xerial framing the Java client writes.
    case snappy = 2
    /// LZ4, in the LZ4 frame format.
    case lz4 = 3
    /// Zstandard (brokers 2.1 and later).
    case zstd = 4

    /// The name used by `compression.type` (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    public var description: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }

    /// Parses a `compression.type` name.
    public init?(name: String) {
        guard let codec = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = codec
    }
}

/// Decompresses record batch payloads. `KafkaCompression.KafkaCodecs` is the standard implementation;
/// the protocol lets `KafkaProtocol` stay free of C library dependencies.
public protocol KafkaDecompressor: Sendable {
    /// Decompresses `data` compressed with `codec`.
    ///
    /// - Throws: ``KafkaProtocolError`` of kind `.compression` when the data is malformed or would
    ///   decompress to more than `maxSize` bytes (decompression bombs are bounded, never an
    ///   out-of-memory).
    func decompress(_ data: ByteBuffer, codec: CompressionCodec, maxSize: Int) throws -> ByteBuffer
}

/// Compresses record batch payloads.
public protocol KafkaCompressor: Sendable {
    /// Compresses `data` with `codec` at `level` (`nil` is the codec's default level), in the framing
    /// Kafka expects (gzip members, xerial-framed snappy, LZ4 frames, zstd frames).
    func compress(_ data: ByteBuffer, codec: CompressionCodec, level: Int?) throws -> ByteBuffer
}

public import KafkaProtocol
public import NIOCore

/// The standard ``/KafkaProtocol/KafkaDecompressor`` and ``/KafkaProtocol/KafkaCompressor``: gzip,
/// snappy, LZ4 and zstd through the system C libraries (zlib, libsnappy, liblz4, libzstd).
///
/// Compression writes what the Java client writes, so that every broker and client reads it:
///
/// | Codec  | Output | Levels (`nil` = default) |
/// |--------|--------|--------------------------|
/// | gzip   | one gzip member (deflate, 32 KiB window) | 0...9 (or -1), default zlib's 6 |
/// | snappy | xerial framing: `\x82SNAPPY\0`, version 1, compatible version 1, then 32 KiB blocks each as `int32` length + raw snappy block | ignored |
/// | lz4    | one LZ4 frame: independent 64 KiB blocks, no checksums, no content size | -65537...17 (above 12 acts as 12), default 0 (fast) |
/// | zstd   | one zstd frame with its content size | `ZSTD_minCLevel()...ZSTD_maxCLevel()`, default 3 |
///
/// Decompression is lenient in what it reads: concatenated gzip members; xerial-framed snappy or
/// one raw snappy block (librdkafka, old clients), told apart by the magic; concatenated LZ4 and
/// zstd frames, with or without content sizes; LZ4 frames with the wrong header checksum Kafka
/// before 0.10 wrote.
///
/// Decompression is bounded: it never produces — or allocates room for — more than the limit
/// (see ``decompress(_:codec:maxSize:)``), whatever sizes the input claims, and malformed input
/// throws ``/KafkaProtocol/KafkaProtocolError`` of kind `.compression`, never traps. Output is
/// decoded straight into the returned buffer's storage, allocated once when the input's frame
/// headers bound its size and grown geometrically otherwise.
///
/// The value is cheap to copy and safe to share between tasks and threads.
public struct KafkaCodecs: KafkaDecompressor, KafkaCompressor, Sendable {
    /// The default cap on one decompressed payload: 256 MiB.
    public static let defaultMaxDecompressedSize = 256 * 1024 * 1024

    /// The largest output any decompression produces, whatever the limits say: a record batch's
    /// length is an `int32`.
    public static let maximumSupportedSize = Int(Int32.max)

    /// The cap on every decompression by this value, on top of each call's `maxSize`.
    public var maxDecompressedSize: Int

    /// Creates the codecs.
    ///
    /// - Parameter maxDecompressedSize: The most bytes one decompression may produce (capped at
    ///   ``maximumSupportedSize``); defaults to ``defaultMaxDecompressedSize``.
    public init(maxDecompressedSize: Int = KafkaCodecs.defaultMaxDecompressedSize) {
        self.maxDecompressedSize = maxDecompressedSize
    }

    /// Decompresses `data` compressed with `codec`.
    ///
    /// - Parameters:
    ///   - data: The compressed bytes (its readable bytes).
    ///   - codec: The codec; `.none` returns `data` unchanged.
    ///   - maxSize: The most bytes the output may hold. The effective limit is the smaller of this,
    ///     ``maxDecompressedSize`` and ``maximumSupportedSize``.
    /// - Returns: The decompressed bytes.
    /// - Throws: ``/KafkaProtocol/KafkaProtocolError`` of kind `.compression` when `data` is
    ///   malformed or truncated, or would decompress to more than the limit.
    public func decompress(
        _ data: ByteBuffer, codec: CompressionCodec, maxSize: Int
    ) throws(KafkaProtocolError) -> ByteBuffer {
        let limit = max(0, min(maxSize, maxDecompressedSize, Self.maximumSupportedSize))
        switch codec {
        case .none: return data
        case .gzip: return try GzipCodec.decompress(data, limit: limit)
        case .snappy: return try SnappyCodec.decompress(data, limit: limit)
        case .lz4: return try LZ4Codec.decompress(data, limit: limit)
        case .zstd: return try ZstdCodec.decompress(data, limit: limit)
        }
    }

    /// Decompresses `data` compressed with `codec`, up to ``maxDecompressedSize`` bytes.
    ///
    /// - Throws: ``/KafkaProtocol/KafkaProtocolError`` of kind `.compression` when `data` is
    ///   malformed or truncated, or would decompress to more than ``maxDecompressedSize`` bytes.
    public func decompress(_ data: ByteBuffer, codec: CompressionCodec) throws(KafkaProtocolError) -> ByteBuffer {
        try decompress(data, codec: codec, maxSize: maxDecompressedSize)
    }

    /// Compresses `data` with `codec` in the framing Kafka clients expect (see ``KafkaCodecs``).
    ///
    /// - Parameters:
    ///   - data: The bytes to compress (its readable bytes).
    ///   - codec: The codec; `.none` returns `data` unchanged.
    ///   - level: The compression level, `nil` for the codec's default; see ``levels(for:)``.
    ///     Snappy has no levels and ignores it.
    /// - Throws: ``/KafkaProtocol/KafkaProtocolError`` of kind `.compression` for a level outside
    ///   the codec's range, input over ``maximumSupportedSize`` bytes, or if the C library fails.
    public func compress(
        _ data: ByteBuffer, codec: CompressionCodec, level: Int? = nil
    ) throws(KafkaProtocolError) -> ByteBuffer {
        guard data.readableBytes <= Self.maximumSupportedSize else {
            throw KafkaProtocolError(
                .compression, "cannot compress \(data.readableBytes) bytes: more than a record batch can hold")
        }
        switch codec {
        case .none: return data
        case .gzip: return try GzipCodec.compress(data, level: level)
        case .snappy: return try SnappyCodec.compress(data)
        case .lz4: return try LZ4Codec.compress(data, level: level)
        case .zstd: return try ZstdCodec.compress(data, level: level)
        }
    }

    /// The compression levels `codec` accepts, or `nil` when it has none (`.none`, `.snappy`).
    public static func levels(for codec: CompressionCodec) -> ClosedRange<Int>? {
        switch codec {
        case .none, .snappy: nil
        case .gzip: GzipCodec.levels
        case .lz4: LZ4Codec.levels
        case .zstd: ZstdCodec.levels
        }
    }
}

import CZstd
import KafkaProtocol
import NIOCore

/// Zstandard through libzstd: `ZSTD_compress2` frames (with the content size) for compression.
///
/// Frames from streaming writers (the Java client's zstd-jni, librdkafka) need not declare their
/// content size, so decompression first bounds the output from the frame and block headers; when
/// that bound is below the limit it decodes in one shot (`ZSTD_decompressDCtx`) into a buffer of
/// that size, otherwise it streams (`ZSTD_decompressStream`) into a buffer bounded by the limit.
enum ZstdCodec {
    /// zstd's default level, and Kafka's.
    static let defaultLevel = 3

    /// libzstd's levels (`ZSTD_minCLevel()...ZSTD_maxCLevel()`; 0 means the default).
    static var levels: ClosedRange<Int> { Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel()) }

    /// Contexts are cached: creating one and its work buffers costs more than decoding a small batch.
    /// A context that grew beyond 16 MiB (a frame with a huge window) is freed instead.
    private static let compressionContexts = ContextPool(
        capacity: 8, maximumRetainedBytes: 16 << 20,
        create: { ZSTD_createCCtx() }, destroy: { _ = ZSTD_freeCCtx($0) }, memoryUsage: { ZSTD_sizeof_CCtx($0) }
    )
    private static let decompressionContexts = ContextPool(
        capacity: 8, maximumRetainedBytes: 16 << 20,
        create: { ZSTD_createDCtx() }, destroy: { _ = ZSTD_freeDCtx($0) }, memoryUsage: { ZSTD_sizeof_DCtx($0) }
    )

    static func compress(_ input: ByteBuffer, level: Int?) throws(KafkaProtocolError) -> ByteBuffer {
        let level = level ?? defaultLevel
        guard levels.contains(level) else {
            throw KafkaProtocolError(.compression, "invalid zstd level \(level): expected \(levels)")
        }
        guard let context = compressionContexts.acquire() else {
            throw KafkaProtocolError.compressionFailed(.zstd, "cannot create a compression context")
        }
        defer { compressionContexts.release(context) }
        _ = ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters)
        let set = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))
        guard ZSTD_isError(set) == 0 else { throw KafkaProtocolError.compressionFailed(.zstd, errorName(set)) }

        let bound = ZSTD_compressBound(input.readableBytes)
        var output = ByteBufferAllocator().buffer(capacity: bound)
        var result = 0
        withInputBytes(input) { source, count in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                result = ZSTD_compress2(context, destination.baseAddress, destination.count, source, count)
                return ZSTD_isError(result) == 0 ? result : 0
            }
        }
        guard ZSTD_isError(result) == 0 else { throw KafkaProtocolError.compressionFailed(.zstd, errorName(result)) }
        return output
    }

    static func decompress(_ input: ByteBuffer, limit: Int) throws(KafkaProtocolError) -> ByteBuffer {
        guard input.readableBytes > 0 else { throw KafkaProtocolError.truncatedStream(.zstd) }
        guard let context = decompressionContexts.acquire() else {
            throw KafkaProtocolError.compressionFailed(.zstd, "cannot create a decompression context")
        }
        defer { decompressionContexts.release(context) }
        // A cached context may hold a frame that failed half-way.
        _ = ZSTD_DCtx_reset(context, ZSTD_reset_session_only)

        return try withInputBytes(input) { (source, count) throws(KafkaProtocolError) in
            let bytes = UnsafeRawBufferPointer(start: source, count: count)
            let (bound, complete) = ZstdFrameScan.decompressedBound(bytes, limit: limit)
            if complete && bound < limit {
                // The headers bound the output below the limit: decode in one shot, straight into
                // a buffer of that size (no window buffer, no copy).
                if let output = decompressInOneShot(bytes, bound: bound, limit: limit, context: context) {
                    return output
                }
                // Malformed (or the bound was wrong): the streaming decoder says why.
                _ = ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
            }
            var output = BoundedOutput(codec: .zstd, limit: limit, expectedSize: bound)
            var inBuffer = ZSTD_inBuffer(src: source, size: count, pos: 0)
            while true {
                let (code, progressed) = try output.step { destination, capacity in
                    var outBuffer = ZSTD_outBuffer(dst: destination, size: capacity, pos: 0)
                    let consumedBefore = inBuffer.pos
                    let code = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    return (outBuffer.pos, (code, outBuffer.pos > 0 || inBuffer.pos > consumedBefore))
                }
                guard ZSTD_isError(code) == 0 else { throw KafkaProtocolError.malformed(.zstd, errorName(code)) }
                // 0: a frame is complete and flushed; another may follow.
                if code == 0 && inBuffer.pos == count { return output.buffer }
                // No progress: the frame needs input there is none of.
                guard progressed else { throw KafkaProtocolError.truncatedStream(.zstd) }
            }
        }
    }

    /// Decodes all frames of `bytes` with `ZSTD_decompressDCtx` into a buffer of at least `bound`
    /// (at most `limit`) bytes; nil on any error.
    private static func decompressInOneShot(
        _ bytes: UnsafeRawBufferPointer, bound: Int, limit: Int, context: OpaquePointer
    ) -> ByteBuffer? {
        var output = ByteBufferAllocator().buffer(capacity: max(bound, 1))
        var result = 0
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: max(bound, 1)) { destination in
            result = ZSTD_decompressDCtx(
                context, destination.baseAddress, min(destination.count, limit), bytes.baseAddress, bytes.count)
            return ZSTD_isError(result) == 0 ? result : 0
        }
        return ZSTD_isError(result) == 0 ? output : nil
    }

    private static func errorName(_ code: Int) -> String {
        guard let name = ZSTD_getErrorName(code) else { return "error \(code)" }
        return String(cString: name)
    }
}

/// Reads zstd frame and block headers (RFC 8878) without decoding anything, to size the output up
/// front. Anything unexpected just ends the scan: the decoder reports the error.
enum ZstdFrameScan {
    static let frameMagic: UInt32 = 0xFD2F_B528
    /// Skippable frames use magics 0x184D2A50 to 0x184D2A5F.
    static let skippableMagic: UInt32 = 0x184D_2A50
    static let maximumBlockSize = 128 * 1024
    /// An RLE block expands 128 KiB from 4 bytes: nothing decodes to more than 32768 times its size.
    private static let maximumRatio = 32768

    /// An upper bound on the decompressed size of the frames in `bytes` (saturating at `limit`):
    /// the declared content size when present, otherwise per block its raw or RLE size, or the
    /// block maximum for a compressed block. Streaming writers emit full blocks, so the bound is
    /// within one block of the actual size.
    ///
    /// `complete` tells whether the scan parsed every frame to the end of the input: only then is
    /// the bound an upper bound for the whole input.
    static func decompressedBound(_ bytes: UnsafeRawBufferPointer, limit: Int) -> (bound: Int, complete: Bool) {
        var offset = 0
        var total = 0
        while bytes.count - offset >= 8 && total < limit {
            let magic = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
            if magic & 0xFFFF_FFF0 == skippableMagic {
                let size = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian)
                guard size <= bytes.count - offset - 8 else { break }
                offset += 8 + size
                continue
            }
            guard magic == frameMagic else { break }
            let descriptor = bytes[offset + 4]
            guard descriptor & 0x08 == 0 else { break }  // reserved bit
            let singleSegment = descriptor & 0x20 != 0
            var position = offset + 5
            var windowSize: Int?
            if !singleSegment {
                let windowDescriptor = bytes[position]  // in range: count - offset >= 8
                let windowBase = 1 << (10 + Int(windowDescriptor >> 3))
                windowSize = windowBase + windowBase / 8 * Int(windowDescriptor & 0x07)
                position += 1
            }
            position += (1 << Int(descriptor & 0x03)) >> 1  // dictionary ID: 0, 1, 2 or 4 bytes
            let contentSizeFlag = Int(descriptor >> 6)  // content size: 0 (or 1 if single segment), 2, 4 or 8 bytes
            let contentSizeBytes = contentSizeFlag == 0 ? (singleSegment ? 1 : 0) : 1 << contentSizeFlag
            guard bytes.count - position >= contentSizeBytes else { break }
            var contentSize: Int?
            switch contentSizeBytes {
            case 1: contentSize = Int(bytes[position])
            case 2: contentSize = Int(bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self).littleEndian) + 256
            case 4: contentSize = Int(bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian)
            case 8:
                contentSize = Int(clamping: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self).littleEndian)
            default: contentSize = nil
            }
            position += contentSizeBytes
            if let contentSize {
                // Trusted only as far as the rest of the input could possibly expand.
                let plausible = saturatingMultiply(bytes.count - position, maximumRatio, limit: limit)
                total = saturatingAdd(total, min(contentSize, plausible), limit: limit)
            }
            let blockMaximum = min(windowSize ?? contentSize ?? maximumBlockSize, maximumBlockSize)
            // Walk the blocks to the last one (and the checksum after it).
            while true {
                guard bytes.count - position >= 3 else { return (total, false) }
                let header = Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16
                position += 3
                let size = header >> 3
                let blockBound: Int
                switch (header >> 1) & 0x03 {
                case 0:  // raw
                    guard size <= bytes.count - position else { return (total, false) }
                    position += size
                    blockBound = size
                case 1:  // RLE: one byte repeated `size` times
                    guard bytes.count - position >= 1 else { return (total, false) }
                    position += 1
                    blockBound = size
                case 2:  // compressed
                    guard size <= bytes.count - position else { return (total, false) }
                    position += size
                    blockBound = blockMaximum
                default:
                    return (total, false)
                }
                if contentSize == nil { total = saturatingAdd(total, blockBound, limit: limit) }
                if header & 0x01 != 0 { break }
            }
            position += descriptor & 0x04 != 0 ? 4 : 0  // content checksum
            guard position <= bytes.count else { break }
            offset = position
        }
        return (total, offset == bytes.count)
    }
}

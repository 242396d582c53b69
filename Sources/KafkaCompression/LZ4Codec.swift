import CLZ4
import KafkaProtocol
import NIOCore

/// LZ4 through liblz4's frame API, in the frame layout the Java client writes: independent
/// 64 KiB blocks, no block or content checksum, no content size.
enum LZ4Codec {
    /// The accepted levels: negative levels trade ratio for speed, 0–2 are the fast compressor,
    /// 3–12 the high-compression one (liblz4 treats levels above 12 as 12, so Kafka's 1...17 work).
    static let levels = -65_537...17

    /// Decompression contexts are cached: a new one allocates its block buffers afresh, which for a
    /// small batch costs more than the decoding.
    private static let decompressionContexts = ContextPool(
        capacity: 8, maximumRetainedBytes: Int.max,
        create: {
            var context: OpaquePointer?
            let created = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
            return LZ4F_isError(created) == 0 ? context : nil
        },
        destroy: { _ = LZ4F_freeDecompressionContext($0) },
        memoryUsage: { _ in 0 }
    )

    static func compress(_ input: ByteBuffer, level: Int?) throws(KafkaProtocolError) -> ByteBuffer {
        let level = level ?? 0
        guard levels.contains(level) else {
            throw KafkaProtocolError(.compression, "invalid lz4 level \(level): expected \(levels)")
        }
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.compressionLevel = Int32(level)

        let bound = LZ4F_compressFrameBound(input.readableBytes, &preferences)
        var output = ByteBufferAllocator().buffer(capacity: bound)
        var result = 0
        withInputBytes(input) { source, count in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                result = LZ4F_compressFrame(destination.baseAddress, destination.count, source, count, &preferences)
                return LZ4F_isError(result) == 0 ? result : 0
            }
        }
        guard LZ4F_isError(result) == 0 else { throw KafkaProtocolError.compressionFailed(.lz4, errorName(result)) }
        return output
    }

    static func decompress(_ input: ByteBuffer, limit: Int) throws(KafkaProtocolError) -> ByteBuffer {
        guard input.readableBytes > 0 else { throw KafkaProtocolError.truncatedStream(.lz4) }
        guard let context = decompressionContexts.acquire() else {
            throw KafkaProtocolError.compressionFailed(.lz4, "cannot create a decompression context")
        }
        // A cached context may hold a frame that failed half-way.
        LZ4F_resetDecompressionContext(context)
        // The context keeps buffers of about twice the largest block it decoded: cache it only after
        // a success with blocks of at most 1 MiB.
        var reusable = false
        defer { decompressionContexts.release(context, reusable: reusable) }

        return try withInputBytes(input) { (source, count) throws(KafkaProtocolError) in
            let bytes = UnsafeRawBufferPointer(start: source, count: count)
            let (bound, largestBlock) = LZ4FrameScan.decompressedBound(bytes, limit: limit)
            var output = BoundedOutput(codec: .lz4, limit: limit, expectedSize: bound)
            var offset = 0
            // Kafka before 0.10 (message format v0) wrote a wrong header checksum; decode such a
            // header from a corrected copy, then go on with the original bytes.
            if let header = LZ4FrameScan.legacyHeaderWithFixedChecksum(bytes) {
                let (hint, consumed) = header.withUnsafeBytes { fixed in
                    var sourceSize = fixed.count
                    var destinationSize = 0
                    let hint = LZ4F_decompress(context, nil, &destinationSize, fixed.baseAddress, &sourceSize, nil)
                    return (hint, sourceSize)
                }
                guard LZ4F_isError(hint) == 0 else { throw KafkaProtocolError.malformed(.lz4, errorName(hint)) }
                offset = consumed
            }
            while true {
                let (hint, consumed, produced) = try output.step { destination, capacity in
                    var sourceSize = count - offset
                    var destinationSize = capacity
                    let hint = LZ4F_decompress(
                        context, destination, &destinationSize, source + offset, &sourceSize, nil)
                    guard LZ4F_isError(hint) == 0 else { return (0, (hint, 0, 0)) }
                    return (destinationSize, (hint, sourceSize, destinationSize))
                }
                guard LZ4F_isError(hint) == 0 else { throw KafkaProtocolError.malformed(.lz4, errorName(hint)) }
                offset += consumed
                if hint == 0 {
                    // A frame ended (the context resets itself); another may follow.
                    if offset == count {
                        reusable = largestBlock <= 1 << 20
                        return output.buffer
                    }
                } else if consumed == 0 && produced == 0 {
                    // No progress: the frame needs input there is none of.
                    throw KafkaProtocolError.truncatedStream(.lz4)
                }
            }
        }
    }

    static func errorName(_ code: Int) -> String {
        guard let name = LZ4F_getErrorName(code) else { return "error \(code)" }
        return String(cString: name)
    }
}

import CZlib
import KafkaProtocol
import NIOCore

/// gzip through zlib: deflate with a gzip header and trailer, as Java's `GZIPOutputStream` writes.
enum GzipCodec {
    /// The valid levels: zlib's 0 (stored) to 9 (best), and -1 for zlib's default (6).
    static let levels = -1...9

    /// Deflate cannot expand more than about 1032:1, so a claimed size beyond that is a lie.
    private static let maximumRatio = 1032

    /// `windowBits` for a 32 KiB window with a gzip (not zlib) wrapper.
    private static let gzipWindowBits: Int32 = 15 + 16

    /// zlib streams are cached: a new deflate stream allocates and clears about 256 KiB, which costs
    /// more than compressing a small batch.
    private static let deflateStreams = ContextPool(
        capacity: 8, maximumRetainedBytes: Int.max,
        create: {
            ZStream.make {
                deflateInit2_(
                    $0, Z_DEFAULT_COMPRESSION, Z_DEFLATED, gzipWindowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                    ZStream.size)
            }
        },
        destroy: { ZStream.destroy($0, end: deflateEnd) },
        memoryUsage: { _ in 0 }
    )
    private static let inflateStreams = ContextPool(
        capacity: 8, maximumRetainedBytes: Int.max,
        create: { ZStream.make { inflateInit2_($0, gzipWindowBits, ZLIB_VERSION, ZStream.size) } },
        destroy: { ZStream.destroy($0, end: inflateEnd) },
        memoryUsage: { _ in 0 }
    )

    static func compress(_ input: ByteBuffer, level: Int?) throws(KafkaProtocolError) -> ByteBuffer {
        let level = level ?? Int(Z_DEFAULT_COMPRESSION)
        guard levels.contains(level) else {
            throw KafkaProtocolError(.compression, "invalid gzip level \(level): expected 0...9, or -1 for the default")
        }
        guard let context = deflateStreams.acquire() else {
            throw KafkaProtocolError.compressionFailed(.gzip, "cannot create a deflate stream")
        }
        var reusable = false
        defer { deflateStreams.release(context, reusable: reusable) }
        let z = UnsafeMutablePointer<z_stream>(context)
        var status = deflateReset(z)
        if status == Z_OK { status = deflateParams(z, Int32(level), Z_DEFAULT_STRATEGY) }
        guard status == Z_OK else { throw KafkaProtocolError.compressionFailed(.gzip, ZStream.message(z, status)) }

        let bound = Int(deflateBound(z, uLong(input.readableBytes)))
        var output = ByteBufferAllocator().buffer(capacity: bound)
        withInputBytes(input) { source, count in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                z.pointee.next_in = UnsafeMutablePointer(mutating: source.assumingMemoryBound(to: Bytef.self))
                z.pointee.avail_in = uInt(count)
                z.pointee.next_out = destination.baseAddress?.assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_out = uInt(clamping: destination.count)
                // With at least deflateBound bytes of room, one Z_FINISH call completes the stream.
                status = deflate(z, Z_FINISH)
                return status == Z_STREAM_END ? destination.count - Int(z.pointee.avail_out) : 0
            }
        }
        guard status == Z_STREAM_END else {
            throw KafkaProtocolError.compressionFailed(.gzip, ZStream.message(z, status))
        }
        reusable = true
        return output
    }

    static func decompress(_ input: ByteBuffer, limit: Int) throws(KafkaProtocolError) -> ByteBuffer {
        guard input.readableBytes > 0 else { throw KafkaProtocolError.truncatedStream(.gzip) }
        guard let context = inflateStreams.acquire() else {
            throw KafkaProtocolError.compressionFailed(.gzip, "cannot create an inflate stream")
        }
        defer { inflateStreams.release(context) }
        let z = UnsafeMutablePointer<z_stream>(context)
        let resetStatus = inflateReset(z)
        guard resetStatus == Z_OK else {
            throw KafkaProtocolError.compressionFailed(.gzip, ZStream.message(z, resetStatus))
        }

        var output = BoundedOutput(codec: .gzip, limit: limit, expectedSize: expectedSize(of: input, limit: limit))
        try withInputBytes(input) { (source, count) throws(KafkaProtocolError) in
            z.pointee.next_in = UnsafeMutablePointer(mutating: source.assumingMemoryBound(to: Bytef.self))
            z.pointee.avail_in = uInt(count)
            while true {
                let status = try output.step { destination, capacity in
                    z.pointee.next_out = destination.assumingMemoryBound(to: Bytef.self)
                    z.pointee.avail_out = uInt(capacity)
                    // Z_FINISH: a stream that completes in this call needs no sliding window (no
                    // 32 KiB copy); one that does not continues as with Z_NO_FLUSH.
                    let status = inflate(z, Z_FINISH)
                    return (capacity - Int(z.pointee.avail_out), status)
                }
                switch status {
                case Z_STREAM_END:
                    if z.pointee.avail_in == 0 { return }
                    // Another gzip member follows (concatenated members, as `GZIPInputStream` reads them).
                    let resetStatus = inflateReset(z)
                    guard resetStatus == Z_OK else {
                        throw KafkaProtocolError.malformed(.gzip, ZStream.message(z, resetStatus))
                    }
                case Z_OK, Z_BUF_ERROR:
                    // Output room left over, yet the stream did not end: the input ran out.
                    if z.pointee.avail_out > 0 && (z.pointee.avail_in == 0 || status == Z_BUF_ERROR) {
                        throw KafkaProtocolError.truncatedStream(.gzip)
                    }
                default:
                    throw KafkaProtocolError.malformed(.gzip, ZStream.message(z, status))
                }
            }
        }
        return output.buffer
    }

    /// The output size to allocate up front: the last member's ISIZE trailer (the whole size for
    /// the usual single-member stream), when plausible; otherwise a guess from the input size.
    private static func expectedSize(of input: ByteBuffer, limit: Int) -> Int {
        let count = input.readableBytes
        let plausible = saturatingMultiply(count, maximumRatio, limit: limit)
        guard count >= 18,
            let trailerSize = input.getInteger(at: input.readerIndex + count - 4, endianness: .little, as: UInt32.self),
            Int(trailerSize) <= plausible
        else { return saturatingMultiply(count, 4, limit: limit) }
        return Int(trailerSize)
    }
}

/// Heap-allocated `z_stream`s, handled as `OpaquePointer`s by ``ContextPool``: zlib keeps a pointer
/// back to the stream and checks it on every call, so a stream must never move.
private enum ZStream {
    static let size = Int32(MemoryLayout<z_stream>.size)

    /// A new stream initialised by `initialize`, or nil if that fails.
    static func make(_ initialize: (UnsafeMutablePointer<z_stream>) -> Int32) -> OpaquePointer? {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard initialize(stream) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
        return OpaquePointer(stream)
    }

    /// Ends the stream with `end` (`deflateEnd` or `inflateEnd`) and frees it.
    static func destroy(_ context: OpaquePointer, end: (UnsafeMutablePointer<z_stream>) -> Int32) {
        let stream = UnsafeMutablePointer<z_stream>(context)
        _ = end(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// zlib's message for the last failure, or the status code.
    static func message(_ stream: UnsafeMutablePointer<z_stream>, _ status: Int32) -> String {
        if let message = stream.pointee.msg { return String(cString: message) }
        return "zlib status \(status)"
    }
}

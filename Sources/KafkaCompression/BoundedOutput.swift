import KafkaProtocol
import NIOCore

/// The destination of one streaming decompression: a `ByteBuffer` that the C decoder writes into
/// directly, grown geometrically, and never beyond `limit` bytes.
///
/// Each decoder step gets the buffer's writable storage (capped at `limit`). When the buffer is
/// full — or the limit is reached — the step gets a one-byte scratch destination instead: if the
/// decoder has no more output (it only consumed a trailer, say), nothing is reallocated; if it
/// produces a byte below the limit, the buffer grows and keeps that byte; at the limit, the
/// decompression is rejected without ever holding more than `limit` bytes.
struct BoundedOutput {
    /// The bytes decoded so far (reader index 0).
    private(set) var buffer: ByteBuffer
    /// The most bytes the output may hold.
    let limit: Int
    /// The codec, for error messages.
    let codec: CompressionCodec

    /// The smallest growth step, so that small outputs do not reallocate byte by byte.
    private static let minimumGrowth = 32 * 1024

    /// Creates an empty output with room for `expectedSize` bytes (clamped to `0...limit`).
    init(codec: CompressionCodec, limit: Int, expectedSize: Int) {
        self.codec = codec
        self.limit = limit
        self.buffer = ByteBufferAllocator().buffer(capacity: min(limit, max(expectedSize, 64)))
    }

    /// Runs one decoder step.
    ///
    /// `body` receives a destination pointer and its capacity (at least one byte) and returns how
    /// many bytes it wrote there (at most the capacity) together with a result for the caller.
    ///
    /// - Throws: ``KafkaProtocolError`` of kind `.compression` when the output would exceed the limit.
    mutating func step<R>(
        _ body: (UnsafeMutableRawPointer, Int) -> (written: Int, result: R)
    ) throws(KafkaProtocolError) -> R {
        let written = buffer.writerIndex
        let room = min(buffer.writableBytes, limit - written)
        if room > 0 {
            // `room > 0`, so the writable region is not empty and has an address.
            let (count, result) = buffer.withUnsafeMutableWritableBytes { destination in
                body(destination.baseAddress.unsafelyUnwrapped, room)
            }
            buffer.moveWriterIndex(forwardBy: count)
            return result
        }
        var scratch: UInt8 = 0
        let (count, result) = withUnsafeMutableBytes(of: &scratch) { scratchBytes in
            body(scratchBytes.baseAddress.unsafelyUnwrapped, 1)
        }
        if count > 0 {
            guard written < limit else { throw KafkaProtocolError.sizeLimitExceeded(codec, limit: limit) }
            buffer.reserveCapacity(minimumWritableBytes: min(limit - written, max(written, Self.minimumGrowth)))
            buffer.writeInteger(scratch)
        }
        return result
    }
}

extension KafkaProtocolError {
    /// The output of `codec` would exceed `limit` bytes.
    static func sizeLimitExceeded(_ codec: CompressionCodec, limit: Int) -> KafkaProtocolError {
        KafkaProtocolError(.compression, "\(codec) data decompresses to more than the limit of \(limit) bytes")
    }

    /// `codec` data is malformed.
    static func malformed(_ codec: CompressionCodec, _ detail: String) -> KafkaProtocolError {
        KafkaProtocolError(.compression, "malformed \(codec) data: \(detail)")
    }

    /// `codec` data ends before the compressed stream does.
    static func truncatedStream(_ codec: CompressionCodec) -> KafkaProtocolError {
        KafkaProtocolError(.compression, "truncated \(codec) data: the input ends before the compressed stream does")
    }

    /// Compressing with `codec` failed.
    static func compressionFailed(_ codec: CompressionCodec, _ detail: String) -> KafkaProtocolError {
        KafkaProtocolError(.compression, "\(codec) compression failed: \(detail)")
    }
}

/// Calls `body` with the readable bytes of `buffer` as a pointer and a count; the pointer is never
/// nil (an empty buffer gets a dummy address), since some C APIs reject a null pointer even for zero bytes.
@inline(__always) @discardableResult
func withInputBytes<T, E: Error>(
    _ buffer: ByteBuffer, _ body: (UnsafeRawPointer, Int) throws(E) -> T
) throws(E) -> T {
    try buffer.withUnsafeReadableBytes { (bytes) throws(E) -> T in
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return try withUnsafeBytes(of: UInt64(0)) { (dummy) throws(E) -> T in
                try body(dummy.baseAddress.unsafelyUnwrapped, 0)
            }
        }
        return try body(base, bytes.count)
    }
}

/// Adds two non-negative sizes, saturating at `limit` (sizes beyond it only matter as "too large").
@inline(__always)
func saturatingAdd(_ a: Int, _ b: Int, limit: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? limit : min(sum, limit)
}

/// Multiplies two non-negative sizes, saturating at `limit`.
@inline(__always)
func saturatingMultiply(_ a: Int, _ b: Int, limit: Int) -> Int {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? limit : min(product, limit)
}

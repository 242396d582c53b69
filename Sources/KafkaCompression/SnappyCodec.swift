import CSnappy
import KafkaProtocol
import NIOCore

/// Snappy through libsnappy, in the xerial block framing that the Java client writes
/// (`org.xerial.snappy.SnappyOutputStream`):
///
/// ```
/// "\x82SNAPPY\0"  int32 version (1)  int32 compatible version (1)
/// { int32 compressed length (big-endian)  raw snappy block }*
/// ```
///
/// Decompression also accepts a single raw snappy block (librdkafka and old clients), recognised by
/// the absence of the magic, and concatenated xerial streams (a header in place of a block length).
enum SnappyCodec {
    /// The xerial stream magic.
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    /// The magic, the version and the compatible version.
    static let xerialHeaderSize = 16
    /// The uncompressed bytes per block, as Java's `SnappyOutputStream` uses by default.
    static let xerialBlockSize = 32 * 1024

    /// A snappy element expands at most 64 bytes from 3 (a copy with a 2-byte offset), so a block
    /// claiming more than 22 times its size is malformed — rejected before anything is allocated.
    private static let maximumRatio = 22

    static func compress(_ input: ByteBuffer) throws(KafkaProtocolError) -> ByteBuffer {
        let count = input.readableBytes
        let blocks = (count + xerialBlockSize - 1) / xerialBlockSize
        let bound = xerialHeaderSize + blocks * 4 + snappyBound(count, blocks: blocks)
        var output = ByteBufferAllocator().buffer(capacity: bound)
        output.writeBytes(xerialMagic)
        output.writeInteger(Int32(1), endianness: .big)
        output.writeInteger(Int32(1), endianness: .big)

        var status = SNAPPY_OK
        withInputBytes(input) { source, count in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound - xerialHeaderSize) { destination in
                guard let base = destination.baseAddress else { return 0 }
                var read = 0
                var written = 0
                while read < count {
                    let length = min(xerialBlockSize, count - read)
                    var compressedLength = destination.count - written - 4
                    status = snappy_compress(
                        (source + read).assumingMemoryBound(to: CChar.self), length,
                        (base + written + 4).assumingMemoryBound(to: CChar.self), &compressedLength
                    )
                    guard status == SNAPPY_OK else { return written }
                    destination.storeBytes(
                        of: UInt32(compressedLength).bigEndian, toByteOffset: written, as: UInt32.self)
                    written += 4 + compressedLength
                    read += length
                }
                return written
            }
        }
        guard status == SNAPPY_OK else {
            throw KafkaProtocolError.compressionFailed(.snappy, "status \(status.rawValue)")
        }
        return output
    }

    /// The room the blocks need: libsnappy's `32 + n + n / 6` per block, summed.
    private static func snappyBound(_ count: Int, blocks: Int) -> Int {
        blocks <= 1 ? snappy_max_compressed_length(count) : blocks * 32 + count + count / 6 + blocks
    }

    static func decompress(_ input: ByteBuffer, limit: Int) throws(KafkaProtocolError) -> ByteBuffer {
        try withInputBytes(input) { (source, count) throws(KafkaProtocolError) in
            let bytes = UnsafeRawBufferPointer(start: source, count: count)
            if hasXerialMagic(bytes, at: 0) {
                return try decompressXerial(bytes, limit: limit)
            }
            return try decompressRaw(bytes, limit: limit)
        }
    }

    private static func hasXerialMagic(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard bytes.count - offset >= xerialMagic.count else { return false }
        for i in 0..<xerialMagic.count where bytes[offset + i] != xerialMagic[i] { return false }
        return true
    }

    /// The uncompressed length a raw block declares, checked against the limit and the maximum ratio.
    private static func uncompressedLength(
        _ block: UnsafeRawBufferPointer, limit: Int
    ) throws(KafkaProtocolError) -> Int {
        var length = 0
        guard let base = block.baseAddress,
            snappy_uncompressed_length(base.assumingMemoryBound(to: CChar.self), block.count, &length) == SNAPPY_OK
        else { throw KafkaProtocolError.malformed(.snappy, "bad block length header") }
        guard length <= limit else { throw KafkaProtocolError.sizeLimitExceeded(.snappy, limit: limit) }
        guard length <= saturatingMultiply(block.count, maximumRatio, limit: Int.max) else {
            throw KafkaProtocolError.malformed(.snappy, "a \(block.count)-byte block claims \(length) bytes")
        }
        return length
    }

    /// Decompresses one raw block of `length` declared bytes into `destination`.
    private static func uncompress(
        _ block: UnsafeRawBufferPointer, length: Int, into destination: UnsafeMutableRawPointer
    ) -> Bool {
        guard let base = block.baseAddress else { return false }
        var outputLength = length
        let status = snappy_uncompress(
            base.assumingMemoryBound(to: CChar.self), block.count,
            destination.assumingMemoryBound(to: CChar.self), &outputLength
        )
        return status == SNAPPY_OK && outputLength == length
    }

    private static func decompressRaw(_ bytes: UnsafeRawBufferPointer, limit: Int) throws(KafkaProtocolError)
        -> ByteBuffer
    {
        let length = try uncompressedLength(bytes, limit: limit)
        var output = ByteBufferAllocator().buffer(capacity: max(length, 1))
        var valid = false
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: max(length, 1)) { destination in
            guard let base = destination.baseAddress else { return 0 }
            valid = uncompress(bytes, length: length, into: base)
            return valid ? length : 0
        }
        guard valid else { throw KafkaProtocolError.malformed(.snappy, "corrupt raw block") }
        return output
    }

    /// Walks the blocks of an xerial stream, calling `body` with each block and its declared length.
    private static func forEachXerialBlock(
        _ bytes: UnsafeRawBufferPointer, limit: Int,
        _ body: (UnsafeRawBufferPointer, Int) throws(KafkaProtocolError) -> Void
    ) throws(KafkaProtocolError) {
        var offset = 0
        while offset < bytes.count {
            if hasXerialMagic(bytes, at: offset) {
                // A stream header (the first one, or that of a concatenated stream).
                guard bytes.count - offset >= xerialHeaderSize else {
                    throw KafkaProtocolError.truncatedStream(.snappy)
                }
                offset += xerialHeaderSize
                continue
            }
            guard bytes.count - offset >= 4 else { throw KafkaProtocolError.truncatedStream(.snappy) }
            let blockLength = Int(
                Int32(bitPattern: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).bigEndian))
            offset += 4
            guard blockLength >= 0 else {
                throw KafkaProtocolError.malformed(.snappy, "negative block length \(blockLength)")
            }
            guard blockLength <= bytes.count - offset else { throw KafkaProtocolError.truncatedStream(.snappy) }
            let block = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + blockLength)])
            offset += blockLength
            if blockLength == 0 { continue }
            try body(block, try uncompressedLength(block, limit: limit))
        }
    }

    private static func decompressXerial(_ bytes: UnsafeRawBufferPointer, limit: Int) throws(KafkaProtocolError)
        -> ByteBuffer
    {
        // First pass: validate the framing and add up the declared lengths, so that the output is
        // allocated once, at its exact size, and a bomb is rejected before anything is decoded.
        var total = 0
        try forEachXerialBlock(bytes, limit: limit) { (_, length) throws(KafkaProtocolError) in
            total += length  // each length <= limit <= Int32.max, and total <= limit: no overflow
            guard total <= limit else { throw KafkaProtocolError.sizeLimitExceeded(.snappy, limit: limit) }
        }
        var output = ByteBufferAllocator().buffer(capacity: total)
        guard total > 0 else { return output }
        // Second pass: decode each block straight into its place in the output.
        var failure: KafkaProtocolError?
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { destination in
            guard let base = destination.baseAddress else { return 0 }
            var written = 0
            do throws(KafkaProtocolError) {
                try forEachXerialBlock(bytes, limit: limit) { (block, length) throws(KafkaProtocolError) in
                    guard uncompress(block, length: length, into: base + written) else {
                        throw KafkaProtocolError.malformed(.snappy, "corrupt block at output offset \(written)")
                    }
                    written += length
                }
            } catch {
                failure = error
                return 0
            }
            return written
        }
        if let failure { throw failure }
        return output
    }
}

/// Reads LZ4 frame and block headers without decoding anything, to size the output up front and to
/// recognise the legacy Kafka header checksum. Anything unexpected just ends the scan: the decoder
/// reports the error.
enum LZ4FrameScan {
    static let frameMagic: UInt32 = 0x184D_2204
    /// Skippable frames use magics 0x184D2A50 to 0x184D2A5F.
    static let skippableMagic: UInt32 = 0x184D_2A50

    /// An LZ4 sequence expands at most 255 bytes per input byte (one match-length byte), so a
    /// compressed block of `n` bytes decodes to at most `255 n` plus a few bytes.
    private static let maximumRatio = 255

    /// An upper bound on the decompressed size of the frames in `bytes` (saturating at `limit`):
    /// the declared content size when present, otherwise per block its stored size or
    /// `min(block maximum, 255 × compressed size)`. For the usual frame of full 64 KiB blocks the
    /// bound is within one block of the actual size, so the output is allocated once.
    ///
    /// Also returns the largest block size the frames declare (the decoder's buffers grow to about
    /// twice that), or `Int.max` when the scan did not reach the end of the input.
    static func decompressedBound(_ bytes: UnsafeRawBufferPointer, limit: Int) -> (bound: Int, largestBlock: Int) {
        var offset = 0
        var total = 0
        var largestBlock = 0
        while bytes.count - offset >= 8 && total < limit {
            let magic = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
            if magic & 0xFFFF_FFF0 == skippableMagic {
                let size = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian)
                guard size <= bytes.count - offset - 8 else { break }
                offset += 8 + size
                continue
            }
            guard magic == frameMagic, let header = FrameHeader(bytes, at: offset) else { break }
            offset += header.size
            largestBlock = max(largestBlock, header.blockMaximumSize)
            if let contentSize = header.contentSize {
                // Trusted only as far as the rest of the input could possibly expand.
                let plausible = saturatingMultiply(bytes.count - offset, maximumRatio, limit: limit)
                total = saturatingAdd(total, min(contentSize, plausible), limit: limit)
            }
            // Walk the blocks to the end mark (and the content checksum after it).
            while true {
                guard bytes.count - offset >= 4 else { return (total, largestBlock) }
                let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
                offset += 4
                if word == 0 {
                    offset += header.contentChecksum ? 4 : 0
                    break
                }
                let size = Int(word & 0x7FFF_FFFF)
                let trailer = header.blockChecksum ? 4 : 0
                guard size <= bytes.count - offset - trailer else { return (total, largestBlock) }
                offset += size + trailer
                if header.contentSize == nil {
                    let stored = word & 0x8000_0000 != 0
                    let blockBound = stored ? size : min(header.blockMaximumSize, size * maximumRatio + 64)
                    total = saturatingAdd(total, blockBound, limit: limit)
                }
            }
        }
        // Frames the scan did not reach may declare any block size.
        return (total, offset >= bytes.count ? largestBlock : Int.max)
    }

    /// When `bytes` starts with a frame header whose checksum is the one Kafka before 0.10 wrote
    /// (computed over the magic too), the header with the checksum corrected; otherwise nil.
    ///
    /// Those writers never set a content size or dictionary ID, so the header is 7 bytes.
    static func legacyHeaderWithFixedChecksum(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard bytes.count >= 7,
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian == frameMagic,
            bytes[4] & 0x09 == 0
        else { return nil }
        let stored = bytes[6]
        let correct = headerChecksum(UnsafeRawBufferPointer(rebasing: bytes[4..<6]))
        guard stored != correct, stored == headerChecksum(UnsafeRawBufferPointer(rebasing: bytes[0..<6])) else {
            return nil
        }
        return [bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], correct]
    }

    /// The frame header checksum of `descriptor`: the second byte of its XXH32.
    static func headerChecksum(_ descriptor: UnsafeRawBufferPointer) -> UInt8 {
        UInt8(truncatingIfNeeded: xxh32Short(descriptor) >> 8)
    }

    /// XXH32 with seed 0 of fewer than 16 bytes (frame descriptors are at most 15).
    static func xxh32Short(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        precondition(bytes.count < 16, "xxh32Short handles fewer than 16 bytes")
        let prime1: UInt32 = 0x9E37_79B1
        let prime2: UInt32 = 0x85EB_CA77
        let prime3: UInt32 = 0xC2B2_AE3D
        let prime4: UInt32 = 0x27D4_EB2F
        let prime5: UInt32 = 0x1656_67B1
        var hash = prime5 &+ UInt32(bytes.count)
        var index = 0
        while index + 4 <= bytes.count {
            hash = hash &+ bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self).littleEndian &* prime3
            hash = ((hash << 17) | (hash >> 15)) &* prime4
            index += 4
        }
        while index < bytes.count {
            hash = hash &+ UInt32(bytes[index]) &* prime5
            hash = ((hash << 11) | (hash >> 21)) &* prime1
            index += 1
        }
        hash ^= hash >> 15
        hash = hash &* prime2
        hash ^= hash >> 13
        hash = hash &* prime3
        hash ^= hash >> 16
        return hash
    }

    /// The fields of a frame header the scan needs.
    struct FrameHeader {
        /// Magic, descriptor and checksum.
        var size: Int
        var blockMaximumSize: Int
        var blockChecksum: Bool
        var contentChecksum: Bool
        var contentSize: Int?

        init?(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
            guard bytes.count - offset >= 7 else { return nil }
            let flags = bytes[offset + 4]
            let blockDescriptor = bytes[offset + 5]
            guard flags >> 6 == 1 else { return nil }
            let blockSizeID = Int((blockDescriptor >> 4) & 0x07)
            guard blockSizeID >= 4 else { return nil }
            blockMaximumSize = 1 << (8 + 2 * blockSizeID)  // 4: 64 KiB, 5: 256 KiB, 6: 1 MiB, 7: 4 MiB
            blockChecksum = flags & 0x10 != 0
            contentChecksum = flags & 0x04 != 0
            let hasContentSize = flags & 0x08 != 0
            size = 7 + (hasContentSize ? 8 : 0) + (flags & 0x01 != 0 ? 4 : 0)
            guard bytes.count - offset >= size else { return nil }
            if hasContentSize {
                let declared = bytes.loadUnaligned(fromByteOffset: offset + 6, as: UInt64.self).littleEndian
                // 0 means "unknown" in practice; anything past Int.max is saturated.
                contentSize = declared == 0 ? nil : Int(clamping: declared)
            } else {
                contentSize = nil
            }
        }
    }
}

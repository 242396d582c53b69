import CCRC32C
public import NIOCore

/// CRC32C (Castagnoli), the checksum of v2 record batches.
///
/// Uses the CPU's CRC instruction when it has one (SSE4.2 on x86-64, the CRC extension on ARMv8),
/// chosen at run time, with three interleaved streams; otherwise portable slicing-by-8 tables.
/// Checksums chain: `checksum(b, continuing: checksum(a))` equals the checksum of `a` followed by `b`.
public enum CRC32C {
    /// The implementation behind ``checksum(_:continuing:)-(UnsafeRawBufferPointer,_)``.
    package enum Implementation: Sendable, Hashable, CustomStringConvertible {
        /// Slicing-by-8 tables, no CPU instruction.
        case portable
        /// The x86-64 SSE4.2 `crc32` instruction.
        case sse42
        /// The ARMv8 CRC extension.
        case armv8

        package var description: String {
            switch self {
            case .portable: "portable"
            case .sse42: "sse4.2"
            case .armv8: "armv8-crc"
            }
        }
    }

    /// The implementation selected for this CPU.
    package static var implementation: Implementation {
        switch kafka_crc32c_active_implementation() {
        case KAFKA_CRC32C_SSE42: .sse42
        case KAFKA_CRC32C_ARMV8: .armv8
        default: .portable
        }
    }

    /// The CRC32C of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return kafka_crc32c(crc, base, bytes.count)
    }

    /// The CRC32C of the readable bytes of `buffer`, continuing from `crc` (0 to start).
    public static func checksum(_ buffer: ByteBuffer, continuing crc: UInt32 = 0) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum($0, continuing: crc) }
    }

    /// The CRC32C of `bytes` computed with the portable tables only, whatever the CPU; for
    /// verifying the hardware path.
    package static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return kafka_crc32c_portable(crc, base, bytes.count)
    }
}

/// CRC-32 (IEEE 802.3, as zlib's `crc32`), the checksum of legacy (magic 0 and 1) messages.
public enum CRC32 {
    /// The CRC-32 of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return kafka_crc32(crc, base, bytes.count)
    }

    /// The CRC-32 of the readable bytes of `buffer`, continuing from `crc` (0 to start).
    public static func checksum(_ buffer: ByteBuffer, continuing crc: UInt32 = 0) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum($0, continuing: crc) }
    }
}

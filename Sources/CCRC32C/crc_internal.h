// Shared by the CRC32C implementations; not part of the public interface.
#ifndef KAFKA_CRC_INTERNAL_H
#define KAFKA_CRC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KAFKA_CRC_HIDDEN __attribute__((visibility("hidden")))

/// The three-stream interleave works on blocks of 3 x LONG bytes, then 3 x SHORT bytes.
#define KAFKA_CRC32C_LONG 8192
#define KAFKA_CRC32C_SHORT 256

/// Slicing-by-8 tables for CRC32C and CRC-32 (IEEE).
KAFKA_CRC_HIDDEN extern uint32_t kafka_crc32c_slice_table[8][256];
KAFKA_CRC_HIDDEN extern uint32_t kafka_crc32_slice_table[8][256];
/// Operators appending LONG and SHORT zero bytes to a CRC32C register, one table per register byte.
KAFKA_CRC_HIDDEN extern uint32_t kafka_crc32c_long_zeros[4][256];
KAFKA_CRC_HIDDEN extern uint32_t kafka_crc32c_short_zeros[4][256];

/// Fills every table above; call exactly once (the dispatcher does it under pthread_once).
KAFKA_CRC_HIDDEN void kafka_crc_build_tables(void);

/// Slicing-by-8 over a raw (already inverted) register.
KAFKA_CRC_HIDDEN uint32_t kafka_crc_slicing8(const uint32_t table[8][256], uint32_t reg, const unsigned char *next,
                                             size_t len);

/// The hardware implementations; only call them when the CPU supports the instruction.
KAFKA_CRC_HIDDEN uint32_t kafka_crc32c_sse42(uint32_t crc, const void *data, size_t len);
KAFKA_CRC_HIDDEN uint32_t kafka_crc32c_armv8(uint32_t crc, const void *data, size_t len);

/// Shifts a CRC32C register over LONG or SHORT zero bytes.
static inline uint32_t kafka_crc32c_shift(const uint32_t zeros[4][256], uint32_t reg) {
    return zeros[0][reg & 0xff] ^ zeros[1][(reg >> 8) & 0xff] ^ zeros[2][(reg >> 16) & 0xff] ^ zeros[3][reg >> 24];
}

/// An unaligned little-endian 64-bit load.
static inline uint64_t kafka_crc_load64le(const unsigned char *p) {
    uint64_t word;
    memcpy(&word, p, sizeof word);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    return word;
}

#endif

#ifndef KAFKA_CCRC32C_H
#define KAFKA_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which CRC32C implementation `kafka_crc32c` uses on this CPU.
typedef enum {
    /// Slicing-by-8 tables; no CPU CRC instruction is available.
    KAFKA_CRC32C_PORTABLE = 0,
    /// The x86-64 SSE4.2 `crc32` instruction, three interleaved streams.
    KAFKA_CRC32C_SSE42 = 1,
    /// The ARMv8 CRC extension (`crc32cx`), three interleaved streams.
    KAFKA_CRC32C_ARMV8 = 2,
} kafka_crc32c_implementation_t;

/// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) of `len` bytes at `data`, continuing from
/// `crc`. Start with `crc` = 0; the result of one call is the `crc` for the next chunk. The check
/// value of "123456789" is 0xE3069283. Uses the CPU's CRC instruction when available.
uint32_t kafka_crc32c(uint32_t crc, const void *data, size_t len);

/// The same CRC32C computed with the portable slicing-by-8 tables only (for verification).
uint32_t kafka_crc32c_portable(uint32_t crc, const void *data, size_t len);

/// The implementation `kafka_crc32c` selected at run time for this CPU.
kafka_crc32c_implementation_t kafka_crc32c_active_implementation(void);

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's `crc32`) of `len` bytes at
/// `data`, continuing from `crc`; used by legacy (magic 0/1) messages. Start with `crc` = 0. The
/// check value of "123456789" is 0xCBF43926.
uint32_t kafka_crc32(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif

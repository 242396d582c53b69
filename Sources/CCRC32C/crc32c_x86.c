// CRC32C with the x86-64 SSE4.2 `crc32` instruction. Compiled for SSE4.2 through the target
// attribute only, so the rest of the library runs on any x86-64; the dispatcher calls this only
// after checking the CPU.
#include "crc_internal.h"

#if defined(__x86_64__)
#include <nmmintrin.h>

#define KAFKA_CRC_U64(reg, word) _mm_crc32_u64((reg), (word))
#define KAFKA_CRC_U8(reg, byte) ((uint64_t)_mm_crc32_u8((uint32_t)(reg), (byte)))

__attribute__((target("sse4.2"))) uint32_t kafka_crc32c_sse42(uint32_t crc, const void *data, size_t len)
#include "crc32c_hw_body.h"

#endif

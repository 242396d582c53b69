// CRC32C with the ARMv8 CRC extension (`crc32cx`). Compiled for it through the target attribute
// only; the dispatcher calls this only after checking the CPU (always present on Apple arm64).
#include "crc_internal.h"

#if defined(__aarch64__) || defined(__arm64__)
#include <arm_acle.h>

#define KAFKA_CRC_U64(reg, word) ((uint64_t)__crc32cd((uint32_t)(reg), (word)))
#define KAFKA_CRC_U8(reg, byte) ((uint64_t)__crc32cb((uint32_t)(reg), (byte)))

__attribute__((target("crc"))) uint32_t kafka_crc32c_armv8(uint32_t crc, const void *data, size_t len)
#include "crc32c_hw_body.h"

#endif

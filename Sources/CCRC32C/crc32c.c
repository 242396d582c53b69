// Run-time selection of the CRC32C implementation, and the public entry points.
#include "CCRC32C.h"
#include "crc_internal.h"

#include <pthread.h>
#include <stdatomic.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if (defined(__aarch64__) || defined(__arm64__)) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

typedef uint32_t (*crc32c_function)(uint32_t, const void *, size_t);

static uint32_t crc32c_first_call(uint32_t crc, const void *data, size_t len);

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static _Atomic(crc32c_function) active_function = crc32c_first_call;
static _Atomic(int) active_kind = KAFKA_CRC32C_PORTABLE;

static uint32_t crc32c_portable_unchecked(uint32_t crc, const void *data, size_t len) {
    return ~kafka_crc_slicing8(kafka_crc32c_slice_table, ~crc, (const unsigned char *)data, len);
}

static int cpu_has_sse42(void) {
#if defined(__x86_64__)
    // Equivalent to __builtin_cpu_supports("sse4.2") (CPUID leaf 1, ECX bit 20) without needing the
    // compiler runtime's CPU model data at link time.
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
#else
    return 0;
#endif
}

static int cpu_has_armv8_crc(void) {
#if (defined(__aarch64__) || defined(__arm64__)) && defined(__APPLE__)
    return 1;
#elif (defined(__aarch64__) || defined(__arm64__)) && defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#else
    return 0;
#endif
}

static void initialize(void) {
    kafka_crc_build_tables();
    crc32c_function chosen = crc32c_portable_unchecked;
    int kind = KAFKA_CRC32C_PORTABLE;
#if defined(__x86_64__)
    if (cpu_has_sse42()) {
        chosen = kafka_crc32c_sse42;
        kind = KAFKA_CRC32C_SSE42;
    }
#endif
#if defined(__aarch64__) || defined(__arm64__)
    if (cpu_has_armv8_crc()) {
        chosen = kafka_crc32c_armv8;
        kind = KAFKA_CRC32C_ARMV8;
    }
#endif
    (void)cpu_has_sse42;
    (void)cpu_has_armv8_crc;
    atomic_store_explicit(&active_kind, kind, memory_order_relaxed);
    atomic_store_explicit(&active_function, chosen, memory_order_release);
}

static inline void ensure_initialized(void) { pthread_once(&tables_once, initialize); }

static uint32_t crc32c_first_call(uint32_t crc, const void *data, size_t len) {
    ensure_initialized();
    return atomic_load_explicit(&active_function, memory_order_acquire)(crc, data, len);
}

uint32_t kafka_crc32c(uint32_t crc, const void *data, size_t len) {
    return atomic_load_explicit(&active_function, memory_order_acquire)(crc, data, len);
}

uint32_t kafka_crc32c_portable(uint32_t crc, const void *data, size_t len) {
    ensure_initialized();
    return crc32c_portable_unchecked(crc, data, len);
}

kafka_crc32c_implementation_t kafka_crc32c_active_implementation(void) {
    ensure_initialized();
    return (kafka_crc32c_implementation_t)atomic_load_explicit(&active_kind, memory_order_relaxed);
}

uint32_t kafka_crc32(uint32_t crc, const void *data, size_t len) {
    ensure_initialized();
    return ~kafka_crc_slicing8(kafka_crc32_slice_table, ~crc, (const unsigned char *)data, len);
}

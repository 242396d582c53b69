// Table construction and the portable slicing-by-8 loop, shared by CRC32C and CRC-32 (IEEE).
#include "crc_internal.h"

uint32_t kafka_crc32c_slice_table[8][256];
uint32_t kafka_crc32_slice_table[8][256];
uint32_t kafka_crc32c_long_zeros[4][256];
uint32_t kafka_crc32c_short_zeros[4][256];

#define CRC32C_POLY 0x82F63B78u
#define CRC32_POLY 0xEDB88320u

static void build_slice_table(uint32_t table[8][256], uint32_t poly) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ poly : crc >> 1;
        table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = table[0][crc & 0xff] ^ (crc >> 8);
            table[k][n] = crc;
        }
    }
}

// GF(2) matrix helpers (as in zlib's crc32_combine): a matrix is 32 columns of 32 bits.
static uint32_t gf2_matrix_times(const uint32_t *mat, uint32_t vec) {
    uint32_t sum = 0;
    while (vec) {
        if (vec & 1) sum ^= *mat;
        vec >>= 1;
        mat++;
    }
    return sum;
}

static void gf2_matrix_square(uint32_t *square, const uint32_t *mat) {
    for (int n = 0; n < 32; n++) square[n] = gf2_matrix_times(mat, mat[n]);
}

// The operator appending `len` zero bytes (a power of two) to a CRC32C register.
static void zeros_operator(uint32_t *even, size_t len) {
    uint32_t odd[32];
    odd[0] = CRC32C_POLY;  // one zero bit
    uint32_t row = 1;
    for (int n = 1; n < 32; n++) {
        odd[n] = row;
        row <<= 1;
    }
    gf2_matrix_square(even, odd);  // two zero bits
    gf2_matrix_square(odd, even);  // four zero bits
    // Each square doubles: the first gives one zero byte in `even`, the next two in `odd`, ...
    do {
        gf2_matrix_square(even, odd);
        len >>= 1;
        if (len == 0) return;
        gf2_matrix_square(odd, even);
        len >>= 1;
    } while (len);
    memcpy(even, odd, sizeof odd);
}

static void build_zeros_table(uint32_t zeros[4][256], size_t len) {
    uint32_t op[32];
    zeros_operator(op, len);
    for (uint32_t n = 0; n < 256; n++) {
        zeros[0][n] = gf2_matrix_times(op, n);
        zeros[1][n] = gf2_matrix_times(op, n << 8);
        zeros[2][n] = gf2_matrix_times(op, n << 16);
        zeros[3][n] = gf2_matrix_times(op, n << 24);
    }
}

void kafka_crc_build_tables(void) {
    build_slice_table(kafka_crc32c_slice_table, CRC32C_POLY);
    build_slice_table(kafka_crc32_slice_table, CRC32_POLY);
    build_zeros_table(kafka_crc32c_long_zeros, KAFKA_CRC32C_LONG);
    build_zeros_table(kafka_crc32c_short_zeros, KAFKA_CRC32C_SHORT);
}

uint32_t kafka_crc_slicing8(const uint32_t table[8][256], uint32_t reg, const unsigned char *next, size_t len) {
    uint64_t crc = reg;
    while (len && ((uintptr_t)next & 7) != 0) {
        crc = table[0][(crc ^ *next++) & 0xff] ^ (crc >> 8);
        len--;
    }
    while (len >= 8) {
        crc ^= kafka_crc_load64le(next);
        crc = table[7][crc & 0xff] ^ table[6][(crc >> 8) & 0xff] ^ table[5][(crc >> 16) & 0xff] ^
              table[4][(crc >> 24) & 0xff] ^ table[3][(crc >> 32) & 0xff] ^ table[2][(crc >> 40) & 0xff] ^
              table[1][(crc >> 48) & 0xff] ^ table[0][crc >> 56];
        next += 8;
        len -= 8;
    }
    while (len) {
        crc = table[0][(crc ^ *next++) & 0xff] ^ (crc >> 8);
        len--;
    }
    return (uint32_t)crc;
}

// The body of a hardware CRC32C function, shared by the x86-64 and ARMv8 files. Before including,
// define KAFKA_CRC_U64(reg, word) and KAFKA_CRC_U8(reg, byte), each returning the updated register.
//
// The CRC instruction has a latency of about three cycles and a throughput of one per cycle, so a
// single stream reaches only a third of the possible speed. Long inputs are split into three
// adjacent blocks whose CRCs are computed in parallel (independent dependency chains) and then
// combined: a block's register is moved past the following block by applying the operator for
// that many zero bytes (a table lookup per register byte), then xored with the next register.
{
    const unsigned char *next = (const unsigned char *)data;
    uint64_t crc0 = (uint32_t)~crc;

    // Bring the pointer to an 8-byte boundary.
    while (len && ((uintptr_t)next & 7) != 0) {
        crc0 = KAFKA_CRC_U8(crc0, *next);
        next++;
        len--;
    }

    while (len >= 3 * KAFKA_CRC32C_LONG) {
        uint64_t crc1 = 0, crc2 = 0;
        const unsigned char *end = next + KAFKA_CRC32C_LONG;
        do {
            crc0 = KAFKA_CRC_U64(crc0, kafka_crc_load64le(next));
            crc1 = KAFKA_CRC_U64(crc1, kafka_crc_load64le(next + KAFKA_CRC32C_LONG));
            crc2 = KAFKA_CRC_U64(crc2, kafka_crc_load64le(next + 2 * KAFKA_CRC32C_LONG));
            next += 8;
        } while (next < end);
        crc0 = kafka_crc32c_shift(kafka_crc32c_long_zeros, (uint32_t)crc0) ^ crc1;
        crc0 = kafka_crc32c_shift(kafka_crc32c_long_zeros, (uint32_t)crc0) ^ crc2;
        next += 2 * KAFKA_CRC32C_LONG;
        len -= 3 * KAFKA_CRC32C_LONG;
    }

    while (len >= 3 * KAFKA_CRC32C_SHORT) {
        uint64_t crc1 = 0, crc2 = 0;
        const unsigned char *end = next + KAFKA_CRC32C_SHORT;
        do {
            crc0 = KAFKA_CRC_U64(crc0, kafka_crc_load64le(next));
            crc1 = KAFKA_CRC_U64(crc1, kafka_crc_load64le(next + KAFKA_CRC32C_SHORT));
            crc2 = KAFKA_CRC_U64(crc2, kafka_crc_load64le(next + 2 * KAFKA_CRC32C_SHORT));
            next += 8;
        } while (next < end);
        crc0 = kafka_crc32c_shift(kafka_crc32c_short_zeros, (uint32_t)crc0) ^ crc1;
        crc0 = kafka_crc32c_shift(kafka_crc32c_short_zeros, (uint32_t)crc0) ^ crc2;
        next += 2 * KAFKA_CRC32C_SHORT;
        len -= 3 * KAFKA_CRC32C_SHORT;
    }

    while (len >= 8) {
        crc0 = KAFKA_CRC_U64(crc0, kafka_crc_load64le(next));
        next += 8;
        len -= 8;
    }
    while (len) {
        crc0 = KAFKA_CRC_U8(crc0, *next);
        next++;
        len--;
    }
    return ~(uint32_t)crc0;
}

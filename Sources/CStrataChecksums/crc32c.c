// CRC-32C with the processor's own instruction, where there is one. The
// table-driven code in StrataCodecs computes the same function everywhere;
// this one checksums 1 MB at 7.8 GB/s on this machine against 1.5 GB/s for
// the tables (CodecBenchmarks, "CRC-32C (MB/s)").

#include "CStrataChecksums.h"
#include <string.h>

#if defined(__x86_64__)

int strata_crc32c_hardware_available(void) {
    return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2")))
uint32_t strata_crc32c_hardware_update(uint32_t state, const void *bytes, size_t count) {
    const unsigned char *next = bytes;
    uint64_t wide = state;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, next, 8);  // unaligned load
        wide = __builtin_ia32_crc32di(wide, word);
        next += 8;
        count -= 8;
    }
    uint32_t narrow = (uint32_t)wide;
    while (count > 0) {
        narrow = __builtin_ia32_crc32qi(narrow, *next);
        next += 1;
        count -= 1;
    }
    return narrow;
}

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)

#include <arm_acle.h>

int strata_crc32c_hardware_available(void) {
    return 1;
}

uint32_t strata_crc32c_hardware_update(uint32_t state, const void *bytes, size_t count) {
    const unsigned char *next = bytes;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, next, 8);
        state = __crc32cd(state, word);
        next += 8;
        count -= 8;
    }
    while (count > 0) {
        state = __crc32cb(state, *next);
        next += 1;
        count -= 1;
    }
    return state;
}

#else

int strata_crc32c_hardware_available(void) {
    return 0;
}

uint32_t strata_crc32c_hardware_update(uint32_t state, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return state;
}

#endif

#ifndef STRATA_CHECKSUMS_H
#define STRATA_CHECKSUMS_H

#include <stddef.h>
#include <stdint.h>

/// Nonzero when this processor computes CRC-32C in hardware (SSE 4.2 on
/// x86-64, the CRC extension on 64-bit ARM) and this build can use it.
int strata_crc32c_hardware_available(void);

/// Folds `count` bytes at `bytes` into `state`, the CRC-32C register
/// (already inverted: pass ~crc, and invert the result). Only call it when
/// `strata_crc32c_hardware_available()` returned nonzero.
uint32_t strata_crc32c_hardware_update(uint32_t state, const void *bytes, size_t count);

#endif

// System calls Swift's Glibc module does not export (sync_file_range and
// mallopt are declared only under _GNU_SOURCE or in <malloc.h>).
#define _GNU_SOURCE
#include "CStrataSystem.h"

#include <errno.h>
#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int strata_keep_freed_memory(void) {
#if defined(__GLIBC__)
    // M_MMAP_MAX 0: large blocks come from the heap, where a freed one is reused;
    // M_TRIM_THRESHOLD at its largest: the heap's free top is kept, not returned.
    int unmapped = mallopt(M_MMAP_MAX, 0);
    int untrimmed = mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
    return unmapped && untrimmed;
#else
    return 0;
#endif
}

int strata_start_writeback(int descriptor, int64_t offset, int64_t length) {
#if defined(__linux__)
    if (sync_file_range(descriptor, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE) == 0) return 0;
    return errno;
#else
    (void)descriptor; (void)offset; (void)length;
    return ENOSYS;
#endif
}

int strata_drop_cached(int descriptor, int64_t offset, int64_t length) {
#if defined(__linux__)
    return posix_fadvise(descriptor, (off_t)offset, (off_t)length, POSIX_FADV_DONTNEED);
#else
    (void)descriptor; (void)offset; (void)length;
    return ENOSYS;
#endif
}

int strata_prefetch(int descriptor, int64_t offset, int64_t length) {
#if defined(__linux__)
    return posix_fadvise(descriptor, (off_t)offset, (off_t)length, POSIX_FADV_WILLNEED);
#else
    (void)descriptor; (void)offset; (void)length;
    return ENOSYS;
#endif
}

#ifndef STRATA_SYSTEM_H
#define STRATA_SYSTEM_H

#include <stdint.h>

/// Asks the C library's allocator to keep memory a process frees for its
/// next allocations instead of returning it to the kernel at once (glibc:
/// no separate mappings for large blocks, no trimming of the heap's top).
/// Returns nonzero when the allocator took the advice; zero where it has no
/// such settings. For a short-lived command that builds and drops large
/// arrays: on virtual machines a page the kernel hands out afresh costs
/// microseconds to fault in and clear.
int strata_keep_freed_memory(void);

/// Starts writing back to the disk the dirty pages of bytes
/// [offset, offset + length) of the open file `descriptor`, without waiting
/// for them (Linux `sync_file_range` with `SYNC_FILE_RANGE_WRITE`), so a
/// later fsync has little left to do. Returns 0, or an errno value; ENOSYS
/// where the system has no such call. It makes nothing durable by itself.
int strata_start_writeback(int descriptor, int64_t offset, int64_t length);

/// Lets the kernel drop the clean pages of bytes [offset, offset + length) of
/// `descriptor` from the page cache (`POSIX_FADV_DONTNEED`; pages still dirty
/// or being written stay), without waiting for anything: a writer of
/// gigabytes whose earlier pages have reached the disk then reuses their memory
/// instead of making the kernel find fresh pages for every new one. Returns 0,
/// or an errno value; ENOSYS where the system has no such call.
int strata_drop_cached(int descriptor, int64_t offset, int64_t length);

/// Asks the kernel to start reading bytes [offset, offset + length) of
/// `descriptor` into the page cache (`POSIX_FADV_WILLNEED`) without waiting
/// for the disk, so a reader going front to back finds them there. Returns 0,
/// or an errno value; ENOSYS where the system has no such call.
int strata_prefetch(int descriptor, int64_t offset, int64_t length);

#endif

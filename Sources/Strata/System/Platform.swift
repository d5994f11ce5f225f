// Strata is built and tested on Linux only (glibc; x86_64 in CI). This folder,
// System/, is where it meets the operating system, and it relies on what Linux
// has: sync_file_range and glibc's mallopt (CStrataSystem), MADV_DONTNEED's
// dropping of mapped pages, /proc, and glibc's spellings of the pthread and
// rusage types. Nothing else is built, so nothing else is claimed. StrataCodecs
// alone is plain Swift and C.
#if !os(Linux)
#error("Strata builds on Linux only: its System/ layer uses Linux system interfaces (see System/Platform.swift)")
#endif

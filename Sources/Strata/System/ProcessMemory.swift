import Glibc

/// What the kernel says about the process's memory; `package`, for the
/// CLI's benchmarks.
package enum ProcessMemory {
    /// The size of a memory page in bytes.
    package static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// The peak resident set size so far, in KiB (Linux reports `ru_maxrss` in KiB).
    package static func peakResidentKiB() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss)
    }
}

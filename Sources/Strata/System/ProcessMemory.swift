#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the kernel says about the process's memory; `package`, for the
/// CLI's benchmarks.
package enum ProcessMemory {
    /// The size of a memory page in bytes.
    package static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// The peak resident set size so far, in KiB (Linux reports `ru_maxrss` in KiB).
    package static func peakResidentKiB() -> Int {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Int(usage.ru_maxrss)
    }
}

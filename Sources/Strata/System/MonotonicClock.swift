import Glibc

/// A clock that only moves forward (`CLOCK_MONOTONIC`), for measuring
/// durations; `package`, for the CLI's benchmarks.
package enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (boot, on Linux).
    package static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

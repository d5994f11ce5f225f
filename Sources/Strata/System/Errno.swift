#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error number reported by a system call, captured right after the call
/// so nothing in between can overwrite it.
struct Errno: Error, Equatable, CustomStringConvertible {
    let rawValue: Int32

    /// Reads the calling thread's `errno`.
    static var current: Errno { Errno(rawValue: errno) }

    static let interrupted = Errno(rawValue: EINTR)
    static let noSuchFile = Errno(rawValue: ENOENT)
    static let wouldBlock = Errno(rawValue: EWOULDBLOCK)

    var description: String { String(cString: strerror(rawValue)) }
}

/// Runs a system call that returns -1 and sets `errno` on failure, retrying
/// while it is interrupted by a signal. The one place the EINTR loop lives.
@inline(__always)
func retryingOnInterrupt<Result: FixedWidthInteger>(
    _ call: () -> Result
) throws(Errno) -> Result {
    while true {
        let result = call()
        if result != -1 { return result }
        let error = Errno.current
        if error != .interrupted { throw error }
    }
}

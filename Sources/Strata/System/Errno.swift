import Glibc

/// An error number reported by a system call, captured right after the call
/// so nothing in between can overwrite it.
/// `package`, so the CLI can tell one failure from another.
package struct Errno: Error, Equatable, CustomStringConvertible {
    package let rawValue: Int32

    /// Reads the calling thread's `errno`.
    static var current: Errno { Errno(rawValue: errno) }

    static let interrupted = Errno(rawValue: EINTR)
    package static let noSuchFile = Errno(rawValue: ENOENT)
    package static let isDirectory = Errno(rawValue: EISDIR)
    static let wouldBlock = Errno(rawValue: EWOULDBLOCK)
    static let fileExists = Errno(rawValue: EEXIST)

    package var description: String { String(cString: strerror(rawValue)) }
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

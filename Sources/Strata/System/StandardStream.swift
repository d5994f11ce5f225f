import Glibc

/// The process's standard output and standard error, written through
/// their descriptors (Swift 6 forbids touching the C globals `stdout` and
/// `stderr`). For the CLI, hence `package`: embedders do not see it.
package enum StandardStream: Int32, Sendable {
    case output = 1
    case error = 2

    /// Writes all of `bytes`, looping over short writes and interruptions.
    package func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        guard !bytes.isEmpty else { return }
        try FileDescriptor(rawValue: rawValue, path: self == .output ? "/dev/stdout" : "/dev/stderr").writeSequentially(bytes)
    }

    /// Writes all of `bytes`.
    package func write(_ bytes: [UInt8]) throws(Errno) {
        // withUnsafeBytes rethrows untyped errors: carry the Errno out as a value.
        let failure = bytes.withUnsafeBytes { raw -> Errno? in
            do throws(Errno) { try write(raw); return nil } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Whether the stream is a terminal (for progress and colour decisions).
    package var isTerminal: Bool { isatty(rawValue) == 1 }
}

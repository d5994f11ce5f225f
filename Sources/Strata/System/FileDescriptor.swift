#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thin typed wrapper over a POSIX file descriptor. It does not close
/// itself: the owner calls ``close()`` exactly once.
struct FileDescriptor {
    let rawValue: Int32

    /// Opens `path` with `flags` (`O_RDONLY`, `O_WRONLY | O_CREAT | O_EXCL`, ...).
    static func open(_ path: String, _ flags: Int32, permissions: mode_t = 0o644) throws(Errno) -> FileDescriptor {
        let fd = try retryingOnInterrupt { Glibc.open(path, flags | O_CLOEXEC, permissions) }
        return FileDescriptor(rawValue: fd)
    }

    func close() {
        // close() must not be retried on EINTR on Linux: the descriptor is already gone.
        _ = Glibc.close(rawValue)
    }

    /// Writes all of `bytes` at `offset`, looping over short writes.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(Errno) {
        var written = 0
        while written < bytes.count {
            let n = try retryingOnInterrupt {
                pwrite(rawValue, bytes.baseAddress! + written, bytes.count - written, off_t(offset + written))
            }
            if n == 0 { throw Errno(rawValue: EIO) }
            written += n
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset`; returns fewer only at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(Errno) -> Int {
        var total = 0
        while total < buffer.count {
            let n = try retryingOnInterrupt {
                pread(rawValue, buffer.baseAddress! + total, buffer.count - total, off_t(offset + total))
            }
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// Flushes the file's data and metadata to stable storage.
    func sync() throws(Errno) {
        _ = try retryingOnInterrupt { fsync(rawValue) }
    }

    /// The file's size in bytes.
    func size() throws(Errno) -> Int {
        var info = stat()
        _ = try retryingOnInterrupt { fstat(rawValue, &info) }
        return Int(info.st_size)
    }
}

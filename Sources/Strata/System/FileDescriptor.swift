import Glibc
import CStrataSystem

/// A thin typed wrapper over a POSIX file descriptor. It does not close
/// itself: the owner calls ``close()`` exactly once. It remembers its path
/// for error messages and for ``FaultInjection``.
struct FileDescriptor: @unchecked Sendable {
    let rawValue: Int32
    let path: String

    /// Opens `path` as `options` say (`.readOnly`, `.createNew`, `[.writeOnly, .create]`, ...).
    static func open(_ path: String, _ options: OpenOptions, permissions: mode_t = 0o644) throws(Errno) -> FileDescriptor {
        try FaultInjection.check(.open, path: path)
        let fd = try retryingOnInterrupt { Glibc.open(path, options.rawValue | O_CLOEXEC, permissions) }
        return FileDescriptor(rawValue: fd, path: path)
    }

    /// The same descriptor, known by `path` from now on (after a rename).
    func renamed(to path: String) -> FileDescriptor {
        FileDescriptor(rawValue: rawValue, path: path)
    }

    func close() {
        // close() must not be retried on EINTR on Linux: the descriptor is already gone.
        _ = Glibc.close(rawValue)
    }

    /// Writes all of `bytes` at `offset`, looping over short writes.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(Errno) {
        var written = 0
        while written < bytes.count {
            var length = bytes.count - written
            switch FaultInjection.fault(.write, path: path) {
            case .fail(let code)?: throw Errno(rawValue: code)
            case .shortWrite(let allowed)?: length = min(length, max(0, allowed))
            case nil: break
            }
            if length == 0 { throw Errno(rawValue: EIO) }
            let n = try retryingOnInterrupt {
                pwrite(rawValue, bytes.baseAddress! + written, length, off_t(offset + written))
            }
            if n == 0 { throw Errno(rawValue: EIO) }
            written += n
        }
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: Int) throws(Errno) {
        // withUnsafeBytes rethrows untyped errors: carry the Errno out as a value.
        let failure = bytes.withUnsafeBytes { raw -> Errno? in
            do throws(Errno) { try write(raw, at: offset); return nil } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns fewer only at end of file.
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
        if case .fail(let code)? = FaultInjection.fault(.sync, path: path) { throw Errno(rawValue: code) }
        _ = try retryingOnInterrupt { fsync(rawValue) }
    }

    /// Flushes the file's data (and the metadata needed to read it back, such
    /// as its size) to stable storage: cheaper than ``sync()`` for appends.
    func dataSync() throws(Errno) {
        if case .fail(let code)? = FaultInjection.fault(.sync, path: path) { throw Errno(rawValue: code) }
        _ = try retryingOnInterrupt { fdatasync(rawValue) }
    }

    /// Starts writing bytes `offset ..< offset + length` back to the disk
    /// without waiting (Linux `sync_file_range`), so a later ``sync()`` has
    /// little left to do. Advice only: it makes nothing durable, and where the
    /// system cannot take it nothing happens.
    func startWriteback(offset: Int, length: Int) {
        _ = strata_start_writeback(rawValue, Int64(offset), Int64(length))
    }

    /// Lets the kernel drop the clean cached pages of `offset..<offset + length`
    /// (see `strata_drop_cached`). Advice only: nothing waits, a failure is ignored.
    func dropCached(offset: Int, length: Int) {
        _ = strata_drop_cached(rawValue, Int64(offset), Int64(length))
    }

    /// Asks the kernel to start reading `offset..<offset + length` into the page
    /// cache (see `strata_prefetch`). Advice only: nothing waits, a failure is ignored.
    func prefetch(offset: Int, length: Int) {
        _ = strata_prefetch(rawValue, Int64(offset), Int64(length))
    }

    /// Cuts the file to `length` bytes.
    func truncate(to length: Int) throws(Errno) {
        if case .fail(let code)? = FaultInjection.fault(.truncate, path: path) { throw Errno(rawValue: code) }
        _ = try retryingOnInterrupt { ftruncate(rawValue, off_t(length)) }
    }

    /// True when the descriptor is a regular file (not a directory, pipe, socket or device).
    func isRegularFile() throws(Errno) -> Bool {
        var info = stat()
        _ = try retryingOnInterrupt { fstat(rawValue, &info) }
        return (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The file's size in bytes.
    func size() throws(Errno) -> Int {
        var info = stat()
        _ = try retryingOnInterrupt { fstat(rawValue, &info) }
        return Int(info.st_size)
    }
}

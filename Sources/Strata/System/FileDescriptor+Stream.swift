import Glibc

extension FileDescriptor {
    /// Writes all of `bytes` at the current position, looping over short
    /// writes: for pipes and devices, where `pwrite` fails with `ESPIPE`.
    func writeSequentially(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var written = 0
        while written < bytes.count {
            if case .fail(let code)? = FaultInjection.fault(.write, path: path) { throw Errno(rawValue: code) }
            let n = try retryingOnInterrupt { Glibc.write(rawValue, bytes.baseAddress! + written, bytes.count - written) }
            if n == 0 { throw Errno(rawValue: EIO) }
            written += n
        }
    }
}

extension FileSystem {
    /// Whether `path` (symbolic links followed) exists and is neither a
    /// regular file nor a directory: a device, a pipe or a socket.
    static func isSpecialFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let kind = info.st_mode & S_IFMT
        return kind != S_IFREG && kind != S_IFDIR
    }
}

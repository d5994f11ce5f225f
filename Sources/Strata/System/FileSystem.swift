import Glibc

/// Directory-level operations: creating, listing, renaming, and making
/// directory entries durable.
enum FileSystem {
    /// Creates `path` as a directory if it does not exist yet.
    static func createDirectory(_ path: String) throws(Errno) {
        try FaultInjection.check(.makeDirectory, path: path)
        if mkdir(path, 0o755) == -1 {
            let error = Errno.current
            if error.rawValue == EEXIST, isDirectory(path) { return }
            throw error
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func fileExists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The names in directory `path`, without `.` and `..`, in no set order.
    static func contentsOfDirectory(_ path: String) throws(Errno) -> [String] {
        guard let directory = opendir(path) else { throw Errno.current }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Creates `path` and each missing parent, like `mkdir -p`.
    static func createDirectories(_ path: String) throws(Errno) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            try FileSystem.createDirectory(prefix)
            prefix += "/"
        }
    }

    /// Reads a whole small file (at most `limit` bytes are read).
    static func readSmallFile(_ path: String, limit: Int) throws(Errno) -> [UInt8] {
        let descriptor = try FileDescriptor.open(path, .readOnly)
        defer { descriptor.close() }
        var buffer = [UInt8](repeating: 0, count: limit)
        let outcome = buffer.withUnsafeMutableBytes { raw -> Result<Int, Errno> in
            do throws(Errno) { return .success(try descriptor.read(into: raw, at: 0)) } catch { return .failure(error) }
        }
        return Array(buffer[0..<(try outcome.get())])
    }

    /// Fsyncs directory `path` so that creations, renames and deletions in
    /// it survive a power loss.
    static func syncDirectory(_ path: String) throws(Errno) {
        try FaultInjection.check(.directorySync, path: path)
        let descriptor = try FileDescriptor.open(path, .directory)
        defer { descriptor.close() }
        try descriptor.sync()
    }

    /// Atomically replaces `destination` with `source` (same file system).
    static func rename(_ source: String, to destination: String) throws(Errno) {
        try FaultInjection.check(.rename, path: source)
        try FaultInjection.check(.rename, path: destination)
        _ = try retryingOnInterrupt { Glibc.rename(source, destination) }
    }

    /// Gives the file at `existing` a second name, `newName` (same file
    /// system), failing rather than replace an existing file.
    static func link(_ existing: String, to newName: String) throws(Errno) {
        try FaultInjection.check(.link, path: newName)
        _ = try retryingOnInterrupt { Glibc.link(existing, newName) }
    }

    static func removeFile(_ path: String) throws(Errno) {
        try FaultInjection.check(.unlink, path: path)
        _ = try retryingOnInterrupt { unlink(path) }
    }

    /// Writes `contents` to a new file at `path` durably; see the buffer variant.
    static func writeFileAtomically(_ path: String, directory: String, contents: [UInt8]) throws(Errno) {
        // withUnsafeBytes only rethrows untyped errors: carry the Errno out as a value.
        let failure = contents.withUnsafeBytes { bytes -> Errno? in
            do throws(Errno) {
                try writeFileAtomically(path, directory: directory, bytes: bytes)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Writes `bytes` to a new file at `path` durably: written to
    /// `path.tmp`, fsynced, linked into place under its final name (which
    /// fails rather than replace an existing file), the temporary name
    /// removed, and the directory fsynced. After a crash `path` is either
    /// absent or complete.
    static func writeFileAtomically(_ path: String, directory: String, bytes: UnsafeRawBufferPointer) throws(Errno) {
        let temporary = path + ".tmp"
        try writeSyncedFile(temporary, bytes: bytes)
        do throws(Errno) {
            try link(temporary, to: path)
        } catch {
            _ = unlink(temporary)
            throw error
        }
        _ = unlink(temporary)
        try syncDirectory(directory)
    }

    /// Reads a whole file.
    static func readFile(_ path: String) throws(Errno) -> [UInt8] {
        let descriptor = try FileDescriptor.open(path, .readOnly)
        defer { descriptor.close() }
        let size = try descriptor.size()
        var buffer = [UInt8](repeating: 0, count: size)
        let outcome = buffer.withUnsafeMutableBytes { raw -> Result<Int, Errno> in
            do throws(Errno) { return .success(try descriptor.read(into: raw, at: 0)) } catch { return .failure(error) }
        }
        let count = try outcome.get()
        if count < size { buffer.removeLast(size - count) }
        return buffer
    }

    /// Replaces `path` with `contents` atomically and durably: written to
    /// `path.tmp`, fsynced, renamed over `path`, and the directory fsynced.
    /// After a crash `path` holds the old contents or the new, never a mix.
    static func replaceFileAtomically(_ path: String, directory: String, contents: [UInt8]) throws(Errno) {
        try replaceFileWithoutDirectorySync(path, contents: contents)
        try syncDirectory(directory)
    }

    /// The first half of ``replaceFileAtomically(_:directory:contents:)``:
    /// `path.tmp` written, fsynced and renamed over `path`. Once it returns,
    /// every reader sees the new contents; the caller's directory sync makes
    /// the rename survive a power loss. On failure `path` is unchanged.
    static func replaceFileWithoutDirectorySync(_ path: String, contents: [UInt8]) throws(Errno) {
        let temporary = path + ".tmp"
        _ = unlink(temporary)
        try writeNewFile(temporary, contents: contents)
        do {
            try rename(temporary, to: path)
        } catch {
            _ = unlink(temporary)
            throw error
        }
    }

    /// Creates `path` (which must not exist), writes `contents` and fsyncs
    /// it; on failure the file is removed. The caller renames it into place.
    private static func writeNewFile(_ path: String, contents: [UInt8]) throws(Errno) {
        let failure = contents.withUnsafeBytes { bytes -> Errno? in
            do throws(Errno) { try writeSyncedFile(path, bytes: bytes); return nil } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Creates `path` (which must not exist), writes `bytes` and fsyncs it;
    /// on failure the file is removed.
    private static func writeSyncedFile(_ path: String, bytes: UnsafeRawBufferPointer) throws(Errno) {
        let descriptor = try FileDescriptor.open(path, .createNew)
        do {
            try descriptor.write(bytes, at: 0)
            try descriptor.sync()
        } catch {
            descriptor.close()
            _ = unlink(path)
            throw error
        }
        descriptor.close()
    }
}

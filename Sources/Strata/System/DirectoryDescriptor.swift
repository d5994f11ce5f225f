import Glibc

/// An open directory, through which files and subdirectories are created,
/// renamed and removed by name (`openat`, `mkdirat`, `renameat`,
/// `unlinkat`) and never through a symbolic link (`O_NOFOLLOW`).
///
/// Writing relative to an open directory pins every write below it: a
/// symbolic link planted among the names (or a directory renamed meanwhile)
/// cannot redirect a write outside. Like ``FileDescriptor`` it does not
/// close itself; the owner calls ``close()`` exactly once.
struct DirectoryDescriptor: @unchecked Sendable {
    let rawValue: Int32
    /// The directory's path, for messages and ``FaultInjection``.
    let path: String

    /// Opens the directory at `path`. The path itself is resolved as given
    /// (the caller named it, symbolic links included).
    static func open(_ path: String) throws(Errno) -> DirectoryDescriptor {
        try FaultInjection.check(.open, path: path)
        let fd = try retryingOnInterrupt { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        return DirectoryDescriptor(rawValue: fd, path: path)
    }

    /// The subdirectory `name`, created first when `create` is set and it is
    /// missing (`created` tells). A symbolic link at `name` fails with
    /// `ELOOP`, anything else that is not a directory with `ENOTDIR`. A
    /// directory created here and then not opened is removed again.
    func subdirectory(_ name: String, create: Bool) throws(Errno) -> (directory: DirectoryDescriptor, created: Bool) {
        var created = false
        if create {
            try FaultInjection.check(.makeDirectory, path: child(name))
            if mkdirat(rawValue, name, 0o755) == 0 {
                created = true
            } else if errno != EEXIST {
                throw Errno.current
            }
        }
        do throws(Errno) {
            try FaultInjection.check(.open, path: child(name))
            let fd = try retryingOnInterrupt { openat(rawValue, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            return (DirectoryDescriptor(rawValue: fd, path: child(name)), created)
        } catch {
            if created { removeEmptyDirectory(name) }
            throw error
        }
    }

    /// Creates the file `name`, which must not exist (not even as a symbolic
    /// link), open for writing.
    func createFile(_ name: String, permissions: mode_t = 0o644) throws(Errno) -> FileDescriptor {
        try FaultInjection.check(.open, path: child(name))
        let fd = try retryingOnInterrupt {
            openat(rawValue, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        }
        return FileDescriptor(rawValue: fd, path: child(name))
    }

    /// Whether `name` is a symbolic link (not followed); false when missing.
    func isSymbolicLink(_ name: String) -> Bool {
        var info = stat()
        return fstatat(rawValue, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// Whether `name` is a directory (a symbolic link is not followed).
    func isDirectory(_ name: String) -> Bool {
        var info = stat()
        return fstatat(rawValue, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Atomically replaces `destination` with `source`, both in this directory.
    func rename(_ source: String, to destination: String) throws(Errno) {
        try FaultInjection.check(.rename, path: child(source))
        try FaultInjection.check(.rename, path: child(destination))
        _ = try retryingOnInterrupt { renameat(rawValue, source, rawValue, destination) }
    }

    /// Removes the file `name`.
    func removeFile(_ name: String) throws(Errno) {
        try FaultInjection.check(.unlink, path: child(name))
        _ = try retryingOnInterrupt { unlinkat(rawValue, name, 0) }
    }

    /// Removes the subdirectory `name` if it is empty; else leaves it (and reports nothing).
    func removeEmptyDirectory(_ name: String) {
        _ = unlinkat(rawValue, name, AT_REMOVEDIR)
    }

    /// Makes the directory's entries (creations, renames, removals) durable.
    func sync() throws(Errno) {
        try FaultInjection.check(.directorySync, path: path)
        _ = try retryingOnInterrupt { fsync(rawValue) }
    }

    func close() {
        // close() must not be retried on EINTR on Linux: the descriptor is already gone.
        _ = Glibc.close(rawValue)
    }

    /// The path of `name` in this directory, for messages.
    func child(_ name: String) -> String {
        path.hasSuffix("/") ? path + name : path + "/" + name
    }
}

import Glibc

extension FileDescriptor {
    /// How ``FileDescriptor/open(_:_:permissions:)`` opens a file: the
    /// access mode and creation flags of `open(2)`, by name, so no raw `O_*`
    /// flag appears outside `System/`. `O_CLOEXEC` is always added.
    struct OpenOptions: OptionSet, Sendable {
        let rawValue: Int32

        /// Read only: the empty set, as `O_RDONLY` is zero.
        static var readOnly: OpenOptions { [] }
        static let writeOnly = OpenOptions(rawValue: O_WRONLY)
        static let readWrite = OpenOptions(rawValue: O_RDWR)
        /// Create the file when it is missing (`O_CREAT`).
        static let create = OpenOptions(rawValue: O_CREAT)
        /// With ``create``, fail with `EEXIST` when the name exists (`O_EXCL`).
        static let exclusive = OpenOptions(rawValue: O_EXCL)
        /// Cut an existing file to zero bytes (`O_TRUNC`).
        static let truncate = OpenOptions(rawValue: O_TRUNC)
        /// Fail with `ENOTDIR` unless the path is a directory (`O_DIRECTORY`).
        static let directory = OpenOptions(rawValue: O_DIRECTORY)
        /// Do not wait on open (a FIFO without a writer, a device) (`O_NONBLOCK`).
        static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)
        /// Fail with `ELOOP` when the last component is a symbolic link (`O_NOFOLLOW`).
        static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)

        /// A new file for writing; fails when the name exists.
        static let createNew: OpenOptions = [.writeOnly, .create, .exclusive]
        /// A file for writing, created when missing, emptied when present.
        static let createOrTruncate: OpenOptions = [.writeOnly, .create, .truncate]
    }
}

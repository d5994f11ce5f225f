import Glibc

/// A file that appears whole or not at all: bytes go to a hidden temporary
/// file beside the destination (`.NAME.XXXXXXXX.tmp`), and ``commit()``
/// syncs it, renames it over the destination and syncs the directory.
///
/// A failed or abandoned export (an error, a full disk, a file released
/// without ``commit()``) removes the temporary file and leaves the
/// destination as it was. A symbolic link at the destination is replaced by
/// the file, never written through; the temporary file is created with
/// `O_EXCL | O_NOFOLLOW`.
///
/// A destination that exists and is not a regular file or a directory (a
/// device such as `/dev/null` or `/dev/stdout`, a named pipe) cannot be
/// replaced: it is written to directly, as a stream, and ``discard()``
/// only stops writing.
///
/// ```swift
/// let file = try ExportFile(path: "points.csv")
/// try file.write(Array("device,metric,ts_ms,value\n".utf8))
/// try file.commit()
/// ```
public final class ExportFile {
    /// The destination: where the file appears at ``commit()``.
    public let path: String
    /// Bytes written so far.
    public private(set) var byteCount = 0
    /// How the file reaches its destination.
    private enum Placement {
        /// Written under `temporaryName` in `directory`, renamed to `name` at commit.
        case replacing(directory: DirectoryDescriptor, ownsDirectory: Bool, name: String, temporaryName: String)
        /// Written straight to a device or pipe.
        case streaming
    }

    private let placement: Placement
    private let file: FileDescriptor
    private var isFinished = false
    /// Where the bytes not yet handed to the disk's writeback begin.
    private var writebackStart = 0
    /// Where the step handed to writeback before the last one begins.
    private var previousWritebackStart = 0
    /// Where the pages not yet offered back to the kernel begin (two steps behind).
    private var droppedUpTo = 0
    /// Bytes handed to writeback at a time while the file is written, so the
    /// disk writes while the rows are formatted and ``commit()``'s fsync finds
    /// little left (it took a quarter of a 4 GB export's time).
    static let writebackStep = 32 << 20

    /// Starts a file that will appear at `path`; the directory holding it must exist.
    public convenience init(path: String) throws(StrataError) {
        let (parent, name) = Self.split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw StrataError(.invalidArgument, "names a directory, not a file", path: path)
        }
        if FileSystem.isSpecialFile(path) {
            do throws(Errno) {
                try self.init(stream: FileDescriptor.open(path, .writeOnly), path: path)
            } catch {
                throw .io(error, "opening", path: path)
            }
            return
        }
        let directory: DirectoryDescriptor
        do throws(Errno) {
            directory = try DirectoryDescriptor.open(parent)
        } catch {
            throw .io(error, "opening the destination's directory", path: parent)
        }
        try self.init(directory: directory, name: name, path: path, ownsDirectory: true)
    }

    private init(stream: FileDescriptor, path: String) {
        (file, placement, self.path) = (stream, .streaming, path)
    }

    /// Starts a file `name` in the open `directory`, known as `path` in
    /// messages. The directory must stay open until the file is finished;
    /// with `ownsDirectory` the file closes it when finished (or failing here).
    init(directory: DirectoryDescriptor, name: String, path: String, ownsDirectory: Bool = false) throws(StrataError) {
        do throws(StrataError) {
            if directory.isDirectory(name) {
                throw StrataError(.invalidArgument, "is a directory, not a file", path: path)
            }
            let (file, temporaryName) = try Self.createTemporaryFile(for: name, in: directory)
            self.file = file
            placement = .replacing(directory: directory, ownsDirectory: ownsDirectory, name: name, temporaryName: temporaryName)
        } catch {
            if ownsDirectory { directory.close() }
            throw error
        }
        self.path = path
    }

    /// A new hidden file beside `name`: `.` and a readable hint of `name`
    /// (short enough for any name length limit), a random tag, `.tmp`.
    private static func createTemporaryFile(for name: String, in directory: DirectoryDescriptor) throws(StrataError) -> (FileDescriptor, String) {
        var hint = ""
        for scalar in name.unicodeScalars {
            if hint.utf8.count + String(scalar).utf8.count > 100 { break }
            hint.unicodeScalars.append(scalar)
        }
        var attempt = 0
        while true {
            let candidate = "." + hint + "." + hex(UInt32.random(in: .min ... .max)) + ".tmp"
            do throws(Errno) {
                return (try directory.createFile(candidate), candidate)
            } catch {
                attempt += 1
                if error.rawValue == EEXIST && attempt < 8 { continue }
                throw .io(error, "creating the temporary file \(candidate) beside it", path: directory.child(name))
            }
        }
    }

    deinit {
        if !isFinished { discard() }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(StrataError) {
        guard !isFinished else { throw StrataError(.closed, "the export file is already finished", path: path) }
        do throws(Errno) {
            if case .streaming = placement {
                try file.writeSequentially(bytes)
            } else {
                try file.write(bytes, at: byteCount)
            }
        } catch {
            throw .io(error, "writing", path: path)
        }
        byteCount += bytes.count
        if case .replacing = placement, byteCount - writebackStart >= Self.writebackStep {
            file.startWriteback(offset: writebackStart, length: byteCount - writebackStart)
            // What was handed to writeback two steps ago has most likely reached the disk:
            // its clean pages go back to the kernel for the next steps.
            if previousWritebackStart > droppedUpTo {
                file.dropCached(offset: droppedUpTo, length: previousWritebackStart - droppedUpTo)
                droppedUpTo = previousWritebackStart
            }
            previousWritebackStart = writebackStart
            writebackStart = byteCount
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws(StrataError) {
        let failure = bytes.withUnsafeBytes { raw -> StrataError? in
            do throws(StrataError) { try write(raw); return nil } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Makes the file durable and puts it in place of the destination. On
    /// failure the temporary file is removed and the destination is untouched.
    public func commit() throws(StrataError) {
        guard !isFinished else { throw StrataError(.closed, "the export file is already finished", path: path) }
        guard case .replacing(let directory, let ownsDirectory, let name, let temporaryName) = placement else {
            isFinished = true
            file.close()
            return
        }
        do throws(Errno) {
            try file.sync()
            try directory.rename(temporaryName, to: name)
        } catch {
            discard()
            throw .io(error, "putting the export in place", path: path)
        }
        isFinished = true
        file.close()
        defer { if ownsDirectory { directory.close() } }
        do throws(Errno) {
            try directory.sync()
        } catch {
            throw .io(error, "syncing the directory", path: directory.path)
        }
    }

    /// Abandons the file: the temporary file is removed, the destination untouched.
    public func discard() {
        guard !isFinished else { return }
        isFinished = true
        file.close()
        if case .replacing(let directory, let ownsDirectory, _, let temporaryName) = placement {
            try? directory.removeFile(temporaryName)
            if ownsDirectory { directory.close() }
        }
    }

    /// `path`'s directory (`.` when it has none) and last component.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

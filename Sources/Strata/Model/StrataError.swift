/// An error reported by Strata, with enough context to act on: what went
/// wrong, and where (file and byte offset) when a file is involved.
///
/// Match on ``code`` to handle a kind of failure:
///
/// ```swift
/// do { try store.append(...) }
/// catch let error as StrataError where error.code == .invalidName { ... }
/// ```
public struct StrataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Equatable {
        /// A device or metric name is empty, longer than 255 bytes, or contains control characters.
        case invalidName
        /// A value's type differs from the type the series already has (Float64 vs Int64).
        case typeMismatch
        /// An argument is out of its allowed range.
        case invalidArgument
        /// A file is damaged: bad magic, a failed checksum, an index that points outside the file.
        case corruptFile
        /// A file was written by a newer, unknown format version.
        case unsupportedVersion
        /// The operating system reported an error (a full disk, a permission, an I/O error).
        case io
        /// The store was closed.
        case closed
        /// Another writer holds the store (its process id is in the message when known).
        case locked
        /// The store was opened ``Store/AccessMode/readOnly`` and cannot be changed.
        case readOnly
    }

    /// The kind of failure.
    public let code: Code
    /// A one-line explanation for a person.
    public let message: String
    /// The file involved, if any.
    public let path: String?
    /// The byte offset in ``path`` where the problem was found, if known.
    public let offset: Int?

    /// An error of kind `code`, with a message for a person and, for file problems, where.
    public init(_ code: Code, _ message: String, path: String? = nil, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
    }

    /// The message, followed by the file and offset when known.
    public var description: String {
        var text = ""
        if let path { text += path }
        if let offset { text += text.isEmpty ? "offset \(offset)" : " at offset \(offset)" }
        return text.isEmpty ? message : text + ": " + message
    }

    static func io(_ errno: Errno, _ action: String, path: String) -> StrataError {
        StrataError(.io, "\(action) failed: \(errno)", path: path)
    }
}

/// A malformed row in an input file: where it is and what is wrong with it.
public struct RowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input's name as the user gave it (`-` for standard input).
    public let file: String
    /// 1-based line number.
    public let line: Int
    /// 1-based byte column of the offending text within the line, when the
    /// format pins it down (line protocol does; CSV rows are reported whole).
    public let column: Int?
    /// What is wrong, for people.
    public let reason: String

    /// A row error at `line` (and `column`, when known) of `file`.
    public init(file: String, line: Int, column: Int? = nil, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `file:line: reason`, or `file:line:column: reason`, the form compilers use, so editors can jump to it.
    public var description: String {
        if let column { return "\(file):\(line):\(column): \(reason)" }
        return "\(file):\(line): \(reason)"
    }
}

/// What parsing one input produced, whatever its format.
public struct ImportResult: Sendable {
    /// The good rows.
    public var batch: WriteBatch
    /// The first few bad rows (as many as the parser's `maximumReportedErrors`).
    public var errors: [RowError]
    /// Every bad row, reported or not.
    public var badRowCount: Int
    /// Lines read, header included.
    public var lineCount: Int

    /// A result of `batch` and the bad rows seen.
    public init(batch: WriteBatch, errors: [RowError], badRowCount: Int, lineCount: Int) {
        self.batch = batch
        self.errors = errors
        self.badRowCount = badRowCount
        self.lineCount = lineCount
    }
}

/// Why one row was rejected, before the parser adds the file and line.
struct RowFailure: Error {
    let reason: String
    /// 1-based byte column within the line, when known.
    let column: Int?
    init(_ reason: String, column: Int? = nil) {
        self.reason = reason
        self.column = column
    }
}

/// The bound on one line (one record, for CSV) that every importer applies.
public enum ImportLimits {
    /// 64 MiB: far beyond any real row, small enough that a runaway line (a file with
    /// no line breaks, a quote never closed) is refused before it costs much memory.
    public static let defaultMaximumRecordBytes = 64 << 20

    /// The reason given for a line or record of `byteCount` bytes over `limit`.
    static func tooLong(_ byteCount: Int, limit: Int, what: String = "line") -> String {
        "the \(what) is \(byteCount) bytes long, over the limit of \(limit) bytes"
    }

    /// The reason given when reading stops at a line (or record) still growing past `limit`.
    package static func runawayLine(limit: Int, what: String = "line") -> String {
        "the \(what) is longer than \(limit) bytes, the limit; reading stopped there"
    }
}

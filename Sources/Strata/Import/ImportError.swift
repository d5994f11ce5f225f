/// A malformed row in an input file: where it is and what is wrong with it.
public struct RowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input's name as the user gave it (`-` for standard input).
    public let file: String
    /// 1-based line number.
    public let line: Int
    public let reason: String

    public var description: String { "\(file):\(line): \(reason)" }
}

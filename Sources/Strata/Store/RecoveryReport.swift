/// What opening a store found in its write-ahead log.
public struct RecoveryReport: Sendable {
    /// Log files read.
    public let files: Int
    /// Records replayed into the head.
    public let records: Int
    /// Points replayed into the head.
    public let points: Int
    /// Bytes of log read.
    public let bytes: Int
    /// Time spent reading and replaying.
    public let milliseconds: Int
    /// Torn tails cut off, corruption found and records skipped, each with file and offset.
    /// Empty after a clean shutdown.
    public let problems: [StrataError]
}

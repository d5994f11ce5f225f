/// What ``StoreBackup/copy(from:to:progress:)`` did.
public struct BackupReport: Sendable {
    /// Segment files hard-linked into the copy (immutable, so sharing them is safe).
    public var segmentsLinked = 0
    /// Segment files copied because a hard link was impossible (another file system).
    public var segmentsCopied = 0
    /// Write-ahead log files copied.
    public var logFilesCopied = 0
    /// Bytes written (copies only; links cost nothing).
    public var bytesCopied = 0
}

/// How far a backup has come, for a progress display.
public struct BackupProgress: Sendable {
    /// Files (log files, then segments) copied or linked so far.
    public let filesDone: Int
    /// Files known so far to need copying: the log files, then also the segments the
    /// manifest lists once it is read.
    public let filesTotal: Int
    /// Bytes written so far (links cost nothing).
    public let bytesCopied: Int
}

#if canImport(Glibc)
import Glibc
#endif

/// What ``StoreBackup/copy(from:to:)`` did.
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

/// Makes a consistent copy of a store, also while a writer is appending to it.
///
/// The log is copied first and the segments listed afterwards. A writer
/// publishes a segment before deleting the log files it covers, so every
/// point acknowledged before the backup began is in a log file the backup
/// copied or in a segment it lists afterwards (or in both; replay is
/// idempotent). A log file the writer is still appending to may end in a torn
/// record, which the copy's first writer cuts off as after a crash.
public enum StoreBackup {
    public static func copy(from source: String, to destination: String) throws(StrataError) -> BackupReport {
        try StoreLayout.requireMarker(source)
        try StoreLayout.prepare(source, create: false)
        if FileSystem.fileExists(destination) {
            let existing = (try? FileSystem.contentsOfDirectory(destination)) ?? ["?"]
            guard existing.isEmpty else {
                throw StrataError(.invalidArgument, "the backup destination exists and is not empty; give a new directory", path: destination)
            }
        }
        var report = BackupReport()
        let logFolder = destination + "/" + WALFormat.folder
        let segmentFolder = destination + "/" + StoreLayout.segmentsFolder
        do throws(Errno) {
            try FileSystem.createDirectory(destination)
            try FileSystem.createDirectory(logFolder)
            try FileSystem.createDirectory(segmentFolder)
        } catch {
            throw .io(error, "creating the backup", path: destination)
        }

        // 1. The log, first.
        let sourceLog = source + "/" + WALFormat.folder
        let logNames = ((try? FileSystem.contentsOfDirectory(sourceLog)) ?? []).filter { WALFormat.number(ofFileName: $0) != nil }.sorted()
        for name in logNames {
            let contents: [UInt8]
            do throws(Errno) {
                contents = try FileSystem.readFile(sourceLog + "/" + name)
            } catch {
                if error == .noSuchFile { continue }  // flushed and deleted meanwhile: its points are in a segment
                throw .io(error, "reading a log file to back up", path: sourceLog + "/" + name)
            }
            do throws(Errno) {
                try FileSystem.writeFileAtomically(logFolder + "/" + name, directory: logFolder, contents: contents)
            } catch {
                throw .io(error, "writing the backup", path: logFolder + "/" + name)
            }
            report.logFilesCopied += 1
            report.bytesCopied += contents.count
        }

        // 2. The segments, listed after the log was read.
        let sourceSegments = source + "/" + StoreLayout.segmentsFolder
        let segmentNames: [String]
        do throws(Errno) {
            segmentNames = try FileSystem.contentsOfDirectory(sourceSegments).filter { SegmentFormat.sequence(ofFileName: $0) != nil }.sorted()
        } catch {
            throw .io(error, "listing segments", path: sourceSegments)
        }
        for name in segmentNames {
            let from = sourceSegments + "/" + name, to = segmentFolder + "/" + name
            if link(from, to) == 0 {
                report.segmentsLinked += 1
                continue
            }
            let error = Errno.current
            guard error.rawValue == EXDEV || error.rawValue == EPERM || error.rawValue == EMLINK else {
                throw .io(error, "linking a segment into the backup", path: to)
            }
            // Another file system: copy the bytes.
            do throws(Errno) {
                let contents = try FileSystem.readFile(from)
                try FileSystem.writeFileAtomically(to, directory: segmentFolder, contents: contents)
                report.segmentsCopied += 1
                report.bytesCopied += contents.count
            } catch {
                throw .io(error, "copying a segment into the backup", path: to)
            }
        }

        // 3. The marker last: a backup interrupted before this point is not a store.
        do throws(Errno) {
            try FileSystem.syncDirectory(segmentFolder)
            try FileSystem.syncDirectory(logFolder)
            try FileSystem.writeFileAtomically(destination + "/" + StoreLayout.markerFileName, directory: destination,
                                               contents: Array(StoreLayout.markerContents.utf8))
        } catch {
            throw .io(error, "finishing the backup", path: destination)
        }
        return report
    }
}

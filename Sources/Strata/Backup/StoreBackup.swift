import Glibc

/// Makes a consistent copy of a store, also while a writer is appending to it.
///
/// The log is copied first, then the manifest is read and the segments it
/// lists are linked. A writer publishes a segment (in a new manifest) before
/// deleting the log files it covers, so every point acknowledged before the
/// backup began is in a log file the backup copied or in a segment of the
/// manifest it read afterwards; log files that manifest marks as covered are
/// not replayed when the copy is opened, so a deletion recorded in it stays
/// done. A log file the writer is still appending to may end in a torn
/// record, which the copy's first writer cuts off as after a crash. Prepared
/// log files (`*.wal.prepared`) and the zeros after the last record of a
/// preallocated one are never copied.
public enum StoreBackup {
    /// Copies the store at `source` into `destination`, which must not exist or be empty.
    /// `progress` is called after each file, in the calling thread.
    ///
    /// - Throws: ``StrataError`` with `.invalidArgument` when `destination` is not empty or
    ///   `source` is not a store, `.io` when a file cannot be read, linked or written.
    public static func copy(
        from source: String, to destination: String, progress: ((BackupProgress) -> Void)? = nil
    ) throws(StrataError) -> BackupReport {
        try StoreLayout.requireMarker(source)
        try StoreLayout.prepare(source, create: false)
        try checkDestination(destination, of: source)
        var report = BackupReport()
        let logFolder = StoreLayout.logPath(of: destination)
        let segmentFolder = StoreLayout.segmentsPath(of: destination)
        do throws(Errno) {
            try FileSystem.createDirectory(destination)
            // Says what an interrupted copy is, so nobody takes it for a store that lost its marker.
            try FileSystem.writeFileAtomically(destination + "/" + StoreLayout.backupInProgressFileName, directory: destination, contents: [])
            try FileSystem.createDirectory(logFolder)
            try FileSystem.createDirectory(segmentFolder)
        } catch {
            throw .io(error, "creating the backup", path: destination)
        }
        try copyLog(of: source, to: logFolder, report: &report, progress: progress)
        let manifest = try linkSegments(of: source, to: segmentFolder, report: &report, progress: progress)
        try finish(destination, of: source, manifest: manifest)
        return report
    }

    /// Step 1: the log, first. A preallocated file's zeros after its last record are room, not data: never copied.
    private static func copyLog(
        of source: String, to logFolder: String, report: inout BackupReport, progress: ((BackupProgress) -> Void)?
    ) throws(StrataError) {
        let sourceLog = StoreLayout.logPath(of: source)
        let logNames = ((try? FileSystem.contentsOfDirectory(sourceLog)) ?? []).filter { WALFormat.number(ofFileName: $0) != nil }.sorted()
        for name in logNames {
            var contents: [UInt8]
            do throws(Errno) {
                contents = try FileSystem.readFile(sourceLog + "/" + name)
            } catch {
                if error == .noSuchFile { continue }  // flushed and deleted meanwhile: its points are in a segment
                throw .io(error, "reading a log file to back up", path: sourceLog + "/" + name)
            }
            let used = contents.withUnsafeBytes { WALFrameReader.usedLength(of: $0) }
            contents.removeSubrange(used...)
            do throws(Errno) {
                try FileSystem.writeFileAtomically(logFolder + "/" + name, directory: logFolder, contents: contents)
            } catch {
                throw .io(error, "writing the backup", path: logFolder + "/" + name)
            }
            report.logFilesCopied += 1
            report.bytesCopied += contents.count
            progress?(BackupProgress(filesDone: report.logFilesCopied, filesTotal: logNames.count, bytesCopied: report.bytesCopied))
        }
    }

    /// Step 2: the manifest and its segments, read after the log. A compaction may
    /// replace and remove files between reading the manifest and linking them:
    /// then start this step again with the newer manifest.
    ///
    /// - Returns: the manifest whose segments are all in `segmentFolder`.
    private static func linkSegments(
        of source: String, to segmentFolder: String, report: inout BackupReport, progress: ((BackupProgress) -> Void)?
    ) throws(StrataError) -> Manifest {
        let sourceSegments = StoreLayout.segmentsPath(of: source)
        var attempts = 0
        let logReport = report
        while true {
            attempts += 1
            let manifest: Manifest
            if let current = try ManifestFile.read(in: source) {
                manifest = current
            } else {
                do throws(Errno) {
                    manifest = StoreLayout.legacyManifest(segmentFileNames: try FileSystem.contentsOfDirectory(sourceSegments))
                } catch {
                    throw .io(error, "listing segments", path: sourceSegments)
                }
            }
            var linked: [String] = []
            var vanished = false
            for entry in manifest.segments {
                let name = SegmentFormat.fileName(sequence: entry.sequence)
                let from = sourceSegments + "/" + name, to = segmentFolder + "/" + name
                switch try share(from, to, folder: segmentFolder, report: &report) {
                case true: linked.append(to)
                case false: vanished = true
                }
                progress?(BackupProgress(
                    filesDone: report.logFilesCopied + linked.count, filesTotal: report.logFilesCopied + manifest.segments.count,
                    bytesCopied: report.bytesCopied))
                if vanished { break }
            }
            if !vanished { return manifest }
            for path in linked { _ = try? FileSystem.removeFile(path) }
            report = logReport
            guard attempts < 20 else {
                throw StrataError(.io, "the store's segments kept changing while the backup read them; try again", path: source)
            }
        }
    }

    /// Step 3: the manifest, the identity, and the marker last: a backup
    /// interrupted before the marker is not a store.
    private static func finish(_ destination: String, of source: String, manifest: Manifest) throws(StrataError) {
        do throws(Errno) {
            try FileSystem.syncDirectory(StoreLayout.segmentsPath(of: destination))
            try FileSystem.syncDirectory(StoreLayout.logPath(of: destination))
            try FileSystem.replaceFileAtomically(ManifestFile.path(in: destination), directory: destination, contents: ManifestFile.encode(manifest))
            ManifestFile.writeMirror(ManifestFile.encode(manifest), in: destination)
            try StoreIdentity.copy(from: source, to: destination)
            try FileSystem.writeFileAtomically(destination + "/" + StoreLayout.markerFileName, directory: destination,
                                               contents: Array(StoreLayout.markerContents.utf8))
            // Left behind by a crash here, it is only a note: the marker says the copy is whole.
            try FileSystem.removeFile(destination + "/" + StoreLayout.backupInProgressFileName)
            try FileSystem.syncDirectory(destination)
        } catch {
            throw .io(error, "finishing the backup", path: destination)
        }
    }

    /// Refuses a destination that is empty, inside the store (where the copy
    /// would sit among its segments or log files, and be copied into itself),
    /// or an existing directory that is not empty.
    private static func checkDestination(_ destination: String, of source: String) throws(StrataError) {
        guard !destination.isEmpty else {
            throw StrataError(.invalidArgument, "the backup destination is empty")
        }
        if FileSystem.isPath(FileSystem.resolvedPath(destination), inside: FileSystem.resolvedPath(source)) {
            throw StrataError(.invalidArgument, "the backup destination lies inside the store; give a directory outside it", path: destination)
        }
        if FileSystem.fileExists(destination) {
            let existing = (try? FileSystem.contentsOfDirectory(destination)) ?? ["?"]
            guard existing.isEmpty else {
                throw StrataError(.invalidArgument, "the backup destination exists and is not empty; give a new directory", path: destination)
            }
        }
    }

    /// Hard-links `from` to `to`, or copies it when a link is impossible (another
    /// file system). False when `from` no longer exists.
    private static func share(_ from: String, _ to: String, folder: String, report: inout BackupReport) throws(StrataError) -> Bool {
        let error: Errno
        do throws(Errno) {
            try FileSystem.link(from, to: to)
            report.segmentsLinked += 1
            return true
        } catch let failure {
            error = failure
        }
        if error == .noSuchFile { return false }
        guard error.rawValue == EXDEV || error.rawValue == EPERM || error.rawValue == EMLINK else {
            throw .io(error, "linking a segment into the backup", path: to)
        }
        do throws(Errno) {
            let contents = try FileSystem.readFile(from)
            try FileSystem.writeFileAtomically(to, directory: folder, contents: contents)
            report.segmentsCopied += 1
            report.bytesCopied += contents.count
            return true
        } catch {
            if error == .noSuchFile { return false }
            throw .io(error, "copying a segment into the backup", path: to)
        }
    }
}

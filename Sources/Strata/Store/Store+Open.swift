import StrataCodecs

/// Opening a store, in the order ``Store/init(at:configuration:mode:create:telemetry:)``
/// takes the steps: read the write-ahead log, open the segments the manifest
/// lists, replay the log into a fresh head, then (writers only) reopen the log
/// for appends and set aside the files that could not be read.
extension Store {
    /// What reading the store's directory recovered, before the store exists.
    struct Recovered {
        var state: StoreState
        var segmentProblems: [StrataError]
        var report: RecoveryReport
        /// Log files a torn or damaged record stopped; moved aside once their points are in a segment.
        var damagedLogFiles: [String]
        /// Readable log files, which a writer's log continues after.
        var intactLogFiles: [String]
        /// The next log file number no manifest has covered.
        var nextLogNumber: UInt64
    }

    /// Reads the log and the segments of the store at `path` and rebuilds its state.
    ///
    /// The log is read before the segments are listed. A writer publishes a
    /// segment before it deletes the log files the segment covers, so a reader
    /// beside it sees every point either in the log it read or in a segment it
    /// lists afterwards (or both: replay is idempotent), never in neither.
    static func recover(
        _ path: String, configuration: Configuration, mode: AccessMode, format: Int
    ) throws(StrataError) -> Recovered {
        let logFolder = StoreLayout.logPath(of: path)
        if mode == .readWrite {
            do throws(Errno) { try FileSystem.createDirectory(logFolder) } catch {
                throw .io(error, "creating the write-ahead log folder", path: logFolder)
            }
        }
        let started = monotonicMilliseconds()
        var logged: [LoggedBatch] = []
        let outcome = try WALReplay(directory: logFolder, repairs: mode == .readWrite).run { batch, file, offset in
            logged.append(LoggedBatch(batch: batch, file: file, offset: offset))
        }
        let opened = try StoreLayout.openSegments(in: path, cleaning: mode == .readWrite, format: format)
        if mode == .readWrite { ManifestFile.healMirror(in: path) }

        var state = StoreState(segments: opened.segments, manifest: opened.manifest)
        state.headRowsExpected = min(configuration.headFlushThreshold + configuration.headFlushThreshold / 4, Head.rowCapacity)
        let skipped = replay(logged, into: &state, coveredThrough: opened.manifest.logCoveredThrough)
        let report = RecoveryReport(
            files: outcome.files.count, records: outcome.records, points: outcome.points, bytes: outcome.bytes,
            milliseconds: Int(monotonicMilliseconds() - started), problems: outcome.problems + skipped)
        return Recovered(
            state: state, segmentProblems: opened.problems, report: report, damagedLogFiles: outcome.damagedFiles,
            intactLogFiles: outcome.files.filter { !outcome.damagedFiles.contains($0) },
            // Never reuse a number the manifest covers: a clean close leaves no log file to count from.
            nextLogNumber: max(outcome.highestNumber, opened.manifest.logCoveredThrough) + 1)
    }

    /// One batch read back from the log, with where it was found.
    struct LoggedBatch {
        var batch: WriteBatch
        var file: String
        var offset: Int
    }

    /// Applies the logged batches to `state` in write order, skipping the files
    /// the manifest says are in segments already (a flush or a deletion
    /// published them, and a crash kept the files from being removed).
    ///
    /// - Returns: one problem per batch whose series now hold the other type.
    static func replay(_ logged: [LoggedBatch], into state: inout StoreState, coveredThrough: UInt64) -> [StrataError] {
        var skipped: [StrataError] = []
        for entry in logged {
            let name = entry.file.split(separator: "/").last.map(String.init) ?? entry.file
            if let number = WALFormat.number(ofFileName: name), number <= coveredThrough { continue }
            let named: [UInt32]
            do throws(StrataError) {
                named = try state.number(entry.batch)
            } catch {
                skipped.append(StrataError(.typeMismatch, "write-ahead log record skipped: \(error.message)", path: entry.file, offset: entry.offset))
                continue
            }
            state.apply(numbers: entry.batch.rowNumbers(named: named), of: entry.batch)
        }
        return skipped
    }

    /// The log a writer appends to, continuing after the files it recovered; nil for a reader.
    static func openLog(
        of path: String, mode: AccessMode, recovered: Recovered, metrics: StoreMetrics
    ) throws(StrataError) -> WriteAheadLog? {
        guard mode == .readWrite else { return nil }
        return try WriteAheadLog(
            directory: StoreLayout.logPath(of: path), number: recovered.nextLogNumber, existing: recovered.intactLogFiles, metrics: metrics)
    }

    /// Puts what was readable of damaged log files into a segment, then moves
    /// the files aside: kept for inspection, never replayed again.
    func setAsideDamagedLogFiles(_ files: [String]) throws(StrataError) {
        guard !files.isEmpty else { return }
        try flushHead(closing: false)
        for file in files {
            try? FileSystem.rename(file, to: file + WALFormat.damagedSuffix)
            logger.warning("damaged write-ahead log file moved aside", metadata: ["file": "\(file + WALFormat.damagedSuffix)"])
        }
        try? FileSystem.syncDirectory(StoreLayout.logPath(of: directory))
    }
}

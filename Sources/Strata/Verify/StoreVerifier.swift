/// What ``StoreVerifier/verify(at:)`` found.
public struct VerificationReport: Sendable {
    public var segmentsChecked = 0
    public var chunksChecked = 0
    public var logFilesChecked = 0
    public var logRecordsChecked = 0
    /// Damage: each names the file and, where known, the byte offset.
    public var problems: [StrataError] = []
    /// Findings that are not damage: a torn log tail left by a crash (cut off
    /// by the next writer), leftover temporary files, log files set aside.
    public var notes: [StrataError] = []

    /// True when no damage was found.
    public var isClean: Bool { problems.isEmpty }
}

/// Checks a store without changing it: every segment's header, footer and
/// index checksums, every chunk's checksum, decoding, time order and
/// statistics, and every write-ahead log record. Safe beside a live writer
/// (it takes no lock and writes nothing).
public enum StoreVerifier {
    public static func verify(at path: String) throws(StrataError) -> VerificationReport {
        try StoreLayout.requireMarker(path)
        try StoreLayout.prepare(path, create: false)
        var report = VerificationReport()
        let folder = path + "/" + StoreLayout.segmentsFolder
        let names: [String]
        do throws(Errno) {
            names = try FileSystem.contentsOfDirectory(folder).sorted()
        } catch {
            throw .io(error, "listing segments", path: folder)
        }
        for name in names {
            let file = folder + "/" + name
            if name.hasSuffix(".tmp") {
                report.notes.append(StrataError(.corruptFile, "an unfinished segment write (removed by the next writer to open the store)", path: file))
                continue
            }
            guard SegmentFormat.sequence(ofFileName: name) != nil else {
                report.notes.append(StrataError(.invalidArgument, "not a segment file; ignored by Strata", path: file))
                continue
            }
            report.segmentsChecked += 1
            do throws(StrataError) {
                let segment = try SegmentFile(path: file)
                report.chunksChecked += segment.chunkDescriptions().count
                for problem in segment.verifyChunks() {
                    report.problems.append(StrataError(.corruptFile, problem.message, path: file, offset: problem.offset))
                }
            } catch {
                report.problems.append(error)
            }
        }

        let logFolder = path + "/" + WALFormat.folder
        var replay = WALReplay(directory: logFolder, repairs: false)
        replay.reportsTornTails = true
        let outcome = try replay.run { _, _, _ in }
        report.logFilesChecked = outcome.files.count
        report.logRecordsChecked = outcome.records
        for problem in outcome.problems {
            if problem.message.hasPrefix("torn tail") { report.notes.append(problem) } else { report.problems.append(problem) }
        }
        if let logNames = try? FileSystem.contentsOfDirectory(logFolder) {
            for name in logNames.sorted() where name.hasSuffix(WALFormat.damagedSuffix) {
                report.notes.append(StrataError(.corruptFile, "a damaged log file set aside by an earlier recovery (kept for inspection)", path: logFolder + "/" + name))
            }
        }
        return report
    }
}

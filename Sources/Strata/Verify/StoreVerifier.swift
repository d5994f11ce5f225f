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

/// What ``StoreVerifier/repair(at:)`` did: the segments moved aside and the
/// data they held, as far as their indexes still tell.
public struct RepairReport: Sendable {
    public struct MovedSegment: Sendable {
        /// Where the segment was, and where it is now (`segments/damaged/`).
        public let originalPath: String
        public let newPath: String
        /// The first problem found in it.
        public let problem: StrataError
        /// The series whose points in the given time range are lost from the
        /// store (still in the moved file). Empty when the index itself is unreadable.
        public let lost: [(series: SeriesKey, first: Int64, last: Int64)]
    }

    public var moved: [MovedSegment] = []
}

extension StoreVerifier {
    /// Moves every damaged segment into `segments/damaged/` (never deleting
    /// one) and reports which series and time ranges left the store with it.
    /// Takes the writer lock: the store must not be open for writing elsewhere.
    public static func repair(at path: String) throws(StrataError) -> RepairReport {
        let lock = try StoreLayout.lock(path)
        defer { lock.release() }
        let report = try verify(at: path)
        var damagedFiles: [String: StrataError] = [:]
        for problem in report.problems {
            guard let file = problem.path, file.hasSuffix("." + SegmentFormat.fileExtension), damagedFiles[file] == nil else { continue }
            damagedFiles[file] = problem
        }
        var repair = RepairReport()
        guard !damagedFiles.isEmpty else { return repair }
        let folder = path + "/" + StoreLayout.segmentsFolder
        let aside = folder + "/damaged"
        do throws(Errno) { try FileSystem.createDirectory(aside) } catch {
            throw .io(error, "creating the folder for damaged segments", path: aside)
        }
        for (file, problem) in damagedFiles.sorted(by: { $0.key < $1.key }) {
            var lost: [(series: SeriesKey, first: Int64, last: Int64)] = []
            if let segment = try? SegmentFile(path: file) {
                for device in segment.devices {
                    for metric in device.metrics {
                        let chunks = device.groups[metric.group].timeChunks
                        if let first = chunks.first, let last = chunks.last {
                            lost.append((SeriesKey(device: device.name, metric: metric.name), first.minTime, last.maxTime))
                        }
                    }
                }
            }
            let name = file.split(separator: "/").last.map(String.init) ?? file
            let target = aside + "/" + name
            do throws(Errno) {
                try FileSystem.rename(file, to: target)
            } catch {
                throw .io(error, "moving a damaged segment aside", path: file)
            }
            repair.moved.append(.init(originalPath: file, newPath: target, problem: problem, lost: lost))
        }
        do throws(Errno) {
            try FileSystem.syncDirectory(aside)
            try FileSystem.syncDirectory(folder)
        } catch {
            throw .io(error, "syncing the segments folder", path: folder)
        }
        return repair
    }
}

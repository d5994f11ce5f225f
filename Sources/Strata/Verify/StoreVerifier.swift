/// What ``StoreVerifier/verify(at:)`` found.
public struct VerificationReport: Sendable {
    /// Segment files read.
    public var segmentsChecked = 0
    /// Chunks whose checksum, decoding and statistics were checked.
    public var chunksChecked = 0
    /// Write-ahead log files read.
    public var logFilesChecked = 0
    /// Write-ahead log records whose checksum was checked.
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
/// index checksums (for format 6, the directory's and every device entry's),
/// every chunk's checksum, decoding, time order and statistics, and every
/// write-ahead log record. Safe beside a live writer
/// (it takes no lock and writes nothing).
public enum StoreVerifier {
    /// Checks the store at `path`; problems are in the report, not thrown.
    ///
    /// - Throws: ``StrataError`` only when the store cannot be read at all (not a store, unreadable directory).
    public static func verify(at path: String) throws(StrataError) -> VerificationReport {
        var report = VerificationReport()
        let format: Int
        if FileSystem.fileExists(path + "/" + StoreLayout.markerFileName) {
            format = try StoreLayout.prepare(path, create: false)
        } else if case .markerlessStore = StoreLayout.classifyUnmarked(path) {
            // Checked as the format 2 store it was; `repair` restores the marker.
            report.problems.append(StoreLayout.notAStore(path, creating: false))
            format = 2
        } else {
            throw StoreLayout.notAStore(path, creating: false)
        }
        let folder = StoreLayout.segmentsPath(of: path)
        let names: [String]
        do throws(Errno) {
            names = try FileSystem.contentsOfDirectory(folder).sorted()
        } catch {
            throw .io(error, "listing segments", path: folder)
        }
        let manifestPath = ManifestFile.path(in: path)
        let manifests = checkManifests(of: path, format: format, report: &report)
        let manifest = manifests.primary
        // Without a readable manifest, check what its mirror lists (what a repair restores).
        let listed = (manifest ?? manifests.mirror)?.segments ?? StoreLayout.legacyManifest(segmentFileNames: names).segments
        let listedNames = Set(listed.map { SegmentFormat.fileName(sequence: $0.sequence) })
        for name in names where !listedNames.contains(name) {
            let file = folder + "/" + name
            if name.hasSuffix(".tmp") {
                report.notes.append(StrataError(.corruptFile, "an unfinished segment write (removed by the next writer to open the store)", path: file))
            } else if SegmentFormat.sequence(ofFileName: name) != nil {
                report.notes.append(StrataError(.invalidArgument, "a segment the manifest does not list: left by an interrupted flush or compaction, removed by the next writer", path: file))
            } else if name != "damaged" {
                report.notes.append(StrataError(.invalidArgument, "not a segment file; ignored by Strata", path: file))
            }
        }
        var opened: [(entry: Manifest.Segment, segment: SegmentFile)] = []
        for entry in listed.sorted(by: { $0.sequence < $1.sequence }) {
            let file = folder + "/" + SegmentFormat.fileName(sequence: entry.sequence)
            report.segmentsChecked += 1
            guard FileSystem.fileExists(file) else {
                report.problems.append(StrataError(.corruptFile, "the manifest lists this segment but the file is missing", path: file))
                continue
            }
            do throws(StrataError) {
                let segment = try SegmentFile(path: file, sequence: entry.sequence, rank: entry.rank, level: entry.level)
                if let recorded = segment.recordedProvenance, recorded.isRecorded,
                   (recorded.rank, recorded.level, recorded.deletionsApplied) != (entry.rank, entry.level, entry.deletionsApplied) {
                    report.problems.append(StrataError(
                        .corruptFile,
                        "the manifest lists this segment with rank \(entry.rank), level \(entry.level), deletions applied \(entry.deletionsApplied); the segment records \(recorded.rank), \(recorded.level), \(recorded.deletionsApplied)",
                        path: file))
                }
                let (chunks, problems) = segment.verify()
                report.chunksChecked += chunks
                for problem in problems {
                    report.problems.append(StrataError(.corruptFile, problem.message, path: file, offset: problem.offset))
                }
                opened.append((entry, segment))
            } catch {
                report.problems.append(error)
            }
        }
        if let manifest {
            report.problems += manifestInvariantProblems(manifest, opened.map(\.segment), path: manifestPath)
        }

        let logFolder = StoreLayout.logPath(of: path)
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

extension StoreVerifier {
    /// Reads the manifest and its mirror, adding what is wrong with them to
    /// `report`: a missing manifest (in a format 2 store), a damaged one, and
    /// a mirror that is damaged or differs from the manifest.
    static func checkManifests(of path: String, format: Int, report: inout VerificationReport) -> (primary: Manifest?, mirror: Manifest?) {
        var primary: Manifest?
        do throws(StrataError) {
            primary = try ManifestFile.read(in: path)
            if primary == nil && format >= 2 { report.problems.append(StoreLayout.missingManifest(path)) }
        } catch {
            report.problems.append(error)
        }
        var mirror: Manifest?
        let mirrorPath = ManifestFile.mirrorPath(in: path)
        do throws(StrataError) {
            mirror = try ManifestFile.readMirror(in: path)
            if mirror == nil {
                if format >= 2 {
                    report.notes.append(StrataError(.invalidArgument, "the manifest has no mirror (a store written by an earlier build, or a mirror write that failed); the next writer to open the store writes it", path: mirrorPath))
                }
            } else if let primary, let mirror, primary != mirror, primary.generation &+ 1 == mirror.generation || mirror.generation &+ 1 == primary.generation {
                // A crash between the two writes, or a writer publishing while this reads.
                report.notes.append(StrataError(.invalidArgument, "the manifest's mirror is generation \(mirror.generation), the manifest \(primary.generation): a crash between their writes (or a writer publishing now); the next writer to open the store rewrites it", path: mirrorPath))
            } else if let primary, let mirror, primary != mirror {
                report.problems.append(StrataError(.corruptFile, "the manifest's mirror is generation \(mirror.generation), the manifest \(primary.generation): `verify --repair` rewrites it", path: mirrorPath))
            }
        } catch {
            report.problems.append(StrataError(error.code, error.message + " (the manifest's mirror: `verify --repair` rewrites it)", path: error.path, offset: error.offset))
        }
        return (primary, mirror)
    }

    /// The ordering invariants last-write-wins relies on (see `CompactionPlanner`).
    static func manifestInvariantProblems(_ manifest: Manifest, _ segments: [SegmentFile], path: String) -> [StrataError] {
        var problems: [StrataError] = []
        func problem(_ message: String) { problems.append(StrataError(.corruptFile, message, path: path)) }
        var sequences = Set<UInt64>()
        for entry in manifest.segments {
            if !sequences.insert(entry.sequence).inserted { problem("segment \(entry.sequence) is listed twice") }
            if entry.sequence >= manifest.nextSequence { problem("segment \(entry.sequence) is not below the next sequence number \(manifest.nextSequence)") }
            if entry.level == 0 && entry.rank != entry.sequence { problem("flushed segment \(entry.sequence) has rank \(entry.rank), not its sequence") }
            if entry.level > CompactionWindow.topLevel { problem("segment \(entry.sequence) has unknown level \(entry.level)") }
        }
        for tombstone in manifest.tombstones where tombstone.rank >= manifest.nextSequence {
            problem("a deletion of \(tombstone.device) has rank \(tombstone.rank), not below the next sequence number \(manifest.nextSequence)")
        }
        let flushedRanks = manifest.segments.filter { $0.level == 0 }.map(\.rank)
        if let lowestFlushed = flushedRanks.min() {
            for entry in manifest.segments where entry.level != 0 && entry.rank >= lowestFlushed {
                problem("compacted segment \(entry.sequence) ranks \(entry.rank), not below every flushed segment (\(lowestFlushed))")
            }
        }
        for segment in segments where segment.level != 0 {
            guard let bounds = segment.timeBounds else { continue }
            let window = CompactionWindow.of(level: segment.level, firstTime: bounds.first)
            if bounds.last > window.last {
                problems.append(StrataError(.corruptFile, "compacted segment holds points from \(bounds.first) to \(bounds.last), beyond its window ending at \(window.last)", path: segment.path))
            }
        }
        return problems
    }
}

/// What ``StoreVerifier/repair(at:)`` did: the segments moved aside, what
/// was salvaged from them, and the data lost, as far as their indexes still tell.
public struct RepairReport: Sendable {
    /// A damaged segment set aside, and the series and time ranges it held.
    public struct MovedSegment: Sendable {
        /// Where the segment was, and where it is now (`segments/damaged/`).
        public let originalPath: String
        /// Its path under `segments/damaged/`.
        public let newPath: String
        /// The first problem found in it.
        public let problem: StrataError
        /// The series whose points in the given time range are lost from the
        /// store (still in the moved file): the chunks that were not intact.
        /// Empty when the index itself is unreadable.
        public let lost: [(series: SeriesKey, first: Int64, last: Int64)]
        /// Device entries that could not be parsed: their series cannot be listed.
        public let unreadableEntries: Int
        /// Points of intact chunks, written into a new segment under the
        /// original name (0 when nothing could be salvaged and the manifest no
        /// longer lists the segment).
        public let salvagedPoints: Int
    }

    /// The segments moved aside.
    public var moved: [MovedSegment] = []
    /// Segments the manifest listed whose files were missing: the manifest no longer lists them.
    public var missing: [String] = []
    /// What was done to the marker, the manifest and its mirror.
    public var manifest = ManifestRepair()
}

extension StoreVerifier {
    /// Moves every damaged segment into `segments/damaged/` (never deleting
    /// one), writes the points of its intact chunks into a new segment in its
    /// place, and reports which series and time ranges were lost.
    /// Takes the writer lock: the store must not be open for writing elsewhere.
    ///
    /// First brings back the store's marker, its manifest (from the mirror,
    /// or rebuilt from the segment files when both are unreadable, saying
    /// what could not be restored) and the mirror.
    public static func repair(at path: String) throws(StrataError) -> RepairReport {
        // Never write a lock file into a directory that is not a store.
        _ = try verify(at: path)
        let lock = try StoreLayout.lock(path)
        defer { lock.release() }
        var repair = RepairReport()
        let format = FileSystem.fileExists(path + "/" + StoreLayout.markerFileName) ? try StoreLayout.prepare(path, create: false) : 2
        repair.manifest = try repairManifest(at: path, format: format)
        let report = try verify(at: path)
        var damagedFiles: [String: StrataError] = [:]
        for problem in report.problems {
            guard let file = problem.path, file.hasSuffix("." + SegmentFormat.fileExtension), damagedFiles[file] == nil else { continue }
            damagedFiles[file] = problem
        }
        guard !damagedFiles.isEmpty else { return repair }
        let folder = StoreLayout.segmentsPath(of: path)
        let aside = folder + "/damaged"
        do throws(Errno) { try FileSystem.createDirectory(aside) } catch {
            throw .io(error, "creating the folder for damaged segments", path: aside)
        }
        let listedEntries = Dictionary(((try? ManifestFile.read(in: path)) ?? nil)?.segments.map { ($0.sequence, $0) } ?? [], uniquingKeysWith: { a, _ in a })
        for (file, problem) in damagedFiles.sorted(by: { $0.key < $1.key }) {
            guard FileSystem.fileExists(file) else {
                repair.missing.append(file)
                continue
            }
            let entry = listedEntries[SegmentFormat.sequence(ofFileName: String(file.split(separator: "/").last ?? "")) ?? 0]
            repair.moved.append(try setAside(file, problem: problem, entry: entry, in: aside))
        }
        do throws(Errno) {
            try FileSystem.syncDirectory(aside)
            try FileSystem.syncDirectory(folder)
        } catch {
            throw .io(error, "syncing the segments folder", path: folder)
        }
        // The manifest stops listing those with nothing salvaged, so the store opens without them.
        if var manifest = try ManifestFile.read(in: path) {
            let gone = repair.moved.filter { $0.salvagedPoints == 0 }.map(\.newPath) + repair.missing
            let moved = Set(gone.compactMap { SegmentFormat.sequence(ofFileName: $0.split(separator: "/").last.map(String.init) ?? "") })
            manifest.segments.removeAll { moved.contains($0.sequence) }
            manifest.generation += 1
            try ManifestFile.writeDurably(manifest, in: path)
        }
        return repair
    }

    /// Moves a damaged segment into `aside` and, when some of its chunks are
    /// intact, writes them under the segment's name as a new file (its place
    /// in the manifest, rank and window unchanged).
    ///
    /// The salvaged file is written under a temporary name first, the damaged
    /// one is linked aside, and a rename puts the salvaged one in its place:
    /// a crash at any step leaves the damaged file or the salvaged one listed,
    /// and the damaged bytes kept.
    private static func setAside(_ file: String, problem: StrataError, entry: Manifest.Segment?, in aside: String) throws(StrataError) -> RepairReport.MovedSegment {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        let target = uniqueName(aside + "/" + name)
        guard let segment = try? SegmentFile(path: file) else {
            do throws(Errno) { try FileSystem.rename(file, to: target) } catch {
                throw .io(error, "moving a damaged segment aside", path: file)
            }
            return .init(originalPath: file, newPath: target, problem: problem, lost: [], unreadableEntries: 0, salvagedPoints: 0)
        }
        let salvage = SegmentSalvage(segment)
        guard salvage.salvagedPoints > 0 else {
            do throws(Errno) { try FileSystem.rename(file, to: target) } catch {
                throw .io(error, "moving a damaged segment aside", path: file)
            }
            return .init(originalPath: file, newPath: target, problem: problem, lost: salvage.lost,
                         unreadableEntries: salvage.unreadableEntries, salvagedPoints: 0)
        }
        // The new file takes the old one's place in the store: same rank, level and applied deletions.
        var provenance = segment.recordedProvenance ?? .unrecorded
        if let entry {
            provenance.rank = entry.rank
            provenance.level = entry.level
            provenance.deletionsApplied = entry.deletionsApplied
        }
        let bytes = SegmentWriter(pointsPerChunk: Configuration().pointsPerChunk, compression: .lz4, provenance: provenance).encode(salvage.devices)
        let temporary = file + ".salvaged.tmp"
        let folder = String(file.dropLast(name.count + 1))
        do throws(Errno) {
            _ = try? FileSystem.removeFile(temporary)
            try FileSystem.writeFileAtomically(temporary, directory: folder, contents: bytes)
            try FileSystem.link(file, to: target)
            try FileSystem.rename(temporary, to: file)
        } catch {
            _ = try? FileSystem.removeFile(temporary)
            throw .io(error, "replacing a damaged segment with what it salvaged", path: file)
        }
        return .init(originalPath: file, newPath: target, problem: problem, lost: salvage.lost,
                     unreadableEntries: salvage.unreadableEntries, salvagedPoints: salvage.salvagedPoints)
    }

    /// `path`, or `path.1`, `path.2`... whichever does not exist yet: a
    /// second repair never overwrites what an earlier one set aside.
    private static func uniqueName(_ path: String) -> String {
        var candidate = path, suffix = 0
        while FileSystem.fileExists(candidate) {
            suffix += 1
            candidate = path + ".\(suffix)"
        }
        return candidate
    }
}

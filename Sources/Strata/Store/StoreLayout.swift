/// The files of a store directory and how a store is opened from them.
///
/// ```
/// STORE/
/// ├── STRATA          marker: "Strata store\nformat 2\n"
/// ├── STRATA.lock     flock'd by the writer; holds its process id
/// ├── STRATA.id       the store's identity (StoreIdentity)
/// ├── MANIFEST        the live segments and pending deletions
/// ├── MANIFEST.mirror the same, written right after it (for repair)
/// ├── segments/       NNNNNNNNNN.seg, and NNNNNNNNNN.seg.tmp while one is written
/// └── wal/            the write-ahead log
/// ```
///
/// Format 1 stores (written before the manifest existed) have no `MANIFEST`:
/// every segment file in `segments/` is live and ranks by its sequence. The
/// first writer to open one writes the manifest and then the format 2 marker,
/// so a build that knows only format 1 refuses the store from then on rather
/// than misread compacted segments.
enum StoreLayout {
    /// Marks a directory as a Strata store and names the store format version.
    static let markerFileName = "STRATA"
    static let markerContents = "Strata store\nformat 2\n"
    static let legacyMarkerContents = "Strata store\nformat 1\n"
    static let lockFileName = "STRATA.lock"
    static let segmentsFolder = "segments"

    /// The segments folder of the store at `store`.
    static func segmentsPath(of store: String) -> String { store + "/" + segmentsFolder }
    /// The write-ahead log folder of the store at `store`.
    static func logPath(of store: String) -> String { store + "/" + WALFormat.folder }

    /// Fails unless `path` holds a store marker (for opens that may not
    /// create). A store whose marker is gone is named as such.
    static func requireMarker(_ path: String) throws(StrataError) {
        guard FileSystem.fileExists(path + "/" + markerFileName) else {
            throw notAStore(path, creating: false)
        }
    }

    /// Checks that `path` is a store of a format this build reads, creating it
    /// when allowed (the caller then holds the writer lock), and returns its
    /// store format (1: no manifest; 2: the manifest is authoritative).
    ///
    /// A store is created only in a missing or empty directory, or one holding
    /// what an interrupted creation leaves (see ``classifyUnmarked(_:)``);
    /// anything else is refused and left as it is.
    @discardableResult
    static func prepare(_ path: String, create: Bool) throws(StrataError) -> Int {
        let marker = path + "/" + markerFileName
        if !FileSystem.fileExists(marker) {
            guard create, classifyUnmarked(path) == .creatable else {
                throw notAStore(path, creating: create)
            }
            do throws(Errno) {
                // A creation interrupted by a crash may have left the marker's temporary file.
                _ = try? FileSystem.removeFile(marker + ".tmp")
                try FileSystem.createDirectory(segmentsPath(of: path))
                try FileSystem.syncDirectory(segmentsPath(of: path))
                try FileSystem.syncDirectory(path)
                try FileSystem.replaceFileAtomically(ManifestFile.path(in: path), directory: path, contents: ManifestFile.encode(Manifest()))
                ManifestFile.writeMirror(ManifestFile.encode(Manifest()), in: path)
                // The identity before the marker: a creation interrupted before the marker left nothing in use.
                let identity = path + "/" + StoreIdentity.fileName
                _ = try? FileSystem.removeFile(identity)
                _ = try? FileSystem.removeFile(identity + ".tmp")
                try FileSystem.writeFileAtomically(identity, directory: path, contents: Array((StoreIdentity.random().hex + "\n").utf8))
                try FileSystem.writeFileAtomically(marker, directory: path, contents: Array(markerContents.utf8))
            } catch {
                throw .io(error, "creating the store", path: path)
            }
            return 2
        }
        let contents: [UInt8]
        do throws(Errno) {
            contents = try FileSystem.readSmallFile(marker, limit: 4096)
        } catch {
            throw .io(error, "reading the store marker", path: marker)
        }
        let lines = String(decoding: contents, as: UTF8.self).split(separator: "\n")
        guard lines.first == "Strata store", lines.count >= 2, lines[1].hasPrefix("format ") else {
            throw StrataError(.corruptFile, "the store marker is not \"Strata store\" followed by a format line", path: marker, offset: 0)
        }
        guard lines[1] == "format 1" || lines[1] == "format 2" else {
            throw StrataError(.unsupportedVersion, "store \(lines[1]) is not one this build reads (formats 1 and 2); use a newer Strata", path: marker)
        }
        return lines[1] == "format 1" ? 1 : 2
    }

    /// Takes the writer lock of the store at `path`.
    static func lock(_ path: String) throws(StrataError) -> DirectoryLock {
        let lockPath = path + "/" + lockFileName
        do throws(DirectoryLock.Failure) {
            return try DirectoryLock(path: lockPath)
        } catch {
            switch error {
            case .held(let process):
                let holder = process.map { "process \($0)" } ?? "another process"
                throw StrataError(.locked, "the store is open for writing by \(holder); open it read-only or stop that writer", path: path)
            case .system(let errno):
                throw .io(errno, "locking the store", path: lockPath)
            }
        }
    }

    struct OpenedSegments {
        var segments: [SegmentFile] = []
        var problems: [StrataError] = []
        var manifest = Manifest()
    }

    /// Opens the live segments of the store at `store`, lowest rank first.
    /// Unreadable ones are reported, not fatal.
    ///
    /// With a manifest, the segments are those it lists; the writer
    /// (`cleaning`) removes every other file in `segments/`: unfinished writes
    /// and compaction inputs whose removal a crash interrupted. Without one (a
    /// format 1 store) every segment file is live, and the writer writes the
    /// manifest and upgrades the marker to format 2.
    static func openSegments(in store: String, cleaning: Bool, format: Int) throws(StrataError) -> OpenedSegments {
        let folder = segmentsPath(of: store)
        var result = OpenedSegments()
        // A reader may race with a compaction that removes files it just listed in an
        // older manifest: read the manifest again then.
        var attempts = 0
        while true {
            attempts += 1
            result = OpenedSegments()
            let names: [String]
            do throws(Errno) {
                names = try FileSystem.contentsOfDirectory(folder)
            } catch {
                throw .io(error, "listing segments", path: folder)
            }
            let listed: [Manifest.Segment]
            if let manifest = try ManifestFile.read(in: store) {
                result.manifest = manifest
                listed = manifest.segments
                if cleaning {
                    let live = Set(listed.map { SegmentFormat.fileName(sequence: $0.sequence) })
                    for name in names where !live.contains(name) && (name.hasSuffix(".tmp") || SegmentFormat.sequence(ofFileName: name) != nil) {
                        _ = try? FileSystem.removeFile(folder + "/" + name)
                    }
                }
            } else {
                // A format 2 store always has a manifest: listing the directory instead
                // would bring back compaction inputs and deleted points.
                guard format < 2 else { throw missingManifest(store) }
                if cleaning {
                    // Segments whose write never finished: their points were never acknowledged as flushed.
                    for name in names where name.hasSuffix(".tmp") { _ = try? FileSystem.removeFile(folder + "/" + name) }
                }
                let legacy = legacyManifest(segmentFileNames: names)
                result.manifest = legacy
                listed = legacy.segments
                if cleaning { try upgradeToManifest(store, legacy) }
            }
            var vanished = false
            for entry in listed.sorted(by: { ($0.rank, $0.sequence) < ($1.rank, $1.sequence) }) {
                let path = folder + "/" + SegmentFormat.fileName(sequence: entry.sequence)
                do throws(StrataError) {
                    result.segments.append(try SegmentFile(path: path, sequence: entry.sequence, rank: entry.rank, level: entry.level, deletionsApplied: entry.deletionsApplied))
                } catch {
                    if !cleaning, !FileSystem.fileExists(path) { vanished = true }
                    result.problems.append(error)
                }
            }
            if !vanished || attempts >= 10 { break }
        }
        return result
    }

    /// The error for a format 2 store without `MANIFEST`.
    static func missingManifest(_ store: String) -> StrataError {
        let mirror = FileSystem.fileExists(ManifestFile.mirrorPath(in: store))
        return StrataError(
            .corruptFile,
            "the store's MANIFEST is missing" + (mirror ? " (its mirror, \(ManifestFile.mirrorFileName), is there)" : "")
                + "; the store will not open without it, so that no deleted or replaced points come back. "
                + "Restore it with `strata verify --repair` (StoreVerifier.repair)",
            path: ManifestFile.path(in: store))
    }

    /// The type of `key` in the highest-ranked segment holding it (nil when
    /// none does, or a deletion over all time ranks above that segment),
    /// found through each segment's index. `segments` are lowest rank first.
    /// A damaged entry is passed over here; reading the series reports it.
    static func storedType(of key: SeriesKey, in segments: [SegmentFile], tombstones: [Tombstone]) -> ValueType? {
        for segment in segments.reversed() {
            guard let device = try? segment.device(named: key.device), let metric = device.metric(named: key.metric) else { continue }
            let deleted = tombstones.contains { $0.coversAllTime && $0.rank > segment.rank && $0.matches(key) }
            return deleted ? nil : metric.type
        }
        return nil
    }

    /// The value type of every series with a visible point: the highest-ranked
    /// segment decides a series' type (see `Store.query`), and a series wholly
    /// deleted by a tombstone above every segment holding it is left out.
    static func catalog(of segments: [SegmentFile], tombstones: [Tombstone]) -> [SeriesKey: ValueType] {
        var ignored: [StrataError] = []
        return catalog(of: segments, tombstones: tombstones, problems: &ignored)
    }

    /// The catalog, reading every device entry of every segment. A damaged
    /// entry (format 6: the rest of its segment stays readable) cannot say
    /// which series it holds: it is added to `problems`, with its file and offset.
    static func catalog(of segments: [SegmentFile], tombstones: [Tombstone], problems: inout [StrataError]) -> [SeriesKey: ValueType] {
        var catalog: [SeriesKey: (type: ValueType, rank: UInt64)] = [:]
        for segment in segments {
            for position in 0..<segment.deviceCount {
                let device: DeviceEntry
                do throws(StrataError) {
                    device = try segment.device(at: position)
                } catch {
                    problems.append(StrataError(
                        error.code, error.message + "; the store lists no series from this entry",
                        path: error.path, offset: error.offset))
                    continue
                }
                for (key, type, _) in SegmentFile.series(of: device) {
                    catalog[key] = (type, max(catalog[key]?.rank ?? 0, segment.rank))
                }
            }
        }
        let whole = tombstones.filter(\.coversAllTime)
        if !whole.isEmpty {
            for (key, entry) in catalog where whole.contains(where: { $0.rank > entry.rank && $0.matches(key) }) {
                catalog[key] = nil
            }
        }
        return catalog.mapValues(\.type)
    }

    /// The manifest equivalent to a format 1 store's segment files: all live,
    /// each ranked by its sequence number.
    static func legacyManifest(segmentFileNames names: [String]) -> Manifest {
        var legacy = Manifest()
        for name in names {
            guard let sequence = SegmentFormat.sequence(ofFileName: name) else { continue }
            legacy.segments.append(.init(sequence: sequence, rank: sequence, level: 0))
            legacy.nextSequence = max(legacy.nextSequence, sequence + 1)
        }
        return legacy
    }

    /// Writes the manifest of a format 1 store, then the format 2 marker.
    private static func upgradeToManifest(_ store: String, _ manifest: Manifest) throws(StrataError) {
        try ManifestFile.writeDurably(manifest, in: store)
        let marker = store + "/" + markerFileName
        do throws(Errno) {
            try FileSystem.replaceFileAtomically(marker, directory: store, contents: Array(markerContents.utf8))
        } catch {
            throw .io(error, "upgrading the store marker to format 2", path: marker)
        }
    }
}

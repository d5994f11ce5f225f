/// What a repair did to the store's marker and manifest.
public struct ManifestRepair: Sendable, Equatable {
    /// How the manifest was brought back, when it was damaged or missing.
    public enum Restoration: Sendable, Equatable {
        /// Copied from its mirror, which was intact: nothing is lost.
        case fromMirror(generation: UInt64)
        /// Neither the manifest nor its mirror was readable: a new manifest
        /// lists every readable segment file in `segments/`.
        case rebuiltFromSegments(segments: Int)
    }

    /// Set when the manifest was damaged or missing and has been restored.
    public var restoration: Restoration?
    /// True when the store's `STRATA` marker was missing and has been written again.
    public var markerRestored = false
    /// True when the manifest's mirror was missing, damaged or stale and has been rewritten.
    public var mirrorRewritten = false
    /// What a rebuild could not restore, one sentence each; empty otherwise.
    public var notRestored: [String] = []
}

extension StoreVerifier {
    /// Brings back a damaged or missing manifest (from its mirror, or failing
    /// that rebuilt from the segment files), the store marker when it is gone,
    /// and the mirror. The caller holds the writer lock.
    static func repairManifest(at path: String, format: Int) throws(StrataError) -> ManifestRepair {
        var repair = ManifestRepair()
        let manifestPath = ManifestFile.path(in: path)
        let primary = try? ManifestFile.readBytes(manifestPath)
        let primaryIntact = primary.flatMap { try? ManifestFile.decode($0, path: manifestPath) } != nil
        if !primaryIntact && (format >= 2 || primary != nil) {
            let mirrorPath = ManifestFile.mirrorPath(in: path)
            let restored: [UInt8]
            if let mirror = try? ManifestFile.readBytes(mirrorPath), let manifest = try? ManifestFile.decode(mirror, path: mirrorPath) {
                restored = mirror
                repair.restoration = .fromMirror(generation: manifest.generation)
            } else {
                let (manifest, notRestored) = try rebuildManifest(at: path)
                restored = ManifestFile.encode(manifest)
                repair.restoration = .rebuiltFromSegments(segments: manifest.segments.count)
                repair.notRestored = notRestored
            }
            if let primary {
                // Keep the damaged bytes for inspection, as damaged segments are kept.
                try? FileSystem.writeFileAtomically(manifestPath + ".damaged", directory: path, contents: primary)
            }
            do throws(Errno) {
                try FileSystem.replaceFileAtomically(manifestPath, directory: path, contents: restored)
            } catch {
                throw .io(error, "restoring the manifest", path: manifestPath)
            }
        }
        if let bytes = try? ManifestFile.readBytes(manifestPath), (try? ManifestFile.decode(bytes, path: manifestPath)) != nil,
           (try? ManifestFile.readBytes(ManifestFile.mirrorPath(in: path))) != bytes {
            repair.mirrorRewritten = ManifestFile.writeMirror(bytes, in: path)
        }
        let marker = path + "/" + StoreLayout.markerFileName
        if !FileSystem.fileExists(marker) {
            do throws(Errno) {
                try FileSystem.writeFileAtomically(marker, directory: path, contents: Array(StoreLayout.markerContents.utf8))
            } catch {
                throw .io(error, "restoring the store marker", path: marker)
            }
            repair.markerRestored = true
        }
        return repair
    }

    /// A manifest listing the live segments among the readable segment files,
    /// with what it cannot restore stated. A format 7 segment records its
    /// rank, level, applied deletions, and for a compaction's output the
    /// inputs it replaced and the step's other outputs (see
    /// ``SegmentProvenance``); older segments rank by their sequence.
    /// Pending deletions live only in the manifest.
    private static func rebuildManifest(at path: String) throws(StrataError) -> (Manifest, [String]) {
        let folder = StoreLayout.segmentsPath(of: path)
        let names: [String]
        do throws(Errno) {
            names = try FileSystem.contentsOfDirectory(folder)
        } catch {
            throw .io(error, "listing segments", path: folder)
        }
        var present: [UInt64: SegmentProvenance?] = [:]
        var unreadable = 0
        for name in names.sorted() {
            guard let sequence = SegmentFormat.sequence(ofFileName: name) else { continue }
            guard let segment = try? SegmentFile(path: folder + "/" + name) else {
                unreadable += 1
                continue
            }
            present[sequence] = segment.recordedProvenance.flatMap { $0.isRecorded ? $0 : nil }
        }
        let live = liveSegments(present)
        var manifest = Manifest()
        var unrecorded = 0
        for sequence in live.sorted() {
            let recorded = present[sequence] ?? nil
            if recorded == nil { unrecorded += 1 }
            manifest.segments.append(.init(
                sequence: sequence, rank: recorded?.rank ?? sequence, level: recorded?.level ?? 0,
                deletionsApplied: recorded?.deletionsApplied ?? 0))
        }
        let mentioned = present.keys.map { $0 } + present.values.flatMap { ($0?.replaced ?? []) + ($0?.siblings ?? []) }
        manifest.nextSequence = (mentioned.max() ?? 0) + 1
        // Above any generation the lost manifest can have had, so the order of manifests stays monotonic.
        manifest.generation = manifest.nextSequence
        var notRestored = ["pending deletions: the points they hid are visible again; delete them again"]
        if unrecorded > 0 {
            notRestored.append(
                "the places of \(unrecorded) segment\(unrecorded == 1 ? "" : "s") written before segment format 7, which record none: each ranks by its sequence number, so where a compacted one and a later flushed one hold the same series and timestamp the compacted one's value now wins, and a compaction input left behind by a crash is listed beside its output until the next compaction merges them")
        }
        if unreadable > 0 {
            notRestored.append("\(unreadable) unreadable segment file\(unreadable == 1 ? "" : "s"), left out of the manifest (still in segments/)")
        }
        return (manifest, notRestored)
    }

    /// The sequences of the live segments among `present` (each with its
    /// recorded provenance, if any).
    ///
    /// A compaction step's outputs are live, and its inputs are not, when the
    /// step was published: every output is there (or was replaced in turn by
    /// a later step), or one of its inputs is gone, which happens only after
    /// publishing. Otherwise a crash stopped the step before it was published:
    /// its outputs are leftovers and its inputs stay live. Never losing a point
    /// comes first: when in doubt both are kept, and the merge of equal points is harmless.
    static func liveSegments(_ present: [UInt64: SegmentProvenance?]) -> Set<UInt64> {
        let replacedBySomething = Set(present.values.flatMap { $0?.replaced ?? [] })
        var published: [SegmentProvenance] = []
        var leftovers = Set<UInt64>()
        var seenGroups = Set<[UInt64]>()
        for (sequence, provenance) in present {
            guard let provenance, !provenance.siblings.isEmpty else { continue }
            let group = provenance.siblings.sorted()
            let everyOutputAccountedFor = group.allSatisfy { present[$0] != nil || replacedBySomething.contains($0) }
            let someInputGone = provenance.replaced.contains { present[$0] == nil }
            if everyOutputAccountedFor || someInputGone {
                if seenGroups.insert(group).inserted { published.append(provenance) }
            } else {
                leftovers.insert(sequence)
            }
        }
        let replaced = Set(published.flatMap(\.replaced))
        return Set(present.keys).subtracting(replaced).subtracting(leftovers)
    }
}

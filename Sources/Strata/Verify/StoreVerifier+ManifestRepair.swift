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

    /// A manifest listing every readable segment file, with what it cannot
    /// know stated: a segment file records neither its rank nor its level,
    /// and pending deletions live only in the manifest.
    private static func rebuildManifest(at path: String) throws(StrataError) -> (Manifest, [String]) {
        let folder = path + "/" + StoreLayout.segmentsFolder
        let names: [String]
        do throws(Errno) {
            names = try FileSystem.contentsOfDirectory(folder)
        } catch {
            throw .io(error, "listing segments", path: folder)
        }
        var manifest = Manifest()
        var unreadable = 0
        for name in names.sorted() {
            guard let sequence = SegmentFormat.sequence(ofFileName: name) else { continue }
            guard (try? SegmentFile(path: folder + "/" + name)) != nil else {
                unreadable += 1
                continue
            }
            manifest.segments.append(.init(sequence: sequence, rank: sequence, level: 0))
            manifest.nextSequence = max(manifest.nextSequence, sequence + 1)
        }
        // Above any generation the lost manifest can have had, so the order of manifests stays monotonic.
        manifest.generation = manifest.nextSequence
        var notRestored = [
            "pending deletions: the points they hid are visible again; delete them again",
            "the last-write-wins order between segments, taken from their sequence numbers: where a compacted segment and a later flushed one hold the same series and timestamp, the compacted one's value now wins",
            "which segments a compaction had replaced: their points are listed twice until the next compaction merges them",
        ]
        if unreadable > 0 {
            notRestored.append("\(unreadable) unreadable segment file\(unreadable == 1 ? "" : "s"), left out of the manifest (still in segments/)")
        }
        return (manifest, notRestored)
    }
}

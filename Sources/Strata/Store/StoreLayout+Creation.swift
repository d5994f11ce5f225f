extension StoreLayout {
    /// What a directory without a store marker holds, as far as creating a
    /// store in it is concerned.
    enum UnmarkedContents: Equatable {
        /// Missing, empty, or holding only what an interrupted creation by
        /// this build leaves: a store may be created (or its creation completed) here.
        case creatable
        /// A store whose marker is gone: a manifest (or its mirror) listing
        /// segments, or segment or log files. Creating a store here would
        /// remove them.
        case markerlessStore(String)
        /// A `strata backup` that did not finish: an incomplete copy.
        case interruptedBackup
        /// Other files: not ours to touch.
        case foreign([String])
    }

    /// Written first into a backup's destination and removed after its
    /// marker: a directory holding it and no marker is an unfinished copy.
    static let backupInProgressFileName = "STRATA.backup-incomplete"

    /// The names an interrupted creation leaves, in the order creation makes
    /// them: the lock, the empty segments folder, the initial manifest and its
    /// mirror (with their temporary names), the marker's temporary name.
    private static let creationLeftovers: Set<String> = [
        lockFileName, segmentsFolder, WALFormat.folder,
        ManifestFile.fileName, ManifestFile.fileName + ".tmp",
        ManifestFile.mirrorFileName, ManifestFile.mirrorFileName + ".tmp",
        markerFileName + ".tmp",
        StoreIdentity.fileName, StoreIdentity.fileName + ".tmp",
    ]

    /// Classifies the directory at `path`, which has no marker.
    ///
    /// Creation writes the lock, an empty `segments/`, a manifest of
    /// generation 0 listing nothing, then the marker. A directory holding
    /// only those (each still in that initial state) is an interrupted
    /// creation; anything more is someone's data.
    static func classifyUnmarked(_ path: String) -> UnmarkedContents {
        guard FileSystem.isDirectory(path) else { return .creatable }
        guard let names = try? FileSystem.contentsOfDirectory(path) else { return .foreign([]) }
        if names.contains(backupInProgressFileName) { return .interruptedBackup }
        var evidence: [String] = []
        for manifestName in [ManifestFile.fileName, ManifestFile.mirrorFileName] where names.contains(manifestName) {
            let file = path + "/" + manifestName
            guard let bytes = try? ManifestFile.readBytes(file) else {
                evidence.append("\(manifestName) (unreadable)")
                continue
            }
            guard let manifest = try? ManifestFile.decode(bytes, path: file) else {
                evidence.append("\(manifestName) (damaged)")
                continue
            }
            if manifest != Manifest() {
                evidence.append("\(manifestName) of generation \(manifest.generation) listing \(manifest.segments.count) segment\(manifest.segments.count == 1 ? "" : "s") and \(manifest.tombstones.count) deletion\(manifest.tombstones.count == 1 ? "" : "s")")
            }
        }
        for (folder, noun) in [(segmentsFolder, "segments/"), (WALFormat.folder, "wal/")] where names.contains(folder) {
            let inside = path + "/" + folder
            guard FileSystem.isDirectory(inside) else {
                evidence.append("\(noun) (not a directory)")
                continue
            }
            let count = (try? FileSystem.contentsOfDirectory(inside).count) ?? 1
            if count > 0 { evidence.append("\(noun) holding \(count) file\(count == 1 ? "" : "s")") }
        }
        let others = names.filter { !creationLeftovers.contains($0) }.sorted()
        if !evidence.isEmpty {
            return .markerlessStore(evidence.joined(separator: ", "))
        }
        return others.isEmpty ? .creatable : .foreign(others)
    }

    /// The error for a directory that is not a store, saying why no store
    /// can be opened (or created) there.
    static func notAStore(_ path: String, creating: Bool) -> StrataError {
        switch classifyUnmarked(path) {
        case .markerlessStore(let evidence):
            return StrataError(
                .corruptFile,
                "the directory holds a Strata store whose \(markerFileName) marker is missing (\(evidence)); nothing was changed. "
                    + "Restore the marker with `strata verify --repair` (StoreVerifier.repair), which checks the store first",
                path: path)
        case .interruptedBackup:
            return StrataError(
                .invalidArgument,
                "not a Strata store: an interrupted backup (\(backupInProgressFileName) is there and the STRATA marker is not), an incomplete copy; remove it and run the backup again",
                path: path)
        case .foreign(let names) where creating && !names.isEmpty:
            let shown = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", and \(names.count - 5) more" : "")
            return StrataError(
                .invalidArgument,
                "cannot create a store here: the directory is not empty and is not a Strata store (it holds \(shown)); nothing was changed. Use a new or empty directory",
                path: path)
        case .creatable, .foreign:
            return StrataError(.invalidArgument, "not a Strata store (no \(markerFileName) file)", path: path)
        }
    }

    /// The store that encloses `path` (a directory above it holding a
    /// store marker), if any: a store is never created inside another, where
    /// its files would sit among the other's segments or log files.
    static func enclosingStore(of path: String) -> String? {
        var parent = FileSystem.resolvedPath(path)
        while let slash = parent.lastIndex(of: "/"), parent != "/" {
            parent = slash == parent.startIndex ? "/" : String(parent[..<slash])
            if FileSystem.fileExists(parent + (parent == "/" ? "" : "/") + markerFileName) { return parent }
        }
        return nil
    }

    /// Refuses a creation at `path` that can only go wrong: an empty path, a
    /// file that is not a directory, a directory inside another store.
    static func checkCreationPlace(_ path: String) throws(StrataError) {
        guard !path.isEmpty else {
            throw StrataError(.invalidArgument, "the store path is empty")
        }
        if FileSystem.fileExists(path), !FileSystem.isDirectory(path) {
            throw StrataError(.invalidArgument, "cannot create a store here: this is a file, not a directory", path: path)
        }
        if let outer = enclosingStore(of: path) {
            throw StrataError(.invalidArgument, "cannot create a store here: it lies inside the store \(outer), among its files; choose a directory outside it", path: path)
        }
    }

    /// Checks (and with `create`, for a writer, creates) the store directory
    /// at `path`, takes the writer lock for ``Store/AccessMode/readWrite``, and
    /// returns the lock and the store format.
    ///
    /// The writer locks before creating anything inside the directory, so two
    /// processes creating one store at once cannot trip over each other; and
    /// someone else's directory (or another store's) is refused before the
    /// lock file is written into it.
    static func openDirectory(_ path: String, mode: Store.AccessMode, create: Bool) throws(StrataError) -> (DirectoryLock?, Int) {
        let creating = create && mode == .readWrite
        if !creating { try requireMarker(path) }
        if creating, !FileSystem.fileExists(path + "/" + markerFileName) {
            try checkCreationPlace(path)
            guard classifyUnmarked(path) == .creatable else { throw notAStore(path, creating: true) }
            do throws(Errno) { try FileSystem.createDirectory(path) } catch {
                throw .io(error, "creating the store", path: path)
            }
        }
        let lock = mode == .readWrite ? try self.lock(path) : nil
        return (lock, try prepare(path, create: creating))
    }
}

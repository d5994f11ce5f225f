/// The files of a store directory and how a store is opened from them.
///
/// ```
/// STORE/
/// ├── STRATA          marker: "Strata store\nformat 1\n"
/// ├── STRATA.lock     flock'd by the writer; holds its process id
/// └── segments/       NNNNNNNNNN.seg, and NNNNNNNNNN.seg.tmp while one is written
/// ```
enum StoreLayout {
    /// Marks a directory as a Strata store and names the store format version.
    static let markerFileName = "STRATA"
    static let markerContents = "Strata store\nformat 1\n"
    static let lockFileName = "STRATA.lock"
    static let segmentsFolder = "segments"

    /// Fails unless `path` holds a store marker (for opens that may not create).
    static func requireMarker(_ path: String) throws(StrataError) {
        guard FileSystem.fileExists(path + "/" + markerFileName) else {
            throw StrataError(.invalidArgument, "not a Strata store (no \(markerFileName) file)", path: path)
        }
    }

    /// Checks that `path` is a store of a format this build reads, creating it
    /// when allowed (the caller then holds the writer lock).
    static func prepare(_ path: String, create: Bool) throws(StrataError) {
        let marker = path + "/" + markerFileName
        if !FileSystem.fileExists(marker) {
            guard create else {
                throw StrataError(.invalidArgument, "not a Strata store (no \(markerFileName) file)", path: path)
            }
            do throws(Errno) {
                // A creation interrupted by a crash may have left the marker's temporary file.
                _ = try? FileSystem.removeFile(marker + ".tmp")
                try FileSystem.createDirectory(path + "/" + segmentsFolder)
                try FileSystem.syncDirectory(path + "/" + segmentsFolder)
                try FileSystem.syncDirectory(path)
                try FileSystem.writeFileAtomically(marker, directory: path, contents: Array(markerContents.utf8))
            } catch {
                throw .io(error, "creating the store", path: path)
            }
            return
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
        guard lines[1] == "format 1" else {
            throw StrataError(.unsupportedVersion, "store \(lines[1]) is not one this build reads (format 1); use a newer Strata", path: marker)
        }
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
        var catalog: [SeriesKey: ValueType] = [:]
        var highestSequence: UInt64 = 0
    }

    /// Opens every segment in `folder`, oldest first. Unreadable ones are
    /// reported, not fatal. Only the writer removes leftover temporary files:
    /// a reader must not delete a file the writer is producing.
    static func openSegments(in folder: String, removingTemporaryFiles: Bool) throws(StrataError) -> OpenedSegments {
        var names: [String]
        do throws(Errno) {
            names = try FileSystem.contentsOfDirectory(folder)
        } catch {
            throw .io(error, "listing segments", path: folder)
        }
        names.sort()
        var result = OpenedSegments()
        for name in names {
            if name.hasSuffix(".tmp") {
                // A segment whose write never finished: its points were never acknowledged as flushed.
                if removingTemporaryFiles { _ = try? FileSystem.removeFile(folder + "/" + name) }
                continue
            }
            guard let sequence = SegmentFormat.sequence(ofFileName: name) else { continue }
            result.highestSequence = max(result.highestSequence, sequence)
            do throws(StrataError) {
                result.segments.append(try SegmentFile(path: folder + "/" + name, sequence: sequence))
            } catch {
                result.problems.append(error)
            }
        }
        // The newest segment decides a series' type (see Store.query).
        for segment in result.segments {
            for (key, type, _) in segment.series {
                result.catalog[key] = type
            }
        }
        return result
    }
}

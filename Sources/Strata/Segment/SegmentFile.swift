import Glibc
import Synchronization
import StrataCodecs

/// An immutable segment file, memory-mapped, its index read as queries need it.
///
/// Opening checks the header and the footer. A format 6 file is then ready:
/// its device directory is checksummed (about 20 bytes a device) and each
/// device's index entry is checked and parsed only when a query, a compaction
/// or a verification first needs that device, so opening costs O(1) in the
/// number of devices apart from that checksum, and memory per open segment
/// does not grow with its devices (beyond the mapping and a small cache of
/// recently parsed entries). Files of versions 1 to 5 have no directory: their
/// whole index is checked and parsed when they are opened. Data pages are
/// touched only when a query decodes a chunk. A `SegmentFile` may be shared by
/// any number of threads.
public final class SegmentFile: Sendable {
    /// The file's path.
    public let path: String
    /// The sequence number from the file name.
    public let sequence: UInt64
    /// Where the segment's points rank in last-write-wins order: for the same
    /// series and timestamp, the segment of higher rank wins. A flushed
    /// segment ranks as its sequence, a compacted one as the newest of its inputs.
    /// (`strata inspect` prints it; embedders have no use for it.)
    package let rank: UInt64
    /// 0 for a segment written by a flush; for one written by compaction, the
    /// level of its window (see `CompactionWindow`; embedders see ``window``).
    package let level: UInt8
    /// What wrote the segment, and the span of time a compacted one holds.
    public var window: SegmentWindow { SegmentWindow(level: level) }
    /// Deletions up to this rank were applied when the segment was written.
    let deletionsApplied: UInt64
    /// The format version in the file's header.
    public let version: UInt16
    /// Size of the index in bytes (for format 6: the device entries and the
    /// device directory).
    public let indexByteCount: Int

    /// The first and last timestamps in the segment; nil when it holds no point.
    let timeBounds: (first: Int64, last: Int64)?

    let region: MappedRegion
    /// Where the index begins, which is where the data region ends.
    let indexOffset: Int
    /// Where the footer begins.
    let footerOffset: Int
    /// What the segment records of its place in the store (format 7; nil before).
    let recordedProvenance: SegmentProvenance?
    let index: SegmentIndex

    /// How the devices of a segment are reached.
    enum SegmentIndex: Sendable {
        /// Versions 1 to 5: every entry, parsed when the file was opened; sorted by name (UTF-8 bytes).
        case parsed([DeviceEntry])
        /// Version 6: the directory in the mapped bytes, entries parsed on demand.
        case directory(DeviceDirectory, DeviceEntryCache)
    }

    /// Opens and validates the segment at `path`: magic numbers, version,
    /// header and footer checksums, then for format 6 the device directory's
    /// checksum, and for older formats the index checksum and that every chunk
    /// lies inside the data region. A format 6 device entry is checked (its
    /// checksum, and that its chunks lie inside the data region) when it is
    /// read. Chunk payload checksums are checked when chunks are read (or by
    /// ``verifyChunks()``).
    ///
    /// - Complexity: O(devices) for the directory checksum of a format 6 file,
    ///   at about 20 bytes a device; O(index size), with every entry parsed,
    ///   for older formats.
    public convenience init(path: String) throws(StrataError) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let sequence = SegmentFormat.sequence(ofFileName: name) ?? 0
        try self.init(path: path, sequence: sequence, rank: sequence, level: 0)
    }

    init(path: String, sequence: UInt64, rank: UInt64, level: UInt8, deletionsApplied: UInt64 = 0) throws(StrataError) {
        self.path = path
        self.sequence = sequence
        self.rank = rank
        self.level = level
        self.deletionsApplied = deletionsApplied
        do {
            region = try MappedRegion(path: path)
        } catch {
            if error.rawValue == EINVAL {
                throw StrataError(.corruptFile, "segment file is empty", path: path, offset: 0)
            }
            if error.rawValue == ENODEV {
                throw StrataError(.invalidArgument, "not a segment file: not a regular file (a directory, pipe or device)", path: path)
            }
            throw .io(error, "opening segment", path: path)
        }
        let layout = try region.withBytes { bytes throws(StrataError) in try SegmentLayout(bytes, path: path) }
        version = layout.version
        footerOffset = layout.footerOffset
        indexOffset = layout.indexOffset
        indexByteCount = layout.indexByteCount
        timeBounds = layout.timeBounds
        recordedProvenance = layout.recordedProvenance
        index = layout.index
    }

    /// True when deletion `tombstone` hides points of this segment.
    func isConcerned(by tombstone: Tombstone) -> Bool {
        tombstone.rank > rank && tombstone.rank > deletionsApplied
    }

    /// Set when a compaction or retention replaced the segment in the
    /// manifest: the file is removed once the last query using it lets go.
    private let obsolete = Atomic<Bool>(false)

    /// The format 6 device entries already checked against their checksums by a walk (see ``CheckedEntries``).
    let checkedEntries = CheckedEntries()

    func markObsolete() { obsolete.store(true, ordering: .releasing) }

    deinit {
        if obsolete.load(ordering: .acquiring) { try? FileSystem.removeFile(path) }
    }

    /// Total size of the file in bytes.
    public var byteCount: Int { region.count }

    /// The number of devices in the segment.
    /// - Complexity: O(1).
    public var deviceCount: Int {
        switch index {
        case .parsed(let devices): devices.count
        case .directory(let directory, _): directory.count
        }
    }

    /// Names of the devices in this segment, sorted (UTF-8 byte order). For
    /// format 6 they come from the device directory, checked when the file was
    /// opened; a directory record that misplaces its name (which only a faulty
    /// writer makes) is left out, and ``verifyChunks()`` reports it.
    /// - Complexity: O(devices); reads the names without parsing the entries.
    public var deviceNames: [String] {
        var names: [String] = []
        names.reserveCapacity(deviceCount)
        for position in 0..<deviceCount {
            if let name = try? deviceName(at: position) { names.append(name) }
        }
        return names
    }

    /// Where the device directory begins (format 6); nil for older formats.
    var directoryOffset: Int? {
        if case .directory(let directory, _) = index { directory.recordsOffset } else { nil }
    }

    /// The name of the device at `position` (0 ..< ``deviceCount``, in name
    /// order), read without parsing its entry.
    func deviceName(at position: Int) throws(StrataError) -> String {
        switch index {
        case .parsed(let devices): return devices[position].name
        case .directory(let directory, _):
            return try region.withBytes { bytes throws(StrataError) in try directory.name(at: position, in: bytes, path: path) }
        }
    }

    /// The index entry of the device at `position` (0 ..< ``deviceCount``, in
    /// name order). A format 6 entry is checked against its checksum and
    /// parsed on every call (no caching: for walks over every device).
    ///
    /// - Throws: `.corruptFile` naming the file and the entry's offset when
    ///   the entry is damaged.
    func device(at position: Int) throws(StrataError) -> DeviceEntry {
        switch index {
        case .parsed(let devices): return devices[position]
        case .directory(let directory, _):
            return try region.withBytes { bytes throws(StrataError) in
                try directory.entry(at: position, in: bytes, path: path, version: version)
            }
        }
    }

    /// The index entry of the device named `name`, nil when the segment does
    /// not hold it: a binary search over the directory, comparing names in
    /// the mapped bytes, then the one entry is checked and parsed (recently
    /// used entries are kept in a small cache, unless `caching` is false: a
    /// walk over many devices, which the cache cannot help, skips it and its lock).
    ///
    /// - Throws: `.corruptFile` naming the file and the entry's offset when
    ///   the device's entry is damaged.
    /// - Complexity: O(log devices) plus the size of the one entry.
    func device(named name: String, caching: Bool = true) throws(StrataError) -> DeviceEntry? {
        switch index {
        case .parsed(let devices):
            var low = 0, high = devices.count
            while low < high {
                let middle = (low + high) / 2
                if UTF8Order.precedes(devices[middle].name, name) { low = middle + 1 } else { high = middle }
            }
            return low < devices.count && UTF8Order.equal(devices[low].name, name) ? devices[low] : nil
        case .directory(let directory, let cache):
            return try region.withBytes { bytes throws(StrataError) -> DeviceEntry? in
                var query = name
                let found = query.withUTF8 { utf8 -> Result<Int?, StrataError> in
                    do throws(StrataError) {
                        return .success(try directory.position(of: UnsafeRawBufferPointer(utf8), in: bytes, path: path))
                    } catch {
                        return .failure(error)
                    }
                }
                guard let position = try found.get() else { return nil }
                guard caching else { return try directory.entry(at: position, in: bytes, path: path, version: version) }
                if let entry = cache.entry(at: position) { return entry }
                let entry = try directory.entry(at: position, in: bytes, path: path, version: version)
                cache.insert(entry, at: position, byteCount: directory.record(at: position, in: bytes).length)
                return entry
            }
        }
    }
}

/// Recently parsed format 6 entries of one segment, so that repeated queries
/// of a few devices do not check and parse the same entry again. Bounded by
/// entries and by their size on disk, whatever the number of devices.
final class DeviceEntryCache: Sendable {
    /// The most entries kept.
    static let entryLimit = 32
    /// The most entry bytes (as stored) kept; a larger entry is not cached.
    static let byteLimit = 1 << 20

    /// Most recently used last.
    private let slots = Locked<[(position: Int, byteCount: Int, entry: DeviceEntry)]>([])

    /// Entries held.
    var count: Int { slots.withLock { $0.count } }

    func entry(at position: Int) -> DeviceEntry? {
        slots.withLock { slots in
            guard let found = slots.lastIndex(where: { $0.position == position }) else { return nil }
            let slot = slots.remove(at: found)
            slots.append(slot)
            return slot.entry
        }
    }

    func insert(_ entry: DeviceEntry, at position: Int, byteCount: Int) {
        guard byteCount <= Self.byteLimit else { return }
        slots.withLock { slots in
            guard !slots.contains(where: { $0.position == position }) else { return }
            slots.append((position, byteCount, entry))
            var total = slots.reduce(0) { $0 + $1.byteCount }
            while slots.count > Self.entryLimit || total > Self.byteLimit {
                total -= slots.removeFirst().byteCount
            }
        }
    }
}

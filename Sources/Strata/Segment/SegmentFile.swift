import Synchronization
import StrataCodecs

/// An immutable segment file, memory-mapped and with its index parsed.
///
/// Opening reads the header, the footer and the index (O(index size)); data
/// pages are touched only when a query decodes a chunk. A `SegmentFile` may
/// be shared by any number of threads.
public final class SegmentFile: Sendable {
    /// The file's path.
    public let path: String
    /// The sequence number from the file name.
    public let sequence: UInt64
    /// Where the segment's points rank in last-write-wins order: for the same
    /// series and timestamp, the segment of higher rank wins. A flushed
    /// segment ranks as its sequence, a compacted one as the newest of its inputs.
    public let rank: UInt64
    /// 0 for a segment written by a flush; 1 (day) or 2 (week) for one written
    /// by compaction, which holds the points of one time window.
    public let level: UInt8
    /// Deletions up to this rank were applied when the segment was written.
    let deletionsApplied: UInt64
    /// The format version in the file's header.
    public let version: UInt16
    /// Size of the index in bytes.
    public let indexByteCount: Int

    /// The first and last timestamps in the segment; nil when it holds no point.
    let timeBounds: (first: Int64, last: Int64)?

    let region: MappedRegion
    /// Devices sorted by name (UTF-8 byte order).
    let devices: [DeviceEntry]

    /// Opens and validates the segment at `path`: magic numbers, version,
    /// header and footer checksums, the index checksum, and that every chunk
    /// lies inside the data region. Chunk payload checksums are checked when
    /// chunks are read (or by ``verifyChunks()``).
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
            if error.rawValue == 22 /* EINVAL: empty file */ {
                throw StrataError(.corruptFile, "segment file is empty", path: path, offset: 0)
            }
            throw .io(error, "opening segment", path: path)
        }
        let bytes = region.bytes
        let corrupt = { (offset: Int, reason: String) in StrataError(.corruptFile, reason, path: path, offset: offset) }

        guard bytes.count >= SegmentFormat.headerSize + SegmentFormat.footerSize else {
            throw corrupt(0, "file is \(bytes.count) bytes, shorter than a header and footer (\(SegmentFormat.headerSize + SegmentFormat.footerSize))")
        }
        guard bytes.prefix(8).elementsEqual(SegmentFormat.headerMagic) else {
            throw corrupt(0, "not a Strata segment (bad magic number)")
        }
        var header = ByteReader(bytes, offset: 8)
        do {
            version = try header.readUInt16()
            _ = try header.readUInt16()
            let checksum = try header.readUInt32()
            guard checksum == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<12])) else {
                throw corrupt(0, "header fails its checksum")
            }
        } catch let error as StrataError { throw error } catch { throw corrupt(0, "truncated header") }
        guard version >= SegmentFormat.readableVersions.lowerBound else {
            throw corrupt(8, "segment format version \(version) does not exist")
        }
        guard SegmentFormat.readableVersions.contains(version) else {
            throw StrataError(.unsupportedVersion, "segment format version \(version) is newer than this build reads (\(SegmentFormat.readableVersions.upperBound)); upgrade Strata", path: path, offset: 8)
        }

        let footerOffset = bytes.count - SegmentFormat.footerSize
        guard bytes.suffix(8).elementsEqual(SegmentFormat.footerMagic) else {
            throw corrupt(bytes.count - 8, "footer magic number missing: the file is truncated or was not completely written")
        }
        var footer = ByteReader(bytes, offset: footerOffset)
        let indexOffset: Int, indexLength: Int, indexChecksum: UInt32
        do {
            indexOffset = Int(truncatingIfNeeded: try footer.readUInt64())
            indexLength = Int(truncatingIfNeeded: try footer.readUInt64())
            indexChecksum = try footer.readUInt32()
            let footerChecksum = try footer.readUInt32()
            guard footerChecksum == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[footerOffset..<(footerOffset + 20)])) else {
                throw corrupt(footerOffset, "footer fails its checksum")
            }
        } catch let error as StrataError { throw error } catch { throw corrupt(footerOffset, "truncated footer") }
        guard indexOffset >= SegmentFormat.headerSize, indexLength >= 0, indexOffset <= footerOffset,
              indexLength == footerOffset - indexOffset
        else {
            throw corrupt(footerOffset, "footer points to an index at \(indexOffset) of \(indexLength) bytes, outside the file")
        }
        let indexBytes = UnsafeRawBufferPointer(rebasing: bytes[indexOffset..<footerOffset])
        guard CRC32C.checksum(indexBytes) == indexChecksum else {
            throw corrupt(indexOffset, "index fails its checksum")
        }
        indexByteCount = indexLength
        devices = try SegmentIndexParser(bytes: bytes, indexOffset: indexOffset, path: path, version: version).parse()
        var first = Int64.max, last = Int64.min
        for device in devices {
            for group in device.groups {
                guard let low = group.timeChunks.first, let high = group.timeChunks.last else { continue }
                first = min(first, low.minTime)
                last = max(last, high.maxTime)
            }
        }
        timeBounds = first <= last ? (first, last) : nil
    }

    /// True when deletion `tombstone` hides points of this segment.
    func isConcerned(by tombstone: Tombstone) -> Bool {
        tombstone.rank > rank && tombstone.rank > deletionsApplied
    }

    /// Set when a compaction or retention replaced the segment in the
    /// manifest: the file is removed once the last query using it lets go.
    private let obsolete = Atomic<Bool>(false)

    func markObsolete() { obsolete.store(true, ordering: .releasing) }

    deinit {
        if obsolete.load(ordering: .acquiring) { try? FileSystem.removeFile(path) }
    }

    /// Total size of the file in bytes.
    public var byteCount: Int { region.bytes.count }

    /// Names of the devices in this segment, sorted.
    public var deviceNames: [String] { devices.map(\.name) }

    func device(named name: String) -> DeviceEntry? {
        var low = 0, high = devices.count
        while low < high {
            let middle = (low + high) / 2
            if devices[middle].name.utf8.lexicographicallyPrecedes(name.utf8) { low = middle + 1 } else { high = middle }
        }
        return low < devices.count && devices[low].name.utf8.elementsEqual(name.utf8) ? devices[low] : nil
    }
}

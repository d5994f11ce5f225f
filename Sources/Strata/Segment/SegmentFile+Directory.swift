import StrataCodecs

/// The footer of a format 6 segment: where the device entries and the
/// directory lie, and what opening needs without reading any entry.
struct DirectoryFooter {
    let entriesOffset: Int
    let directoryOffset: Int
    /// Where the device names end: the provenance block (format 7), or the footer.
    let namesEnd: Int
    let deviceCount: Int
    let seriesCount: Int
    let pointCount: Int
    let timeBounds: (first: Int64, last: Int64)?
    let directoryChecksum: UInt32
    /// Format 7: the rank, level and applied deletions, and what the segment replaced.
    let provenance: SegmentProvenance?

    /// Reads and checks the footer at `footerOffset` of a file of `version`
    /// (6 or later; the magic number was checked already).
    init(_ bytes: UnsafeRawBufferPointer, at footerOffset: Int, version: UInt16, path: String) throws(StrataError) {
        let corrupt = { (reason: String) in StrataError(.corruptFile, reason, path: path, offset: footerOffset) }
        let recordsProvenance = version >= SegmentFormat.provenanceVersion
        var reader = ByteReader(bytes, offset: footerOffset)
        let entries: UInt64, directory: UInt64, devices: UInt64, series: UInt64, points: UInt64, first: Int64, last: Int64
        var provenanceAt = UInt64(footerOffset), rank: UInt64 = 0, applied: UInt64 = 0, level: UInt8 = 0, provenanceChecksum: UInt32 = 0
        do {
            entries = try reader.readUInt64()
            directory = try reader.readUInt64()
            if recordsProvenance { provenanceAt = try reader.readUInt64() }
            devices = try reader.readUInt64()
            series = try reader.readUInt64()
            points = try reader.readUInt64()
            first = try reader.readInt64()
            last = try reader.readInt64()
            if recordsProvenance {
                rank = try reader.readUInt64()
                applied = try reader.readUInt64()
                level = try reader.readUInt8()
                reader.offset += 3
                provenanceChecksum = try reader.readUInt32()
            }
            directoryChecksum = try reader.readUInt32()
            let footerChecksum = try reader.readUInt32()
            let covered = SegmentFormat.footerSize(version: version) - 12
            guard footerChecksum == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[footerOffset..<(footerOffset + covered)])) else {
                throw corrupt("footer fails its checksum")
            }
        } catch let error as StrataError { throw error } catch { throw corrupt("truncated footer") }
        guard directory <= provenanceAt, provenanceAt <= UInt64(footerOffset) else {
            throw corrupt("footer places the provenance block at \(provenanceAt), outside the directory \(directory)..<\(footerOffset)")
        }
        namesEnd = Int(provenanceAt)
        if recordsProvenance {
            let block = UnsafeRawBufferPointer(rebasing: bytes[namesEnd..<footerOffset])
            guard CRC32C.checksum(block) == provenanceChecksum else {
                throw StrataError(.corruptFile, "provenance block fails its checksum", path: path, offset: namesEnd)
            }
            let lists = try SegmentProvenance.lists(in: block, path: path, offset: namesEnd)
            provenance = SegmentProvenance(rank: rank, level: level, deletionsApplied: applied, replaced: lists.replaced, siblings: lists.siblings)
        } else {
            provenance = nil
        }
        let end = UInt64(namesEnd)
        guard entries >= UInt64(SegmentFormat.headerSize), entries <= directory, directory <= end else {
            throw corrupt("footer places the device entries at \(entries) and the directory at \(directory), outside the index region before \(namesEnd)")
        }
        // Each device takes a record and at least one byte of name.
        let recordSize = UInt64(SegmentFormat.directoryRecordSize)
        guard devices <= (end - directory) / (recordSize + 1) else {
            throw corrupt("footer counts \(devices) devices, more than a directory of \(end - directory) bytes can hold (\(recordSize) bytes and a name a device)")
        }
        if devices == 0 {
            guard entries == directory, directory == end, series == 0, points == 0 else {
                throw corrupt("footer counts no device but \(series) series, \(points) points and \(directory - entries) bytes of entries")
            }
            timeBounds = nil
        } else {
            // Every device has a series, and every series a point.
            guard series >= devices, points >= series, first <= last else {
                throw corrupt("footer's totals are inconsistent (\(devices) devices, \(series) series, \(points) points, times \(first)...\(last))")
            }
            timeBounds = (first, last)
        }
        entriesOffset = Int(entries)
        directoryOffset = Int(directory)
        deviceCount = Int(devices)
        seriesCount = Int(clamping: series)
        pointCount = Int(clamping: points)
    }
}

/// The device directory of a format 6 segment, read in place from the
/// mapped file: one fixed-width record a device, in name order, giving the
/// offset, length and checksum of the device's index entry and where its name
/// lies in the names that follow the records. Nothing is copied out at open;
/// a lookup is a binary search comparing names in the mapped bytes. The
/// directory (records and names) is checksummed as a whole when the file is
/// opened, so a lookup never depends on an entry's bytes: a damaged entry
/// affects its own device only.
struct DeviceDirectory: Sendable {
    /// Where the first entry begins (the end of the data region).
    let entriesOffset: Int
    /// Where the records begin (the end of the entries).
    let recordsOffset: Int
    /// Records, one a device.
    let count: Int
    /// Where the names end (the footer's offset).
    let namesEnd: Int
    /// From the footer: the series and points of the whole segment.
    let seriesCount: Int
    let pointCount: Int

    /// Where the names begin, after the last record.
    var namesOffset: Int { recordsOffset + count * SegmentFormat.directoryRecordSize }

    struct Record {
        /// File offset of the device's entry.
        let offset: Int
        let length: Int
        /// CRC-32C of the entry's bytes.
        let checksum: UInt32
        /// Where the device's name begins, from the start of the names.
        let nameOffset: Int
    }

    /// File offset of record `position`.
    func recordOffset(_ position: Int) -> Int {
        recordsOffset + position * SegmentFormat.directoryRecordSize
    }

    func record(at position: Int, in bytes: UnsafeRawBufferPointer) -> Record {
        let at = recordOffset(position)
        return Record(
            offset: Int(truncatingIfNeeded: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))),
            length: Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self))),
            checksum: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 12, as: UInt32.self)),
            nameOffset: Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 16, as: UInt32.self))))
    }

    /// True when `record` addresses bytes inside the entries region.
    func isInside(_ record: Record) -> Bool {
        record.offset >= entriesOffset && record.offset <= recordsOffset && record.length <= recordsOffset - record.offset
    }

    /// Checks the directory's checksum, and that the records begin at the
    /// first entry and end at the directory, at open.
    func validate(_ bytes: UnsafeRawBufferPointer, checksum: UInt32, path: String) throws(StrataError) {
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[recordsOffset..<namesEnd])) == checksum else {
            throw StrataError(.corruptFile, "device directory fails its checksum", path: path, offset: recordsOffset)
        }
        guard count > 0 else { return }
        let first = record(at: 0, in: bytes), last = record(at: count - 1, in: bytes)
        guard first.offset == entriesOffset, first.nameOffset == 0, isInside(last), last.offset + last.length == recordsOffset else {
            throw StrataError(.corruptFile, "device directory does not span the device entries \(entriesOffset)..<\(recordsOffset)", path: path, offset: recordsOffset)
        }
    }

    /// The UTF-8 bytes of the name of device `position`, straight from the mapping.
    func nameBytes(at position: Int, in bytes: UnsafeRawBufferPointer, path: String) throws(StrataError) -> UnsafeRawBufferPointer {
        let start = record(at: position, in: bytes).nameOffset
        let end = position + 1 < count ? record(at: position + 1, in: bytes).nameOffset : namesEnd - namesOffset
        guard start < end, end <= namesEnd - namesOffset else {
            throw StrataError(.corruptFile, "directory record \(position) places its name at \(start)..<\(end), outside the \(namesEnd - namesOffset) bytes of names", path: path, offset: recordOffset(position))
        }
        return UnsafeRawBufferPointer(rebasing: bytes[(namesOffset + start)..<(namesOffset + end)])
    }

    /// The name of device `position`.
    func name(at position: Int, in bytes: UnsafeRawBufferPointer, path: String) throws(StrataError) -> String {
        String(decoding: try nameBytes(at: position, in: bytes, path: path), as: UTF8.self)
    }

    /// The position of the device whose name is `name` (UTF-8), nil when the
    /// segment does not hold it: a binary search over the records, comparing
    /// names in place.
    /// - Complexity: O(log devices) name comparisons.
    func position(of name: UnsafeRawBufferPointer, in bytes: UnsafeRawBufferPointer, path: String) throws(StrataError) -> Int? {
        var low = 0, high = count
        while low < high {
            let middle = low + (high - low) / 2
            let order = Self.compare(try nameBytes(at: middle, in: bytes, path: path), name)
            if order == 0 { return middle }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// The position of the device named `name`, nil when the segment does
    /// not hold it, searching from `cursor` on: every device before `cursor`
    /// sorts before `name`, and `cursor` moves to where `name` is or would
    /// be, so a walk over names in increasing order visits the directory
    /// once. The probe distance doubles from the cursor (galloping, as in
    /// Bentley and Yao's unbounded search), then a binary search narrows the
    /// last step: one comparison when the next device is the one wanted,
    /// O(log distance) when the walk skips ahead.
    func galloping(to name: UnsafeRawBufferPointer, from cursor: inout Int, in bytes: UnsafeRawBufferPointer, path: String) throws(StrataError) -> Int? {
        var low = cursor, high = cursor, step = 1
        while high < count {
            let order = Self.compare(try nameBytes(at: high, in: bytes, path: path), name)
            if order == 0 {
                cursor = high
                return high
            }
            if order > 0 { break }
            low = high + 1
            high = min(count, low + step)
            step <<= 1
        }
        // Devices before `low` sort before `name`; the one at `high` (if any) after it.
        while low < high {
            let middle = low + (high - low) / 2
            let order = Self.compare(try nameBytes(at: middle, in: bytes, path: path), name)
            if order == 0 {
                cursor = middle
                return middle
            }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        cursor = low
        return nil
    }

    /// Compares two byte strings: negative, zero or positive as `a` sorts before, with or after `b`.
    /// Eight bytes at a time (read big-endian, so integer order is byte
    /// order), then byte by byte: names of a fleet share long prefixes.
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = min(a.count, b.count)
        var index = 0
        while index + 8 <= common {
            let x = UInt64(bigEndian: a.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let y = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            if x != y { return x < y ? -1 : 1 }
            index += 8
        }
        while index < common {
            let (x, y) = (a[index], b[index])
            if x != y { return x < y ? -1 : 1 }
            index += 1
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// The entry of device `position`, after checking its checksum, and that
    /// it names the device the directory says.
    func entry(at position: Int, in bytes: UnsafeRawBufferPointer, path: String, version: UInt16) throws(StrataError) -> DeviceEntry {
        let record = record(at: position, in: bytes)
        guard isInside(record) else {
            throw StrataError(.corruptFile, "directory record \(position) points to an entry at \(record.offset) of \(record.length) bytes, outside the device entries", path: path, offset: recordOffset(position))
        }
        let stored = UnsafeRawBufferPointer(rebasing: bytes[record.offset..<(record.offset + record.length)])
        guard CRC32C.checksum(stored) == record.checksum else {
            throw StrataError(.corruptFile, "device entry fails its checksum (torn or damaged); the segment's other devices still read", path: path, offset: record.offset)
        }
        let entry = try SegmentIndexParser(bytes: bytes, indexOffset: entriesOffset, path: path, version: version)
            .parseEntry(at: record.offset, length: record.length)
        let listed = try nameBytes(at: position, in: bytes, path: path)
        guard entry.name.utf8.elementsEqual(listed) else {
            throw StrataError(.corruptFile, "device entry names \(entry.name.debugDescription), but the directory lists it as \(String(decoding: listed, as: UTF8.self).debugDescription)", path: path, offset: record.offset)
        }
        return entry
    }
}

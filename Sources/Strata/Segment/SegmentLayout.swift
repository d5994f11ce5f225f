import StrataCodecs

/// Where a segment file's parts lie, read and checked from its mapped bytes
/// when the file is opened (see ``SegmentFile/init(path:)`` for what is checked).
struct SegmentLayout {
    var version: UInt16
    /// Where the footer begins.
    var footerOffset: Int
    /// Where the index begins, which is where the data region ends.
    var indexOffset: Int
    var indexByteCount: Int
    var timeBounds: (first: Int64, last: Int64)?
    var recordedProvenance: SegmentProvenance?
    var index: SegmentFile.SegmentIndex

    init(_ bytes: UnsafeRawBufferPointer, path: String) throws(StrataError) {
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
        let footerSize = SegmentFormat.footerSize(version: version)
        guard bytes.count >= SegmentFormat.headerSize + footerSize else {
            throw corrupt(0, "file is \(bytes.count) bytes, shorter than a header and a version \(version) footer (\(SegmentFormat.headerSize + footerSize))")
        }
        guard bytes.suffix(8).elementsEqual(SegmentFormat.footerMagic) else {
            throw corrupt(bytes.count - 8, "footer magic number missing: the file is truncated or was not completely written")
        }
        footerOffset = bytes.count - footerSize

        if version >= SegmentFormat.directoryVersion {
            let footer = try DirectoryFooter(bytes, at: footerOffset, version: version, path: path)
            let directory = DeviceDirectory(
                entriesOffset: footer.entriesOffset, recordsOffset: footer.directoryOffset, count: footer.deviceCount,
                namesEnd: footer.namesEnd, seriesCount: footer.seriesCount, pointCount: footer.pointCount)
            recordedProvenance = footer.provenance
            try directory.validate(bytes, checksum: footer.directoryChecksum, path: path)
            indexOffset = footer.entriesOffset
            indexByteCount = footerOffset - footer.entriesOffset
            timeBounds = footer.timeBounds
            index = .directory(directory, DeviceEntryCache())
            return
        }

        var footer = ByteReader(bytes, offset: footerOffset)
        let indexLength: Int, indexChecksum: UInt32
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
        recordedProvenance = nil
        let devices = try SegmentIndexParser(bytes: bytes, indexOffset: indexOffset, path: path, version: version).parse()
        var first = Int64.max, last = Int64.min
        for device in devices {
            for group in device.groups {
                guard let low = group.timeChunks.first, let high = group.timeChunks.last else { continue }
                first = min(first, low.minTime)
                last = max(last, high.maxTime)
            }
        }
        timeBounds = first <= last ? (first, last) : nil
        index = .parsed(devices)
    }
}

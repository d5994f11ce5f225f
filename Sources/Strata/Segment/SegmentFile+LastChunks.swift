import StrataCodecs

/// The last chunk of one series in a segment, as the segment's index
/// records it: its time span and the exact bits of its last value.
struct LastChunk {
    var type: ValueType
    var maxTime: Int64
    var lastBits: UInt64
}

/// What a walk of segment indexes keeps between device entries, so that it
/// allocates nothing per device.
struct LastChunkScratch {
    /// Per column group of the entry being read: its chunk count and its last chunk's end.
    var groupChunks: [Int] = []
    var groupMaxTime: [Int64] = []
}

extension SegmentFile {
    /// Calls `found` with the last chunk of every series of `names` that
    /// the segment holds, reading its index only. The requested devices are
    /// matched against the segment's device directory in one pass in name
    /// order (a galloping search from the last match, so a request for a
    /// few devices skips ahead and one for every device compares each name
    /// once), and each matched device's entry is checked against its
    /// checksum and read in place, without building a `DeviceEntry`.
    ///
    /// A device whose entry is damaged, or whose directory record misplaces
    /// its name, is passed to `damaged` (its group of `names`): what a query
    /// of its series answers (an error, or no point) is for the caller to
    /// learn the slow way. `groups` limits the walk to those device groups
    /// (all when nil), so that walks of disjoint groups can run on several threads.
    func visitLastChunks(
        of names: SortedSeriesNames, groups: Range<Int>? = nil, scratch: inout LastChunkScratch,
        found: (Int, LastChunk) -> Void, damaged: (Int) -> Void
    ) {
        let groups = groups ?? 0..<names.groupCount
        switch index {
        case .parsed(let devices):
            visitParsedLastChunks(devices, of: names, groups: groups, found: found)
        case .directory(let directory, _):
            var checked = checkedEntries.snapshot(devices: directory.count)
            var newlyChecked = false
            region.withBytes { bytes in
                names.bytes.withUnsafeBytes { base in
                    var cursor = 0
                    for group in groups {
                        do throws(StrataError) {
                            let wanted = names.device(group, in: base)
                            guard let position = try directory.galloping(to: wanted, from: &cursor, in: bytes, path: path) else { continue }
                            let record = try checkedRecord(
                                at: position, in: bytes, directory: directory, checked: &checked, newlyChecked: &newlyChecked)
                            try readLastChunks(of: record, in: bytes, group: group, names: names, base: base, scratch: &scratch, found: found)
                        } catch {
                            damaged(group)
                        }
                    }
                }
            }
            if newlyChecked { checkedEntries.merge(checked) }
        }
    }

    /// The directory record of device `position`, after checking that it
    /// lies among the entries and, unless `checked` says it was done
    /// before, that the entry passes its checksum.
    private func checkedRecord(
        at position: Int, in bytes: UnsafeRawBufferPointer, directory: DeviceDirectory, checked: inout [UInt64], newlyChecked: inout Bool
    ) throws(StrataError) -> DeviceDirectory.Record {
        let record = directory.record(at: position, in: bytes)
        guard directory.isInside(record) else {
            throw StrataError(.corruptFile, "directory record \(position) points outside the device entries", path: path, offset: directory.recordOffset(position))
        }
        let bit: UInt64 = 1 << UInt64(position & 63)
        if checked[position >> 6] & bit == 0 {
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[record.offset..<(record.offset + record.length)])) == record.checksum else {
                throw StrataError(.corruptFile, "device entry fails its checksum", path: path, offset: record.offset)
            }
            checked[position >> 6] |= bit
            newlyChecked = true
        }
        return record
    }

    /// ``visitLastChunks(of:scratch:found:damaged:)`` for a version 1 to 5
    /// file, whose index was parsed when it was opened.
    private func visitParsedLastChunks(_ devices: [DeviceEntry], of names: SortedSeriesNames, groups: Range<Int>, found: (Int, LastChunk) -> Void) {
        for group in groups {
            let positions = names.positions(ofGroup: group)
            guard let device = try? device(named: names.deviceName(ofGroup: group)) else { continue }
            for position in positions {
                guard let metric = device.metric(named: names.key(at: position).metric),
                      let time = device.groups[metric.group].timeChunks.last, let value = metric.chunks.last else { continue }
                found(position, LastChunk(type: metric.type, maxTime: time.maxTime, lastBits: value.lastBits))
            }
        }
    }

    /// Reads the format 6 entry `record` (of the device of `group`) and
    /// reports the last chunk of each requested metric it holds. Checks what
    /// ``SegmentIndexParser`` checks, so an entry a query would refuse is
    /// refused here too.
    private func readLastChunks(
        of record: DeviceDirectory.Record, in bytes: UnsafeRawBufferPointer, group: Int, names: SortedSeriesNames,
        base: UnsafeRawBufferPointer, scratch: inout LastChunkScratch, found: (Int, LastChunk) -> Void
    ) throws(StrataError) {
        var reader = EntryReader(
            bytes: bytes, offset: record.offset, end: record.offset + record.length, indexOffset: indexOffset, version: version)
        do throws(EntryReader.Invalid) {
            guard DeviceDirectory.compare(try reader.lengthPrefixedBytes(), names.device(group, in: base)) == 0 else {
                throw EntryReader.Invalid()
            }
            try reader.readGroups(into: &scratch)
            let positions = names.positions(ofGroup: group)
            var next = positions.lowerBound
            var previous: UnsafeRawBufferPointer?
            for _ in 0..<(try reader.count()) {
                let (name, metric) = try reader.readMetric(scratch: scratch)
                if let previous, DeviceDirectory.compare(previous, name) >= 0 { throw EntryReader.Invalid() }
                previous = name
                // Requested metrics are sorted too: advance to this one, report it to every repeat.
                while next < positions.upperBound && DeviceDirectory.compare(names.metric(next, in: base), name) < 0 { next += 1 }
                while next < positions.upperBound && DeviceDirectory.compare(names.metric(next, in: base), name) == 0 {
                    if let metric { found(next, metric) }
                    next += 1
                }
            }
            guard reader.offset == reader.end else { throw EntryReader.Invalid() }
        } catch {
            throw StrataError(.corruptFile, "device entry does not parse", path: path, offset: record.offset)
        }
    }
}

/// Reads a format 6 device entry in place (the layout ``SegmentIndexParser``
/// reads into a `DeviceEntry`), keeping only each series' last chunk. Reads
/// the mapped bytes directly, every read checked against the entry's end:
/// this is the inner loop of a walk over a whole fleet, where a call into
/// `ByteReader` (another module) per field cost more than the rest.
private struct EntryReader {
    struct Invalid: Error {}

    let bytes: UnsafeRawBufferPointer
    var offset: Int
    let end: Int
    let indexOffset: Int
    let version: UInt16

    init(bytes: UnsafeRawBufferPointer, offset: Int, end: Int, indexOffset: Int, version: UInt16) {
        self.bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
        self.offset = offset
        self.end = end
        self.indexOffset = indexOffset
        self.version = version
    }

    @inline(__always)
    private mutating func need(_ count: Int) throws(Invalid) {
        guard count <= end - offset else { throw Invalid() }
    }

    @inline(__always)
    mutating func byte() throws(Invalid) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always)
    mutating func word32() throws(Invalid) -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    mutating func word64() throws(Invalid) -> UInt64 {
        try need(8)
        defer { offset += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A LEB128 varint, read as `ByteReader.readVarUInt` reads it (at most ten bytes).
    @inline(__always)
    mutating func varUInt() throws(Invalid) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end, shift < 64 else { throw Invalid() }
            let next = bytes[offset]
            offset += 1
            result |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A zigzag varint.
    @inline(__always)
    mutating func varInt() throws(Invalid) -> Int64 {
        let value = try varUInt()
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    mutating func lengthPrefixedBytes() throws(Invalid) -> UnsafeRawBufferPointer {
        let length = try varUInt()
        guard length <= UInt64(end - offset) else { throw Invalid() }
        defer { offset += Int(length) }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
    }

    /// A count, refused when it exceeds the bytes left (as the parser does).
    mutating func count() throws(Invalid) -> Int {
        let value = try varUInt()
        guard value <= UInt64(end - offset) else { throw Invalid() }
        return Int(value)
    }

    /// Reads the column groups, recording each one's chunk count and last chunk's end.
    mutating func readGroups(into scratch: inout LastChunkScratch) throws(Invalid) {
        let groups = try count()
        scratch.groupChunks.removeAll(keepingCapacity: true)
        scratch.groupMaxTime.removeAll(keepingCapacity: true)
        for _ in 0..<groups {
            let chunks = try count()
            var previousMax = Int64.min
            for chunk in 0..<chunks {
                let codec = try location()
                let points = try varUInt()
                let minTime = try varInt(), maxTime = try varInt()
                let knownCodec = codec == .timestampDeltaOfDelta || (codec == .timestampGaps && version >= 5)
                guard knownCodec, points > 0, points <= UInt64(SegmentFormat.maximumPointsPerChunk), minTime <= maxTime,
                      chunk == 0 || previousMax < minTime else { throw Invalid() }
                previousMax = maxTime
            }
            scratch.groupChunks.append(chunks)
            scratch.groupMaxTime.append(previousMax)
        }
    }

    /// Reads one metric: its name, and its last chunk (nil when its group has no chunk).
    mutating func readMetric(scratch: LastChunkScratch) throws(Invalid) -> (UnsafeRawBufferPointer, LastChunk?) {
        let name = try lengthPrefixedBytes()
        let typeCode = try byte()
        let group = try varUInt()
        guard let type = ValueType(rawValue: typeCode), group < UInt64(scratch.groupChunks.count) else { throw Invalid() }
        let chunks = scratch.groupChunks[Int(group)]
        var lastBits: UInt64 = 0
        for _ in 0..<chunks {
            let codec = try location()
            let allowed = switch (type, codec) {
            case (.float64, .floatGorilla), (.float64, .floatDecimal), (.int64, .intDeltaZigzag), (.int64, .intPatched): true
            default: false
            }
            guard allowed else { throw Invalid() }
            try need(40)  // min, max, first and last bits, and the sum
            lastBits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
            offset += 40
            if version >= 2 {
                guard try varUInt() <= UInt64(SegmentFormat.maximumPointsPerChunk) else { throw Invalid() }
                _ = try word64()  // m2
            }
        }
        let last = chunks > 0 ? LastChunk(type: type, maxTime: scratch.groupMaxTime[Int(group)], lastBits: lastBits) : nil
        return (name, last)
    }

    /// Reads a chunk location, checking it as the parser does; returns its codec.
    private mutating func location() throws(Invalid) -> ColumnCodec {
        let chunkOffset = try varUInt()
        let length = try varUInt()
        let codecCode = try byte()
        _ = try word32()  // payload checksum
        let compressionCode = version >= 3 ? codecCode >> 6 : 0
        guard let codec = ColumnCodec(rawValue: version >= 3 ? codecCode & 0x3F : codecCode),
              ChunkCompression(code: compressionCode) != nil,
              chunkOffset >= UInt64(SegmentFormat.headerSize), length <= UInt64(indexOffset), chunkOffset <= UInt64(indexOffset) - length
        else { throw Invalid() }
        return codec
    }
}

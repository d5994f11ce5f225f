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
    /// learn the slow way.
    func visitLastChunks(
        of names: SortedSeriesNames, scratch: inout LastChunkScratch,
        found: (Int, LastChunk) -> Void, damaged: (Int) -> Void
    ) {
        switch index {
        case .parsed(let devices):
            visitParsedLastChunks(devices, of: names, found: found)
        case .directory(let directory, _):
            names.bytes.withUnsafeBytes { base in
                var cursor = 0
                for group in 0..<names.groupCount {
                    do throws(StrataError) {
                        let wanted = names.device(group, in: base)
                        guard let position = try directory.galloping(to: wanted, from: &cursor, in: region.bytes, path: path) else { continue }
                        try readLastChunks(
                            at: position, directory: directory, group: group, names: names, base: base, scratch: &scratch, found: found)
                    } catch {
                        damaged(group)
                    }
                }
            }
        }
    }

    /// ``visitLastChunks(of:scratch:found:damaged:)`` for a version 1 to 5
    /// file, whose index was parsed when it was opened.
    private func visitParsedLastChunks(_ devices: [DeviceEntry], of names: SortedSeriesNames, found: (Int, LastChunk) -> Void) {
        for group in 0..<names.groupCount {
            let positions = names.positions(ofGroup: group)
            guard let device = try? device(named: names.keys[names.original[positions.lowerBound]].device) else { continue }
            for position in positions {
                guard let metric = device.metric(named: names.keys[names.original[position]].metric),
                      let time = device.groups[metric.group].timeChunks.last, let value = metric.chunks.last else { continue }
                found(position, LastChunk(type: metric.type, maxTime: time.maxTime, lastBits: value.lastBits))
            }
        }
    }

    /// Reads the format 6 entry of device `position` (the device of `group`)
    /// and reports the last chunk of each requested metric it holds. Checks
    /// what ``SegmentIndexParser`` checks, so an entry a query would refuse
    /// is refused here too.
    private func readLastChunks(
        at position: Int, directory: DeviceDirectory, group: Int, names: SortedSeriesNames, base: UnsafeRawBufferPointer,
        scratch: inout LastChunkScratch, found: (Int, LastChunk) -> Void
    ) throws(StrataError) {
        let bytes = region.bytes
        let record = directory.record(at: position, in: bytes)
        guard directory.isInside(record) else {
            throw StrataError(.corruptFile, "directory record \(position) points outside the device entries", path: path, offset: directory.recordOffset(position))
        }
        let end = record.offset + record.length
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[record.offset..<end])) == record.checksum else {
            throw StrataError(.corruptFile, "device entry fails its checksum", path: path, offset: record.offset)
        }
        var reader = EntryReader(
            reader: ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<end]), offset: record.offset),
            indexOffset: indexOffset, version: version)
        do {
            guard DeviceDirectory.compare(try reader.reader.readLengthPrefixedBytes(), names.device(group, in: base)) == 0 else {
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
            guard reader.reader.offset == end else { throw EntryReader.Invalid() }
        } catch {
            throw StrataError(.corruptFile, "device entry does not parse", path: path, offset: record.offset)
        }
    }
}

/// Reads a format 6 device entry in place (the layout ``SegmentIndexParser``
/// reads into a `DeviceEntry`), keeping only each series' last chunk.
private struct EntryReader {
    struct Invalid: Error {}

    var reader: ByteReader
    let indexOffset: Int
    let version: UInt16

    mutating func count() throws -> Int {
        let value = try reader.readVarUInt()
        guard value <= UInt64(reader.remaining) else { throw Invalid() }
        return Int(value)
    }

    /// Reads the column groups, recording each one's chunk count and last chunk's end.
    mutating func readGroups(into scratch: inout LastChunkScratch) throws {
        let groups = try count()
        scratch.groupChunks.removeAll(keepingCapacity: true)
        scratch.groupMaxTime.removeAll(keepingCapacity: true)
        for _ in 0..<groups {
            let chunks = try count()
            var previousMax = Int64.min
            for chunk in 0..<chunks {
                let codec = try readLocation()
                let points = try reader.readVarUInt()
                let minTime = try reader.readVarInt(), maxTime = try reader.readVarInt()
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
    mutating func readMetric(scratch: LastChunkScratch) throws -> (UnsafeRawBufferPointer, LastChunk?) {
        let name = try reader.readLengthPrefixedBytes()
        let typeCode = try reader.readUInt8()
        let group = try reader.readVarUInt()
        guard let type = ValueType(rawValue: typeCode), group < UInt64(scratch.groupChunks.count) else { throw Invalid() }
        let chunks = scratch.groupChunks[Int(group)]
        var lastBits: UInt64 = 0
        for _ in 0..<chunks {
            let codec = try readLocation()
            let allowed = switch (type, codec) {
            case (.float64, .floatGorilla), (.float64, .floatDecimal), (.int64, .intDeltaZigzag), (.int64, .intPatched): true
            default: false
            }
            guard allowed else { throw Invalid() }
            _ = try reader.readBytes(24)  // min, max and first bits
            lastBits = try reader.readUInt64()
            _ = try reader.readUInt64()  // sum
            if version >= 2 {
                guard try reader.readVarUInt() <= UInt64(SegmentFormat.maximumPointsPerChunk) else { throw Invalid() }
                _ = try reader.readUInt64()  // m2
            }
        }
        let last = chunks > 0 ? LastChunk(type: type, maxTime: scratch.groupMaxTime[Int(group)], lastBits: lastBits) : nil
        return (name, last)
    }

    /// Reads a chunk location, checking it as the parser does; returns its codec.
    private mutating func readLocation() throws -> ColumnCodec {
        let offset = try reader.readVarUInt()
        let length = try reader.readVarUInt()
        let codecCode = try reader.readUInt8()
        _ = try reader.readUInt32()  // payload checksum
        let compressionCode = version >= 3 ? codecCode >> 6 : 0
        guard let codec = ColumnCodec(rawValue: version >= 3 ? codecCode & 0x3F : codecCode),
              ChunkCompression(code: compressionCode) != nil,
              offset >= UInt64(SegmentFormat.headerSize), length <= UInt64(indexOffset), offset <= UInt64(indexOffset) - length
        else { throw Invalid() }
        return codec
    }
}

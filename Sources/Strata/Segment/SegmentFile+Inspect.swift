import StrataCodecs

/// One chunk of a segment, as `strata inspect --segment` shows it.
public struct ChunkDescription: Sendable {
    /// What a chunk stores.
    public enum Column: Sendable, Equatable {
        /// The timestamps shared by the metrics of one column group.
        case time
        /// One metric's values.
        case value(metric: String, type: ValueType)
    }

    /// The device the chunk belongs to.
    public let device: String
    /// Whether the chunk holds timestamps or one metric's values.
    public let column: Column
    /// The column group (shared time column) the chunk belongs to, within its device.
    public let group: Int
    /// Byte offset of the payload in the file.
    public let offset: Int
    /// Payload size in bytes.
    public let byteCount: Int
    /// Name of the encoding (`dod`, `gorilla`, `decimal`, `delta-zigzag`, `patched`),
    /// `+lz4` or `+zstd` when compressed; for the patched integer codec also the
    /// layout its chunk chose: `patched/const`, `patched/rle`, `patched/for`,
    /// `patched/delta` (`patched/?` when the chunk cannot be read).
    public let codec: String
    /// Points in the chunk, and the first and last timestamp it covers.
    public let pointCount: Int
    public let minTime: Int64
    public let maxTime: Int64
    /// For value chunks: smallest and largest value (NaN ignored), sum, first and last value.
    public let minimum: Value?
    public let maximum: Value?
    public let sum: Double?
    public let first: Value?
    public let last: Value?
}

/// A problem found by ``SegmentFile/verifyChunks()``.
public struct ChunkProblem: Sendable, CustomStringConvertible {
    /// Byte offset of the damaged region from the start of the file.
    public let offset: Int
    /// What is wrong there.
    public let message: String
    /// `offset N: message`.
    public var description: String { "offset \(offset): \(message)" }
}

extension SegmentFile {
    /// Every chunk of the segment, device by device, in index order.
    ///
    /// A format 6 device whose index entry is damaged is left out;
    /// ``verifyChunks()`` reports it.
    /// - Complexity: O(index size): every entry is parsed.
    public func chunkDescriptions() -> [ChunkDescription] {
        var result: [ChunkDescription] = []
        for position in 0..<deviceCount {
            guard let device = try? device(at: position) else { continue }
            describeChunks(of: device, into: &result)
        }
        return result
    }

    private func describeChunks(of device: DeviceEntry, into result: inout [ChunkDescription]) {
        for (groupIndex, group) in device.groups.enumerated() {
            for chunk in group.timeChunks {
                result.append(ChunkDescription(
                    device: device.name, column: .time, group: groupIndex,
                    offset: chunk.location.offset, byteCount: chunk.location.length,
                    codec: chunk.location.codecDescription, pointCount: chunk.count,
                    minTime: chunk.minTime, maxTime: chunk.maxTime,
                    minimum: nil, maximum: nil, sum: nil, first: nil, last: nil))
            }
        }
        for metric in device.metrics {
            let times = device.groups[metric.group].timeChunks
            for (index, chunk) in metric.chunks.enumerated() {
                let time = times[index]
                result.append(ChunkDescription(
                    device: device.name, column: .value(metric: metric.name, type: metric.type), group: metric.group,
                    offset: chunk.location.offset, byteCount: chunk.location.length,
                    codec: valueCodecDescription(chunk.location), pointCount: time.count,
                    minTime: time.minTime, maxTime: time.maxTime,
                    minimum: Value(bits: chunk.minBits, type: metric.type),
                    maximum: Value(bits: chunk.maxBits, type: metric.type),
                    sum: chunk.sum,
                    first: Value(bits: chunk.firstBits, type: metric.type),
                    last: Value(bits: chunk.lastBits, type: metric.type)))
            }
        }
    }

    /// The codec of a value chunk as `strata inspect` names it: the patched
    /// integer codec with the layout recorded in its payload's first byte.
    /// Reads that byte without checking the checksum (``verifyChunks()`` does).
    func valueCodecDescription(_ location: ChunkLocation) -> String {
        guard location.codec == .intPatched else { return location.codecDescription }
        var mode: PatchedIntegerCodec.Mode?
        region.withBytes { bytes in
            let stored = UnsafeRawBufferPointer(rebasing: bytes[location.offset..<(location.offset + location.length)])
            try? withEncoded(stored, location, what: "value chunk") { encoded in
                mode = PatchedIntegerCodec.mode(ofEncoded: encoded)
            }
        }
        let name = location.codec.description + "/" + (mode?.description ?? "?")
        return location.compression == .none ? name : name + "+" + location.compression.name
    }

    /// Points stored in the segment (a point of each metric counts once).
    /// - Complexity: O(1) for format 6 (the footer records it); O(index
    ///   entries) for older formats.
    public var pointCount: Int {
        switch index {
        case .directory(let directory, _): return directory.pointCount
        case .parsed(let devices):
            var total = 0
            for device in devices {
                for metric in device.metrics {
                    total += device.groups[metric.group].timeChunks.reduce(0) { $0 + $1.count }
                }
            }
            return total
        }
    }

    /// The number of series (device and metric pairs) in the segment.
    /// - Complexity: O(1) for format 6 (the footer records it); O(devices)
    ///   for older formats.
    public var seriesCount: Int {
        switch index {
        case .directory(let directory, _): directory.seriesCount
        case .parsed(let devices): devices.reduce(0) { $0 + $1.metrics.count }
        }
    }

    /// The series in this segment with their types, sorted by device and metric.
    ///
    /// A format 6 device whose index entry is damaged is left out;
    /// ``verifyChunks()`` reports it.
    /// - Complexity: O(index size): every entry is parsed.
    public var series: [(key: SeriesKey, type: ValueType, pointCount: Int)] {
        var result: [(key: SeriesKey, type: ValueType, pointCount: Int)] = []
        result.reserveCapacity(seriesCount)
        for position in 0..<deviceCount {
            guard let device = try? device(at: position) else { continue }
            result += Self.series(of: device)
        }
        return result
    }

    /// The series of one device with their types, sorted by metric; empty
    /// when the segment does not hold the device.
    ///
    /// - Throws: ``StrataError`` with code `.corruptFile`, the file and the
    ///   offset of the device's index entry when that entry is damaged.
    /// - Complexity: O(log devices) plus the size of the device's index entry.
    public func series(ofDevice name: String) throws(StrataError) -> [(key: SeriesKey, type: ValueType, pointCount: Int)] {
        guard let device = try device(named: name) else { return [] }
        return Self.series(of: device)
    }

    static func series(of device: DeviceEntry) -> [(key: SeriesKey, type: ValueType, pointCount: Int)] {
        device.metrics.map { metric in
            (SeriesKey(device: device.name, metric: metric.name), metric.type,
             device.groups[metric.group].timeChunks.reduce(0) { $0 + $1.count })
        }
    }

    /// Checks the index and every chunk: for format 6, that each device entry
    /// passes its checksum and parses, that the directory lists the entries
    /// back to back in strictly increasing name order, and that the footer's
    /// totals and time bounds match them; for every chunk, its checksum, that
    /// it decodes to its recorded number of points, that its timestamps rise
    /// strictly from the recorded minimum to the recorded maximum, and that
    /// the statistics in the index match the decoded values. Returns the
    /// problems found (empty when clean), each at the offset of the entry or
    /// chunk concerned.
    public func verifyChunks() -> [ChunkProblem] {
        verify().problems
    }

    /// What ``verifyChunks()`` does, also counting the chunks checked.
    func verify() -> (chunks: Int, problems: [ChunkProblem]) {
        var problems: [ChunkProblem] = []
        var reported = Set<Int>()
        func report(_ offset: Int, _ message: String) {
            if reported.insert(offset).inserted { problems.append(ChunkProblem(offset: offset, message: message)) }
        }
        var chunkCount = 0
        var times: [Int64] = [], bits: [UInt64] = []
        // What the footer of a format 6 file claims, recounted from the entries.
        var series = 0, points = 0, first = Int64.max, last = Int64.min, everyEntryRead = true
        var nextEntry = indexOffset
        region.withBytes { bytes in
            // A name in the mapped bytes: kept only while they are.
            var previousName: UnsafeRawBufferPointer?
            for position in 0..<deviceCount {
                if case .directory(let directory, _) = index {
                    let record = directory.record(at: position, in: bytes)
                    if record.offset != nextEntry {
                        report(directory.recordOffset(position), "directory record \(position) places its entry at \(record.offset), not where the previous one ends (\(nextEntry))")
                    }
                    nextEntry = record.offset &+ record.length
                    do throws(StrataError) {
                        let name = try directory.nameBytes(at: position, in: bytes, path: path)
                        if let previousName, DeviceDirectory.compare(previousName, name) >= 0 {
                            report(directory.recordOffset(position), "the directory lists devices out of order")
                        }
                        previousName = name
                    } catch {
                        report(error.offset ?? directory.recordOffset(position), error.message)
                    }
                }
                let device: DeviceEntry
                do throws(StrataError) {
                    device = try self.device(at: position)
                } catch {
                    report(error.offset ?? indexOffset, error.message)
                    everyEntryRead = false
                    continue
                }
                series += device.metrics.count
                for group in device.groups {
                    chunkCount += group.timeChunks.count
                    if let low = group.timeChunks.first, let high = group.timeChunks.last {
                        first = min(first, low.minTime)
                        last = max(last, high.maxTime)
                    }
                }
                for metric in device.metrics {
                    let timeChunks = device.groups[metric.group].timeChunks
                    points += timeChunks.reduce(0) { $0 + $1.count }
                    for (index, entry) in metric.chunks.enumerated() {
                        chunkCount += 1
                        let chunk = SeriesChunk(time: timeChunks[index], value: entry)
                        let name = "\(device.name)/\(metric.name)"
                        do throws(StrataError) {
                            try decode(chunk, type: metric.type, timestamps: &times, bits: &bits)
                        } catch {
                            report(error.offset ?? entry.location.offset, "chunk of \(name): \(error.message)")
                            continue
                        }
                        if times.first != chunk.time.minTime || times.last != chunk.time.maxTime
                            || zip(times, times.dropFirst()).contains(where: { $0 >= $1 }) {
                            report(chunk.time.location.offset, "time chunk of \(device.name) disagrees with its index entry (bounds or order)")
                        }
                        let recomputed = times.withUnsafeBufferPointer { time in
                            bits.withUnsafeBufferPointer { values in
                                switch metric.type {
                                case .float64: values.withMemoryRebound(to: Double.self) { ChunkStatistics.float(timestamps: time, values: $0) }
                                case .int64: values.withMemoryRebound(to: Int64.self) { ChunkStatistics.integer(timestamps: time, values: $0) }
                                }
                            }
                        }
                        let matches = recomputed.minBits == entry.minBits && recomputed.maxBits == entry.maxBits
                            && recomputed.firstBits == entry.firstBits && recomputed.lastBits == entry.lastBits
                            && recomputed.sum.bitPattern == entry.sum.bitPattern
                            && (entry.valueCount == nil || (entry.valueCount == recomputed.valueCount && entry.m2?.bitPattern == recomputed.m2.bitPattern))
                        if !matches {
                            report(entry.location.offset, "chunk of \(name): the statistics in the index do not match its values")
                        }
                    }
                }
            }
        }
        if case .directory(let directory, _) = index, everyEntryRead {
            let bounds = first <= last ? "\(first)...\(last)" : "none"
            let claimed = timeBounds.map { "\($0.first)...\($0.last)" } ?? "none"
            if series != directory.seriesCount || points != directory.pointCount || bounds != claimed {
                report(footerOffset, "the footer claims \(directory.seriesCount) series, \(directory.pointCount) points and times \(claimed), but the entries hold \(series), \(points) and \(bounds)")
            }
        }
        return (chunkCount, problems)
    }
}

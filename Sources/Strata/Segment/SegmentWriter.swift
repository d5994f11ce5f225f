#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StrataCodecs

/// One device's sorted series, ready to be written into a segment.
struct DeviceColumns: Sendable {
    struct Metric: Sendable {
        var name: String
        var type: ValueType
        var columns: SeriesColumns
    }

    var name: String
    var metrics: [Metric]
}

/// One series of a device as the writer encodes it: the metric's name and
/// type, and its points sorted by time in memory the caller keeps alive
/// during the call.
struct SeriesSpans {
    var metric: String
    var type: ValueType
    var timestamps: UnsafeBufferPointer<Int64>
    var bits: UnsafeBufferPointer<UInt64>
}

/// Builds the bytes of a segment file, one device at a time.
///
/// Metrics of a device whose timestamps are identical share one stored time
/// column (a column group); each column is cut into chunks of at most
/// `pointsPerChunk` points, and the chunks of a group are aligned, so chunk
/// *i* of every metric belongs to time chunk *i*.
///
/// The writer streams: devices are appended in name order, and the caller
/// may take the bytes encoded so far (``takePendingBytes()``) and write them
/// out, so a segment of any size is built in bounded memory. Only the index
/// (the device entries, and for the directory 20 bytes and the name of each
/// device) stays in memory until ``finish()``.
///
/// It writes format 7: the device entries, then the device directory (each
/// entry's offset, length and checksum and where its name lies, then the
/// names), the provenance block (the segments this one replaced), then a
/// footer with the directory's place and checksum, the segment's totals and
/// time bounds, and its rank, level and applied deletions.
struct SegmentWriter {
    let pointsPerChunk: Int
    /// Encoded bytes not yet taken by the caller.
    private var pending: [UInt8] = []
    /// File offset of `pending[0]`.
    private var pendingOffset = 0
    /// The device entries, back to back; their file offset is known only at the end.
    private var entries = ByteWriter(capacity: 4096)
    /// One a device: where its entry lies in `entries`, its checksum, and where its name lies in `names`.
    private var records: [DirectoryRecord] = []
    /// The device names back to back, in record order.
    private var names: [UInt8] = []
    private var lastDevice: [UInt8]? = nil
    /// A device's columns copied back to back by ``append(_:)``.
    private var stagedTimes: [Int64] = []
    private var stagedBits: [UInt64] = []
    private let scratch: EncodingScratch
    /// Points appended so far (a point of each metric counts once).
    private(set) var pointCount = 0
    /// Series appended so far.
    private var seriesCount = 0
    /// The first and last timestamps appended.
    private var firstTime = Int64.max
    private var lastTime = Int64.min
    /// Where the segment stands in its store, written into its footer.
    private(set) var provenance: SegmentProvenance

    private struct DirectoryRecord {
        var offset: Int
        var length: UInt32
        var checksum: UInt32
        var nameOffset: UInt32
    }

    /// - Parameters:
    ///   - compression: applied to each chunk's payload where it saves at least an eighth.
    ///   - provenance: the segment's rank, level and applied deletions in its
    ///     store, and what it replaces; unrecorded for a segment outside a store.
    init(pointsPerChunk: Int, compression: ChunkCompression = .none, provenance: SegmentProvenance = .unrecorded) {
        self.pointsPerChunk = pointsPerChunk
        self.provenance = provenance
        scratch = EncodingScratch(pointsPerChunk: pointsPerChunk, compression: compression)
        appendHeader()
    }

    /// Records the outputs of the compaction step this segment belongs to,
    /// known only once the step has written them all.
    mutating func recordSiblings(_ sequences: [UInt64]) {
        provenance.siblings = sequences
    }

    /// Records the segment's level, when it is known only once its points are
    /// encoded (a bulk load goes to a window only if its file fits one).
    mutating func recordLevel(_ level: UInt8) {
        provenance.level = level
    }

    /// Bytes encoded so far, taken or not.
    var byteCount: Int { pendingOffset + pending.count }

    /// Encodes `devices` (any order; sorted here) into a complete segment file image.
    consuming func encode(_ devices: [DeviceColumns]) -> [UInt8] {
        let estimatedPoints = devices.reduce(0) { $0 + $1.metrics.reduce(0) { $0 + $1.columns.count } }
        pending.reserveCapacity(SegmentFormat.headerSize + estimatedPoints * 2 + 4096)
        records.reserveCapacity(devices.count)
        for device in devices.sorted(by: { UTF8Order.precedes($0.name, $1.name) }) {
            append(device)
        }
        return finish()
    }

    /// Appends one device's series. Devices must come in strictly increasing
    /// name order (UTF-8 bytes); a device with no points is skipped.
    mutating func append(_ device: DeviceColumns) {
        let metrics = device.metrics
            .filter { !$0.columns.isEmpty }
            .sorted { UTF8Order.precedes($0.name, $1.name) }
        guard !metrics.isEmpty else { return }
        // Staged back to back, so the encoder works on spans of one buffer.
        stagedTimes.removeAll(keepingCapacity: true)
        stagedBits.removeAll(keepingCapacity: true)
        for metric in metrics {
            stagedTimes.append(contentsOf: metric.columns.timestamps)
            stagedBits.append(contentsOf: metric.columns.bits)
        }
        let times = stagedTimes, values = stagedBits
        times.withUnsafeBufferPointer { times in
            values.withUnsafeBufferPointer { values in
                var spans: [SeriesSpans] = []
                spans.reserveCapacity(metrics.count)
                var offset = 0
                for metric in metrics {
                    let range = offset..<(offset + metric.columns.count)
                    spans.append(SeriesSpans(
                        metric: metric.name, type: metric.type,
                        timestamps: UnsafeBufferPointer(rebasing: times[range]), bits: UnsafeBufferPointer(rebasing: values[range])))
                    offset = range.upperBound
                }
                append(device: device.name, series: spans)
            }
        }
    }

    /// Appends one device's series given as spans: sorted by metric name
    /// (UTF-8 bytes), none empty. Devices must come in strictly increasing
    /// name order.
    mutating func append(device: String, series: [SeriesSpans]) {
        guard !series.isEmpty else { return }
        let name = Array(device.utf8)
        if let lastDevice { precondition(lastDevice.lexicographicallyPrecedes(name), "devices must be appended in name order") }
        lastDevice = name
        let start = entries.count
        encode(device: device, series: series)
        let length = entries.count - start
        precondition(length <= Int(UInt32.max), "a device entry of \(length) bytes does not fit the directory")
        precondition(names.count <= Int(UInt32.max), "more than 4 GiB of device names do not fit the directory")
        let checksum = entries.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<entries.count])) }
        records.append(DirectoryRecord(offset: start, length: UInt32(length), checksum: checksum, nameOffset: UInt32(names.count)))
        names.append(contentsOf: name)
    }

    /// Returns the bytes encoded since the last call, for the caller to write
    /// at offset `byteCount - result.count` of the file.
    mutating func takePendingBytes() -> [UInt8] {
        let taken = pending
        pendingOffset += pending.count
        pending.removeAll(keepingCapacity: true)
        return taken
    }

    /// Appends the device entries, the directory and the footer, and returns
    /// the bytes not yet taken: the end of the file.
    consuming func finish() -> [UInt8] {
        let entriesOffset = byteCount
        pending.reserveCapacity(pending.count + entries.count + records.count * SegmentFormat.directoryRecordSize + names.count + SegmentFormat.provenanceFooterSize + 16)
        pending.append(contentsOf: entries.bytes)
        let directoryOffset = byteCount
        var directory = ByteWriter(capacity: records.count * SegmentFormat.directoryRecordSize + names.count)
        for record in records {
            directory.writeUInt64(UInt64(entriesOffset + record.offset))
            directory.writeUInt32(record.length)
            directory.writeUInt32(record.checksum)
            directory.writeUInt32(record.nameOffset)
        }
        directory.writeBytes(names)
        let directoryChecksum = directory.bytes.withUnsafeBytes { CRC32C.checksum($0) }
        pending.append(contentsOf: directory.bytes)
        let provenanceOffset = byteCount
        let block = provenance.encodedBlock()
        pending.append(contentsOf: block)
        var footer = ByteWriter(capacity: SegmentFormat.provenanceFooterSize)
        footer.writeUInt64(UInt64(entriesOffset))
        footer.writeUInt64(UInt64(directoryOffset))
        footer.writeUInt64(UInt64(provenanceOffset))
        footer.writeUInt64(UInt64(records.count))
        footer.writeUInt64(UInt64(seriesCount))
        footer.writeUInt64(UInt64(pointCount))
        let empty = records.isEmpty
        footer.writeInt64(empty ? 0 : firstTime)
        footer.writeInt64(empty ? 0 : lastTime)
        footer.writeUInt64(provenance.rank)
        footer.writeUInt64(provenance.deletionsApplied)
        footer.writeUInt8(provenance.level)
        footer.writeBytes([0, 0, 0])
        footer.writeUInt32(block.withUnsafeBytes { CRC32C.checksum($0) })
        footer.writeUInt32(directoryChecksum)
        footer.writeUInt32(footer.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        footer.writeBytes(SegmentFormat.footerMagic)
        pending.append(contentsOf: footer.bytes)
        return pending
    }

    private mutating func appendHeader() {
        var header = ByteWriter(capacity: SegmentFormat.headerSize)
        header.writeBytes(SegmentFormat.headerMagic)
        header.writeUInt16(SegmentFormat.currentVersion)
        header.writeUInt16(0)  // flags, none defined
        header.writeUInt32(header.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        pending.append(contentsOf: header.bytes)
    }

    /// Encodes the device's chunks into `pending` and its entry into `entries`.
    private mutating func encode(device: String, series metrics: [SeriesSpans]) {
        // Group metrics with identical timestamps; a group's first member owns the time column.
        var groupLeaders: [Int] = []
        var groupOfMetric: [Int] = []
        groupOfMetric.reserveCapacity(metrics.count)
        for (position, metric) in metrics.enumerated() {
            let times = metric.timestamps
            if let group = groupLeaders.firstIndex(where: { Self.equal(metrics[$0].timestamps, times) }) {
                groupOfMetric.append(group)
            } else {
                groupLeaders.append(position)
                groupOfMetric.append(groupLeaders.count - 1)
            }
        }

        entries.writeString(device)
        entries.writeVarUInt(UInt64(groupLeaders.count))
        var chunkRanges: [[Range<Int>]] = []
        chunkRanges.reserveCapacity(groupLeaders.count)
        for leader in groupLeaders {
            let times = metrics[leader].timestamps
            firstTime = min(firstTime, times[0])
            lastTime = max(lastTime, times[times.count - 1])
            let ranges = chunkBoundaries(times)
            chunkRanges.append(ranges)
            entries.writeVarUInt(UInt64(ranges.count))
            for range in ranges {
                let slice = UnsafeBufferPointer(rebasing: times[range])
                let location = scratch.appendTimestamps(slice, to: &pending, baseOffset: pendingOffset)
                write(location, to: &entries)
                entries.writeVarUInt(UInt64(range.count))
                entries.writeVarInt(slice.first!)
                entries.writeVarInt(slice.last!)
            }
        }

        entries.writeVarUInt(UInt64(metrics.count))
        seriesCount += metrics.count
        for (position, metric) in metrics.enumerated() {
            let group = groupOfMetric[position]
            pointCount += metric.timestamps.count
            entries.writeString(metric.metric)
            entries.writeUInt8(metric.type.rawValue)
            entries.writeVarUInt(UInt64(group))
            for range in chunkRanges[group] {
                let times = UnsafeBufferPointer(rebasing: metric.timestamps[range])
                let bits = UnsafeBufferPointer(rebasing: metric.bits[range])
                let (location, statistics) = scratch.appendValues(bits, times: times, type: metric.type, to: &pending, baseOffset: pendingOffset)
                write(location, to: &entries)
                entries.writeUInt64(statistics.minBits)
                entries.writeUInt64(statistics.maxBits)
                entries.writeUInt64(statistics.firstBits)
                entries.writeUInt64(statistics.lastBits)
                entries.writeUInt64(statistics.sum.bitPattern)
                entries.writeVarUInt(UInt64(statistics.valueCount))
                entries.writeUInt64(statistics.m2.bitPattern)
            }
        }
    }

    /// True when both columns hold the same timestamps.
    private static func equal(_ a: UnsafeBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) -> Bool {
        guard a.count == b.count else { return false }
        guard a.baseAddress != b.baseAddress else { return true }
        return ByteSearch.equal(a.baseAddress!, b.baseAddress!, count: a.count * MemoryLayout<Int64>.stride)
    }

    private func write(_ location: ChunkLocation, to index: inout ByteWriter) {
        index.writeVarUInt(UInt64(location.offset))
        index.writeVarUInt(UInt64(location.length))
        index.writeUInt8(location.codec.rawValue | location.compression.code << 6)
        index.writeUInt32(location.checksum)
    }

    /// Calendar-friendly units for chunk boundaries; each divides the next, so
    /// a chunk that stays inside one unit also stays inside every larger one.
    static let alignmentUnits: [Int64] = [
        1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 1_800_000,
        3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
    ]

    /// Cuts a sorted time column into chunks of at most `pointsPerChunk` points
    /// whose boundaries fall on round times when the data allows.
    ///
    /// The unit is the largest of ``alignmentUnits`` that a chunk of
    /// `pointsPerChunk` points spans at the column's average rate (15 minutes for
    /// 1-second readings, a day for hourly ones). The column is cut wherever it
    /// crosses a multiple of that unit since the epoch, then neighbouring pieces are
    /// merged while they fit in one chunk and stay inside one multiple of the next
    /// larger unit. A downsampling bucket that is a multiple of the unit (15m, 1h,
    /// 1d for 1-second data) then never splits a chunk, so every chunk can be
    /// answered from its statistics. Pieces larger than a chunk are split evenly,
    /// so no tiny chunk pays a full index entry.
    func chunkBoundaries(_ times: UnsafeBufferPointer<Int64>) -> [Range<Int>] {
        let count = times.count
        guard count > 0 else { return [] }
        guard count > pointsPerChunk else { return [0..<count] }
        let span = Int128(times[count - 1]) - Int128(times[0])
        let typical = span * Int128(pointsPerChunk) / Int128(count)
        guard let unitIndex = Self.alignmentUnits.lastIndex(where: { Int128($0) <= typical }) else {
            return evenSplit(0..<count)
        }
        let unit = Self.alignmentUnits[unitIndex]
        let coarser: Int64? = unitIndex + 1 < Self.alignmentUnits.count ? Self.alignmentUnits[unitIndex + 1] : nil

        func window(_ time: Int64, _ width: Int64) -> Int64 {
            let quotient = time / width
            return time % width < 0 ? quotient - 1 : quotient
        }
        // Pieces: maximal runs inside one multiple of `unit`.
        var pieces: [Range<Int>] = []
        var start = 0
        for index in 1..<count where window(times[index], unit) != window(times[index - 1], unit) {
            pieces.append(start..<index)
            start = index
        }
        pieces.append(start..<count)

        var result: [Range<Int>] = []
        var pending: Range<Int>? = nil
        for piece in pieces {
            if let current = pending {
                let sameCoarse = coarser.map { window(times[current.lowerBound], $0) == window(times[piece.lowerBound], $0) } ?? true
                if sameCoarse && current.count + piece.count <= pointsPerChunk {
                    pending = current.lowerBound..<piece.upperBound
                    continue
                }
                result += evenSplit(current)
            }
            pending = piece
        }
        if let pending { result += evenSplit(pending) }
        return result
    }

    /// Splits `range` into ⌈n / pointsPerChunk⌉ chunks whose sizes differ by at most one.
    private func evenSplit(_ range: Range<Int>) -> [Range<Int>] {
        let count = range.count
        guard count > pointsPerChunk else { return [range] }
        let chunkCount = (count + pointsPerChunk - 1) / pointsPerChunk
        let base = count / chunkCount, extra = count % chunkCount
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(chunkCount)
        var start = range.lowerBound
        for chunk in 0..<chunkCount {
            let length = base + (chunk < extra ? 1 : 0)
            ranges.append(start..<(start + length))
            start += length
        }
        return ranges
    }
}

/// A reusable output buffer sized for the largest chunk, so encoding a
/// segment allocates once rather than once per chunk.
private final class EncodingScratch {
    private let buffer: UnsafeMutableRawBufferPointer
    /// Where a second candidate encoding of a value chunk goes, to keep the smaller.
    private let candidate: UnsafeMutableRawBufferPointer
    private let compression: ChunkCompression

    init(pointsPerChunk: Int, compression: ChunkCompression) {
        self.compression = compression
        let size = max(
            TimestampGapCodec.maxEncodedSize(count: pointsPerChunk),
            GorillaFloatCodec.maxEncodedSize(count: pointsPerChunk),
            IntegerCodec.maxEncodedSize(count: pointsPerChunk),
            PatchedIntegerCodec.maxEncodedSize(count: pointsPerChunk),
            DecimalFloatCodec.maxEncodedSize(count: pointsPerChunk))
        buffer = .allocate(byteCount: size, alignment: 16)
        candidate = .allocate(byteCount: size, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        candidate.deallocate()
    }

    func appendTimestamps(_ times: UnsafeBufferPointer<Int64>, to file: inout [UInt8], baseOffset: Int) -> ChunkLocation {
        let length = TimestampGapCodec.encode(times, into: buffer)
        return append(length: length, codec: .timestampGaps, to: &file, baseOffset: baseOffset)
    }

    func appendValues(
        _ bits: UnsafeBufferPointer<UInt64>, times: UnsafeBufferPointer<Int64>, type: ValueType, to file: inout [UInt8], baseOffset: Int
    ) -> (ChunkLocation, ChunkStatistics) {
        switch type {
        case .float64:
            return bits.withMemoryRebound(to: Double.self) { values in
                // Both float codecs, and the smaller kept: decimal readings suit the
                // decimal codec, values with many digits Gorilla's XOR coding.
                let decimal = DecimalFloatCodec.encode(values, into: candidate)
                // Gorilla spends at least 12 bits on a value that changes: below that the
                // decimal encoding wins anyway, and the second encoding is skipped.
                let gorilla = decimal * 8 <= values.count * 12 ? Int.max : GorillaFloatCodec.encode(values, into: buffer)
                let location = decimal < gorilla
                    ? append(length: decimal, codec: .floatDecimal, from: candidate, to: &file, baseOffset: baseOffset)
                    : append(length: gorilla, codec: .floatGorilla, to: &file, baseOffset: baseOffset)
                return (location, .float(timestamps: times, values: values))
            }
        case .int64:
            return bits.withMemoryRebound(to: Int64.self) { values in
                // The patched codec picks its own layout per chunk. The older per-block codec
                // still wins when volatility changes within a chunk (quiet, then noisy), since
                // it re-chooses its width every 128 values: both are tried, the smaller kept.
                // It needs at least a byte per block, so a patched encoding no larger skips it.
                let patched = PatchedIntegerCodec.encode(values, into: buffer)
                let blockBytes = 1 + (values.count + 126) / 128
                let blocked = patched <= blockBytes ? Int.max : IntegerCodec.encode(values, into: candidate)
                let location = patched <= blocked
                    ? append(length: patched, codec: .intPatched, to: &file, baseOffset: baseOffset)
                    : append(length: blocked, codec: .intDeltaZigzag, from: candidate, to: &file, baseOffset: baseOffset)
                return (location, .integer(timestamps: times, values: values))
            }
        }
    }

    private func append(
        length: Int, codec: ColumnCodec, from source: UnsafeMutableRawBufferPointer? = nil, to file: inout [UInt8], baseOffset: Int
    ) -> ChunkLocation {
        let payload = UnsafeRawBufferPointer(rebasing: (source ?? buffer)[0..<length])
        if let block = compression.block, length >= 64, let compressed = try? block.compress(payload) {
            var framed = ByteWriter(capacity: compressed.count + 10)
            framed.writeVarUInt(UInt64(length))
            framed.writeBytes(compressed)
            if framed.count <= length - length / 8 {
                let location = ChunkLocation(
                    offset: baseOffset + file.count, length: framed.count, codec: codec, compression: compression,
                    checksum: framed.bytes.withUnsafeBytes { CRC32C.checksum($0) })
                file.append(contentsOf: framed.bytes)
                return location
            }
        }
        let location = ChunkLocation(offset: baseOffset + file.count, length: length, codec: codec, checksum: CRC32C.checksum(payload))
        file.append(contentsOf: payload)
        return location
    }
}

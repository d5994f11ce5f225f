import StrataCodecs

/// One device's chunks, encoded and ready to be appended to a segment: the
/// chunk payloads back to back, with their offsets relative to the payload's
/// start (a ``SegmentWriter`` moves them to where the payload lands).
struct EncodedDevice: Sendable {
    /// One time chunk of a column group.
    struct TimeChunk: Sendable {
        var location: ChunkLocation
        var count: Int
        var first: Int64
        var last: Int64
    }

    /// One metric's value chunks, aligned with its group's time chunks.
    struct Metric: Sendable {
        var name: String
        var type: ValueType
        var group: Int
        var chunks: [(ChunkLocation, ChunkStatistics)]
    }

    var name: String
    var payload: [UInt8] = []
    var groups: [[TimeChunk]] = []
    var metrics: [Metric] = []
    var pointCount = 0
    var firstTime = Int64.max
    var lastTime = Int64.min
}

/// Encodes devices' series into chunks (the expensive part of writing a
/// segment), one device at a time; each thread encoding devices for one
/// segment has its own encoder, and the writer appends their results in name order.
///
/// Metrics of a device whose timestamps are identical share one stored time
/// column (a column group); each column is cut into chunks of at most
/// `pointsPerChunk` points, and the chunks of a group are aligned, so chunk
/// *i* of every metric belongs to time chunk *i*.
struct DeviceEncoder {
    let pointsPerChunk: Int
    private let scratch: EncodingScratch

    init(pointsPerChunk: Int, compression: ChunkCompression) {
        self.pointsPerChunk = pointsPerChunk
        scratch = EncodingScratch(pointsPerChunk: pointsPerChunk, compression: compression)
    }

    /// Encodes the series of `device`: sorted by metric name (UTF-8 bytes), none empty.
    func encode(device: String, series metrics: [SeriesSpans]) -> EncodedDevice {
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

        var encoded = EncodedDevice(name: device)
        var chunkRanges: [[Range<Int>]] = []
        chunkRanges.reserveCapacity(groupLeaders.count)
        for leader in groupLeaders {
            let times = metrics[leader].timestamps
            encoded.firstTime = min(encoded.firstTime, times[0])
            encoded.lastTime = max(encoded.lastTime, times[times.count - 1])
            let ranges = chunkBoundaries(times)
            chunkRanges.append(ranges)
            encoded.groups.append(ranges.map { range in
                let slice = UnsafeBufferPointer(rebasing: times[range])
                let location = scratch.appendTimestamps(slice, to: &encoded.payload, baseOffset: 0)
                return EncodedDevice.TimeChunk(location: location, count: range.count, first: slice.first!, last: slice.last!)
            })
        }

        for (position, metric) in metrics.enumerated() {
            let group = groupOfMetric[position]
            encoded.pointCount += metric.timestamps.count
            let chunks = chunkRanges[group].map { range in
                scratch.appendValues(UnsafeBufferPointer(rebasing: metric.bits[range]), times: UnsafeBufferPointer(rebasing: metric.timestamps[range]),
                                     type: metric.type, to: &encoded.payload, baseOffset: 0)
            }
            encoded.metrics.append(EncodedDevice.Metric(name: metric.metric, type: metric.type, group: group, chunks: chunks))
        }
        return encoded
    }

    /// True when both columns hold the same timestamps.
    private static func equal(_ a: UnsafeBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) -> Bool {
        guard a.count == b.count else { return false }
        guard a.baseAddress != b.baseAddress else { return true }
        return ByteSearch.equal(a.baseAddress!, b.baseAddress!, count: a.count * MemoryLayout<Int64>.stride)
    }

    /// Calendar-friendly units for chunk boundaries; each divides the next, so
    /// a chunk that stays inside one unit also stays inside every larger one.
    static let alignmentUnits: [Int64] = [
        1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 1_800_000,
        3_600_000, 10_800_000, 21_600_000, 43_200_000, Milliseconds.day,
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

extension Store {
    /// What ``load(_:)`` stored.
    public struct LoadReport: Sendable, Equatable {
        /// Points stored: those staged, less the earlier writes to a timestamp written again.
        public var points = 0
        /// Series stored.
        public var series = 0
        /// Bytes of the segments written.
        public var bytes = 0
        /// True when the points went straight to the compaction windows that
        /// ``compact(progress:)`` would have moved them to; false when they were
        /// written as a flushed segment, for compaction to sort out.
        public var placedInWindow = false
    }

    /// Stores the points of `stage` in one new segment (or one a compaction
    /// window, see below), without the write-ahead log or the head: the way to
    /// import a large file. The points become visible, and durable, together
    /// when the segments are published; a failure or a crash before that stores
    /// none of them.
    ///
    /// The load ranks above everything stored before it: of a point stored
    /// already at a timestamp it holds too, the load's value wins, as with
    /// ``append(_:)``. Points in the head are flushed first for that reason.
    ///
    /// History (every point in a finished week) that fits one compacted file
    /// goes straight to the windows compaction would cut it into, a segment a
    /// window, compressed as compaction compresses cold data, when the store has
    /// no flushed segment and those windows no compacted one: compacting
    /// afterwards has nothing to do.
    ///
    /// - Throws: `.typeMismatch` when a staged series holds the other value
    ///   type in the store; `.io` when the segment cannot be written (nothing is
    ///   stored); `.readOnly`, `.closed`.
    @discardableResult
    public func load(_ stage: consuming ImportStage) throws(StrataError) -> LoadReport {
        try checkWritable()
        guard !stage.isEmpty else { return LoadReport() }
        try state.withLock { state throws(StrataError) in
            guard !state.isClosed else { throw StrataError(.closed, "the store is closed", path: directory) }
            for (index, key) in stage.keys.enumerated() {
                if let known = state.knownType(of: key), known != stage.types[index] {
                    throw StrataError(.typeMismatch, "series \(key) holds \(known) values; the input has \(stage.types[index]) values")
                }
            }
        }
        // Lock order: the compaction gate, then the flush gate (no other path holds both).
        // Holding both keeps the segments this load's placement depends on as they are.
        return try compactionGate.withLock { _ throws(StrataError) -> LoadReport in
            try flushGate.withLock { scratch throws(StrataError) -> LoadReport in
                try flushHeadHoldingGate(closing: false, scratch: &scratch)
                return try write(stage)
            }
        }
    }

    /// Encodes `stage` into the next segment (or one a compaction window) and publishes it.
    private func write(_ stage: borrowing ImportStage) throws(StrataError) -> LoadReport {
        let now = wallClockMilliseconds()
        let closeAfter = configuration.compaction.closeAfterMilliseconds
        let isHistory = CompactionWindow.week(containing: stage.maximumTime).isClosed(now: now, closeAfter: closeAfter)
        let compression = isHistory ? configuration.compaction.compression : configuration.flushCompression
        let work = LoadEncoding(stage: copy stage, pointsPerChunk: configuration.pointsPerChunk, compression: compression)
        let segments = state.withLock { $0.segments }
        let (first, last) = (stage.minimumTime, stage.maximumTime)
        let windowsFor = { (bytes: Int) -> [CompactionWindow]? in
            isHistory ? self.loadWindows(first: first, last: last, bytes: bytes, now: now, among: segments) : nil
        }
        // Where a load goes depends on its encoded size. Readings take about a byte a
        // point once encoded: the windows are chosen on that guess, then checked against
        // the size, and the load encoded again in the few cases where they differ.
        var windows = windowsFor(stage.pointCount)
        var parts = work.encode(into: windows)
        let encodedWindows = windowsFor(parts.reduce(0) { $0 + $1.devices.reduce(0) { $0 + $1.payload.count } })
        if encodedWindows != windows {
            windows = encodedWindows
            parts = work.encode(into: windows)
        }
        let points = parts.reduce(0) { $0 + $1.devices.reduce(0) { $0 + $1.pointCount } }
        let written = try writeSegments(parts, compression: compression, compacted: windows != nil)
        let notDurable: StrataError?
        do throws(StrataError) {
            notDurable = try publish({ manifest in
                for segment in written { manifest.segments.append(.init(sequence: segment.sequence, rank: segment.rank, level: segment.level)) }
            }, then: { state in
                state.segments.append(contentsOf: written)
                state.segments.sort { ($0.rank, $0.sequence) < ($1.rank, $1.sequence) }
            })
        } catch {
            for segment in written { segment.markObsolete() }
            throw error
        }
        let bytes = written.reduce(0) { $0 + $1.byteCount }
        metrics.pointsAppended.increment(by: Int64(points))
        metrics.segmentBytesWritten.increment(by: Int64(bytes))
        metrics.segments.record(state.withLock { $0.segments.count })
        logger.info("loaded points into segments", metadata: [
            "segments": "\(written.map(\.path))", "points": "\(points)", "bytes": "\(bytes)", "levels": "\(written.map(\.level))",
        ])
        // The segments are published; the caller learns the manifest may not be durable yet.
        if let notDurable { throw notDurable }
        return LoadReport(points: points, series: stage.seriesCount, bytes: bytes, placedInWindow: windows != nil)
    }

    /// Writes each part as a segment of its level, ranked as its sequence, fsynced
    /// with the folder; `compacted` parts are the outputs of one step (siblings). On
    /// failure no file is left.
    private func writeSegments(_ parts: [(level: UInt8, devices: [EncodedDevice])], compression: ChunkCompression,
                               compacted: Bool) throws(StrataError) -> [SegmentFile] {
        let sequences = parts.map { _ in takeSequence() }
        var paths: [String] = []
        do throws(StrataError) {
            for (part, sequence) in zip(parts, sequences) {
                var output = try SegmentOutputFile(
                    folder: segmentsDirectory, sequence: sequence, pointsPerChunk: configuration.pointsPerChunk, compression: compression,
                    provenance: SegmentProvenance(rank: sequence, level: 0, deletionsApplied: 0, replaced: []))
                do throws(StrataError) {
                    for device in part.devices { try output.append(device) }
                } catch {
                    output.abandon()
                    throw error
                }
                _ = try output.finish(siblings: compacted ? sequences : [], level: part.level)
                paths.append(segmentsDirectory + "/" + SegmentFormat.fileName(sequence: sequence))
            }
            do throws(Errno) { try FileSystem.syncDirectory(segmentsDirectory) } catch {
                throw .io(error, "syncing the segments folder", path: segmentsDirectory)
            }
            var written: [SegmentFile] = []
            for (part, sequence) in zip(parts, sequences) {
                let path = segmentsDirectory + "/" + SegmentFormat.fileName(sequence: sequence)
                written.append(try SegmentFile(path: path, sequence: sequence, rank: sequence, level: part.level))
            }
            return written
        } catch {
            for path in paths { _ = try? FileSystem.removeFile(path) }
            throw error
        }
    }

    /// The most windows a load is cut into by itself.
    static let maximumLoadWindows = 64

    /// The windows a load of history goes straight to, in time order, or nil when it
    /// must be a flushed segment: the windows compaction would cut it into (see
    /// `largestLevel(first:last:bytes:now:among:)` and `CompactionWindow.target`), when
    /// its encoding fits one file, no flushed segment ranks below it (flushed segments
    /// must rank above compacted ones) and no compacted segment's window meets them
    /// (compaction would merge them), and they are at most ``maximumLoadWindows``.
    private func loadWindows(first: Int64, last: Int64, bytes: Int, now: Int64, among segments: [SegmentFile]) -> [CompactionWindow]? {
        let closeAfter = configuration.compaction.closeAfterMilliseconds
        guard bytes <= configuration.compaction.largeWindowMaximumBytes,
              !segments.contains(where: { $0.level == 0 }) else { return nil }
        let level = largestLevel(first: first, last: last, bytes: bytes, now: now, among: segments)
        var windows: [CompactionWindow] = []
        var time = first
        while true {
            let window = CompactionWindow.target(for: time, now: now, closeAfter: closeAfter, largestLevel: level)
            // Points spread over more windows than that (timestamps across centuries) are
            // left to compaction, which cuts them point by point, not window by window.
            guard window.level >= CompactionWindow.weekLevel, windows.count < Self.maximumLoadWindows else { return nil }
            windows.append(window)
            guard window.last < last else { break }
            time = window.last + 1
        }
        let meets = segments.contains { segment in
            guard let bounds = segment.timeBounds else { return false }
            let other = CompactionWindow.of(level: segment.level, firstTime: bounds.first)
            return windows.contains { other.start <= $0.last && $0.start <= other.last }
        }
        return meets ? nil : windows
    }
}

/// A load's devices encoded on every core: the stage's series grouped by device in
/// name order, and for each worker its own gather buffers and encoder.
private struct LoadEncoding: @unchecked Sendable {
    // @unchecked: each worker touches only its own encoder and gather buffers, and
    // the results' slots it claimed; the stage is only read.
    static let batchPoints = 8 << 20

    let stage: ImportStage
    /// Per device, the positions in `order` of its series.
    let devices: [Range<Int>]
    /// Stage series indices in name order.
    let order: [Int]
    let pointsPerChunk: Int
    let compression: ChunkCompression

    init(stage: ImportStage, pointsPerChunk: Int, compression: ChunkCompression) {
        let keys = stage.keys
        let order = keys.indices.sorted { keys[$0] < keys[$1] }.filter { stage.series[$0].count > 0 }
        var devices: [Range<Int>] = []
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && UTF8Order.equal(keys[order[end]].device, keys[order[start]].device) { end += 1 }
            devices.append(start..<end)
            start = end
        }
        self.stage = stage
        self.order = order
        self.devices = devices
        self.pointsPerChunk = pointsPerChunk
        self.compression = compression
    }

    func points(ofDevice device: Int) -> Int {
        devices[device].reduce(0) { $0 + stage.series[order[$1]].count }
    }

    /// The segments a load writes: one holding every device (a flushed one when
    /// `windows` is nil), or one a window, each device with the points of that window.
    ///
    /// Devices are gathered and sorted once, on every core, a batch of about
    /// ``batchPoints`` at a time, and cut into the windows there.
    func encode(into windows: [CompactionWindow]?) -> [(level: UInt8, devices: [EncodedDevice])] {
        let parts: [(level: UInt8, range: ClosedRange<Int64>?)] = windows.map { windows in
            windows.count > 1 ? windows.map { ($0.level, $0.start...$0.last) } : [(windows[0].level, nil)]
        } ?? [(0, nil)]
        var encoded = parts.map { _ in [EncodedDevice]() }
        var batchStart = 0
        while batchStart < devices.count {
            var batchEnd = batchStart + 1
            var points = points(ofDevice: batchStart)
            while batchEnd < devices.count && points < Self.batchPoints {
                points += self.points(ofDevice: batchEnd)
                batchEnd += 1
            }
            for device in encode(batchStart..<batchEnd, cutAt: parts.map(\.range)) {
                for (part, piece) in device.enumerated() { if let piece { encoded[part].append(piece) } }
            }
            batchStart = batchEnd
        }
        return zip(parts, encoded).map { ($0.level, $1) }.filter { !$0.devices.isEmpty }
    }

    /// The devices `batch`, encoded on every core, in order: for each, one encoding a
    /// range of `ranges` (nil: every point; an encoding is nil when no point lies in its range).
    private func encode(_ batch: Range<Int>, cutAt ranges: [ClosedRange<Int64>?]) -> [[EncodedDevice?]] {
        let results = UnsafeMutableBufferPointer<[EncodedDevice?]>.allocate(capacity: batch.count)
        results.initialize(repeating: [])
        defer { results.deinitialize().deallocate() }
        let slots = ResultSlots(results: results)
        let next = Locked(batch.lowerBound)
        ParallelWork.run(workers: min(ParallelWork.processorCount, batch.count)) { _ in
            var gather = DeviceGather()
            let encoder = DeviceEncoder(pointsPerChunk: pointsPerChunk, compression: compression)
            while true {
                let device = next.withLock { next in
                    defer { next += 1 }
                    return next
                }
                guard device < batch.upperBound else { return }
                slots.results[device - batch.lowerBound] = encode(device: device, cutAt: ranges, gather: &gather, encoder: encoder)
            }
        }
        return Array(results)
    }

    private func encode(device: Int, cutAt windows: [ClosedRange<Int64>?], gather: inout DeviceGather, encoder: DeviceEncoder) -> [EncodedDevice?] {
        let members = order[devices[device]]
        let sorted = gather.gather(members.map { stage.series[$0] })
        return windows.map { window in
            let ranges = window.map { gather.restrict(sorted, to: $0) } ?? sorted
            let kept = zip(members, ranges).filter { !$0.1.isEmpty }
            guard !kept.isEmpty else { return nil }
            return gather.withSpans(kept.map(\.1)) { columns in
                let spans = zip(kept, columns).map { member, column in
                    SeriesSpans(metric: stage.keys[member.0].metric, type: stage.types[member.0], timestamps: column.times, bits: column.bits)
                }
                return encoder.encode(device: stage.keys[members.first!].device, series: spans)
            }
        }
    }

    private struct ResultSlots: @unchecked Sendable {
        let results: UnsafeMutableBufferPointer<[EncodedDevice?]>
    }
}

/// One device's staged series copied back to back into buffers kept from device
/// to device, each sorted by time (last write of a timestamp kept): the contiguous
/// columns the segment writer encodes.
private struct DeviceGather {
    private var times: [Int64] = []
    private var bits: [UInt64] = []

    /// Copies `series` in; returns where each one's sorted points lie (a sort may
    /// leave fewer points than were copied, at the front of the series' place).
    mutating func gather(_ series: [ImportStage.Series]) -> [Range<Int>] {
        let total = series.reduce(0) { $0 + $1.count }
        if times.count < total {
            times.append(contentsOf: repeatElement(0, count: total - times.count))
            bits.append(contentsOf: repeatElement(0, count: total - bits.count))
        }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(series.count)
        times.withUnsafeMutableBufferPointer { times in
            bits.withUnsafeMutableBufferPointer { bits in
                var offset = 0
                for member in series {
                    let place = offset..<(offset + member.count)
                    let memberTimes = UnsafeMutableBufferPointer(rebasing: times[place])
                    let memberBits = UnsafeMutableBufferPointer(rebasing: bits[place])
                    member.copy(to: memberTimes, memberBits)
                    let kept = member.isStrictlyIncreasing ? member.count : LastWriteSort.sort(times: memberTimes, bits: memberBits)
                    ranges.append(offset..<(offset + kept))
                    offset = place.upperBound
                }
            }
        }
        return ranges
    }

    /// Each of `ranges` (sorted series) cut to the points whose time lies in `window`.
    func restrict(_ ranges: [Range<Int>], to window: ClosedRange<Int64>) -> [Range<Int>] {
        times.withUnsafeBufferPointer { times in
            ranges.map { range in
                let lower = Self.firstIndex(in: times, range, where: { $0 >= window.lowerBound })
                return lower..<Self.firstIndex(in: times, lower..<range.upperBound, where: { $0 > window.upperBound })
            }
        }
    }

    /// The first index of `range` whose time satisfies `isPast` (false, then true, along
    /// the sorted times), or the range's end: a binary search.
    private static func firstIndex(in times: UnsafeBufferPointer<Int64>, _ range: Range<Int>, where isPast: (Int64) -> Bool) -> Int {
        var (low, high) = (range.lowerBound, range.upperBound)
        while low < high {
            let middle = low + (high - low) / 2
            if isPast(times[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// `body` given the columns of each gathered series, at `ranges`.
    func withSpans<Result>(_ ranges: [Range<Int>],
                           _ body: ([(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>)]) -> Result) -> Result {
        times.withUnsafeBufferPointer { times in
            bits.withUnsafeBufferPointer { bits in
                body(ranges.map { (times: UnsafeBufferPointer(rebasing: times[$0]), bits: UnsafeBufferPointer(rebasing: bits[$0])) })
            }
        }
    }
}

extension Store {
    /// What ``load(_:)`` stored.
    public struct LoadReport: Sendable, Equatable {
        /// Points stored: those staged, less the earlier writes to a timestamp written again.
        public var points = 0
        /// Series stored.
        public var series = 0
        /// Bytes of the segment written.
        public var bytes = 0
        /// True when the segment went straight to the compaction window that
        /// ``compact(progress:)`` would have moved it to; false when it was
        /// written as a flushed segment, for compaction to sort out.
        public var placedInWindow = false
    }

    /// Stores the points of `stage` in one new segment, without the write-ahead
    /// log or the head: the way to import a large file. The points become
    /// visible, and durable, together when the segment is published; a
    /// failure or a crash before that stores none of them.
    ///
    /// The load ranks above everything stored before it: of a point stored
    /// already at a timestamp it holds too, the load's value wins, as with
    /// ``append(_:)``. Points in the head are flushed first for that reason.
    ///
    /// History (every point in a finished week) that fits one compacted file
    /// goes straight to the window compaction would give it, compressed as
    /// compaction compresses cold data, when the store has no flushed segment
    /// and that window no compacted one: compacting afterwards has nothing to do.
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

    /// Encodes `stage` into the next segment and publishes it.
    private func write(_ stage: borrowing ImportStage) throws(StrataError) -> LoadReport {
        let now = wallClockMilliseconds()
        let closeAfter = configuration.compaction.closeAfterMilliseconds
        let isHistory = CompactionWindow.week(containing: stage.maximumTime).isClosed(now: now, closeAfter: closeAfter)
        let sequence = takeSequence()
        let compression = isHistory ? configuration.compaction.compression : configuration.flushCompression
        var output = try SegmentOutputFile(
            folder: segmentsDirectory, sequence: sequence, pointsPerChunk: configuration.pointsPerChunk, compression: compression,
            provenance: SegmentProvenance(rank: sequence, level: 0, deletionsApplied: 0, replaced: []))
        let points: Int
        do throws(StrataError) {
            points = try appendSeries(of: stage, to: &output, compression: compression)
        } catch {
            output.abandon()
            throw error
        }
        let encodedBytes = output.pendingBytes + output.bytesWritten
        let segments = state.withLock { $0.segments }
        let window = isHistory ? loadWindow(first: stage.minimumTime, last: stage.maximumTime, bytes: encodedBytes, now: now, among: segments) : nil
        let level = window?.level ?? 0
        let bytes = try output.finish(siblings: window == nil ? [] : [sequence], level: level)
        let path = segmentsDirectory + "/" + SegmentFormat.fileName(sequence: sequence)
        let segment: SegmentFile
        do throws(StrataError) {
            do throws(Errno) { try FileSystem.syncDirectory(segmentsDirectory) } catch {
                throw .io(error, "syncing the segments folder", path: segmentsDirectory)
            }
            segment = try SegmentFile(path: path, sequence: sequence, rank: sequence, level: level)
        } catch {
            _ = try? FileSystem.removeFile(path)
            throw error
        }
        let notDurable: StrataError?
        do throws(StrataError) {
            notDurable = try publish({ manifest in
                manifest.segments.append(.init(sequence: sequence, rank: sequence, level: level))
            }, then: { state in
                state.segments.append(segment)
                state.segments.sort { ($0.rank, $0.sequence) < ($1.rank, $1.sequence) }
            })
        } catch {
            segment.markObsolete()
            throw error
        }
        metrics.pointsAppended.increment(by: Int64(points))
        metrics.segmentBytesWritten.increment(by: Int64(bytes))
        metrics.segments.record(state.withLock { $0.segments.count })
        logger.info("loaded points into a segment", metadata: [
            "segment": "\(path)", "points": "\(points)", "bytes": "\(bytes)", "level": "\(level)",
        ])
        // The segment is published; the caller learns the manifest may not be durable yet.
        if let notDurable { throw notDurable }
        return LoadReport(points: points, series: stage.seriesCount, bytes: bytes, placedInWindow: window != nil)
    }

    /// Appends the stage's series to `output`, device by device in name order, each
    /// sorted by time with the last write of a timestamp kept; returns the points kept.
    ///
    /// Devices are sorted and encoded on every core, a batch at a time, and appended
    /// in order by this thread (encoding is most of a load's time after parsing).
    private func appendSeries(of stage: borrowing ImportStage, to output: inout SegmentOutputFile,
                              compression: ChunkCompression) throws(StrataError) -> Int {
        let work = LoadEncoding(stage: copy stage, pointsPerChunk: configuration.pointsPerChunk, compression: compression)
        var kept = 0
        var batchStart = 0
        while batchStart < work.devices.count {
            // About 8 M points a batch: enough to keep both cores busy, little memory.
            var batchEnd = batchStart + 1
            var points = work.points(ofDevice: batchStart)
            while batchEnd < work.devices.count && points < LoadEncoding.batchPoints {
                points += work.points(ofDevice: batchEnd)
                batchEnd += 1
            }
            for device in work.encode(batchStart..<batchEnd) {
                kept += device.pointCount
                try output.append(device)
            }
            batchStart = batchEnd
        }
        return kept
    }

    /// The window a load of history goes straight to, or nil when it must be a
    /// flushed segment: the window compaction would move it to (see
    /// `largestLevel(first:last:bytes:now:among:)` and `CompactionWindow.target`)
    /// when its file fits one, no flushed segment ranks below it (flushed
    /// segments must rank above compacted ones) and no compacted segment's
    /// window meets it (compaction would merge them).
    private func loadWindow(first: Int64, last: Int64, bytes: Int, now: Int64, among segments: [SegmentFile]) -> CompactionWindow? {
        let closeAfter = configuration.compaction.closeAfterMilliseconds
        guard bytes <= configuration.compaction.largeWindowMaximumBytes,
              !segments.contains(where: { $0.level == 0 }) else { return nil }
        let level = largestLevel(first: first, last: last, bytes: bytes, now: now, among: segments)
        let window = CompactionWindow.target(for: first, now: now, closeAfter: closeAfter, largestLevel: level)
        guard window.level >= CompactionWindow.weekLevel,
              window == CompactionWindow.target(for: last, now: now, closeAfter: closeAfter, largestLevel: level)
        else { return nil }
        let meets = segments.contains { segment in
            guard let bounds = segment.timeBounds else { return false }
            let other = CompactionWindow.of(level: segment.level, firstTime: bounds.first)
            return other.start <= window.last && window.start <= other.last
        }
        return meets ? nil : window
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

    /// The devices `batch`, encoded on every core, in order.
    func encode(_ batch: Range<Int>) -> [EncodedDevice] {
        let results = UnsafeMutableBufferPointer<EncodedDevice?>.allocate(capacity: batch.count)
        results.initialize(repeating: nil)
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
                slots.results[device - batch.lowerBound] = encode(device: device, gather: &gather, encoder: encoder)
            }
        }
        return results.map { $0! }
    }

    private func encode(device: Int, gather: inout DeviceGather, encoder: DeviceEncoder) -> EncodedDevice {
        let members = order[devices[device]]
        let ranges = gather.gather(members.map { stage.series[$0] })
        return gather.withSpans(ranges) { columns in
            let spans = zip(members, columns).map { index, column in
                SeriesSpans(metric: stage.keys[index].metric, type: stage.types[index], timestamps: column.times, bits: column.bits)
            }
            return encoder.encode(device: stage.keys[members.first!].device, series: spans)
        }
    }

    private struct ResultSlots: @unchecked Sendable {
        let results: UnsafeMutableBufferPointer<EncodedDevice?>
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

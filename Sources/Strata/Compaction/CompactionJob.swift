/// Runs one ``CompactionStep`` that rewrites segments: reads its inputs a
/// device at a time, merges each series (last write wins by rank), drops
/// deleted and expired points, and writes one output segment per window.
///
/// Memory holds one device's points from the inputs plus the outputs'
/// indexes; output bytes stream to disk as they are encoded.
struct CompactionJob {
    /// The inputs, lowest rank first.
    let inputs: [SegmentFile]
    /// Nil: each point goes to the window `CompactionWindow.target` picks
    /// (a `partition` step). Otherwise every point goes to this window.
    let window: CompactionWindow?
    let tombstones: [Tombstone]
    let retention: RetentionPolicy
    let now: Int64
    let closeAfter: Int64
    /// The largest window level a `partition` step may write directly.
    let largestLevel: UInt8
    let pointsPerChunk: Int
    /// The outputs' rank, applied deletions and replaced inputs; each output's level is its window's.
    let provenance: SegmentProvenance
    /// The compression of the output for a window.
    let compression: (CompactionWindow) -> ChunkCompression
    let folder: String
    let takeSequence: () -> UInt64
    /// Called after each device with the bytes written so far; may sleep.
    let paced: (Int) -> Void
    /// Checked between devices; false abandons the job.
    let shouldContinue: () -> Bool
    let progress: (_ devicesDone: Int, _ devicesTotal: Int) -> Void

    /// Encoded bytes all outputs together may hold in memory.
    static let pendingBytesLimit = 32 << 20

    struct Output {
        let sequence: UInt64
        let window: CompactionWindow
        let byteCount: Int
        let pointCount: Int
    }

    struct Outcome {
        var outputs: [Output] = []
        var pointsRead = 0
        /// Points left out because a deletion or retention hid them.
        var pointsDropped = 0
    }

    /// Bytes read from an input between two releases of its pages (see ``MappedRegion/releasePages(below:)``).
    static let releaseStride = 8 << 20

    func run() throws(StrataError) -> Outcome {
        let devices = try deviceNames()
        var cursors = [Int](repeating: 0, count: inputs.count)
        // Per input, the end of the furthest chunk read, and where its pages were last let go.
        var consumed = [Int](repeating: 0, count: inputs.count)
        var released = [Int](repeating: 0, count: inputs.count)
        var outputs: [CompactionWindow: SegmentOutputFile] = [:]
        var outcome = Outcome()
        var buffers = MergeBuffers()
        do throws(StrataError) {
            for (done, device) in devices.enumerated() {
                guard shouldContinue() else {
                    throw StrataError(.closed, "compaction stopped: the store is closing")
                }
                let merged = try merge(device: device, cursors: &cursors, consumed: &consumed, buffers: &buffers, outcome: &outcome)
                // Inputs are written device by device in name order, so what lies below
                // the furthest chunk read is done with (and if not, it is read back).
                for index in inputs.indices where consumed[index] - released[index] >= Self.releaseStride {
                    inputs[index].region.releasePages(below: consumed[index])
                    released[index] = consumed[index]
                }
                for (window, series) in try spansByWindow(merged, buffers: buffers) {
                    if outputs[window] == nil {
                        var recorded = provenance
                        recorded.level = window.level
                        outputs[window] = try SegmentOutputFile(
                            folder: folder, sequence: takeSequence(), pointsPerChunk: pointsPerChunk, compression: compression(window), provenance: recorded)
                    }
                    try buffers.withDevice { times, bits throws(StrataError) in
                        try outputs[window]!.append(device: device, series: series.map { $0.spans(times, bits) })
                    }
                }
                // Many small outputs (late points spread over many windows) must not
                // add up in memory either.
                if outputs.values.reduce(0, { $0 + $1.pendingBytes }) > Self.pendingBytesLimit {
                    for window in outputs.keys { try outputs[window]!.drain() }
                }
                paced(outputs.values.reduce(0) { $0 + $1.bytesWritten })
                progress(done + 1, devices.count)
            }
            // Walking each input once relies on its devices being in name order:
            // one left behind would be lost from the output.
            for (index, input) in inputs.enumerated() where cursors[index] != input.deviceCount {
                throw StrataError(.corruptFile, "devices are out of name order in the index; compaction stopped before losing any (run `strata verify`)", path: input.path, offset: input.indexOffset)
            }
        } catch {
            for output in outputs.values { output.abandon() }
            throw error
        }
        var finished: [Output] = []
        var pending = outputs.sorted { $0.key < $1.key }
        let siblings = pending.map(\.value.sequence)
        while !pending.isEmpty {
            let (window, output) = pending.removeFirst()
            let points = output.pointCount, sequence = output.sequence
            do throws(StrataError) {
                let bytes = try output.finish(siblings: siblings)
                finished.append(Output(sequence: sequence, window: window, byteCount: bytes, pointCount: points))
            } catch {
                for (_, other) in pending { other.abandon() }
                for done in finished { _ = try? FileSystem.removeFile(folder + "/" + SegmentFormat.fileName(sequence: done.sequence)) }
                throw error
            }
        }
        do throws(Errno) { try FileSystem.syncDirectory(folder) } catch {
            throw .io(error, "syncing the segments folder", path: folder)
        }
        outcome.outputs = finished
        return outcome
    }

    /// Every device in the inputs, in name order (UTF-8 bytes), read from the
    /// inputs' directories without parsing their entries. Each directory is
    /// in name order already: they are merged, not hashed.
    private func deviceNames() throws(StrataError) -> [String] {
        var names: [String] = []
        for input in inputs {
            var merged: [String] = []
            merged.reserveCapacity(names.count + input.deviceCount)
            var position = 0
            for name in names {
                while position < input.deviceCount {
                    let other = try input.deviceName(at: position)
                    let order = UTF8Order.compare(other, name)
                    if order > 0 { break }
                    if order < 0 { merged.append(other) }
                    position += 1
                }
                merged.append(name)
            }
            while position < input.deviceCount {
                merged.append(try input.deviceName(at: position))
                position += 1
            }
            names = merged
        }
        return names
    }

    /// A device's entry in one input.
    private struct InputDevice {
        let input: SegmentFile
        let device: DeviceEntry
    }

    /// One series of the device being merged: where its points lie in the
    /// device buffers of ``MergeBuffers``.
    private struct MergedSeries {
        let metric: String
        let type: ValueType
        let range: Range<Int>
    }

    /// Part of a merged series bound for one window.
    private struct WindowPart {
        let metric: String
        let type: ValueType
        let range: Range<Int>

        func spans(_ times: UnsafeBufferPointer<Int64>, _ bits: UnsafeBufferPointer<UInt64>) -> SeriesSpans {
            SeriesSpans(metric: metric, type: type,
                        timestamps: UnsafeBufferPointer(rebasing: times[range]), bits: UnsafeBufferPointer(rebasing: bits[range]))
        }
    }

    /// One device's series merged across the inputs (last write wins by rank,
    /// deleted and expired points left out) into the device buffers, in
    /// metric name order. `cursors` holds, for each input, the position of its
    /// next device: the devices are merged in name order, so each input is
    /// walked once.
    private func merge(
        device name: String, cursors: inout [Int], consumed: inout [Int], buffers: inout MergeBuffers, outcome: inout Outcome
    ) throws(StrataError) -> [MergedSeries] {
        // The device's entry in each input holding it, lowest rank first.
        var entries: [InputDevice] = []
        for (index, input) in inputs.enumerated() where cursors[index] < input.deviceCount {
            guard try UTF8Order.equal(input.deviceName(at: cursors[index]), name) else { continue }
            let device = try input.device(at: cursors[index])
            for group in device.groups {
                if let last = group.timeChunks.last { consumed[index] = max(consumed[index], last.location.offset + last.location.length) }
            }
            for metric in device.metrics {
                if let last = metric.chunks.last { consumed[index] = max(consumed[index], last.location.offset + last.location.length) }
            }
            entries.append(InputDevice(input: input, device: device))
            cursors[index] += 1
        }
        // A device has a few metrics: a linear search beats hashing their names.
        var metricNames: [String] = []
        for entry in entries {
            for metric in entry.device.metrics where !metricNames.contains(where: { UTF8Order.equal($0, metric.name) }) {
                metricNames.append(metric.name)
            }
        }
        metricNames.sort { UTF8Order.precedes($0, $1) }
        let cutoff = retention.cutoff(for: name, now: now)
        buffers.startDevice()
        var merged: [MergedSeries] = []
        merged.reserveCapacity(metricNames.count)
        for metric in metricNames {
            let deletions = tombstones.isEmpty ? [] : tombstones.filter { $0.matches(SeriesKey(device: name, metric: metric)) }
            buffers.startSeries()
            var type: ValueType? = nil
            for entry in entries {
                let input = entry.input
                guard let (sourceType, chunks) = input.chunks(of: entry.device, metric: metric, from: .min, to: .max) else { continue }
                var hidden = HiddenRanges()
                if let cutoff { hidden.add(from: .min, to: cutoff) }
                for deletion in deletions where input.isConcerned(by: deletion) { hidden.add(from: deletion.from, to: deletion.to) }
                let (read, dropped) = try buffers.addSource(chunks, type: sourceType, from: input, hiding: hidden)
                outcome.pointsRead += read
                outcome.pointsDropped += dropped
                // The highest-ranked input decides the type, as the store's catalog does.
                type = sourceType
            }
            guard let type else { continue }
            let range = buffers.mergeSources(ofType: type)
            if !range.isEmpty { merged.append(MergedSeries(metric: metric, type: type, range: range)) }
        }
        return merged
    }

    /// The device's merged series cut by output window, each window's parts
    /// in metric name order.
    private func spansByWindow(_ merged: [MergedSeries], buffers: MergeBuffers) throws(StrataError) -> [(CompactionWindow, [WindowPart])] {
        if let window {
            return merged.isEmpty ? [] : [(window, merged.map { WindowPart(metric: $0.metric, type: $0.type, range: $0.range) })]
        }
        var byWindow: [CompactionWindow: [WindowPart]] = [:]
        buffers.withDevice { times, _ in
            for series in merged {
                let column = UnsafeBufferPointer(rebasing: times[series.range])
                for run in split(column) {
                    let range = (series.range.lowerBound + run.range.lowerBound)..<(series.range.lowerBound + run.range.upperBound)
                    byWindow[run.window, default: []].append(WindowPart(metric: series.metric, type: series.type, range: range))
                }
            }
        }
        return byWindow.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Points of a series that go to one output window.
    private struct WindowRun {
        let window: CompactionWindow
        let range: Range<Int>
    }

    /// Cuts sorted timestamps into runs that go to one output window each.
    private func split(_ times: UnsafeBufferPointer<Int64>) -> [WindowRun] {
        guard !times.isEmpty else { return [] }
        if let window { return [WindowRun(window: window, range: 0..<times.count)] }
        var runs: [WindowRun] = []
        var start = 0
        while start < times.count {
            let target = CompactionWindow.target(for: times[start], now: now, closeAfter: closeAfter, largestLevel: largestLevel)
            // The run ends at the first timestamp past the window.
            var low = start + 1, high = times.count
            while low < high {
                let middle = (low + high) / 2
                if times[middle] <= target.last { low = middle + 1 } else { high = middle }
            }
            runs.append(WindowRun(window: target, range: start..<low))
            start = low
        }
        return runs
    }
}

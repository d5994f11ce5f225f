extension Store {
    /// Compacts the store now, until no step remains: drops segments whose
    /// points have all expired, rewrites flushed segments into time-window
    /// segments, and merges the segments of each window. See
    /// ``CompactionPolicy`` for the windows.
    ///
    /// Crash-safe at every moment: outputs are written and fsynced under new
    /// names, then published by an atomic manifest replacement; the inputs
    /// are removed after that, once no query uses them. Appends and queries
    /// go on meanwhile; a query sees the old segments or the new ones, never
    /// both and never neither.
    ///
    /// - Parameter progress: called from this thread as each device is merged,
    ///   while the store's compaction lock is held: it must not compact or load
    ///   any store (two stores compacting each other from their callbacks would
    ///   wait on each other forever; debug builds stop at the first such call).
    /// - Throws: `.readOnly`, `.closed`; `.io` when a segment cannot be
    ///   written (the store is unchanged); `.corruptFile` when an input is
    ///   damaged, or a listed segment could not be opened with the store
    ///   (see ``unreadableSegments``; the store is unchanged: run `strata verify --repair`).
    @discardableResult
    public func compact(progress: ((CompactionProgress) -> Void)? = nil) throws(StrataError) -> CompactionReport {
        try checkWritable()
        return try runCompaction(force: true, paced: false, progress: progress)
    }

    /// Runs steps until none is due; `force` compacts below the triggers too.
    func runCompaction(force: Bool, paced: Bool, maximumSteps: Int = .max, progress: ((CompactionProgress) -> Void)?) throws(StrataError) -> CompactionReport {
        // A listed segment this instance could not open still holds points at its rank: merging
        // the segments around it would leave compacted segments ranked above a flushed one.
        if let unreadable = unreadableSegments.first {
            throw StrataError(
                .corruptFile,
                "compaction is paused: \(unreadableSegments.count) listed segment\(unreadableSegments.count == 1 ? "" : "s") could not be opened with the store (first: \(unreadable.message)); run `strata verify --repair`, or reopen the store if the cause has passed",
                path: unreadable.path, offset: unreadable.offset)
        }
        return try compactionGate.withLock { _ throws(StrataError) in
            let started = monotonicMilliseconds()
            var report = CompactionReport()
            while report.steps < maximumSteps {
                let (segments, closed, tombstones, arriving) = state.withLock {
                    ($0.segments, $0.isClosed, $0.manifest.tombstones, $0.unflushedTimes)
                }
                if closed { throw StrataError(.closed, "the store is closed", path: directory) }
                let now = wallClockMilliseconds()
                let planner = CompactionPlanner(
                    policy: configuration.compaction, retention: configuration.retention, tombstones: tombstones, now: now,
                    force: force, arriving: arriving)
                guard let step = planner.nextStep(segments) else { break }
                report.steps += 1
                try run(step, number: report.steps, now: now, paced: paced, report: &report, progress: progress)
            }
            report.milliseconds = Int(monotonicMilliseconds() - started)
            return report
        }
    }

    private func run(
        _ step: CompactionStep, number: Int, now: Int64, paced: Bool, report: inout CompactionReport,
        progress: ((CompactionProgress) -> Void)?
    ) throws(StrataError) {
        let inputs = step.inputs
        let started = monotonicNanoseconds()
        let description = Self.describe(step)
        var outcome = CompactionJob.Outcome()
        var outputs: [SegmentFile] = []
        if case .drop = step {
            // Removed unread, but their points are dropped all the same: the report counts them.
            outcome.pointsDropped = inputs.reduce(0) { $0 + $1.pointCount }
        } else {
            (outcome, outputs) = try write(step, now: now, paced: paced) { done, total in
                progress?(CompactionProgress(step: number, description: description, devicesDone: done, devicesTotal: total))
            }
        }
        let cleared = try publishCompaction(replacing: inputs, with: outputs)

        if case .drop = step { report.segmentsExpired += inputs.count } else { report.segmentsIn += inputs.count }
        let bytesIn = inputs.reduce(0) { $0 + $1.byteCount }
        let bytesOut = outputs.reduce(0) { $0 + $1.byteCount }
        report.segmentsOut += outputs.count
        report.bytesIn += bytesIn
        report.bytesOut += bytesOut
        report.pointsIn += outcome.pointsRead
        report.pointsOut += outcome.outputs.reduce(0) { $0 + $1.pointCount }
        report.pointsDropped += outcome.pointsDropped
        report.deletionsCleared += cleared

        let nanoseconds = monotonicNanoseconds() - started
        metrics.compactionDuration.recordNanoseconds(nanoseconds)
        metrics.segmentBytesWritten.increment(by: Int64(bytesOut))
        metrics.segments.record(state.withLock { $0.segments.count })
        logger.info("compaction step: \(description)", metadata: [
            "segmentsIn": "\(inputs.count)", "segmentsOut": "\(outputs.count)", "bytesIn": "\(bytesIn)", "bytesOut": "\(bytesOut)",
            "pointsDropped": "\(outcome.pointsDropped)", "milliseconds": "\(nanoseconds / 1_000_000)",
        ])
    }

    /// What a step does, in the words of the progress line and the log.
    private static func describe(_ step: CompactionStep) -> String {
        let count = step.inputs.count
        let segments = "segment\(count == 1 ? "" : "s")"
        switch step {
        case .drop: return "removing \(count) expired \(segments)"
        case .partition: return "compacting \(count) flushed \(segments)"
        case .merge(_, let into):
            return "merging \(count) \(segments) into one \(into.level == CompactionWindow.weekLevel ? "week" : "day")"
        }
    }

    /// Runs the job that rewrites `step`'s inputs and opens the segments it wrote
    /// (removing them again if one cannot be opened). Nothing is published yet.
    private func write(
        _ step: CompactionStep, now: Int64, paced: Bool, progress: @escaping (_ done: Int, _ total: Int) -> Void
    ) throws(StrataError) -> (CompactionJob.Outcome, [SegmentFile]) {
        let inputs = step.inputs
        let window: CompactionWindow?
        if case .merge(_, let into) = step { window = into } else { window = nil }
        let (tombstones, segments, arriving) = state.withLock { ($0.manifest.tombstones, $0.segments, $0.unflushedTimes) }
        // Time spans still receiving points: the heads, and flushed segments this step leaves.
        let inputSequences = Set(inputs.map(\.sequence))
        var receiving = segments.filter { $0.level == 0 && !inputSequences.contains($0.sequence) }
            .compactMap(\.timeBounds).map { $0.first...$0.last }
        if let arriving { receiving.append(arriving) }
        let deletionsApplied = max(tombstones.map(\.rank).max() ?? 0, inputs.map(\.deletionsApplied).max() ?? 0)
        let rank = inputs.map(\.rank).max()!
        let pacer = Pacer(bytesPerSecond: paced ? configuration.compaction.backgroundBytesPerSecond : 0)
        let job = CompactionJob(
            inputs: inputs, window: window, tombstones: tombstones, retention: configuration.retention, now: now,
            closeAfter: configuration.compaction.closeAfterMilliseconds,
            largestLevel: largestLevel(for: inputs, now: now, among: segments), pointsPerChunk: configuration.pointsPerChunk,
            provenance: SegmentProvenance(rank: rank, level: 0, deletionsApplied: deletionsApplied, replaced: inputs.map(\.sequence)),
            compression: { [configuration] window in
                // Cold data gets the strong compression. A window still receiving points
                // will be rewritten soon: the flush's cheap one (zstd took a fifth of a
                // compaction's time).
                let cold = window.isClosed(now: now, closeAfter: configuration.compaction.closeAfterMilliseconds)
                    && !receiving.contains { $0.lowerBound <= window.last && $0.upperBound >= window.start }
                return cold ? configuration.compaction.compression : configuration.flushCompression
            },
            folder: segmentsDirectory, takeSequence: { self.takeSequence() },
            paced: { pacer.pace(bytesWritten: $0) },
            shouldContinue: { [background] in !paced || !background.isStopping },
            progress: progress)
        let outcome = try job.run()
        var outputs: [SegmentFile] = []
        do throws(StrataError) {
            for output in outcome.outputs {
                outputs.append(try SegmentFile(
                    path: segmentsDirectory + "/" + SegmentFormat.fileName(sequence: output.sequence),
                    sequence: output.sequence, rank: rank, level: output.window.level, deletionsApplied: deletionsApplied))
            }
        } catch {
            for output in outcome.outputs { _ = try? FileSystem.removeFile(segmentsDirectory + "/" + SegmentFormat.fileName(sequence: output.sequence)) }
            throw error
        }
        return (outcome, outputs)
    }

    /// Publishes `outputs` in place of `inputs`, clearing the deletions no
    /// segment needs any more, then lets the inputs go.
    ///
    /// - Returns: how many deletions were cleared.
    private func publishCompaction(replacing inputs: [SegmentFile], with outputs: [SegmentFile]) throws(StrataError) -> Int {
        let replaced = Set(inputs.map(\.sequence))
        var cleared = 0
        let notDurable: StrataError?
        do throws(StrataError) {
            notDurable = try publish({ manifest in
                manifest.segments.removeAll { replaced.contains($0.sequence) }
                for output in outputs {
                    manifest.segments.append(.init(sequence: output.sequence, rank: output.rank, level: output.level, deletionsApplied: output.deletionsApplied))
                }
                // A deletion is done once no segment it concerns may hold its points.
                let opened = Dictionary(state.withLock { $0.segments }.map { ($0.sequence, $0) }, uniquingKeysWith: { a, _ in a })
                    .merging(outputs.map { ($0.sequence, $0) }, uniquingKeysWith: { _, b in b })
                let before = manifest.tombstones.count
                manifest.tombstones.removeAll { tombstone in
                    !manifest.segments.contains { entry in
                        guard entry.isConcerned(by: tombstone) else { return false }
                        // An unreadable segment may hold anything: keep the deletion for it.
                        guard let segment = opened[entry.sequence] else { return true }
                        return segment.mayHold(tombstone)
                    }
                }
                cleared = before - manifest.tombstones.count
            }, then: { state in
                state.segments.removeAll { replaced.contains($0.sequence) }
                state.segments.append(contentsOf: outputs)
                state.segments.sort { ($0.rank, $0.sequence) < ($1.rank, $1.sequence) }
            })
        } catch {
            for output in outputs { output.markObsolete() }
            throw error
        }
        // Until the new manifest is durable the old one, which lists the inputs, may come
        // back: keep them (the next writer removes them). Otherwise they are removed once
        // the last query holding them is done.
        if let notDurable { throw notDurable }
        for input in inputs { input.markObsolete() }
        return cleared
    }
}

extension Store {
    /// The largest window level the points of `inputs` may go to directly, by
    /// their density (see `CompactionWindow.largestLevel`). Only inputs whose
    /// every point lies in finished weeks (an import of history) qualify: a
    /// flush of live data with a few late points would otherwise look sparse
    /// and send those points to a huge window, whose next merge would rewrite it.
    private func largestLevel(for inputs: [SegmentFile], now: Int64, among segments: [SegmentFile]) -> UInt8 {
        let bounds = inputs.compactMap(\.timeBounds)
        guard let first = bounds.map(\.first).min(), let last = bounds.map(\.last).max() else { return CompactionWindow.weekLevel }
        return largestLevel(first: first, last: last, bytes: inputs.reduce(0) { $0 + $1.byteCount }, now: now, among: segments)
    }

    /// ``largestLevel(for:now:among:)`` for `bytes` of points from `first` to `last`.
    func largestLevel(first: Int64, last: Int64, bytes: Int, now: Int64, among segments: [SegmentFile]) -> UInt8 {
        guard CompactionWindow.week(containing: last).isClosed(now: now, closeAfter: configuration.compaction.closeAfterMilliseconds)
        else { return CompactionWindow.weekLevel }
        let span = Int64(clamping: Int128(last) - Int128(first) + 1)
        let limit = configuration.compaction.largeWindowMaximumBytes
        let byDensity = CompactionWindow.largestLevel(bytes: bytes, span: span, limit: limit)
        // History that fits one file, in a window holding no compacted segment yet, goes straight
        // to the smallest window holding all of it: where merging its weeks, and those merges'
        // outputs, would take it a step at a time.
        guard bytes <= limit else { return byDensity }
        var level = CompactionWindow.weekLevel
        while level < CompactionWindow.topLevel
            && CompactionWindow.containing(first, level: level) != CompactionWindow.containing(last, level: level) { level += 1 }
        let holdingAll = CompactionWindow.containing(first, level: level)
        guard holdingAll == CompactionWindow.containing(last, level: level),
              holdingAll.isClosed(now: now, closeAfter: configuration.compaction.closeAfterMilliseconds),
              !segments.contains(where: { segment in
                  guard segment.level != 0, let bounds = segment.timeBounds else { return false }
                  return bounds.first <= holdingAll.last && holdingAll.start <= bounds.last
              })
        else { return byDensity }
        return max(byDensity, level)
    }
}

/// Sleeps as needed to keep writes under a rate.
final class Pacer: @unchecked Sendable {
    private let bytesPerSecond: Int
    private let started = monotonicMilliseconds()

    init(bytesPerSecond: Int) { self.bytesPerSecond = bytesPerSecond }

    func pace(bytesWritten: Int) {
        guard bytesPerSecond > 0 else { return }
        let due = Int64(Double(bytesWritten) / Double(bytesPerSecond) * 1000)
        let elapsed = monotonicMilliseconds() - started
        if due > elapsed { sleepMilliseconds(Int(due - elapsed)) }
    }
}

extension Store {
    /// Finds the windows in which one series misbehaves, by one detector.
    ///
    /// The series is streamed in time order; memory depends on the detector's
    /// trailing window and on the number of windows found, not on the length
    /// of the range. Adjacent anomalous points (at most
    /// ``AnomalyOptions/mergeGap`` apart) form one window; windows shorter than
    /// ``AnomalyOptions/minimumDuration`` are dropped.
    ///
    /// The trailing-window detectors start judging once their window holds
    /// ``AnomalyOptions/minimumWindowPoints`` points; points before
    /// `options.from` are read to fill it, so a window starts warm.
    ///
    /// The automatic detector's state depends on the whole series, so it is
    /// read from its first point; points before `options.from` only warm it up.
    /// Its windows are exactly those of a scan of the whole series that start
    /// in `[from, to)` (cut at `to`), however early `from` is set.
    public func anomalies(device: String, metric: String, options: AnomalyOptions) throws(StrataError) -> [AnomalyWindow] {
        try options.validate()
        let key = SeriesKey(device: device, metric: metric)
        guard let type = state.withLock({ $0.knownType(of: key) }) else { return [] }
        var scanner = AnomalyScanner(options: options, type: type, scoresEveryPoint: false)
        _ = try scan(device: device, metric: metric, from: options.scanStart, to: options.to, into: &scanner)
        scanner.finish()
        return scanner.result
    }

    /// Streams the score of every point of one series in `[from, to)` to
    /// `body`, in time order, by the detector of `options` (the per-point view
    /// of ``anomalies(device:metric:options:)``: a point whose ``AnomalyPointScore/kind``
    /// is set belongs to a window, before the merge gap and minimum duration apply).
    ///
    /// Points before `from` are read to warm the detector up as for
    /// ``anomalies(device:metric:options:)``, and not reported. Nothing is
    /// collected: memory is the detector's. When `body` throws, it is not
    /// called again and the error is rethrown once the scan ends.
    public func anomalyScores(device: String, metric: String, options: AnomalyOptions,
                              _ body: (AnomalyPointScore) throws -> Void) throws {
        try options.validate()
        let key = SeriesKey(device: device, metric: metric)
        guard let type = state.withLock({ $0.knownType(of: key) }) else { return }
        try withoutActuallyEscaping(body) { body in
            var streamer = ScoreStreamer(scanner: AnomalyScanner(options: options, type: type), from: options.from, body: body)
            _ = try scan(device: device, metric: metric, from: options.scanStart, to: options.to, into: &streamer)
            if let failure = streamer.failure { throw failure }
        }
    }

    /// Finds the windows of many series, spreading the series over the
    /// machine's cores (one thread each, at most one per series); the result
    /// holds each series' windows in the order of `series`, the same as
    /// ``anomalies(device:metric:options:)`` gives for it alone.
    ///
    /// Reads share the store safely; each thread scans whole series in turn.
    /// The first error (in series order) is thrown once every thread is done.
    public func anomalies(in series: [SeriesKey], options: AnomalyOptions) throws(StrataError) -> [[AnomalyWindow]] {
        try options.validate()
        let workers = min(series.count, ParallelWork.processorCount)
        guard workers > 1 else {
            return try series.map { (key) throws(StrataError) in try anomalies(device: key.device, metric: key.metric, options: options) }
        }
        let results = Locked([Result<[AnomalyWindow], StrataError>?](repeating: nil, count: series.count))
        ParallelWork.run(workers: workers) { worker in
            // Series interleave over the workers, so a run of large series is shared.
            for index in stride(from: worker, to: series.count, by: workers) {
                let key = series[index]
                let found = Result { () throws(StrataError) in try self.anomalies(device: key.device, metric: key.metric, options: options) }
                results.withLock { $0[index] = found }
            }
        }
        return try results.withLock { $0 }.map { (result) throws(StrataError) in try result!.get() }
    }
}

/// Feeds a scan's points to an ``AnomalyScanner`` and hands each point in range,
/// with its score, to a closure.
private struct ScoreStreamer: PointConsumer {
    var scanner: AnomalyScanner
    let from: Int64
    let body: (AnomalyPointScore) throws -> Void
    var failure: (any Error)?

    mutating func consume(time: Int64, bits: UInt64) {
        let judgement = scanner.step(time: time, bits: bits).judgement
        guard time >= from, failure == nil else { return }
        let value = scanner.type == .float64 ? Double(bitPattern: bits) : Double(Int64(bitPattern: bits))
        do {
            try body(AnomalyPointScore(time: time, value: value, score: judgement.score, kind: judgement.kind))
        } catch {
            failure = error
        }
    }
}

/// Finds anomalies as points arrive: a service feeds it the batches it
/// appends to the store, and learns at once when a window opens and when it
/// is final.
///
/// The monitor keeps one scanner per series (the detector's state and one
/// window being built) and runs exactly the code of
/// ``Store/anomalies(device:metric:options:)``, so for points fed in time order
/// the ``AnomalyEvent/closed(device:metric:window:)`` events of a series are,
/// in order and field for field, the windows a scan of the same points finds
/// (with the whole series as the range). `options.from` and `options.to` are
/// not used: every point is judged.
///
/// Memory per series is bounded: ``bytesPerSeries`` bytes of scanner (the
/// automatic detector's ``AutomaticDetector`` state, the assembler's open
/// window, and room for the other detectors' few words), plus the series' names
/// and a dictionary entry; the z-score and robust detectors also keep the
/// points of their trailing window. At most ``maximumSeries`` series are
/// tracked; the points of further series are refused and counted in
/// ``pointsRefused``. ``flush(device:metric:)`` forgets a series (and frees its slot).
///
/// Late data is not judged: a point at or before the last point seen for its
/// series is counted in ``latePointsIgnored`` and skipped. A scan of the store,
/// which merges late points into time order (and keeps the newest of equal
/// timestamps), can then differ from the monitor's events.
///
/// Thread-safe: every call takes one lock over all the series for the length
/// of the batch.
public final class AnomalyMonitor: Sendable {
    /// The detector, merge gap, minimum duration and minimum window points used for every series.
    public let options: AnomalyOptions
    /// The most series tracked at once (default 100,000).
    public let maximumSeries: Int

    private struct Series {
        var scanner: AnomalyScanner
        /// The last point judged; nil before the first.
        var last: Int64?
    }

    private struct State {
        var series: [SeriesKey: Series] = [:]
        var late = 0
        var refused = 0
    }

    private let state = Locked(State())

    /// Bytes of scanner state kept per series, besides its names, its dictionary
    /// entry and a trailing window's points.
    public static var bytesPerSeries: Int { MemoryLayout<AnomalyScanner>.size }

    /// A monitor running `options`' detector (by default the automatic one) on
    /// every series it is fed, for at most `maximumSeries` series at once.
    /// - Throws: ``StrataError`` when the options are invalid or `maximumSeries` is not positive.
    public init(options: AnomalyOptions = AnomalyOptions(), maximumSeries: Int = 100_000) throws(StrataError) {
        try options.validate()
        guard maximumSeries > 0 else { throw StrataError(.invalidArgument, "the monitor must track at least one series") }
        var unbounded = options
        unbounded.from = .min
        unbounded.to = .max
        self.options = unbounded
        self.maximumSeries = maximumSeries
    }

    /// Judges a batch of points of one series (timestamps in increasing order,
    /// as appended) and returns what happened to its windows, in order: for
    /// each point, a window it closed, then a window it opened.
    ///
    /// Values are doubles; an integer series is judged exactly as a scan judges
    /// it when its values are converted with `Double(_:)`, as the scan does (exactly, within ±2^53).
    /// - Precondition: one value per timestamp.
    public func observe(device: String, metric: String, timestamps: [Int64], values: [Double]) -> [AnomalyEvent] {
        precondition(timestamps.count == values.count, "one value per timestamp")
        // An empty batch must not take a slot for a new series.
        guard !timestamps.isEmpty else { return [] }
        let key = SeriesKey(device: device, metric: metric)
        return state.withLock { state in
            var events: [AnomalyEvent] = []
            guard var series = state.series.removeValue(forKey: key) ?? makeSeries(&state, count: timestamps.count) else { return events }
            for index in timestamps.indices {
                let time = timestamps[index]
                if let last = series.last, time <= last {
                    state.late += 1
                    continue
                }
                series.last = time
                let step = series.scanner.step(time: time, bits: values[index].bitPattern).events
                if let closed = step.closed { events.append(.closed(device: device, metric: metric, window: closed)) }
                if let opened = step.opened { events.append(.opened(device: device, metric: metric, window: opened)) }
            }
            state.series[key] = series
            return events
        }
    }

    /// Judges one point of one series; see ``observe(device:metric:timestamps:values:)``.
    public func observe(device: String, metric: String, timestamp: Int64, value: Double) -> [AnomalyEvent] {
        observe(device: device, metric: metric, timestamps: [timestamp], values: [value])
    }

    /// Judges the points of a batch the service appended: each series named in the
    /// batch, its rows in the order they were added (Int64 values as Doubles, as a
    /// scan reads them). Rows added through a ``SeriesReference`` carry no names in
    /// the batch and are skipped; feed those with
    /// ``observe(device:metric:timestamps:values:)``.
    public func observe(_ batch: WriteBatch) -> [AnomalyEvent] {
        var rows = [[Int]](repeating: [], count: batch.keys.count)
        for (row, series) in batch.seriesOfRow.enumerated() where series & WriteBatch.referenceFlag == 0 {
            rows[Int(series)].append(row)
        }
        var events: [AnomalyEvent] = []
        for (slot, key) in batch.keys.enumerated() where !rows[slot].isEmpty {
            let isInteger = batch.types[slot] == .int64
            let values = rows[slot].map { row in
                isInteger ? Double(Int64(bitPattern: batch.bits[row])) : Double(bitPattern: batch.bits[row])
            }
            events += observe(device: key.device, metric: key.metric, timestamps: rows[slot].map { batch.timestamps[$0] }, values: values)
        }
        return events
    }

    /// Closes the series' open window (its final event) and forgets the series:
    /// its next point starts a fresh detector, as a new series would.
    public func flush(device: String, metric: String) -> [AnomalyEvent] {
        let key = SeriesKey(device: device, metric: metric)
        return state.withLock { state in
            guard var series = state.series.removeValue(forKey: key), let closed = series.scanner.finish() else { return [] }
            return [.closed(device: device, metric: metric, window: closed)]
        }
    }

    /// Closes every open window and forgets every series (the end of a stream);
    /// the events come in the order of the series' names.
    public func finish() -> [AnomalyEvent] {
        state.withLock { state in
            var events: [AnomalyEvent] = []
            for key in state.series.keys.sorted() {
                if var series = state.series[key], let closed = series.scanner.finish() {
                    events.append(.closed(device: key.device, metric: key.metric, window: closed))
                }
            }
            state.series = [:]
            return events
        }
    }

    /// Points skipped because they were at or before the last point seen for their series.
    public var latePointsIgnored: Int { state.withLock { $0.late } }

    /// Points skipped because their series was new while ``maximumSeries`` series were tracked.
    public var pointsRefused: Int { state.withLock { $0.refused } }

    /// The series tracked now.
    public var seriesCount: Int { state.withLock { $0.series.count } }

    /// A fresh scanner for a new series, or nil (the points counted as refused) when the monitor is full.
    private func makeSeries(_ state: inout State, count: Int) -> Series? {
        guard state.series.count < maximumSeries else {
            state.refused += count
            return nil
        }
        return Series(scanner: AnomalyScanner(options: options, type: .float64, scoresEveryPoint: false), last: nil)
    }
}

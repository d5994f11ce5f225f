/// Runs one detector over a series in time order and collects windows, with
/// memory bounded by the detector's trailing window, never by the range.
struct AnomalyScanner: PointConsumer {
    let options: AnomalyOptions
    let type: ValueType
    private(set) var windows: [AnomalyWindow] = []

    // The window being built from anomalous points.
    private var open: (start: Int64, last: Int64, peakTime: Int64, peak: Double, score: Double, points: Int)?
    /// Whether the point before this one was anomalous: consecutive anomalous points always join.
    private var previousWasAnomalous = false
    private var currentIsAnomalous = false

    // State of the detectors that look back.
    private var trailing = TrailingWindow()
    private var previous: (time: Int64, value: Double)?
    private var run: (start: Int64, last: Int64, bits: UInt64, points: Int)?

    init(options: AnomalyOptions, type: ValueType) {
        self.options = options
        self.type = type
    }

    mutating func consume(time: Int64, bits: UInt64) {
        previousWasAnomalous = currentIsAnomalous
        currentIsAnomalous = false
        let value = type == .float64 ? Double(bitPattern: bits) : Double(Int64(bitPattern: bits))
        switch options.detector {
        case .above(let limit):
            if value > limit { mark(time, value, score: value - limit) }
        case .below(let limit):
            if value < limit { mark(time, value, score: limit - value) }
        case .zScore(let window, let threshold):
            trailing.evict(before: time.subtractingSaturated(window))
            if trailing.count >= options.minimumWindowPoints, let z = trailing.zScore(of: value), abs(z) > threshold {
                mark(time, value, score: abs(z))
            }
            if !value.isNaN { trailing.insert(time: time, value: value, keepsOrder: false) }
        case .robust(let window, let threshold):
            trailing.evict(before: time.subtractingSaturated(window))
            if trailing.count >= options.minimumWindowPoints, let z = trailing.robustScore(of: value), abs(z) > threshold {
                mark(time, value, score: abs(z))
            }
            if !value.isNaN { trailing.insert(time: time, value: value, keepsOrder: true) }
        case .rateOfChange(let limit):
            if let previous, time > previous.time {
                let rate = abs(value - previous.value) / (Double(Self.span(from: previous.time, to: time)) / 1000)
                if rate > limit { mark(time, value, score: rate / limit) }
            }
        case .flatline(let minimum):
            if let current = run, current.bits == bits {
                run = (current.start, time, bits, current.points + 1)
            } else {
                closeRun(minimum: minimum)
                run = (time, time, bits, 1)
            }
        case .silence(let maximum):
            if let previous, Self.span(from: previous.time, to: time) > UInt64(maximum), previous.time >= options.from {
                appendWindow(AnomalyWindow(start: previous.time, end: time, peakTime: previous.time, peak: previous.value,
                                           score: Double(Self.span(from: previous.time, to: time)) / Double(maximum), points: 0))
            }
        }
        previous = (time, value)
    }

    /// Ends the scan: closes open windows.
    mutating func finish() {
        if case .flatline(let minimum) = options.detector { closeRun(minimum: minimum) }
        closeOpenWindow()
    }

    private mutating func closeRun(minimum: Int64) {
        let length = run.map { Self.span(from: $0.start, to: $0.last) }
        guard let current = run, let length, length >= UInt64(minimum) else { return }
        let value = type == .float64 ? Double(bitPattern: current.bits) : Double(Int64(bitPattern: current.bits))
        appendWindow(AnomalyWindow(start: current.start, end: Self.end(after: current.last), peakTime: current.start, peak: value,
                                   score: Double(length) / Double(minimum), points: current.points))
        run = nil
    }

    /// Records an anomalous point, joining it to the open window when close enough.
    /// Points read only to warm a trailing window up (before `from`) are not reported.
    private mutating func mark(_ time: Int64, _ value: Double, score: Double) {
        guard time >= options.from else { return }
        currentIsAnomalous = true
        if var window = open, previousWasAnomalous || Self.span(from: window.last, to: time) <= UInt64(options.mergeGap) {
            window.last = time
            window.points += 1
            if score > window.score { window.score = score; window.peak = value; window.peakTime = time }
            open = window
            return
        }
        closeOpenWindow()
        open = (time, time, time, value, score, 1)
    }

    private mutating func closeOpenWindow() {
        guard let window = open else { return }
        open = nil
        appendWindow(AnomalyWindow(start: window.start, end: Self.end(after: window.last), peakTime: window.peakTime, peak: window.peak,
                                   score: window.score, points: window.points))
    }

    private mutating func appendWindow(_ window: AnomalyWindow) {
        // Windows from runs and gaps merge too when they come close together.
        if let last = windows.last, Int128(window.start) - Int128(last.end) <= Int128(options.mergeGap), window.start >= last.start {
            let better = window.score > last.score
            windows[windows.count - 1] = AnomalyWindow(
                start: last.start, end: max(last.end, window.end),
                peakTime: better ? window.peakTime : last.peakTime, peak: better ? window.peak : last.peak,
                score: max(last.score, window.score), points: last.points + window.points)
        } else {
            windows.append(window)
        }
        // A window that has grown past the minimum duration is kept; the last one may still grow.
    }

    /// The windows that last at least the minimum duration.
    var result: [AnomalyWindow] {
        windows.filter { Self.span(from: $0.start, to: $0.end) >= UInt64(options.minimumDuration) }
    }

    /// `later - earlier` for `earlier <= later`, exact over all of Int64: points
    /// at both ends of time are 2^64 - 1 ms apart, more than an Int64 holds.
    @inline(__always)
    static func span(from earlier: Int64, to later: Int64) -> UInt64 {
        UInt64(bitPattern: later &- earlier)
    }

    /// The end of a window whose last point is at `last`: the next millisecond,
    /// or `Int64.max` for a point at `Int64.max`, an end that has no upper bound
    /// (see ``AnomalyWindow/end``).
    static func end(after last: Int64) -> Int64 {
        last == .max ? .max : last + 1
    }
}


/// The points of a trailing time window: running sums for the z-score, and a
/// sorted copy of the values for the robust score.
struct TrailingWindow {
    private var times: [Int64] = []
    private var values: [Double] = []
    private var head = 0
    private var sorted: [Double] = []
    /// Sums are kept of `value - shift`, with the shift near the window's mean, so
    /// the variance does not lose its digits to cancellation (values like 1013.2 ± 0.1).
    private var shift = 0.0
    private var sum = 0.0
    private var sumOfSquares = 0.0
    /// Points added since the sums were last rebuilt from scratch (to stop rounding drift).
    private var sinceRebuild = 0

    var count: Int { times.count - head }

    mutating func insert(time: Int64, value: Double, keepsOrder: Bool) {
        if count == 0 && sinceRebuild == 0 { shift = value }
        times.append(time)
        values.append(value)
        let shifted = value - shift
        sum += shifted
        sumOfSquares += shifted * shifted
        sinceRebuild += 1
        if keepsOrder { sorted.insert(value, at: insertionIndex(value)) }
    }

    mutating func evict(before limit: Int64) {
        while head < times.count && times[head] < limit {
            let value = values[head]
            let shifted = value - shift
            sum -= shifted
            sumOfSquares -= shifted * shifted
            if !sorted.isEmpty { sorted.remove(at: insertionIndex(value, first: true)) }
            head += 1
        }
        // Compact the arrays now and then so memory follows the window, not the range.
        if head > 4096 && head * 2 > times.count {
            times.removeFirst(head)
            values.removeFirst(head)
            head = 0
        }
        if sinceRebuild > 10_000 && count > 0 {
            // Rebuild from scratch around the current mean: no drift, and a fresh shift.
            shift = values[head...].reduce(0, +) / Double(count)
            sum = 0; sumOfSquares = 0
            for value in values[head...] { let shifted = value - shift; sum += shifted; sumOfSquares += shifted * shifted }
            sinceRebuild = 1
        }
    }

    func zScore(of value: Double) -> Double? {
        let n = Double(count)
        let mean = sum / n
        let variance = max(0, sumOfSquares / n - mean * mean)
        guard variance > 0, !value.isNaN else { return nil }
        return (value - shift - mean) / variance.squareRoot()
    }

    func robustScore(of value: Double) -> Double? {
        guard !sorted.isEmpty, !value.isNaN else { return nil }
        func quantile(_ q: Double) -> Double {
            let position = q * Double(sorted.count - 1)
            let low = Int(position), high = min(low + 1, sorted.count - 1)
            return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
        }
        let spread = (quantile(0.75) - quantile(0.25)) / 1.349
        guard spread > 0 else { return nil }
        return (value - quantile(0.5)) / spread
    }

    /// Binary search in `sorted`: the first index whose value is ≥ `value` (with `first`, the first equal one).
    private func insertionIndex(_ value: Double, first: Bool = false) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

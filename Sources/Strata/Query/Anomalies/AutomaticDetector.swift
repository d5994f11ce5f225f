/// The default detector: judges each point against the series' own recent
/// history, with fixed-size state, so it runs inside a scan or a live monitor
/// at the same cost whatever the range.
///
/// Every feature it watches is a *record* test: a point is anomalous when a
/// feature goes beyond the largest or smallest value that feature took over
/// the recent history (about `historyPoints` observations), by a margin. What
/// breaks a record names the kind:
/// - the value itself: a spike (``AnomalyKind/spike``);
/// - the median of the last few points, at two scales: a level shift
///   (``AnomalyKind/levelShift``); the rolling median ignores isolated spikes,
///   so a spike does not hide a later shift;
/// - the interquartile range of the same windows: a change in spread
///   (``AnomalyKind/spreadChange``);
/// - the length of a run of identical values: a stuck sensor (``AnomalyKind/stuck``);
/// - the gap before a point, beyond four times the longest recent gap:
///   silence (``AnomalyKind/silence``).
///
/// A record test needs no distribution assumption, adapts to each series'
/// scale, and fires rarely on stationary data (a new record among n
/// exchangeable points has probability 1/(n+1)), which is why one setting
/// serves series of very different shapes. History is forgotten a block at
/// a time, so a fault that moved the range long ago stops masking new ones.
struct AutomaticDetector {
    /// The rolling windows' capacity; the settings' scales must fit.
    static let windowCapacity = 32

    private let settings: AutomaticSettings
    /// A block of history closes once it holds this many points and spans `blockSpan`.
    private let blockPoints: Int
    private let blockSpan: Int64
    private let threshold: Double

    private var values = RecentExtremes()
    private var valueLevel = RunningLevel()
    private var short: ScaleFeatures
    private var long: ScaleFeatures
    private var runLengths = RecentExtremes()
    private var run = 0
    private var previousValue = Double.nan
    private var gaps = RecentExtremes()
    private var previousTime: Int64?
    private var firstTime: Int64?
    private var pointsInBlock = 0
    private var blockEnd = Int64.max

    init(settings: AutomaticSettings) {
        self.settings = settings
        blockPoints = max(1, settings.historyPoints / RecentExtremes.blockCount)
        blockSpan = max(1, settings.historySpan / Int64(RecentExtremes.blockCount))
        threshold = 1 - settings.sensitivity
        short = ScaleFeatures(scale: settings.shortScale)
        long = ScaleFeatures(scale: settings.longScale)
    }

    /// Bytes of state kept per series.
    static var stateBytes: Int { MemoryLayout<AutomaticDetector>.size }

    /// Points a feature must have seen before it judges: a record among fewer
    /// is broken by chance more than once in a hundred points. (On the NAB
    /// files 50, 100 and 150 give the same alerts after NAB's probation.)
    fileprivate static let warmUp = 100
    /// Runs of identical values seen before run lengths are judged.
    private static let runWarmUp = 20
    /// How many times the longest recent gap a gap must be to count as silence.
    private static let silenceFactor = 4.0
    /// Magnitudes are capped here: a feature beyond a record that sits on the wrong side of the
    /// series' level (a constant series that moves) is infinitely far by the ratio.
    static let largestMagnitude = 1e6
    /// The interquartile range of normal data is about 1.35 times its mean absolute deviation.
    fileprivate static let deviationToSpread = 1.35

    mutating func observe(time: Int64, value: Double) -> AnomalyVerdict {
        observe(time: time, value: value, scoresEveryPoint: true)
    }

    /// Judges one point. Without `scoresEveryPoint`, a normal point's score is a
    /// lower bound (the features inside their recent range are not measured, which
    /// saves a division each), but whether the point is anomalous, and an anomalous
    /// point's score, magnitude and kind, are exactly those of the full judgement:
    /// a feature inside its range reaches at most 1, below every line of a
    /// sensitivity up to 0.5. For scans that build windows only.
    @inline(__always)
    mutating func observe(time: Int64, value: Double, scoresEveryPoint: Bool) -> AnomalyVerdict {
        // An infinite reading is beyond every record; learning from it would turn every
        // running mean and spread into infinity or NaN and blind the detector for good.
        guard value.isFinite else { return AnomalyVerdict(score: 1, magnitude: Self.largestMagnitude, kind: .spike) }
        let judgesRanges = advanceHistory(to: time)
        var verdict = Judgement(skipsInRange: !scoresEveryPoint && threshold >= 0.5)
        if judgesRanges && values.observations >= Self.warmUp {
            let margin = settings.spikeMargin * Self.deviationToSpread * valueLevel.deviation
            verdict.consider(value, center: valueLevel.mean, low: values.low - margin, high: values.high + margin, unit: valueLevel.deviation, .spike)
        }
        values.add(value)
        valueLevel.add(value)
        short.judge(value, center: valueLevel.mean, deviation: valueLevel.deviation, spreadMargin: settings.spreadMargin, judgesRanges: judgesRanges, into: &verdict)
        long.judge(value, center: valueLevel.mean, deviation: valueLevel.deviation, spreadMargin: settings.spreadMargin, judgesRanges: judgesRanges, into: &verdict)
        judgeRun(value: value, into: &verdict)
        judgeGap(time: time, into: &verdict)
        let score = verdict.score
        return AnomalyVerdict(score: score, magnitude: min(verdict.ratio, Self.largestMagnitude), kind: score > threshold ? verdict.kind : nil)
    }

    /// Moves the history's clock to `time`: closes the filling block once it holds
    /// enough points and spans enough time (so history covers both `historyPoints`
    /// and `historySpan`, whatever the sampling rate). Returns whether the series has
    /// been learned long enough (`learningSpan`) to judge its ranges.
    private mutating func advanceHistory(to time: Int64) -> Bool {
        guard let firstTime else {
            firstTime = time
            pointsInBlock = 1
            blockEnd = time.addingSaturated(blockSpan)
            return settings.learningSpan == 0
        }
        pointsInBlock += 1
        if pointsInBlock > blockPoints && time >= blockEnd {
            values.closeBlock()
            short.closeBlock()
            long.closeBlock()
            runLengths.closeBlock()
            gaps.closeBlock()
            pointsInBlock = 1
            blockEnd = time.addingSaturated(blockSpan)
        }
        return AnomalyScanner.span(from: firstTime, to: time) >= UInt64(settings.learningSpan)
    }

    private mutating func judgeRun(value: Double, into verdict: inout Judgement) {
        if value == previousValue {
            run += 1
        } else {
            if run > 0 { runLengths.add(Double(run)) }
            run = 1
        }
        previousValue = value
        if runLengths.observations >= Self.runWarmUp {
            verdict.consider(Double(run), center: 0, low: -.infinity, high: runLengths.high + 1, unit: 1, .stuck)
        }
    }

    private mutating func judgeGap(time: Int64, into verdict: inout Judgement) {
        defer { previousTime = time }
        guard let previousTime else { return }
        let gap = Double(AnomalyScanner.span(from: previousTime, to: time))
        if gaps.observations >= Self.warmUp {
            verdict.consider(gap, center: 0, low: -.infinity, high: Self.silenceFactor * gaps.high, unit: gaps.high, .silence)
        }
        gaps.add(gap)
    }

    /// How far `x` reaches from `center` toward the bound it is heading to: 1 at
    /// the bound, above 1 beyond it, 0 at the center. When the bound sits on the
    /// center's wrong side (the center moved past a record, as spikes drag a
    /// mean), a point beyond it counts 1 plus its excess in `unit`s.
    @inline(__always)
    static func ratio(_ x: Double, center: Double, low: Double, high: Double, unit: Double) -> Double {
        if x > high { return high > center ? max((x - center) / (high - center), onePlus) : max(1 + (x - high) / unit, onePlus) }
        if x < low { return low < center ? max((center - x) / (center - low), onePlus) : max(1 + (low - x) / unit, onePlus) }
        if x > center, high > center { return (x - center) / (high - center) }
        if x < center, low < center { return (center - x) / (center - low) }
        return 0
    }
    private static let onePlus = 1.0.nextUp
}

/// The strongest feature seen for one point.
private struct Judgement {
    var ratio = 0.0
    var kind = AnomalyKind.spike
    /// Whether a feature inside its range may be left unmeasured (see
    /// ``AutomaticDetector/observe(time:value:scoresEveryPoint:)``).
    let skipsInRange: Bool

    init(skipsInRange: Bool) { self.skipsInRange = skipsInRange }

    /// Considers the feature `x` against its range: measured, unless it lies inside the
    /// range and the caller does not need normal points' scores.
    @inline(__always)
    mutating func consider(_ x: Double, center: Double, low: Double, high: Double, unit: Double, _ kind: AnomalyKind) {
        if skipsInRange && x <= high && x >= low { return }
        consider(AutomaticDetector.ratio(x, center: center, low: low, high: high, unit: unit), kind)
    }

    @inline(__always)
    mutating func consider(_ candidate: Double, _ candidateKind: AnomalyKind) {
        // Selects rather than a branch: which feature is strongest changes from point to point.
        let stronger = candidate > ratio
        kind = stronger ? candidateKind : kind
        ratio = stronger ? candidate : ratio
    }

    /// The ratio mapped into [0, 1]: half at the record, approaching 1 far beyond it.
    var score: Double { ratio <= 1 ? ratio / 2 : 1 - 0.5 / ratio }
}

/// The features of one rolling-window scale.
private struct ScaleFeatures {
    var window: SortedWindow
    var medians = RecentExtremes()
    var spreads = RecentExtremes()
    var spreadLevel = RunningLevel()
    init(scale: Int) { window = SortedWindow(count: scale) }

    mutating func closeBlock() {
        medians.closeBlock()
        spreads.closeBlock()
    }

    /// Judges the window's median (against the values' `center`) and spread once the window
    /// is full and the detector `judgesRanges`.
    mutating func judge(_ value: Double, center: Double, deviation: Double, spreadMargin: Double, judgesRanges: Bool,
                        into verdict: inout Judgement) {
        guard let (median, spread) = window.add(value) else { return }
        if judgesRanges && medians.observations >= AutomaticDetector.warmUp {
            verdict.consider(median, center: center, low: medians.low, high: medians.high, unit: deviation, .levelShift)
            let margin = spreadMargin * AutomaticDetector.deviationToSpread * spreadLevel.deviation
            verdict.consider(spread, center: 0, low: -.infinity, high: spreads.high + margin, unit: spreadLevel.deviation, .spreadChange)
        }
        medians.add(median)
        spreads.add(spread)
        spreadLevel.add(spread)
    }
}

/// Largest and smallest of a feature over the last `blockCount` blocks plus
/// the block being filled: a sliding maximum in constant space, forgetting a
/// block at a time. The detector decides when blocks close, for all features
/// at once.
struct RecentExtremes {
    static let blockCount = 12
    private var highs = InlineArray<12, Double>(repeating: -.infinity)
    private var lows = InlineArray<12, Double>(repeating: .infinity)
    private var blockHigh = -Double.infinity
    private var blockLow = Double.infinity
    private var completedHigh = -Double.infinity
    private var completedLow = Double.infinity
    private var slot = 0
    private(set) var observations = 0

    var high: Double { max(completedHigh, blockHigh) }
    var low: Double { min(completedLow, blockLow) }

    mutating func add(_ x: Double) {
        blockHigh = max(blockHigh, x)
        blockLow = min(blockLow, x)
        observations &+= 1
    }

    /// Closes the block being filled; the oldest of the kept blocks is forgotten.
    mutating func closeBlock() {
        highs[slot] = blockHigh
        lows[slot] = blockLow
        slot = slot == Self.blockCount - 1 ? 0 : slot + 1
        blockHigh = -.infinity
        blockLow = .infinity
        completedHigh = -.infinity
        completedLow = .infinity
        for index in 0..<Self.blockCount {
            completedHigh = max(completedHigh, highs[index])
            completedLow = min(completedLow, lows[index])
        }
    }
}

/// An exponentially weighted mean and mean absolute deviation, averaging
/// plainly over the first thousand points so early points do not dominate.
struct RunningLevel {
    private static let weight = 0.001
    private(set) var mean = 0.0
    private(set) var deviation = 0.0
    private var count = 0

    mutating func add(_ x: Double) {
        count &+= 1
        if count == 1 { mean = x; return }
        let weight = count > 1_000 ? Self.weight : 1 / Double(count)
        let difference = x - mean
        mean += weight * difference
        deviation += weight * (abs(difference) - deviation)
    }
}

/// The last `count` values, kept both in arrival order (to know which leaves)
/// and sorted (for the median and quartiles), in fixed inline storage.
struct SortedWindow {
    private var arrival = InlineArray<32, Double>(repeating: 0)
    private static let capacity = 32
    /// The values in order; the slots past `count` hold +infinity (see `replace`).
    private var sorted = InlineArray<32, Double>(repeating: .infinity)
    private let count: Int
    /// Where the median and the quartiles sit in the sorted values (computed once: they are read every point).
    private let medianIndex: Int
    private let lowerQuartileIndex: Int
    private let upperQuartileIndex: Int
    private var filled = 0
    private var next = 0

    /// Eight-value chunks that cover the window (the rest of the slots hold +infinity).
    private let chunks: Int

    init(count: Int) {
        self.count = count
        chunks = (count + 7) / 8
        medianIndex = count / 2
        lowerQuartileIndex = count / 4
        upperQuartileIndex = 3 * count / 4
    }

    /// Adds a value; once the window is full, returns its median and interquartile range.
    mutating func add(_ value: Double) -> (median: Double, spread: Double)? {
        if filled == count {
            replace(arrival[next], with: value)
        } else {
            insert(value)
            filled += 1
        }
        arrival[next] = value
        next = next == count - 1 ? 0 : next + 1
        guard filled == count else { return nil }
        return (sorted[medianIndex], sorted[upperQuartileIndex] - sorted[lowerQuartileIndex])
    }

    /// Inserts into the sorted prefix of `filled` values.
    private mutating func insert(_ value: Double) {
        var index = filled
        while index > 0 && sorted[index - 1] > value {
            sorted[index] = sorted[index - 1]
            index -= 1
        }
        sorted[index] = value
    }

    /// Takes `old` out of the sorted values and puts `value` in its sorted place.
    /// The two ranks are counted over the whole window rather than searched, so
    /// no branch depends on the data until the values between them move.
    private mutating func replace(_ old: Double, with value: Double) {
        // Values are never NaN (the caller skips them), so `old` sits at the count of values
        // below it. The slots past `count` hold +infinity, so whole chunks of eight can be
        // counted with vector compares instead of branches.
        var below = SIMD8<Int64>(), belowValue = SIMD8<Int64>()
        let olds = SIMD8<Double>(repeating: old), values8 = SIMD8<Double>(repeating: value)
        sorted.span.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            for chunk in 0..<chunks {
                let eight = base.loadUnaligned(fromByteOffset: chunk * 64, as: SIMD8<Double>.self)
                below &+= SIMD8<Int64>(repeating: 0).replacing(with: 1, where: eight .< olds)
                belowValue &+= SIMD8<Int64>(repeating: 0).replacing(with: 1, where: eight .< values8)
            }
        }
        let from = Int(below.wrappedSum())
        var to = Int(belowValue.wrappedSum())
        // `old` was counted below `value`: without it, `value` goes one place lower.
        to &-= old < value ? 1 : 0
        var span = sorted.mutableSpan
        span.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            if from < to {
                (base + from).update(from: base + from + 1, count: to - from)
            } else if from > to {
                (base + to + 1).update(from: base + to, count: from - to)
            }
            base[to] = value
        }
    }
}

/// How to decide that a series misbehaves.
///
/// Every detector gives each point a ``AnomalyWindow/score`` in [0, 1] and
/// keeps its own measure as ``AnomalyWindow/magnitude``. For the explicit
/// detectors the score is `1 − 1/(1 + m)` (the same as `m / (1 + m)`), with `m`
/// the measure relative to the detector's threshold, so a point is anomalous
/// exactly when its score is above 0.5 (at or above, for ``flatline(minimumDuration:)``),
/// and scores from different detectors and series compare.
public enum AnomalyDetector: Sendable, Equatable {
    /// The default: an online detector that judges each point against the
    /// series' own recent history. A point is anomalous when it breaks a recent
    /// record: its value beyond the recent range (``AnomalyKind/spike``), the
    /// median of the last 10 or 20 points beyond the range of past medians
    /// (``AnomalyKind/levelShift``), their interquartile range beyond its
    /// record (``AnomalyKind/spreadChange``), a run of identical values longer
    /// than any recent one (``AnomalyKind/stuck``), a gap four times the longest
    /// recent one (``AnomalyKind/silence``). Anomalous points at most
    /// ``AutomaticSettings/holdPoints`` apart join one window. Its state depends
    /// on the history, so it always runs from the series' first point. See
    /// <doc:AnomalyDetection> for the design and its scores on the Numenta
    /// Anomaly Benchmark. Magnitude: how far the strongest feature reached toward
    /// its record (1 at the record, more beyond, at most 10^6). Score: `m / 2`
    /// up to the record, `1 − 1/(2m)` beyond, so 0.5 at the record.
    case automatic(AutomaticSettings)
    /// Values above a limit. Kind ``AnomalyKind/outOfBounds``. Magnitude: how far
    /// above (`value − limit`). Score: `m = 1 + (value − limit) / max(|limit|, 1)`
    /// (0 when that is negative).
    case above(Double)
    /// Values below a limit. Kind ``AnomalyKind/outOfBounds``. Magnitude: how far
    /// below (`limit − value`). Score: `m = 1 + (limit − value) / max(|limit|, 1)`
    /// (0 when that is negative).
    case below(Double)
    /// Values more than `threshold` standard deviations from the mean of the
    /// trailing `window` milliseconds (the point itself excluded). Kind
    /// ``AnomalyKind/spike``. Magnitude: |z|. Score: `m = |z| / threshold`
    /// (0 while the window is too small or has no spread).
    case zScore(window: Int64, threshold: Double)
    /// Values more than `threshold` robust deviations from the median of the
    /// trailing `window`, the deviation being the interquartile range / 1.349
    /// (which equals the standard deviation for normal data but is not swayed by
    /// the outliers it is looking for). Kind ``AnomalyKind/spike``. Magnitude:
    /// the robust |z|. Score: `m = |z| / threshold` (0 while unknown).
    case robust(window: Int64, threshold: Double)
    /// Changes faster than `perSecond` units per second between consecutive
    /// points. Kind ``AnomalyKind/fastChange``. Magnitude and `m`: the rate
    /// divided by the limit.
    case rateOfChange(perSecond: Double)
    /// The value stays exactly the same for at least `minimumDuration`
    /// milliseconds: a stuck sensor. Kind ``AnomalyKind/stuck``. Magnitude and
    /// `m`: the duration of the run so far divided by the minimum.
    case flatline(minimumDuration: Int64)
    /// No point for longer than `maximumGap` milliseconds: the device went
    /// offline. The window is the gap. Kind ``AnomalyKind/silence``. Magnitude
    /// and `m`: the gap divided by the maximum (scored on the point after the gap).
    case silence(maximumGap: Int64)

    /// The trailing window a detector reads before a range to judge its first points.
    var trailingWindow: Int64? {
        switch self {
        case .zScore(let window, _), .robust(let window, _): window
        default: nil
        }
    }
}

/// What an anomaly query asks for.
public struct AnomalyOptions: Sendable, Equatable {
    /// The rule that marks a point as anomalous.
    public var detector: AnomalyDetector
    /// Start of the range, included. Default: everything.
    public var from: Int64 = .min
    /// End of the range, excluded; `Int64.max` (the default) means no upper bound (see <doc:TimeRanges>).
    public var to: Int64 = .max
    /// Anomalous points at most this many milliseconds apart join one window. Default 0.
    public var mergeGap: Int64 = 0
    /// Windows shorter than this many milliseconds are dropped (blips). Default 0.
    public var minimumDuration: Int64 = 0
    /// Points a trailing window must hold before the z-score and robust
    /// detectors judge anything. Default 10.
    public var minimumWindowPoints = 10

    /// Options for the default detector, ``AnomalyDetector/automatic(_:)`` with
    /// ``AutomaticSettings/standard``, over `[from, to)`, with the other fields at their defaults.
    public init(from: Int64 = .min, to: Int64 = .max) {
        self.init(detector: .automatic(.standard), from: from, to: to)
    }

    /// Options for `detector` over `[from, to)`, with the other fields at their defaults.
    public init(detector: AnomalyDetector, from: Int64 = .min, to: Int64 = .max) {
        self.detector = detector
        self.from = from
        self.to = to
    }

    func validate() throws(StrataError) {
        guard !TimeRangeEnd.isEmpty(from: from, to: to) else { throw StrataError(.invalidArgument, "the range is empty: from \(from) is not before to \(to)") }
        guard mergeGap >= 0, minimumDuration >= 0 else {
            throw StrataError(.invalidArgument, "the merge gap and minimum duration must not be negative")
        }
        switch detector {
        case .zScore(let window, let threshold), .robust(let window, let threshold):
            guard window > 0, threshold > 0 else { throw StrataError(.invalidArgument, "the window and threshold must be positive") }
        case .rateOfChange(let limit):
            guard limit > 0 else { throw StrataError(.invalidArgument, "the rate limit must be positive") }
        case .flatline(let duration):
            guard duration > 0 else { throw StrataError(.invalidArgument, "the flatline duration must be positive") }
        case .silence(let gap):
            guard gap > 0 else { throw StrataError(.invalidArgument, "the silence gap must be positive") }
        case .automatic(let settings):
            try settings.validate()
        case .above, .below:
            break
        }
    }

    /// Where a scan must begin to judge `[from, to)` as a longer scan would: the
    /// series' start for the automatic detector (its state depends on all of
    /// history), the trailing window before `from` for z-score and robust.
    var scanStart: Int64 {
        if case .automatic = detector { return .min }
        if let window = detector.trailingWindow, from != .min {
            let (earlier, overflow) = from.subtractingReportingOverflow(window)
            return overflow ? .min : earlier
        }
        return from
    }
}

/// A stretch of time in which a series misbehaved.
public struct AnomalyWindow: Sendable, Equatable {
    /// First anomalous moment, included.
    public let start: Int64
    /// End of the window, excluded (the last anomalous point's time + 1 ms; for silence, the next point's time).
    /// A window whose last point is at `Int64.max` ends at `Int64.max`, which as the end of a range
    /// means no upper bound (see <doc:TimeRanges>).
    public let end: Int64
    /// When the highest-scoring point occurred.
    public let peakTime: Int64
    /// The value at the peak (for silence, the last value before the gap).
    public let peak: Double
    /// How anomalous the window is, in [0, 1]: the score of its peak (the
    /// highest in the window); see ``AnomalyDetector`` for each detector's mapping.
    public let score: Double
    /// The detector's own measure at the peak (|z|, the ratio to the limit, …;
    /// see each ``AnomalyDetector`` case). Peaks are chosen by it: the first
    /// point with the highest magnitude.
    public let magnitude: Double
    /// What fired at the window's first point: what raised the alert.
    public let kind: AnomalyKind
    /// Anomalous points in the window (0 for silence).
    public let points: Int

    init(start: Int64, end: Int64, peakTime: Int64, peak: Double, score: Double, magnitude: Double, kind: AnomalyKind, points: Int) {
        self.start = start
        self.end = end
        self.peakTime = peakTime
        self.peak = peak
        self.score = score
        self.magnitude = magnitude
        self.kind = kind
        self.points = points
    }
}

/// How to decide that a series misbehaves.
public enum AnomalyDetector: Sendable, Equatable {
    /// Values above a limit. Score: how far above.
    case above(Double)
    /// Values below a limit. Score: how far below.
    case below(Double)
    /// Values more than `threshold` standard deviations from the mean of the
    /// trailing `window` milliseconds (the point itself excluded). Score: |z|.
    case zScore(window: Int64, threshold: Double)
    /// Values more than `threshold` robust deviations from the median of the
    /// trailing `window`, the deviation being the interquartile range / 1.349
    /// (which equals the standard deviation for normal data but is not swayed by
    /// the outliers it is looking for). Score: the robust z.
    case robust(window: Int64, threshold: Double)
    /// Changes faster than `perSecond` units per second between consecutive
    /// points. Score: the rate divided by the limit.
    case rateOfChange(perSecond: Double)
    /// The value stays exactly the same for at least `minimumDuration`
    /// milliseconds: a stuck sensor. Score: the duration divided by the minimum.
    case flatline(minimumDuration: Int64)
    /// No point for longer than `maximumGap` milliseconds: the device went
    /// offline. The window is the gap. Score: the gap divided by the maximum.
    case silence(maximumGap: Int64)

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
        case .above, .below:
            break
        }
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
    /// The highest score in the window; see each ``AnomalyDetector`` case.
    public let score: Double
    /// Anomalous points in the window (0 for silence).
    public let points: Int
}

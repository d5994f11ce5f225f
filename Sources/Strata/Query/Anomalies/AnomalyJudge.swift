/// Judges the points of one series in time order by one detector, keeping only
/// the state that detector needs: a trailing window for z-score and robust, the
/// previous point, the current run of equal values, or the automatic detector's
/// fixed-size state.
///
/// The explicit detectors' rules are the ones documented on ``AnomalyDetector``;
/// the judge adds a score in [0, 1] for every point.
struct AnomalyJudge {
    let detector: AnomalyDetector
    /// Points a trailing window must hold before z-score and robust judge.
    let minimumWindowPoints: Int

    private var trailing = TrailingWindow()
    private var previous: (time: Int64, value: Double)?
    /// The flatline detector's run of equal values; `reported` once the run has
    /// been long enough to be anomalous (its later points only extend the window).
    private var run: (start: Int64, bits: UInt64, points: Int, reported: Bool)?
    private var automatic: AutomaticDetector

    /// Whether every point's score must be exact; windows alone need it only for
    /// anomalous points (see ``AutomaticDetector/observe(time:value:scoresEveryPoint:)``).
    let scoresEveryPoint: Bool

    init(detector: AnomalyDetector, minimumWindowPoints: Int, scoresEveryPoint: Bool = true) {
        self.detector = detector
        self.minimumWindowPoints = minimumWindowPoints
        self.scoresEveryPoint = scoresEveryPoint
        if case .automatic(let settings) = detector {
            automatic = AutomaticDetector(settings: settings)
        } else {
            automatic = AutomaticDetector(settings: .standard)
        }
    }

    /// Judges the point at `time` (after every earlier one), whose value is `value`
    /// and whose stored bits are `bits`.
    @inline(__always)
    mutating func judge(time: Int64, bits: UInt64, value: Double) -> PointJudgement {
        var judgement = PointJudgement(time: time, value: value)
        switch detector {
        case .automatic:
            // NaN carries no reading: the automatic detector does not see it.
            if !value.isNaN {
                // A silence marks the point that ended it, the moment a watcher learns of it,
                // not the gap before: the window starts when the alert could be raised.
                let verdict = automatic.observe(time: time, value: value, scoresEveryPoint: scoresEveryPoint)
                judgement.score = verdict.score
                judgement.magnitude = verdict.magnitude
                judgement.kind = verdict.kind
            }
        case .above(let limit):
            judgement.magnitude = value - limit
            judgement.scoreRelative(1 + (value - limit) / max(abs(limit), 1))
            if value > limit { judgement.kind = .outOfBounds }
        case .below(let limit):
            judgement.magnitude = limit - value
            judgement.scoreRelative(1 + (limit - value) / max(abs(limit), 1))
            if value < limit { judgement.kind = .outOfBounds }
        case .zScore(let window, let threshold):
            judgeAgainstTrailing(time: time, value: value, window: window, threshold: threshold, robust: false, into: &judgement)
        case .robust(let window, let threshold):
            judgeAgainstTrailing(time: time, value: value, window: window, threshold: threshold, robust: true, into: &judgement)
        case .rateOfChange(let limit):
            if let previous, time > previous.time {
                let rate = abs(value - previous.value) / (Double(AnomalyScanner.span(from: previous.time, to: time)) / 1000)
                judgement.magnitude = rate / limit
                judgement.scoreRelative(rate / limit)
                if rate > limit { judgement.kind = .fastChange }
            }
        case .flatline(let minimum):
            // Runs compare stored bits, so -0.0 and 0.0 (or two NaNs) differ as the store keeps them.
            if let current = run, current.bits == bits {
                run = (current.start, bits, current.points + 1, current.reported)
            } else {
                run = (time, bits, 1, false)
            }
            let current = run!
            let length = AnomalyScanner.span(from: current.start, to: time)
            judgement.magnitude = Double(length) / Double(minimum)
            judgement.scoreRelative(judgement.magnitude)
            if length >= UInt64(minimum) {
                judgement.kind = .stuck
                // The window is the run: it begins at the run's first point, which is its peak.
                judgement.peakTime = current.start
                if !current.reported {
                    judgement.start = current.start
                    judgement.points = current.points
                    run = (current.start, bits, current.points, true)
                }
            }
        case .silence(let maximum):
            if let previous {
                let gap = AnomalyScanner.span(from: previous.time, to: time)
                judgement.magnitude = Double(gap) / Double(maximum)
                judgement.scoreRelative(judgement.magnitude)
                if gap > UInt64(maximum) {
                    judgement.kind = .silence
                    judgement.markGap(after: previous)
                }
            }
        }
        previous = (time, value)
        return judgement
    }

    /// The z-score and robust detectors: the point against the trailing `window` of points
    /// before it (its mean and deviation, or its median and interquartile range), then the
    /// point joins the window.
    @inline(__always)
    private mutating func judgeAgainstTrailing(time: Int64, value: Double, window: Int64, threshold: Double, robust: Bool,
                                               into judgement: inout PointJudgement) {
        trailing.evict(before: time.subtractingSaturated(window))
        if trailing.count >= minimumWindowPoints, let z = robust ? trailing.robustScore(of: value) : trailing.zScore(of: value) {
            judgement.magnitude = abs(z)
            judgement.scoreRelative(abs(z) / threshold)
            if abs(z) > threshold { judgement.kind = .spike }
        }
        if !value.isNaN { trailing.insert(time: time, value: value, keepsOrder: robust) }
    }

    /// The earliest start that the judgement of any later point can have: a
    /// window ending more than the merge gap before it can no longer grow. A
    /// later point marks itself (after the last point), the gap after the last
    /// point (silence), or a run that may have begun already (flatline).
    var earliestLaterStart: Int128 {
        guard let previous else { return .min }
        switch detector {
        case .flatline:
            return Int128(run?.start ?? previous.time)
        case .silence:
            return Int128(previous.time)
        default:
            return Int128(previous.time) + 1
        }
    }
}

extension PointJudgement {
    /// Makes the judgement mark the gap between `last` and this point: a window
    /// with no point of its own, whose peak is the last value before the gap.
    @inline(__always)
    mutating func markGap(after last: (time: Int64, value: Double)) {
        end = start
        start = last.time
        peakTime = last.time
        peak = last.value
        points = 0
    }
}

/// Turns per-point judgements into anomaly windows as the points stream, and
/// says when a window opens and when it is final.
///
/// The rules, the same for every detector:
/// - consecutive anomalous points always join one window, and so do anomalous
///   points at most `joinPoints` points apart (1 for the explicit detectors,
///   ``AutomaticSettings/holdPoints`` for the automatic one);
/// - a stretch that begins at most ``AnomalyOptions/mergeGap`` after a window's
///   end joins it too (a point window ends 1 ms after its last point, a silence
///   at the point after the gap);
/// - windows shorter than ``AnomalyOptions/minimumDuration`` are never reported;
/// - the peak is the first point with the highest magnitude, and gives the
///   window its score; the window's kind is what fired at its first point (what
///   raised the alert), so it never changes after the window opens.
///
/// Events: a window is *opened* once, at the first point where it lasts at
/// least the minimum duration, with the window so far; it is *closed* once no
/// later point can join it (the next stretch could only begin more than the
/// merge gap after its end) or at ``finish()``, with its final fields. Every
/// closed window was opened before (or at the same point), and windows close in
/// the order they open. Memory is one window, whatever the range.
struct WindowAssembler {
    let mergeGap: Int64
    let minimumDuration: Int64
    /// An anomalous point this many points or fewer after the previous anomalous one joins its window.
    let joinPoints: Int
    /// Windows starting before this are built (so that later points join them
    /// exactly as in a scan from further back) but never reported.
    let reportFrom: Int64

    /// A window being built.
    private struct Building {
        var start: Int64
        var end: Int64
        var peakTime: Int64
        var peak: Double
        var score: Double
        var magnitude: Double
        var kind: AnomalyKind
        var points: Int
        var announced = false

        var window: AnomalyWindow {
            AnomalyWindow(start: start, end: end, peakTime: peakTime, peak: peak, score: score, magnitude: magnitude, kind: kind, points: points)
        }
    }

    /// What one point did to the windows: at most one window closed (before)
    /// and one opened (after).
    struct Events {
        /// A window that is now final.
        var closed: AnomalyWindow?
        /// A window that now lasts the minimum duration: the window so far.
        var opened: AnomalyWindow?
    }

    private var open: Building?
    /// Points since the last anomalous point, counting this one (1: the previous point was anomalous).
    private var sinceAnomalous = Int.max

    init(mergeGap: Int64, minimumDuration: Int64, reportFrom: Int64, joinPoints: Int = 1) {
        self.mergeGap = mergeGap
        self.minimumDuration = minimumDuration
        self.reportFrom = reportFrom
        self.joinPoints = max(1, joinPoints)
    }

    /// Takes the judgement of the next point; `earliestLaterStart` is the
    /// earliest start the judgement of any later point can have (see
    /// ``AnomalyJudge/earliestLaterStart``), needed only for a normal point
    /// while a window is open.
    @inline(__always)
    mutating func add(_ judgement: PointJudgement, earliestLaterStart: Int128) -> Events {
        var events = Events()
        if sinceAnomalous < .max { sinceAnomalous += 1 }
        let joinsPrevious = sinceAnomalous <= joinPoints
        if judgement.kind != nil { sinceAnomalous = 0 }
        if let kind = judgement.kind {
            if var window = open,
               joinsPrevious || (Int128(judgement.start) - Int128(window.end) <= Int128(mergeGap) && judgement.start >= window.start) {
                window.end = max(window.end, judgement.end)
                window.points += judgement.points
                if judgement.magnitude > window.magnitude {
                    window.magnitude = judgement.magnitude
                    window.score = judgement.score
                    window.peak = judgement.peak
                    window.peakTime = judgement.peakTime
                }
                open = window
            } else {
                events.closed = close()
                open = Building(start: judgement.start, end: judgement.end, peakTime: judgement.peakTime, peak: judgement.peak,
                                score: judgement.score, magnitude: judgement.magnitude, kind: kind, points: judgement.points)
            }
            events.opened = announce()
        } else if let window = open, sinceAnomalous >= joinPoints, earliestLaterStart - Int128(window.end) > Int128(mergeGap) {
            events.closed = close()
        }
        return events
    }

    /// Ends the stream: the open window, if it is reported, is final.
    mutating func finish() -> AnomalyWindow? {
        sinceAnomalous = .max
        return close()
    }

    /// Whether a window is being built (reported or not).
    var isOpen: Bool { open != nil }

    /// The open window so far, when it is reported (for a monitor's status).
    var current: AnomalyWindow? {
        guard let open, open.announced else { return nil }
        return open.window
    }

    private mutating func announce() -> AnomalyWindow? {
        guard var window = open, !window.announced, isReported(window) else { return nil }
        window.announced = true
        open = window
        return window.window
    }

    private mutating func close() -> AnomalyWindow? {
        guard let window = open else { return nil }
        open = nil
        return isReported(window) ? window.window : nil
    }

    private func isReported(_ window: Building) -> Bool {
        window.start >= reportFrom && AnomalyScanner.span(from: window.start, to: window.end) >= UInt64(minimumDuration)
    }
}

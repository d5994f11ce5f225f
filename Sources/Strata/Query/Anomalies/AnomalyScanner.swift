/// Runs one detector over a series in time order and assembles windows: a
/// judge gives every point a verdict (score and kind), a ``WindowAssembler``
/// turns verdicts into windows. Memory is bounded by the detector's state (its
/// trailing window for z-score and robust, a few words for the others), never
/// by the range; the offline scan, the per-point scores and ``AnomalyMonitor``
/// all step through this one type, so they agree point for point.
struct AnomalyScanner: PointConsumer {
    let type: ValueType
    private var judge: AnomalyJudge
    private var assembler: WindowAssembler
    /// Points before this are judged, to warm the detector up, but cannot be
    /// anomalous (explicit detectors: their windows start in range).
    let judgesFrom: Int64
    /// The windows closed so far, in order, by ``consume(time:bits:)`` and ``finish()``.
    private(set) var windows: [AnomalyWindow] = []

    /// A scanner for `options` over a series of `type`. A scan that only builds windows
    /// passes `scoresEveryPoint: false`: normal points' scores may then be lower bounds,
    /// while every window is exactly the same.
    init(options: AnomalyOptions, type: ValueType, scoresEveryPoint: Bool = true) {
        self.type = type
        judge = AnomalyJudge(detector: options.detector, minimumWindowPoints: options.minimumWindowPoints, scoresEveryPoint: scoresEveryPoint)
        if case .automatic(let settings) = options.detector {
            // The automatic detector runs from the series' start and its windows are
            // those of a full scan that start in range, whole.
            judgesFrom = .min
            assembler = WindowAssembler(mergeGap: options.mergeGap, minimumDuration: options.minimumDuration, reportFrom: options.from,
                                        joinPoints: settings.holdPoints)
        } else {
            judgesFrom = options.from
            assembler = WindowAssembler(mergeGap: options.mergeGap, minimumDuration: options.minimumDuration, reportFrom: .min)
        }
    }

    mutating func consume(time: Int64, bits: UInt64) {
        if let closed = step(time: time, bits: bits).events.closed { windows.append(closed) }
    }

    /// Judges the next point and feeds the assembler: what the point scored and
    /// what it did to the windows.
    @inline(__always)
    mutating func step(time: Int64, bits: UInt64) -> (judgement: PointJudgement, events: WindowAssembler.Events) {
        let value = type == .float64 ? Double(bitPattern: bits) : Double(Int64(bitPattern: bits))
        var judgement = judge.judge(time: time, bits: bits, value: value)
        // A stretch may begin before its point (a gap, a run): it is judged by where it begins.
        if judgement.start < judgesFrom { judgement.kind = nil }
        // Only a normal point after an open window asks whether the window can still grow.
        let earliestLaterStart = judgement.kind == nil && assembler.isOpen ? judge.earliestLaterStart : .min
        return (judgement, assembler.add(judgement, earliestLaterStart: earliestLaterStart))
    }

    /// Ends the scan: the open window is final. Returns it when it is reported.
    @discardableResult
    mutating func finish() -> AnomalyWindow? {
        let closed = assembler.finish()
        if let closed { windows.append(closed) }
        return closed
    }

    /// The windows found (after ``finish()``: all of them).
    var result: [AnomalyWindow] { windows }

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

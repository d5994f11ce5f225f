/// What a detector says about one point, in the terms the window assembler
/// needs: its score, and when it is anomalous, the stretch of time it marks.
///
/// Most anomalous points mark themselves (`[time, time + 1 ms)`); a silence
/// marks the gap before the point and a flatline the run of equal values that
/// led to it, so the stretch can begin earlier.
struct PointJudgement {
    /// How unusual the point is, in [0, 1] (0 when unknown).
    var score: Double
    /// The detector's own measure (see ``AnomalyWindow/magnitude``).
    var magnitude: Double
    /// What fired; nil for a normal point.
    var kind: AnomalyKind?
    /// Start of the stretch this point marks, included.
    var start: Int64
    /// End of the stretch, excluded.
    var end: Int64
    /// Where the stretch's peak is, and its value.
    var peakTime: Int64
    var peak: Double
    /// Points the stretch adds to a window: 1 for a point, 0 for a gap, the
    /// run so far for the first anomalous point of a flatline.
    var points: Int

    /// A normal point at `time` with `value`, scoring 0 until a detector says more.
    @inline(__always)
    init(time: Int64, value: Double) {
        score = 0
        magnitude = 0
        kind = nil
        start = time
        end = AnomalyScanner.end(after: time)
        peakTime = time
        peak = value
        points = 1
    }

    /// Sets the score from `m`, the measure relative to the threshold: `1 − 1/(1 + m)`,
    /// 0 for a negative or unknown `m`, 1 for an infinite one.
    @inline(__always)
    mutating func scoreRelative(_ m: Double) {
        score = m > 0 ? (m.isFinite ? 1 - 1 / (1 + m) : 1) : 0
    }
}

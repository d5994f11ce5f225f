/// What made a window anomalous: the kind of misbehaviour a detector saw at its
/// highest-scoring point.
///
/// The explicit detectors each report one kind (see each ``AnomalyDetector``
/// case); the automatic detector reports whichever of its checks fired.
public enum AnomalyKind: String, Sendable, Equatable, Hashable, CaseIterable {
    /// A value far from what the recent past predicts, for a point or a few.
    case spike
    /// The series moved to a new level and stays there.
    case levelShift = "level-shift"
    /// The series' noise grew or shrank: the same level, a different spread.
    case spreadChange = "spread-change"
    /// The value repeats exactly for far longer than usual: a stuck sensor.
    case stuck
    /// No point arrived for far longer than usual: the device went quiet.
    case silence
    /// A value beyond a fixed limit (``AnomalyDetector/above(_:)`` and ``AnomalyDetector/below(_:)``).
    case outOfBounds = "out-of-bounds"
    /// A change between consecutive points faster than a limit (``AnomalyDetector/rateOfChange(perSecond:)``).
    case fastChange = "fast-change"
}

/// What the automatic detector says about one point.
struct AnomalyVerdict {
    /// How unusual the point is, in [0, 1], for every point (0 while the detector warms up).
    var score: Double
    /// How far the strongest feature reached toward its record: 1 at the record, more beyond it
    /// (``AnomalyWindow/magnitude``).
    var magnitude: Double
    /// What fired, when the point is anomalous; nil for a normal point.
    var kind: AnomalyKind?
}

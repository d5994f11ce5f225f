/// One point of a series with the score a detector gave it (see
/// ``Store/anomalyScores(device:metric:options:_:)``).
public struct AnomalyPointScore: Sendable, Equatable {
    /// The point's timestamp, in milliseconds.
    public let time: Int64
    /// The point's value (an integer series' value converted).
    public let value: Double
    /// How unusual the point is, in [0, 1], with the mapping of its detector
    /// (see ``AnomalyDetector``); 0 while the detector cannot judge yet.
    public let score: Double
    /// What fired, when the point is anomalous; nil for a normal point.
    public let kind: AnomalyKind?

    /// A point's score, as a detector gives it.
    public init(time: Int64, value: Double, score: Double, kind: AnomalyKind?) {
        self.time = time
        self.value = value
        self.score = score
        self.kind = kind
    }
}

/// The point-level judgement of the default detector, ``AnomalyDetector/automatic(_:)``,
/// over one series, in a few words of state and no heap.
///
/// This body is a stand-in, to be replaced by the online ensemble (robust
/// residual scores, level and spread change, stuck values, silence, an
/// anomaly-likelihood stage, suppression after an alert); everything around it
/// (the scanner, the window assembler, the monitor, the tests of offline and
/// online equality and of causality) depends only on the signature below. It
/// scores each point by three measures, each relative to its own threshold
/// (anomalous above 1):
/// - a robust residual: the distance from an exponentially weighted level, in
///   units of an exponentially weighted mean absolute deviation (scaled to a
///   standard deviation), over a threshold set by the sensitivity (``spike``);
/// - the gap since the previous point over ten times the weighted mean
///   interval (``silence``);
/// - the length of the current run of equal values over ten times the
///   weighted mean run length (``stuck``).
///
/// The score is `1 − 1/(1 + m)` of the largest measure `m`, so 0.5 at the
/// threshold.
struct AutomaticDetector {
    /// Residuals beyond this many deviations are spikes: 6 at sensitivity 0.5,
    /// towards 2 as the sensitivity approaches 1 and towards 10 as it approaches 0.
    private let threshold: Double
    /// Points judged so far (infinite values are not counted).
    private var count = 0
    private var level = 0.0
    /// Weighted mean absolute deviation from the level.
    private var deviation = 0.0
    private var lastTime: Int64 = 0
    private var lastValue = 0.0
    /// Weighted mean interval between points, in milliseconds; 0 until the second point.
    private var interval = 0.0
    /// Points in the current run of equal values.
    private var run = 0
    /// Weighted mean length of the runs of equal values seen so far.
    private var meanRun = 1.0

    /// Points that only teach the detector before it judges anything.
    private static let warmUp = 10
    /// Weight of a new point in every running average: about the last 20 points count.
    private static let weight = 0.05
    /// A gap or a run this many times the usual one is anomalous.
    private static let rarity = 10.0
    /// A mean absolute deviation times this is a standard deviation, for normal noise (√(π/2)).
    private static let deviationToSigma = 1.2533

    init(settings: AutomaticSettings) {
        threshold = 2 + 8 * (1 - settings.sensitivity)
    }

    /// Judges one point (time order, NaN values are skipped by the caller). Causal: uses only this and earlier points.
    mutating func observe(time: Int64, value: Double) -> AnomalyVerdict {
        // An infinite reading is anomalous, and must not poison the averages.
        guard value.isFinite else { return AnomalyVerdict(score: 1, kind: .spike) }
        defer {
            lastTime = time
            lastValue = value
            count += 1
        }
        guard count > 0 else {
            level = value
            run = 1
            return AnomalyVerdict(score: 0, kind: nil)
        }
        let warm = count >= Self.warmUp

        // Silence: the gap before this point against the usual interval, which
        // learns from gaps clipped at the anomalous size so one outage does not
        // teach it that outages are normal.
        let gap = Double(UInt64(bitPattern: time &- lastTime))
        let silence = warm && interval > 0 ? gap / (Self.rarity * interval) : 0
        interval = interval == 0 ? gap : interval + Self.weight * (min(gap, Self.rarity * interval) - interval)

        // Stuck: the run of equal values against the usual run length.
        if value == lastValue {
            run += 1
        } else {
            meanRun += Self.weight * (Double(run) - meanRun)
            run = 1
        }
        let stuck = warm ? Double(run) / (Self.rarity * max(meanRun, 1)) : 0

        // Spike: the residual in robust deviations. The floor on the scale keeps
        // a constant start from dividing by zero; residuals are clipped at the
        // threshold once warm, so an outlier moves the level and spread only a little.
        let residual = value - level
        let scale = max(deviation * Self.deviationToSigma, max(abs(level), 1) * 1e-9)
        let spike = warm ? abs(residual) / (scale * threshold) : 0
        let limit = warm ? threshold * scale : .infinity
        level += Self.weight * min(max(residual, -limit), limit)
        deviation += Self.weight * (min(abs(residual), limit) - deviation)

        let measure = max(spike, stuck, silence)
        let score = measure.isFinite ? 1 - 1 / (1 + measure) : 1
        guard measure > 1 else { return AnomalyVerdict(score: score, kind: nil) }
        let kind: AnomalyKind = silence >= max(stuck, spike) ? .silence : stuck >= spike ? .stuck : .spike
        return AnomalyVerdict(score: score, kind: kind)
    }

    /// Bytes of state this detector keeps per series (for docs/benchmarks); must be constant.
    static var stateBytes: Int { MemoryLayout<AutomaticDetector>.size }
}

/// The tuning of the default detector, ``AnomalyDetector/automatic(_:)``.
///
/// The automatic detector learns each series' range, level, spread, runs and
/// sampling from the series itself; ``standard`` is what
/// ``AnomalyOptions/init(from:to:)`` uses, and the values below were chosen on
/// the Numenta Anomaly Benchmark's labelled series by the sweep described in
/// <doc:AnomalyDetection>. Most users change only ``sensitivity``.
public struct AutomaticSettings: Sendable, Equatable {
    /// How eagerly to alert, in the open interval (0, 1). A point is anomalous
    /// when its score is above `1 − sensitivity`; the score is 0.5 where a
    /// feature reaches its recent record, so the default 0.5 alerts on records
    /// broken. Higher alerts on points that come close to a record, lower only
    /// on points well beyond one.
    public var sensitivity: Double
    /// How many observations of history the records cover at least. History is
    /// kept in twelve blocks, each closed once it holds a twelfth of this and
    /// spans a twelfth of ``historySpan``, and forgotten a block at a time.
    /// Default 12,000 (42 days of 5-minute readings, 500 days of hourly ones).
    public var historyPoints: Int
    /// How much time of history the records cover at least, in milliseconds, so
    /// that fast series remember whole days and weeks. Default 42 days
    /// (3.6 million 1-second readings).
    public var historySpan: Int64
    /// How long the detector learns a new series before it judges values,
    /// medians and spreads (stuck values and silences are judged from the start),
    /// in milliseconds: a daily cycle breaks every record on its first day. Default one day.
    public var learningSpan: Int64
    /// The shorter rolling window, in points, whose median and interquartile
    /// range are watched for level shifts and spread changes. Default 10.
    public var shortScale: Int
    /// The longer rolling window, in points. Default 20.
    public var longScale: Int
    /// How far beyond the recent range a value must go to be a spike, in units
    /// of the series' spread (its interquartile range, estimated). Default 0.6.
    public var spikeMargin: Double
    /// How far beyond its recent record a rolling interquartile range must go,
    /// in units of that range's own spread. Default 0.5.
    public var spreadMargin: Double
    /// Anomalous points at most this many points after the previous anomalous
    /// point join its window (as ``AnomalyOptions/mergeGap`` does in time), so
    /// one misbehaviour raises one alert. Default 20.
    public var holdPoints: Int

    /// The settings the automatic detector uses when none are given.
    public static let standard = AutomaticSettings()

    /// The largest rolling window the detector keeps.
    public static let maximumScale = AutomaticDetector.windowCapacity

    /// Settings with the given values; see each property for its meaning.
    public init(sensitivity: Double = 0.5, historyPoints: Int = 12_000, historySpan: Int64 = 42 * Milliseconds.day,
                learningSpan: Int64 = Milliseconds.day, shortScale: Int = 10, longScale: Int = 20,
                spikeMargin: Double = 0.6, spreadMargin: Double = 0.5, holdPoints: Int = 20) {
        self.sensitivity = sensitivity
        self.historyPoints = historyPoints
        self.historySpan = historySpan
        self.learningSpan = learningSpan
        self.shortScale = shortScale
        self.longScale = longScale
        self.spikeMargin = spikeMargin
        self.spreadMargin = spreadMargin
        self.holdPoints = holdPoints
    }

    /// Checks every field against its documented range; the detector, the scan
    /// and ``AnomalyMonitor`` refuse settings that fail it with this error.
    public func validate() throws(StrataError) {
        // Written so that NaN fails too.
        guard sensitivity > 0 && sensitivity < 1 else {
            throw StrataError(.invalidArgument, "the sensitivity must be between 0 and 1 (excluded), not \(sensitivity)")
        }
        guard historyPoints >= RecentExtremes.blockCount && historyPoints <= 1 << 40 else {
            throw StrataError(.invalidArgument, "the history must be between \(RecentExtremes.blockCount) and 2^40 points, not \(historyPoints)")
        }
        guard historySpan >= 0, learningSpan >= 0 else {
            throw StrataError(.invalidArgument, "the history span and learning span must not be negative, not \(historySpan) and \(learningSpan) ms")
        }
        guard shortScale >= 4, longScale >= 4, shortScale <= Self.maximumScale, longScale <= Self.maximumScale else {
            throw StrataError(.invalidArgument, "the rolling windows must hold 4 to \(Self.maximumScale) points, not \(shortScale) and \(longScale)")
        }
        guard spikeMargin >= 0 && spikeMargin.isFinite, spreadMargin >= 0 && spreadMargin.isFinite else {
            throw StrataError(.invalidArgument, "the spike and spread margins must be finite and not negative, not \(spikeMargin) and \(spreadMargin)")
        }
        guard holdPoints >= 1 && holdPoints <= 1 << 40 else {
            throw StrataError(.invalidArgument, "the hold must be between 1 and 2^40 points, not \(holdPoints)")
        }
    }
}

/// Where a downsampling query's buckets begin.
public enum BucketAlignment: Sendable, Equatable {
    /// Bucket starts are multiples of the step since the Unix epoch (a 1-day step starts at midnight UTC).
    case epoch
    /// Bucket starts are the query's `from` plus multiples of the step.
    case from
}

/// What a downsampling query asks for.
public struct DownsampleOptions: Sendable, Equatable {
    /// Bucket width in milliseconds; positive.
    public var step: Int64
    /// Start of the range, included. Default: everything.
    public var from: Int64 = .min
    /// End of the range, excluded; `Int64.max` (the default) means no upper bound (see <doc:TimeRanges>).
    public var to: Int64 = .max
    /// Default ``BucketAlignment/epoch``.
    public var alignment: BucketAlignment = .epoch
    /// Also return buckets without points (count 0) between the first and last
    /// bucket of the range (of the data, when the range is unbounded). Default false.
    public var includesEmptyBuckets = false
    /// Set false to decode every chunk instead of answering whole chunks from
    /// their statistics (for measurement and verification). Default true.
    public var usesChunkStatistics = true
    /// The aggregates the caller will read. The eight kept in chunk statistics
    /// (min … stddev) are always computed; ``Aggregate/percentile(_:)``,
    /// ``Aggregate/increase`` and ``Aggregate/rate`` only when listed here, and
    /// then every chunk is decoded and points are taken in time order. Exact
    /// percentiles hold one bucket's values at a time: memory grows with the
    /// largest bucket, never with the range.
    public var aggregates: [Aggregate] = []
    /// Buckets of whole days begin at local midnight in this zone instead of
    /// midnight UTC; a day with a daylight-saving change is one bucket of 23
    /// or 25 hours. The step must then be a whole number of days, and
    /// ``alignment`` ``BucketAlignment/epoch`` (days are counted from
    /// 1970-01-01 in local time, so a 7-day bucket begins on a Thursday).
    /// Default nil: UTC.
    public var timeZone: TimeZoneRules? = nil
    /// What the empty buckets hold when ``includesEmptyBuckets`` is set. Default ``BucketFill/none``.
    public var fill: BucketFill = .none
    /// The most points a slab of a merged group's ordered path holds before the
    /// next slab is made smaller (see ``Store/downsample(merging:as:options:)``).
    var groupSlabPointBudget = 4_000_000
    /// When true, of the eight aggregates chunk statistics keep, the minimum,
    /// maximum and standard deviation are computed only when ``aggregates``
    /// lists them (nil in the buckets otherwise): for a caller that reads
    /// nothing else, as the command line does. Default false.
    package var computesOnlyListedAggregates = false

    /// Buckets of `step` milliseconds over `[from, to)`, aligned to multiples of `step` since the epoch
    /// (set ``alignment`` to start them at `from`).
    public init(step: Int64, from: Int64 = .min, to: Int64 = .max) {
        self.step = step
        self.from = from
        self.to = to
    }

    /// The percentile levels asked for, in the order of ``aggregates``, without repeats.
    var percentileLevels: [Double] {
        var levels: [Double] = []
        for case .percentile(let level) in aggregates where !levels.contains(level) { levels.append(level) }
        return levels
    }

    /// What the buckets' accumulators keep (see ``computesOnlyListedAggregates``).
    var accumulatorFigures: AccumulatorFigures {
        guard computesOnlyListedAggregates else { return .all }
        var figures: AccumulatorFigures = []
        if aggregates.contains(where: { $0 == .min || $0 == .max }) { figures.insert(.extremes) }
        if aggregates.contains(.stddev) { figures.insert(.moments) }
        return figures
    }

    /// Whether the query needs every point in time order (percentiles, counters).
    var needsOrderedPoints: Bool { aggregates.contains { $0.needsOrderedPoints } }

    func validate() throws(StrataError) {
        for case .percentile(let level) in aggregates where !(level >= 0 && level <= 100) {
            throw StrataError(.invalidArgument, "a percentile's level must be between 0 and 100, not \(level)")
        }
        if case .value(let value) = fill, value.isNaN {
            throw StrataError(.invalidArgument, "the fill value must be a number, not NaN")
        }
        guard step > 0 else { throw StrataError(.invalidArgument, "the step must be positive, not \(step) ms") }
        if let timeZone {
            guard step % Milliseconds.day == 0 else {
                throw StrataError(.invalidArgument, "buckets in the time zone \(timeZone.identifier) are whole local days: the step must be a multiple of 1d, not \(step) ms")
            }
            guard alignment == .epoch else {
                throw StrataError(.invalidArgument, "buckets in a time zone begin at local midnight: they cannot be aligned to `from`")
            }
        }
        guard !TimeRangeEnd.isEmpty(from: from, to: to) else { throw StrataError(.invalidArgument, "the range is empty: from \(from) is not before to \(to)") }
        if alignment == .from && from == .min {
            throw StrataError(.invalidArgument, "buckets aligned to `from` need a `from` time")
        }
    }

    /// The most buckets a query with ``includesEmptyBuckets`` may return: 10,000,000.
    public static let maximumBucketsWithEmpty = 10_000_000

    /// The grid of bucket starts these options define.
    var grid: BucketGrid { BucketGrid(self) }

    /// The start of the bucket holding `time`; a bucket that begins before
    /// `Int64.min` is reported as starting at `Int64.min`.
    func bucketStart(_ time: Int64) -> Int64 { grid.start(of: time) }
}

/// What an empty bucket (``DownsampleOptions/includesEmptyBuckets``) holds.
///
/// Its ``Bucket/count`` stays 0 whatever the fill; the other aggregates are filled.
public enum BucketFill: Sendable, Equatable {
    /// No values: every aggregate but the count is undefined.
    case none
    /// The aggregates of the nearest earlier bucket with points; none before the first.
    case previous
    /// Each aggregate interpolated linearly, by bucket start, between the nearest
    /// buckets with points before and after; none at either end of the data.
    case linear
    /// This number for every aggregate.
    case value(Double)
}

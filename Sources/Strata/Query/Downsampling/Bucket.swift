/// One bucket of a downsampling result.
public struct Bucket: Sendable, Equatable {
    /// The bucket's first millisecond; it spans `[start, start + step)` (a local day with a time zone).
    public let start: Int64
    /// Points in the bucket, NaNs included.
    public let count: Int
    /// Points whose value is not NaN.
    public let valueCount: Int
    /// Smallest and largest value (NaN ignored); nil when the bucket has no non-NaN value.
    public let minimum: Value?
    public let maximum: Value?
    /// Sum of the non-NaN values, compensated (Neumaier) so long buckets keep their low-order bits;
    /// for an Int64 series, ``integerSum`` rounded to the nearest Double.
    public let sum: Double
    /// The exact sum of an Int64 series' values (128 bits, so no sum of Int64 values overflows);
    /// nil for a Float64 series.
    public let integerSum: Int128?
    /// nil when the bucket has no non-NaN value. For an Int64 series it is computed from
    /// ``integerSum``, so it is within a unit in the last place of the true mean.
    public let mean: Double?
    /// Population standard deviation; nil when the bucket has no non-NaN value.
    public let standardDeviation: Double?
    /// The bucket's earliest and latest value, NaN included.
    public let first: Value?
    public let last: Value?
    /// The levels of ``percentiles``: those ``DownsampleOptions/aggregates`` asked for.
    public internal(set) var percentileLevels: [Double] = []
    /// The percentiles at ``percentileLevels``; nil where the bucket has no non-NaN value.
    public internal(set) var percentiles: [AggregateValue?] = []
    /// The counter's increase (see ``Aggregate/increase``) when asked for; nil otherwise
    /// and when the bucket has no non-NaN point.
    public internal(set) var increase: AggregateValue? = nil
    /// ``increase`` per second of the bucket's width, when asked for.
    public internal(set) var rate: Double? = nil
    /// Where an empty bucket's filled values come from (``DownsampleOptions/fill``).
    var fillSource: BucketFillSource? = nil

    /// The value of `aggregate`, nil when it is undefined (the mean of a bucket of NaNs, an
    /// empty bucket without a fill, a percentile or counter aggregate not asked for).
    public func value(_ aggregate: Aggregate) -> AggregateValue? {
        if aggregate == .count { return .integer(Int128(count)) }
        if let fillSource { return fillSource.value(aggregate, at: start) }
        switch aggregate {
        case .min: return minimum.map(AggregateValue.init)
        case .max: return maximum.map(AggregateValue.init)
        case .first: return first.map(AggregateValue.init)
        case .last: return last.map(AggregateValue.init)
        case .mean: return mean.map(AggregateValue.float)
        case .stddev: return standardDeviation.map(AggregateValue.float)
        case .sum:
            guard valueCount > 0 else { return nil }
            return integerSum.map(AggregateValue.integer) ?? .float(sum)
        case .count: return .integer(Int128(count))
        case .increase: return increase
        case .rate: return rate.map(AggregateValue.float)
        case .percentile(let level):
            guard let index = percentileLevels.firstIndex(of: level) else { return nil }
            return percentiles[index]
        }
    }

    /// The aggregate as a number (min, max, first and last converted to Double), nil when undefined.
    public func number(_ aggregate: Aggregate) -> Double? {
        if fillSource != nil { return value(aggregate)?.number }
        func double(_ value: Value?) -> Double? {
            switch value {
            case .float64(let number)?: number
            case .int64(let number)?: Double(number)
            case nil: nil
            }
        }
        switch aggregate {
        case .min: return double(minimum)
        case .max: return double(maximum)
        case .mean: return mean
        case .sum: return sum
        case .count: return Double(count)
        case .first: return double(first)
        case .last: return double(last)
        case .stddev: return standardDeviation
        case .percentile, .increase, .rate: return value(aggregate)?.number
        }
    }
}

/// The buckets of one series, and how they were computed.
public struct DownsampleResult: Sendable {
    /// The series asked for.
    public let series: SeriesKey
    /// The series' value type; nil when the store does not know the series.
    public let type: ValueType?
    /// Buckets in time order; empty ones are made as they are read.
    public let buckets: DownsampleBuckets
    /// Chunks answered from their statistics without decoding.
    public let chunksFromStatistics: Int
    /// Chunks decoded point by point.
    public let chunksDecoded: Int
}

/// The values of a filled empty bucket: a constant, the previous bucket's, or
/// an interpolation between the buckets around it.
indirect enum BucketFillSource: Sendable, Equatable {
    case constant(Double)
    case previous(Bucket)
    case between(Bucket, Bucket)

    func value(_ aggregate: Aggregate, at start: Int64) -> AggregateValue? {
        switch self {
        case .constant(let number): return .float(number)
        case .previous(let bucket): return bucket.value(aggregate)
        case .between(let before, let after):
            guard let low = before.value(aggregate), let high = after.value(aggregate) else { return nil }
            if low == high { return low }
            // Fractions of the span between the two starts, in Int128 so no difference overflows.
            let fraction = Double(Int128(start) - Int128(before.start)) / Double(Int128(after.start) - Int128(before.start))
            let (a, b) = (low.number, high.number)
            let interpolated = a + (b - a) * fraction
            return .float(interpolated.isFinite || !a.isFinite || !b.isFinite ? interpolated : a * (1 - fraction) + b * fraction)
        }
    }
}

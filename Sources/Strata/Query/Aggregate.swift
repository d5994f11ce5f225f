/// A summary of the points in one bucket of a downsampling query.
///
/// NaN values count in ``count`` and may be ``first`` or ``last``; the other
/// aggregates ignore them.
public enum Aggregate: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The smallest value (exact; -0.0 orders below +0.0).
    case min
    /// The largest value (exact).
    case max
    /// The arithmetic mean: the sum divided by the number of non-NaN values
    /// (for Int64 series, from the exact sum).
    case mean
    /// The sum of the values: compensated (Neumaier) for Float64 series, exact for Int64 series.
    case sum
    /// The number of points, NaNs included.
    case count
    /// The value of the earliest point (exact).
    case first
    /// The value of the latest point (exact).
    case last
    /// The population standard deviation, √(Σ(x − mean)² / n).
    case stddev

    /// The aggregate's name, as `--agg` takes it.
    public var description: String { rawValue }
}

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

    /// Buckets of `step` milliseconds over `[from, to)`, aligned to multiples of `step` since the epoch
    /// (set ``alignment`` to start them at `from`).
    public init(step: Int64, from: Int64 = .min, to: Int64 = .max) {
        self.step = step
        self.from = from
        self.to = to
    }

    func validate() throws(StrataError) {
        guard step > 0 else { throw StrataError(.invalidArgument, "the step must be positive, not \(step) ms") }
        guard !TimeRangeEnd.isEmpty(from: from, to: to) else { throw StrataError(.invalidArgument, "the range is empty: from \(from) is not before to \(to)") }
        if alignment == .from && from == .min {
            throw StrataError(.invalidArgument, "buckets aligned to `from` need a `from` time")
        }
    }

    /// The most buckets a query with ``includesEmptyBuckets`` may return: 10,000,000.
    public static let maximumBucketsWithEmpty = 10_000_000

    /// The start of the bucket holding `time`; a bucket that begins before
    /// `Int64.min` is reported as starting at `Int64.min`.
    @inline(__always)
    func bucketStart(_ time: Int64) -> Int64 {
        Int64(clamping: exactBucketStart(time))
    }

    /// The true start of the bucket holding `time`, which may lie below `Int64.min`.
    @inline(__always)
    func exactBucketStart(_ time: Int64) -> Int128 {
        let origin = alignment == .from ? from : 0
        // Int128 keeps `time - origin` and the floor division exact for any Int64 inputs.
        let offset = Int128(time) - Int128(origin)
        var index = offset / Int128(step)
        if offset % Int128(step) < 0 { index -= 1 }
        return Int128(origin) + index * Int128(step)
    }

    /// The first millisecond after the bucket holding `time`; `Int64.max`
    /// when the bucket reaches the end of time.
    func bucketEnd(_ time: Int64) -> Int64 {
        Int64(clamping: exactBucketStart(time) + Int128(step))
    }
}

/// One bucket of a downsampling result.
public struct Bucket: Sendable, Equatable {
    /// The bucket's first millisecond; it spans `[start, start + step)`.
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

    /// The aggregate as a number (min, max, first and last converted to Double), nil when undefined.
    public func number(_ aggregate: Aggregate) -> Double? {
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

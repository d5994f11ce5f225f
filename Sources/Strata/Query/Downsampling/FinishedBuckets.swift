/// The buckets the ordered path finished, kept column by column: the
/// accumulators, the percentiles of every bucket one after another, and the
/// counters' increases and rates when asked for. A ``Bucket`` is made only
/// when one is read whole; a row of a few aggregates reads them in place
/// (``value(_:at:)``), without the per-bucket arrays and copies a `[Bucket]`
/// costs.
struct FinishedBuckets: Sendable {
    /// The percentile levels asked for: each bucket has this many percentiles.
    let levels: [Double]
    /// Whether increases and rates are kept.
    let counts: Bool
    private(set) var starts: [Int64] = []
    private var accumulators: [BucketAccumulator] = []
    /// `levels.count` a bucket, bucket after bucket.
    private var percentiles: [AggregateValue?] = []
    private var increases: [AggregateValue?] = []
    private var rates: [Double?] = []

    init(levels: [Double], counts: Bool) {
        self.levels = levels
        self.counts = counts
    }

    /// No buckets.
    static let empty = FinishedBuckets(levels: [], counts: false)

    var count: Int { starts.count }

    /// Makes room for `count` buckets.
    mutating func reserve(_ count: Int) {
        starts.reserveCapacity(count)
        accumulators.reserveCapacity(count)
        percentiles.reserveCapacity(count * levels.count)
        if counts {
            increases.reserveCapacity(count)
            rates.reserveCapacity(count)
        }
    }

    /// Appends a bucket: its start and accumulator, its percentiles appended
    /// by `percentiles` (exactly `levels.count` of them), and its increase and
    /// rate when ``counts`` is set.
    mutating func append(start: Int64, accumulator: BucketAccumulator, increase: AggregateValue?, rate: Double?,
                         percentiles appendPercentiles: (inout [AggregateValue?]) -> Void) {
        starts.append(start)
        accumulators.append(accumulator)
        let before = percentiles.count
        appendPercentiles(&percentiles)
        precondition(percentiles.count == before + levels.count, "one percentile a level")
        if counts {
            increases.append(increase)
            rates.append(rate)
        }
    }

    /// The whole bucket at `index`.
    func bucket(at index: Int) -> Bucket {
        var bucket = accumulators[index].bucket(start: starts[index])
        if !levels.isEmpty {
            bucket.percentileLevels = levels
            bucket.percentiles = Array(percentiles[index * levels.count ..< (index + 1) * levels.count])
        }
        if counts {
            bucket.increase = increases[index]
            bucket.rate = rates[index]
        }
        return bucket
    }

    /// One aggregate of the bucket at `index`, as `bucket(at: index).value(aggregate)` gives it.
    func value(_ aggregate: Aggregate, at index: Int) -> AggregateValue? {
        switch aggregate {
        case .percentile(let level):
            guard let position = levels.firstIndex(of: level) else { return nil }
            return percentiles[index * levels.count + position]
        case .increase: return counts ? increases[index] : nil
        case .rate: return counts ? rates[index].map(AggregateValue.float) : nil
        default: return accumulators[index].value(aggregate)
        }
    }
}

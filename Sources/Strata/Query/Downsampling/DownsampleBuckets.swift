/// The buckets of a downsampling result, in time order.
///
/// Only buckets holding points are stored. When empty buckets are asked for
/// (``DownsampleOptions/includesEmptyBuckets``), they are made as they are
/// read, from their position on the grid of bucket starts, and filled
/// (``DownsampleOptions/fill``) from the stored buckets around them, so
/// memory follows the buckets with points, never the length of the range.
public struct DownsampleBuckets: RandomAccessCollection, Sendable {
    /// The buckets holding points, sorted by start.
    private let filled: StoredBuckets
    /// With empty buckets: the grid and the index of the first bucket on it.
    private let grid: (grid: BucketGrid, firstIndex: Int128)?
    private let type: ValueType?
    private let fill: BucketFill
    /// Positions run from 0 to ``endIndex``.
    public let startIndex = 0
    /// The number of buckets.
    public let endIndex: Int

    /// No buckets.
    static let empty = DownsampleBuckets(stored: .finished(.empty))

    private init(stored: StoredBuckets) {
        self.filled = stored
        grid = nil
        type = nil
        fill = .none
        endIndex = filled.count
    }

    /// Every bucket from index `first` to `last` of `grid`; the caller has
    /// checked that their number fits an `Int`.
    private init(filled: StoredBuckets, grid: BucketGrid, first: Int128, last: Int128, type: ValueType, fill: BucketFill) {
        self.filled = filled
        self.grid = (grid, first)
        self.type = type
        self.fill = fill
        endIndex = Int(last - first + 1)
    }

    /// The result for `filled` buckets under `options`: with empty buckets when
    /// asked for, over the range (or, where it is unbounded, the data).
    /// - Throws: `.invalidArgument` when empty buckets would number more than
    ///   ``DownsampleOptions/maximumBucketsWithEmpty``.
    static func make(finished: FinishedBuckets, options: DownsampleOptions, type: ValueType) throws(StrataError) -> DownsampleBuckets {
        try make(stored: .finished(finished), options: options, type: type)
    }

    /// The same for buckets kept as accumulators, made into ``Bucket``s only as they are read.
    static func make(starts: [Int64], accumulators: [BucketAccumulator], options: DownsampleOptions, type: ValueType) throws(StrataError) -> DownsampleBuckets {
        try make(stored: .accumulators(starts, accumulators), options: options, type: type)
    }

    private static func make(stored filled: StoredBuckets, options: DownsampleOptions, type: ValueType) throws(StrataError) -> DownsampleBuckets {
        guard options.includesEmptyBuckets else { return DownsampleBuckets(stored: filled) }
        let grid = options.grid
        // Without a bound, the data's first or last bucket is the end of the grid.
        let first = options.from == .min ? (filled.count == 0 ? nil : grid.index(of: filled.start(at: 0))) : grid.index(of: options.from)
        let last = options.to == .max ? (filled.count == 0 ? nil : grid.index(of: filled.start(at: filled.count - 1)))
            : grid.index(of: TimeRangeEnd.lastIncluded(before: options.to))
        guard let first, let last, first <= last else { return DownsampleBuckets(stored: filled) }
        let count = last - first + 1
        guard count <= Int128(DownsampleOptions.maximumBucketsWithEmpty) else {
            throw StrataError(.invalidArgument, "\(count) buckets requested; use a larger step or a shorter range (at most \(DownsampleOptions.maximumBucketsWithEmpty) with empty buckets)")
        }
        return DownsampleBuckets(filled: filled, grid: grid, first: first, last: last, type: type, fill: options.fill)
    }

    /// How many buckets are held in memory (those with points).
    var storedBucketCount: Int { filled.count }

    /// The bucket at `position`: a stored one, or an empty one made on the spot.
    public subscript(position: Int) -> Bucket {
        guard let grid else { return filled.bucket(at: position) }
        let start = grid.grid.start(ofIndex: grid.firstIndex + Int128(position))
        var low = 0, high = filled.count
        while low < high {
            let middle = (low + high) / 2
            if filled.start(at: middle) < start { low = middle + 1 } else { high = middle }
        }
        if low < filled.count && filled.start(at: low) == start { return filled.bucket(at: low) }
        return emptyBucket(start: start, nextFilled: low)
    }

    /// The first millisecond of the bucket at `position`.
    public func start(at position: Int) -> Int64 {
        guard let grid else { return filled.start(at: position) }
        return grid.grid.start(ofIndex: grid.firstIndex + Int128(position))
    }

    /// The value of `aggregate` in the bucket at `position`, as
    /// `self[position].value(aggregate)` gives it, without making the whole
    /// ``Bucket`` where the bucket is still an accumulator: the way to read
    /// many rows of a few aggregates.
    public func value(_ aggregate: Aggregate, at position: Int) -> AggregateValue? {
        guard grid == nil else { return self[position].value(aggregate) }
        return filled.value(aggregate, at: position)
    }

    /// An empty bucket at `start`, between stored buckets `nextFilled - 1` and `nextFilled`, filled as asked.
    private func emptyBucket(start: Int64, nextFilled: Int) -> Bucket {
        var bucket = BucketAccumulator(type: type ?? .float64).bucket(start: start)
        let before = nextFilled > 0 ? filled.bucket(at: nextFilled - 1) : nil
        let after = nextFilled < filled.count ? filled.bucket(at: nextFilled) : nil
        switch fill {
        case .none: break
        case .value(let number): bucket.fillSource = .constant(number)
        case .previous: bucket.fillSource = before.map(BucketFillSource.previous)
        case .linear:
            if let before, let after { bucket.fillSource = .between(before, after) }
        }
        return bucket
    }

    /// Walks the buckets in order, stepping through the stored ones instead of searching.
    public struct Iterator: IteratorProtocol {
        private let buckets: DownsampleBuckets
        private var position = 0
        private var nextFilled = 0

        init(_ buckets: DownsampleBuckets) { self.buckets = buckets }

        /// The next bucket, nil past the last.
        public mutating func next() -> Bucket? {
            guard position < buckets.endIndex else { return nil }
            defer { position += 1 }
            guard let grid = buckets.grid else { return buckets.filled.bucket(at: position) }
            let start = grid.grid.start(ofIndex: grid.firstIndex + Int128(position))
            let filled = buckets.filled
            while nextFilled < filled.count && filled.start(at: nextFilled) < start { nextFilled += 1 }
            if nextFilled < filled.count && filled.start(at: nextFilled) == start { return filled.bucket(at: nextFilled) }
            return buckets.emptyBucket(start: start, nextFilled: nextFilled)
        }
    }

    /// An iterator over the buckets in time order.
    public func makeIterator() -> Iterator { Iterator(self) }
}

/// The buckets with points of a result: those the ordered path finished
/// (its percentiles computed as each bucket closed), or the accumulators
/// themselves; a ``Bucket`` is made from either only when it is read.
private enum StoredBuckets: Sendable {
    case finished(FinishedBuckets)
    case accumulators([Int64], [BucketAccumulator])

    var count: Int {
        switch self {
        case .finished(let buckets): buckets.count
        case .accumulators(let starts, _): starts.count
        }
    }

    @inline(__always)
    func start(at index: Int) -> Int64 {
        switch self {
        case .finished(let buckets): buckets.starts[index]
        case .accumulators(let starts, _): starts[index]
        }
    }

    @inline(__always)
    func value(_ aggregate: Aggregate, at index: Int) -> AggregateValue? {
        switch self {
        case .finished(let buckets): buckets.value(aggregate, at: index)
        case .accumulators(_, let accumulators): accumulators[index].value(aggregate)
        }
    }

    @inline(__always)
    func bucket(at index: Int) -> Bucket {
        switch self {
        case .finished(let buckets): buckets.bucket(at: index)
        case .accumulators(let starts, let accumulators): accumulators[index].bucket(start: starts[index])
        }
    }
}

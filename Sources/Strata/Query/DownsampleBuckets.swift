/// The buckets of a downsampling result, in time order.
///
/// Only buckets holding points are stored. When empty buckets are asked for
/// (``DownsampleOptions/includesEmptyBuckets``), they are made as they are
/// read, from their position on the grid of bucket starts, so memory follows
/// the buckets with points, never the length of the range.
public struct DownsampleBuckets: RandomAccessCollection, Sendable {
    /// The buckets holding points, sorted by start.
    private let filled: [Bucket]
    /// With empty buckets: the exact start of the first bucket (below
    /// `Int64.min` when a bucket straddles it) and the bucket width.
    private let grid: (first: Int128, step: Int64)?
    private let type: ValueType?
    /// Positions run from 0 to ``endIndex``.
    public let startIndex = 0
    /// The number of buckets.
    public let endIndex: Int

    /// Buckets with points only.
    init(filled: [Bucket]) {
        self.filled = filled
        grid = nil
        type = nil
        endIndex = filled.count
    }

    /// Every bucket from the one starting at `first` to the one starting at
    /// `last` (both exact starts), `step` apart; the caller has checked that
    /// their number fits an `Int`.
    init(filled: [Bucket], first: Int128, last: Int128, step: Int64, type: ValueType) {
        self.filled = filled
        grid = (first, step)
        self.type = type
        endIndex = Int((last - first) / Int128(step) + 1)
    }

    /// How many buckets are held in memory (those with points).
    var storedBucketCount: Int { filled.count }

    /// The number of buckets from exact start `first` to `last`, `step` apart.
    static func count(first: Int128, last: Int128, step: Int64) -> Int128 {
        first > last ? 0 : (last - first) / Int128(step) + 1
    }

    /// The bucket at `position`: a stored one, or an empty one made on the spot.
    public subscript(position: Int) -> Bucket {
        guard let grid, let type else { return filled[position] }
        // A bucket straddling Int64.min is reported from Int64.min, as the table reports it.
        let start = Int64(clamping: grid.first + Int128(position) * Int128(grid.step))
        var low = 0, high = filled.count
        while low < high {
            let middle = (low + high) / 2
            if filled[middle].start < start { low = middle + 1 } else { high = middle }
        }
        if low < filled.count && filled[low].start == start { return filled[low] }
        return BucketAccumulator(type: type).bucket(start: start)
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
            guard let grid = buckets.grid, let type = buckets.type else { return buckets.filled[position] }
            let start = Int64(clamping: grid.first + Int128(position) * Int128(grid.step))
            while nextFilled < buckets.filled.count && buckets.filled[nextFilled].start < start { nextFilled += 1 }
            if nextFilled < buckets.filled.count && buckets.filled[nextFilled].start == start { return buckets.filled[nextFilled] }
            return BucketAccumulator(type: type).bucket(start: start)
        }
    }

    /// An iterator over the buckets in time order.
    public func makeIterator() -> Iterator { Iterator(self) }
}

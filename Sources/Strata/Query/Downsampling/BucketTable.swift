import StrataCodecs

/// Accumulators by bucket start.
///
/// Points mostly arrive in time order (sources are streamed oldest first),
/// so buckets are kept in an array sorted by start: a new bucket past the
/// last is appended, a revisited one is found by binary search. Only a new
/// bucket that falls before the last one (overlapping sources merged at the
/// end) goes to a side dictionary, merged in when the buckets are listed.
struct BucketTable {
    let options: DownsampleOptions
    let grid: BucketGrid
    let type: ValueType
    private var starts: [Int64] = []
    private var accumulators: [BucketAccumulator] = []
    private var outOfOrder: [Int64: BucketAccumulator] = [:]
    private var currentStart = Int64.min
    private var currentEnd = Int64.min
    /// The bucket points go to: an index into `accumulators`, updated in place,
    /// or -1 for a bucket in `outOfOrder`, whose accumulator is then `detached`.
    private var currentIndex = -1
    private var detached: BucketAccumulator
    private var hasCurrent = false

    init(options: DownsampleOptions, type: ValueType) {
        self.options = options
        grid = options.grid
        self.type = type
        detached = BucketAccumulator(type: type)
    }

    @inline(__always)
    mutating func add(time: Int64, bits: UInt64) {
        if !(hasCurrent && time >= currentStart && time < currentEnd) { switchTo(grid.start(of: time)) }
        if currentIndex >= 0 { accumulators[currentIndex].add(time: time, bits: bits) } else { detached.add(time: time, bits: bits) }
    }

    /// Adds points (a decoded chunk, in time order for speed, though any
    /// order is right): each stretch inside one bucket is added as a run.
    mutating func add(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>) {
        var position = 0
        while position < times.count {
            let time = times[position]
            if !(hasCurrent && time >= currentStart && time < currentEnd) { switchTo(grid.start(of: time)) }
            var end = position + 1
            while end < times.count && times[end] >= currentStart && times[end] < currentEnd { end += 1 }
            if end == position + 1 {
                // A lone point (a bucket as wide as the series' interval): no run to set up.
                if currentIndex >= 0 { accumulators[currentIndex].add(time: time, bits: bits[position]) } else { detached.add(time: time, bits: bits[position]) }
                position = end
                continue
            }
            let runTimes = UnsafeBufferPointer(rebasing: times[position..<end])
            let runBits = UnsafeBufferPointer(rebasing: bits[position..<end])
            if currentIndex >= 0 { accumulators[currentIndex].add(times: runTimes, bits: runBits) } else { detached.add(times: runTimes, bits: runBits) }
            position = end
        }
    }

    /// Adds every point of `columns`.
    mutating func add(_ columns: SeriesColumns) {
        columns.timestamps.withUnsafeBufferPointer { times in columns.bits.withUnsafeBufferPointer { add(times: times, bits: $0) } }
    }

    /// Adds a chunk lying wholly inside one bucket; false (nothing added) when
    /// its statistics cannot answer exactly and it must be decoded instead.
    mutating func add(_ chunk: ChunkStatistics) -> Bool {
        if type == .int64 && chunk.exactIntegerSum == nil { return false }
        let start = grid.start(of: chunk.minTime)
        if !(hasCurrent && start == currentStart) { switchTo(start) }
        return currentIndex >= 0 ? accumulators[currentIndex].add(chunk) : detached.add(chunk)
    }

    private mutating func storeDetached() {
        guard hasCurrent, currentIndex < 0 else { return }
        outOfOrder[currentStart] = detached
    }

    private mutating func switchTo(_ start: Int64) {
        storeDetached()
        if currentIndex >= 0 && currentIndex + 1 < starts.count && starts[currentIndex + 1] == start {
            // The next bucket: a second series of a group walking the buckets the first one made.
            currentIndex += 1
        } else if starts.isEmpty || start > starts[starts.count - 1] {
            starts.append(start)
            accumulators.append(BucketAccumulator(type: type))
            currentIndex = starts.count - 1
        } else {
            var low = 0, high = starts.count
            while low < high {
                let middle = (low + high) / 2
                if starts[middle] < start { low = middle + 1 } else { high = middle }
            }
            if low < starts.count && starts[low] == start {
                currentIndex = low
            } else {
                currentIndex = -1
                detached = outOfOrder[start] ?? BucketAccumulator(type: type)
            }
        }
        currentStart = start
        currentEnd = grid.end(ofStart: start)
        hasCurrent = true
    }

    /// The accumulators with points, by start, sorted; the table is left empty.
    mutating func takeAccumulators() -> (starts: [Int64], accumulators: [BucketAccumulator]) {
        storeDetached()
        hasCurrent = false
        var pairs = (starts, accumulators)
        if !outOfOrder.isEmpty {
            // Only the side buckets are sorted; one pass merges them in (no start is in both).
            let extra = outOfOrder.sorted { $0.key < $1.key }
            var mergedStarts: [Int64] = [], merged: [BucketAccumulator] = []
            mergedStarts.reserveCapacity(starts.count + extra.count)
            merged.reserveCapacity(starts.count + extra.count)
            var next = 0
            for index in starts.indices {
                while next < extra.count && extra[next].key < starts[index] {
                    mergedStarts.append(extra[next].key)
                    merged.append(extra[next].value)
                    next += 1
                }
                mergedStarts.append(starts[index])
                merged.append(accumulators[index])
            }
            for (start, accumulator) in extra[next...] {
                mergedStarts.append(start)
                merged.append(accumulator)
            }
            pairs = (mergedStarts, merged)
        }
        starts = []
        accumulators = []
        outOfOrder = [:]
        return pairs
    }

    /// The buckets in time order; empty ones, when asked for, are made as
    /// the result is read (see ``DownsampleBuckets``).
    /// - Throws: `.invalidArgument` when empty buckets would number more than
    ///   ``DownsampleOptions/maximumBucketsWithEmpty``.
    mutating func buckets() throws(StrataError) -> DownsampleBuckets {
        let (starts, accumulators) = takeAccumulators()
        return try DownsampleBuckets.make(starts: starts, accumulators: accumulators, options: options, type: type)
    }
}

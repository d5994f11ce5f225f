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
    /// What each bucket keeps: all it can, unless the options say otherwise.
    let figures: AccumulatorFigures
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
    /// Set by ``reserveSpan(from:through:points:)``: `starts` then holds every
    /// bucket from `spanFirst` to `spanLast`, so a bucket there is found by
    /// its distance from the first, not searched for. Empty ones are dropped
    /// when the buckets are taken.
    private var spanFirst = Int64.max
    private var spanLast = Int64.min

    init(options: DownsampleOptions, type: ValueType) {
        self.options = options
        grid = options.grid
        self.type = type
        figures = options.accumulatorFigures
        detached = BucketAccumulator(type: type, figures: figures)
    }

    /// The most buckets a span lays out ahead: 2^18 accumulators are 46 MB.
    static let maximumSpanBuckets = 1 << 18

    /// Lays out every bucket of a fixed grid from the one holding `low` to
    /// the one holding `high` ahead of the points, when the points expected
    /// (`points`, from the index) are at least twice as many as the buckets:
    /// the members of a group then walk an array by position instead of
    /// looking each bucket up, and the table holds no more than the
    /// buckets those points could fill. Points outside the span still go in.
    mutating func reserveSpan(from low: Int64, through high: Int64, points: Int) {
        guard grid.isFixed, starts.isEmpty, outOfOrder.isEmpty, low <= high else { return }
        let first = grid.start(of: low), last = grid.start(of: high)
        guard first != .min else { return }  // a clamped first bucket is narrower than a step
        let buckets = (Int128(last) - Int128(first)) / Int128(grid.step) + 1
        guard buckets <= Int128(Self.maximumSpanBuckets), buckets * 2 <= Int128(points) else { return }
        let count = Int(buckets)
        starts.reserveCapacity(count)
        for position in 0..<count { starts.append(first + Int64(position) * grid.step) }
        accumulators = Array(repeating: BucketAccumulator(type: type, figures: figures), count: count)
        spanFirst = first
        spanLast = last
    }

    @inline(__always)
    mutating func add(time: Int64, bits: UInt64) {
        if !(hasCurrent && time >= currentStart && time < currentEnd) { switchTo(grid.start(of: time)) }
        if currentIndex >= 0 { accumulators[currentIndex].add(time: time, bits: bits) } else { detached.add(time: time, bits: bits) }
    }

    /// Adds points (a decoded chunk, in time order for speed, though any
    /// order is right): each stretch inside one bucket is added as a run.
    mutating func add(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>) {
        if spanFirst <= spanLast {
            var position = 0
            while position < times.count {
                position = addInsideSpan(times: times, bits: bits, from: position)
                guard position < times.count else { break }
                add(time: times[position], bits: bits[position])
                position += 1
            }
            return
        }
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

    /// Adds points from `start` on while they fall in the laid-out span, each
    /// bucket found by its distance from the first: the position of the first
    /// point outside the span, or the count when every one was inside.
    private mutating func addInsideSpan(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>, from start: Int) -> Int {
        // The current bucket is left as it was found: the next lookup starts afresh.
        storeDetached()
        hasCurrent = false
        let first = spanFirst, step = grid.step
        let (spanEnd, reachesEnd) = spanLast.addingReportingOverflow(step)
        let lastIncluded = reachesEnd ? Int64.max : spanEnd - 1
        return accumulators.withUnsafeMutableBufferPointer { table in
            var position = start
            while position < times.count {
                let time = times[position]
                guard time >= first && time <= lastIncluded else { return position }
                let index = Int((time &- first) / step)
                let bucketStart = first &+ Int64(index) &* step
                let (bucketEnd, atEnd) = bucketStart.addingReportingOverflow(step)
                let bucketLast = atEnd ? Int64.max : bucketEnd - 1
                var end = position + 1
                while end < times.count && times[end] >= bucketStart && times[end] <= bucketLast { end += 1 }
                if end == position + 1 {
                    table[index].add(time: time, bits: bits[position])
                } else {
                    table[index].add(times: UnsafeBufferPointer(rebasing: times[position..<end]), bits: UnsafeBufferPointer(rebasing: bits[position..<end]))
                }
                position = end
            }
            return position
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
        if start >= spanFirst && start <= spanLast {
            currentIndex = Int((start - spanFirst) / grid.step)
        } else if currentIndex >= 0 && currentIndex + 1 < starts.count && starts[currentIndex + 1] == start {
            // The next bucket: a second series of a group walking the buckets the first one made.
            currentIndex += 1
        } else if starts.isEmpty || start > starts[starts.count - 1] {
            starts.append(start)
            accumulators.append(BucketAccumulator(type: type, figures: figures))
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
                detached = outOfOrder[start] ?? BucketAccumulator(type: type, figures: figures)
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
        if spanFirst <= spanLast {
            // A laid-out span keeps only the buckets points reached.
            var kept = 0
            for index in starts.indices where accumulators[index].count > 0 {
                starts[kept] = starts[index]
                accumulators[kept] = accumulators[index]
                kept += 1
            }
            starts.removeLast(starts.count - kept)
            accumulators.removeLast(accumulators.count - kept)
            (spanFirst, spanLast) = (.max, .min)
        }
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

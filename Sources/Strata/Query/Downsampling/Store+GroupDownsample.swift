extension Store {
    /// Summarizes several series as one, in buckets of `options.step`
    /// milliseconds: "the hourly mean of all pumps".
    ///
    /// Each bucket summarizes the points of every series in it, as if they
    /// were one series: the count adds up, the minimum is the smallest of any
    /// series, a percentile ranks all their values together, and an
    /// ``Aggregate/increase`` is the sum of each counter's own increase (a
    /// reset in one series is that series' reset). ``Bucket/first`` and
    /// ``Bucket/last`` go by time; at equal times the series listed first
    /// gives the first value and the one listed last the last value.
    ///
    /// A group of Int64 series is exact as one series is. When Int64 and
    /// Float64 series are mixed, the group is Float64 and each Int64 value
    /// counts as the nearest Double (exact below 2^53).
    ///
    /// The classic aggregates are merged from each series' buckets, so chunks
    /// inside a bucket are still answered from their statistics. Percentiles
    /// and counters stream every series' points into slabs of consecutive
    /// buckets, the slab sized so it holds a few million values: memory grows
    /// with the largest bucket, never with the range or the number of series.
    ///
    /// - Parameters:
    ///   - series: the series to merge; those the store does not know are skipped.
    ///   - label: the key the result reports (for example the device pattern and `*`).
    /// - Returns: one result; its `type` is nil when no series is known.
    public func downsample(merging series: [SeriesKey], as label: SeriesKey, options: DownsampleOptions) throws(StrataError) -> DownsampleResult {
        try options.validate()
        let started = monotonicNanoseconds()
        defer { metrics.queryDuration.recordNanoseconds(monotonicNanoseconds() - started) }
        let known: [(SeriesKey, ValueType)] = state.withLock { state in
            series.compactMap { key in state.knownType(of: key).map { (key, $0) } }
        }
        guard !known.isEmpty else {
            return DownsampleResult(series: label, type: nil, buckets: DownsampleBuckets(filled: []), chunksFromStatistics: 0, chunksDecoded: 0)
        }
        let type: ValueType = known.allSatisfy { $0.1 == .int64 } ? .int64 : .float64
        if options.needsOrderedPoints { return try orderedGroupDownsample(known, as: label, type: type, options: options) }

        if known.allSatisfy({ $0.1 == type }) {
            // One type: every member's points go into one table, bucket by bucket, as if one series.
            var table = BucketTable(options: options, type: type)
            var fromStatistics = 0, decoded = 0
            for (key, _) in known {
                guard let (statistics, decodedChunks) = try addStatistics(of: key, to: &table) else { continue }
                fromStatistics += statistics
                decoded += decodedChunks
            }
            return DownsampleResult(series: label, type: type, buckets: try table.buckets(), chunksFromStatistics: fromStatistics, chunksDecoded: decoded)
        }
        // Mixed Int64 and Float64: each member's buckets become Float64 and are folded by position
        // while the grid allows it (see DenseGroupBuckets), else merged as sorted lists.
        var dense: DenseGroupBuckets? = options.timeZone == nil ? DenseGroupBuckets(step: options.step) : nil
        var starts: [Int64] = [], accumulators: [BucketAccumulator] = []
        var fromStatistics = 0, decoded = 0
        for (key, _) in known {
            guard let (found, statistics, decodedChunks) = try statisticsTable(key, options: options) else { continue }
            var table = found
            fromStatistics += statistics
            decoded += decodedChunks
            var (seriesStarts, seriesAccumulators) = table.takeAccumulators()
            if type == .float64 && table.type == .int64 { seriesAccumulators = seriesAccumulators.map { $0.asFloat64() } }
            if var group = dense {
                dense = nil  // no copy of the slots while they are updated
                var folded = 0
                while folded < seriesStarts.count && group.add(start: seriesStarts[folded], seriesAccumulators[folded]) { folded += 1 }
                if folded == seriesStarts.count {
                    dense = group
                    continue
                }
                // Declined part-way: the group so far becomes a sorted list, and so does the rest of this member.
                (starts, accumulators) = group.sorted()
                seriesStarts.removeFirst(folded)
                seriesAccumulators.removeFirst(folded)
            }
            (starts, accumulators) = Self.merge(starts, accumulators, with: seriesStarts, seriesAccumulators)
        }
        if let dense { (starts, accumulators) = dense.sorted() }
        return DownsampleResult(series: label, type: type, buckets: try DownsampleBuckets.make(starts: starts, accumulators: accumulators, options: options, type: type),
                                chunksFromStatistics: fromStatistics, chunksDecoded: decoded)
    }

    /// The union of two bucket lists sorted by start, merging the accumulators of equal starts.
    private static func merge(_ starts: [Int64], _ accumulators: [BucketAccumulator],
                              with otherStarts: [Int64], _ others: [BucketAccumulator]) -> ([Int64], [BucketAccumulator]) {
        if starts.isEmpty { return (otherStarts, others) }
        var mergedStarts: [Int64] = [], merged: [BucketAccumulator] = []
        mergedStarts.reserveCapacity(max(starts.count, otherStarts.count))
        merged.reserveCapacity(max(starts.count, otherStarts.count))
        var left = 0, right = 0
        while left < starts.count || right < otherStarts.count {
            if right == otherStarts.count || (left < starts.count && starts[left] < otherStarts[right]) {
                mergedStarts.append(starts[left])
                merged.append(accumulators[left])
                left += 1
            } else if left == starts.count || otherStarts[right] < starts[left] {
                mergedStarts.append(otherStarts[right])
                merged.append(others[right])
                right += 1
            } else {
                var combined = accumulators[left]
                combined.merge(others[right])
                mergedStarts.append(starts[left])
                merged.append(combined)
                left += 1
                right += 1
            }
        }
        return (mergedStarts, merged)
    }

    /// A group through the ordered path: slab after slab of consecutive
    /// buckets, every series streamed into the slab in turn, each series'
    /// counter state carried from slab to slab.
    private func orderedGroupDownsample(_ known: [(SeriesKey, ValueType)], as label: SeriesKey, type: ValueType,
                                        options: DownsampleOptions) throws(StrataError) -> DownsampleResult {
        // The group's time span in the range, from the index: slabs cover only where points are.
        var low = Int64.max, high = Int64.min
        for (key, _) in known {
            guard let (_, sources) = try sources(of: key, from: options.from, to: options.to) else { continue }
            for source in sources {
                low = min(low, max(source.first, options.from))
                high = max(high, min(source.last, TimeRangeEnd.lastIncluded(before: options.to)))
            }
        }
        var table = OrderedBucketTable(options: options, type: type)
        var trackers = known.map { CounterTracker(type: type == .float64 && $0.1 == .int64 ? .float64 : $0.1) }
        var decoded = 0
        if low <= high {
            let grid = table.grid
            var index = grid.index(of: low)
            let lastIndex = grid.index(of: high)
            var width: Int128 = 1
            while index <= lastIndex {
                var count = min(width, lastIndex - index + 1)
                // A slab ending at the end of time takes the rest: `to: Int64.max` means no bound.
                if grid.start(ofIndex: index + count) == .max { count = lastIndex - index + 1 }
                table.beginWindow(first: index, last: index + count - 1)
                let slabFrom = max(options.from, grid.start(ofIndex: index))
                let slabTo = min(options.to, grid.start(ofIndex: index + count))
                for (position, (key, seriesType)) in known.enumerated() {
                    table.beginSeries(seriesType, tracker: trackers[position])
                    decoded += try scan(device: key.device, metric: key.metric, from: slabFrom, to: slabTo, into: &table)?.decodedChunks ?? 0
                    trackers[position] = table.seriesTracker
                }
                let points = table.openPointCount
                table.finishWindow()
                index += count
                // Grow the slab while it is small, shrink it when one held too much.
                if points < options.groupSlabPointBudget / 2 && width < Int128(Int64.max) { width *= 2 }
                else if points > options.groupSlabPointBudget && width > 1 { width /= 2 }
            }
        }
        return DownsampleResult(series: label, type: type, buckets: try DownsampleBuckets.make(filled: table.takeBuckets(), options: options, type: type),
                                chunksFromStatistics: 0, chunksDecoded: decoded)
    }
}

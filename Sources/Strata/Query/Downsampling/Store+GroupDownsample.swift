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
    /// For the classic aggregates every series' points go into one table of
    /// buckets, as one series' would, so chunks inside a bucket are still
    /// answered from their statistics (an Int64 series of a mixed group is
    /// decoded). Percentiles
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
            return DownsampleResult(series: label, type: nil, buckets: .empty, chunksFromStatistics: 0, chunksDecoded: 0)
        }
        let type: ValueType = known.allSatisfy { $0.1 == .int64 } ? .int64 : .float64
        if options.needsOrderedPoints { return try orderedGroupDownsample(known, as: label, type: type, options: options) }

        // Every member's points go into one table, bucket by bucket, as if one series.
        var table = BucketTable(options: options, type: type)
        var listed: [(SeriesKey, ValueType, [ScanSource])] = []
        listed.reserveCapacity(known.count)
        var span = SourceSpan()
        for ((key, _), found) in zip(known, try sources(of: known.map(\.0), from: options.from, to: options.to)) {
            guard let (seriesType, sources) = found else { continue }
            listed.append((key, seriesType, sources))
            span.add(sources, options: options)
        }
        table.reserveSpan(from: span.low, through: span.high, points: span.points)
        var fromStatistics = 0, decoded = 0
        for (key, seriesType, sources) in listed {
            let (statistics, decodedChunks) = try addStatistics(of: key, type: seriesType, sources: sources, to: &table)
            fromStatistics += statistics
            decoded += decodedChunks
        }
        return DownsampleResult(series: label, type: type, buckets: try table.buckets(), chunksFromStatistics: fromStatistics, chunksDecoded: decoded)
    }

    /// A group through the ordered path: slab after slab of consecutive
    /// buckets, every series streamed into the slab in turn, each series'
    /// counter state carried from slab to slab.
    private func orderedGroupDownsample(_ known: [(SeriesKey, ValueType)], as label: SeriesKey, type: ValueType,
                                        options: DownsampleOptions) throws(StrataError) -> DownsampleResult {
        // The group's time span in the range, from the index: slabs cover only where points are.
        var span = SourceSpan()
        for found in try sources(of: known.map(\.0), from: options.from, to: options.to) {
            guard let (_, sources) = found else { continue }
            span.add(sources, options: options)
        }
        let (low, high) = (span.low, span.high)
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
        return DownsampleResult(series: label, type: type, buckets: try DownsampleBuckets.make(finished: table.takeBuckets(), options: options, type: type),
                                chunksFromStatistics: 0, chunksDecoded: decoded)
    }
}

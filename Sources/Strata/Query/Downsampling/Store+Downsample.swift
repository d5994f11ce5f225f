extension Store {
    /// Summarizes one series in buckets of `options.step` milliseconds over
    /// `[options.from, options.to)`.
    ///
    /// A chunk that lies wholly inside one bucket, and whose time span no other
    /// segment or the head touches (so none of its points can have been
    /// overwritten), is answered from the statistics in the segment index
    /// without decoding. Everything else is decoded and merged (newer writes
    /// win) point by point. An Int64 chunk whose stored Double sum may have
    /// been rounded (see ``ChunkStatistics/exactIntegerSum``) is decoded too,
    /// so Int64 sums (``Bucket/integerSum``) are exact.
    ///
    /// - Complexity: O(chunks + decoded points); a segment that overlaps no
    ///   other source is streamed a chunk at a time, so memory stays bounded by
    ///   the number of buckets.
    public func downsample(device: String, metric: String, options: DownsampleOptions) throws(StrataError) -> DownsampleResult {
        try options.validate()
        let started = monotonicNanoseconds()
        defer { metrics.queryDuration.recordNanoseconds(monotonicNanoseconds() - started) }
        let key = SeriesKey(device: device, metric: metric)
        if options.needsOrderedPoints { return try orderedDownsample(key, options: options) }
        guard let (found, fromStatistics, decoded) = try statisticsTable(key, options: options) else {
            return DownsampleResult(series: key, type: nil, buckets: .empty, chunksFromStatistics: 0, chunksDecoded: 0)
        }
        var table = found
        return DownsampleResult(series: key, type: table.type, buckets: try table.buckets(), chunksFromStatistics: fromStatistics, chunksDecoded: decoded)
    }

    /// One series' bucket table, whole chunks inside a bucket answered from
    /// their statistics; nil when the store does not know the series.
    func statisticsTable(_ key: SeriesKey, options: DownsampleOptions) throws(StrataError) -> (BucketTable, Int, Int)? {
        guard let (type, sources) = try sources(of: key, from: options.from, to: options.to) else { return nil }
        var table = BucketTable(options: options, type: type)
        let (fromStatistics, decoded) = try add(sources, of: type, to: &table)
        return (table, fromStatistics, decoded)
    }

    /// Adds one series' points to `table`, whole chunks inside a bucket from
    /// their statistics: the counts of chunks answered from statistics and
    /// decoded, or nil when the store does not know the series. The members
    /// of a group share a table; an Int64 series added to a Float64 table (a
    /// group mixing the two) counts each value as the nearest Double, and is
    /// decoded whole, since its chunks' statistics are Int64 ones.
    /// - Throws: `.typeMismatch` when a Float64 series meets an Int64 table
    ///   (deleted and written again with the other type since the group was listed).
    func addStatistics(of key: SeriesKey, to table: inout BucketTable) throws(StrataError) -> (Int, Int)? {
        guard let (type, sources) = try sources(of: key, from: table.options.from, to: table.options.to) else { return nil }
        return try addStatistics(of: key, type: type, sources: sources, to: &table)
    }

    /// The same for sources already listed.
    func addStatistics(of key: SeriesKey, type: ValueType, sources: [ScanSource], to table: inout BucketTable) throws(StrataError) -> (Int, Int) {
        guard type == table.type || (type == .int64 && table.type == .float64) else {
            throw StrataError(.typeMismatch, "\(key.device)/\(key.metric) changed type from \(table.type) to \(type) while the query ran; run it again")
        }
        return try add(sources, of: type, to: &table)
    }

    /// `columns` of an Int64 series with each value as the bits of the nearest Double.
    private static func integersAsFloats(_ columns: SeriesColumns) -> SeriesColumns {
        SeriesColumns(timestamps: columns.timestamps, bits: columns.bits.map(BucketAccumulator.floatBits(ofInteger:)))
    }

    private func add(_ sources: [ScanSource], of type: ValueType, to table: inout BucketTable) throws(StrataError) -> (Int, Int) {
        let options = table.options
        let converts = type != table.type

        func overlapsAnotherSource(_ index: Int, _ low: Int64, _ high: Int64) -> Bool {
            sources.indices.contains { $0 != index && sources[$0].first <= high && low <= sources[$0].last }
        }

        var fromStatistics = 0, decoded = 0
        var overlapping: [SeriesColumns] = []  // oldest first, merged at the end
        var timestamps: [Int64] = [], bits: [UInt64] = []
        let lastIncluded = TimeRangeEnd.lastIncluded(before: options.to)
        for index in sources.indices {
            let source = sources[index]
            let isolated = !overlapsAnotherSource(index, source.first, source.last)
            guard let segment = source.segment else {
                let columns = converts ? Self.integersAsFloats(source.columns) : source.columns
                if isolated {
                    table.add(columns)
                } else {
                    overlapping.append(columns)
                }
                continue
            }
            var pending = SeriesColumns()
            for chunk in source.chunks {
                if options.usesChunkStatistics, !converts, let statistics = chunk.statistics,
                   source.hidden.isEmpty || !source.hidden.touches(chunk.time.minTime, chunk.time.maxTime),
                   chunk.time.minTime >= options.from, options.to == .max || chunk.time.maxTime < options.to,
                   table.grid.start(of: chunk.time.minTime) == table.grid.start(of: chunk.time.maxTime),
                   !overlapsAnotherSource(index, chunk.time.minTime, chunk.time.maxTime),
                   table.add(statistics) {  // false for an Int64 chunk whose stored sum may be rounded
                    fromStatistics += 1
                    continue
                }
                try segment.decode(chunk, type: type, timestamps: &timestamps, bits: &bits)
                decoded += 1
                if converts {
                    for position in bits.indices { bits[position] = BucketAccumulator.floatBits(ofInteger: bits[position]) }
                }
                if isolated && chunk.time.minTime >= options.from && chunk.time.maxTime <= lastIncluded
                    && (source.hidden.isEmpty || !source.hidden.touches(chunk.time.minTime, chunk.time.maxTime)) {
                    // Every point counts: the chunk goes in a bucket's run at a time.
                    timestamps.withUnsafeBufferPointer { times in bits.withUnsafeBufferPointer { table.add(times: times, bits: $0) } }
                    continue
                }
                for position in 0..<timestamps.count {
                    let time = timestamps[position]
                    guard time >= options.from && time <= lastIncluded else { continue }
                    if !source.hidden.isEmpty && source.hidden.hides(time) { continue }
                    if isolated {
                        table.add(time: time, bits: bits[position])
                    } else {
                        pending.timestamps.append(time)
                        pending.bits.append(bits[position])
                    }
                }
            }
            if !isolated { overlapping.append(pending) }
        }
        table.add(SeriesColumns.merging(overlapping))
        return (fromStatistics, decoded)
    }

    /// One series through the ordered path (percentiles, counters): its points
    /// streamed in time order into a table that keeps one bucket open.
    private func orderedDownsample(_ key: SeriesKey, options: DownsampleOptions) throws(StrataError) -> DownsampleResult {
        guard let type = state.withLock({ $0.knownType(of: key) }) else {
            return DownsampleResult(series: key, type: nil, buckets: .empty, chunksFromStatistics: 0, chunksDecoded: 0)
        }
        var table = OrderedBucketTable(options: options, type: type)
        if let (_, sources) = try sources(of: key, from: options.from, to: options.to) {
            // Room for the buckets the points can reach, so finished buckets are not copied as the list grows.
            var span = SourceSpan()
            span.add(sources, options: options)
            if span.low <= span.high {
                table.reserveBuckets(min(Int(clamping: table.grid.index(of: span.high) - table.grid.index(of: span.low) + 1), span.points))
            }
        }
        table.beginSeries(type, tracker: CounterTracker(type: type))
        let decoded = try scan(device: key.device, metric: key.metric, from: options.from, to: options.to, into: &table)?.decodedChunks ?? 0
        return DownsampleResult(series: key, type: type, buckets: try DownsampleBuckets.make(finished: table.takeBuckets(), options: options, type: type),
                                chunksFromStatistics: 0, chunksDecoded: decoded)
    }
}

/// Where a series' or a group's points lie in a query's range, from the
/// index alone: the earliest and latest time its sources reach in the range
/// (`low > high` when none does) and an upper bound of its points.
struct SourceSpan {
    private(set) var low = Int64.max
    private(set) var high = Int64.min
    private(set) var points = 0

    mutating func add(_ sources: [ScanSource], options: DownsampleOptions) {
        let lastIncluded = TimeRangeEnd.lastIncluded(before: options.to)
        for source in sources {
            low = min(low, max(source.first, options.from))
            high = max(high, min(source.last, lastIncluded))
            points += source.segment == nil ? source.columns.timestamps.count : source.chunks.reduce(0) { $0 + $1.time.count }
        }
    }
}

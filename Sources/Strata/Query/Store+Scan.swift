/// One place a series' points in a range come from: a segment (its chunks in
/// range) or a head (its sorted points in range), with the time span they cover.
struct ScanSource {
    /// Position among the sources, oldest first: in a merge, newer wins.
    var order: Int
    var segment: SegmentFile?
    var chunks: [SeriesChunk] = []
    var columns = SeriesColumns()
    var first: Int64
    var last: Int64
}

extension Store {
    /// The sources holding `key` in `[start, end)`, oldest first, and the
    /// series' type; nil when the store does not know the series.
    func sources(of key: SeriesKey, from start: Int64, to end: Int64) throws(StrataError) -> (ValueType, [ScanSource])? {
        let (segments, heads, knownType) = state.withLock { state in
            (state.segments, (state.flushing + [state.head]).compactMap { $0.snapshot(of: key) }, state.catalog[key])
        }
        guard let type = knownType else { return nil }
        var sources: [ScanSource] = []
        for segment in segments {
            // A segment holding the series with the other type cannot be merged (see query).
            guard let (storedType, chunks) = segment.chunks(device: key.device, metric: key.metric, from: start, to: end),
                  storedType == type, let first = chunks.first, let last = chunks.last else { continue }
            sources.append(ScanSource(order: sources.count, segment: segment, chunks: chunks, first: first.time.minTime, last: last.time.maxTime))
        }
        for head in heads {
            let columns = head.sortedColumns().slice(from: start, to: end)
            guard let first = columns.timestamps.first, let last = columns.timestamps.last else { continue }
            sources.append(ScanSource(order: sources.count, columns: columns, first: first, last: last))
        }
        return (type, sources)
    }
}

/// Receives the points of a series in time order.
protocol PointConsumer {
    mutating func consume(time: Int64, bits: UInt64)
}

extension Store {
    /// Streams the points of one series in `[start, end)` to `consumer` in
    /// time order, newer writes winning, without holding the whole range in
    /// memory.
    ///
    /// Sources (segments and the head) are grouped into clusters of
    /// overlapping time spans. A source that overlaps no other is streamed a
    /// chunk at a time; only the sources of an overlapping cluster (late data)
    /// are merged in memory, one cluster at a time.
    /// - Returns: the series' type, or nil when the store does not know it.
    func scan<Consumer: PointConsumer>(device: String, metric: String, from start: Int64, to end: Int64, into consumer: inout Consumer) throws(StrataError) -> ValueType? {
        guard let (type, found) = try sources(of: SeriesKey(device: device, metric: metric), from: start, to: end) else { return nil }
        var sources = found
        sources.sort { $0.first < $1.first }

        var timestamps: [Int64] = [], bits: [UInt64] = []
        func materialize(_ source: ScanSource) throws(StrataError) -> SeriesColumns {
            guard let segment = source.segment else { return source.columns }
            var columns = SeriesColumns()
            for chunk in source.chunks {
                try segment.decode(chunk, type: type, timestamps: &timestamps, bits: &bits)
                for position in 0..<timestamps.count where timestamps[position] >= start && timestamps[position] < end {
                    columns.timestamps.append(timestamps[position])
                    columns.bits.append(bits[position])
                }
            }
            return columns
        }

        var index = 0
        while index < sources.count {
            // Grow the cluster while the next source starts before the cluster ends.
            var clusterEnd = sources[index].last
            var next = index + 1
            while next < sources.count && sources[next].first <= clusterEnd {
                clusterEnd = max(clusterEnd, sources[next].last)
                next += 1
            }
            if next == index + 1 {
                let source = sources[index]
                if let segment = source.segment {
                    for chunk in source.chunks {
                        try segment.decode(chunk, type: type, timestamps: &timestamps, bits: &bits)
                        for position in 0..<timestamps.count where timestamps[position] >= start && timestamps[position] < end {
                            consumer.consume(time: timestamps[position], bits: bits[position])
                        }
                    }
                } else {
                    for position in 0..<source.columns.count {
                        consumer.consume(time: source.columns.timestamps[position], bits: source.columns.bits[position])
                    }
                }
            } else {
                let cluster = sources[index..<next].sorted { $0.order < $1.order }
                var parts: [SeriesColumns] = []
                for source in cluster { parts.append(try materialize(source)) }
                let merged = SeriesColumns.merging(parts)
                for position in 0..<merged.count {
                    consumer.consume(time: merged.timestamps[position], bits: merged.bits[position])
                }
            }
            index = next
        }
        return type
    }
}

extension Store {
    /// The first and last timestamps of a series, from segment indexes and the
    /// head, without decoding; nil when the series has no point.
    public func timeRange(device: String, metric: String) throws(StrataError) -> ClosedRange<Int64>? {
        guard let (_, sources) = try sources(of: SeriesKey(device: device, metric: metric), from: .min, to: .max),
              let first = sources.map(\.first).min(), let last = sources.map(\.last).max() else { return nil }
        return first...last
    }
}

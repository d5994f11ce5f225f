extension Store {
    /// The points of one series with timestamps in `[start, end)`, sorted by
    /// time, merged from every segment and the head (newer writes win).
    ///
    /// - Complexity: O(chunks overlapping the range + points returned);
    ///   chunks outside the range are skipped using the index alone.
    public func query(device: String, metric: String, from start: Int64 = .min, to end: Int64 = .max) throws(StrataError) -> SeriesPoints {
        let started = monotonicNanoseconds()
        defer { metrics.queryDuration.recordNanoseconds(monotonicNanoseconds() - started) }
        let key = SeriesKey(device: device, metric: metric)
        guard let (type, found) = try sources(of: key, from: start, to: end) else {
            return SeriesPoints(series: key, type: nil, columns: SeriesColumns())
        }
        var sources: [SeriesColumns] = []
        for source in found {
            if let segment = source.segment {
                let columns = try segment.read(source.chunks, type: type, from: start, to: end)
                sources.append(source.hidden.isEmpty ? columns : source.hidden.filter(columns))
            } else {
                sources.append(source.columns)
            }
        }
        return SeriesPoints(series: key, type: type, columns: SeriesColumns.merging(sources))
    }
}

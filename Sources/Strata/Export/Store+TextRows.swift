extension Store {
    /// Writes every point of each series of `layouts` in `[start, end)` as
    /// lines of text (see ``TextRowLayout``), series after series in the
    /// order given, each in time order: the CSV and JSON Lines exports.
    ///
    /// Series are read and formatted on `threads` threads (default: one per
    /// processor) and handed to `write` on the calling thread, in order: one
    /// call per series with its whole text (empty for a series with no point
    /// in range) and its row count. At most a few series are held formatted
    /// ahead of the one being written, so memory stays bounded by a few series'
    /// text, never the whole export.
    ///
    /// The first error in series order is thrown: a series that cannot be read
    /// (its ``StrataError``) after the series before it are written, or an
    /// error of `write`; no series after it is handed to `write`.
    public func writeTextRows(
        _ layouts: [TextRowLayout], from start: Int64 = .min, to end: Int64 = .max, threads: Int? = nil,
        _ write: (_ series: Int, _ text: UnsafeRawBufferPointer, _ rows: Int) throws -> Void
    ) throws {
        let workers = max(1, threads ?? ParallelWork.processorCount)
        let spare = Locked<[TextBuffer]>([])
        try OrderedParallelWork.run(count: layouts.count, workers: workers, lookahead: 2 * workers, produce: { index in
            let layout = layouts[index]
            let buffer = spare.withLock { $0.popLast() } ?? TextBuffer(capacity: 1 << 20)
            buffer.removeAll()
            return Result { () throws(StrataError) in
                let points = try self.query(device: layout.series.device, metric: layout.series.metric, from: start, to: end)
                layout.append(points, to: buffer)
                return FormattedSeries(text: buffer, rows: points.count)
            }
        }, deliver: { (index, formatted: Result<FormattedSeries, StrataError>) throws in
            let series = try formatted.get()
            try write(index, series.text.bytes, series.rows)
            // Kept for a later series: no page faults on fresh memory each time.
            spare.withLock { $0.append(series.text) }
        })
    }
}

/// One series' rows as text, and how many rows.
private struct FormattedSeries: Sendable {
    let text: TextBuffer
    let rows: Int
}

/// The in-memory part of a store: points appended since the last flush.
///
/// Series live in an array and are found through a dictionary once per
/// series per batch, so appending a batch costs one hash lookup per series,
/// not per point.
struct Head: Sendable {
    private(set) var series: [HeadSeries] = []
    private var slots: [SeriesKey: Int] = [:]
    private(set) var pointCount = 0

    var isEmpty: Bool { pointCount == 0 }

    func slot(of key: SeriesKey) -> Int? { slots[key] }

    /// The slot of `key`, created with `type` when new.
    mutating func slot(for key: SeriesKey, type: ValueType) -> Int {
        if let slot = slots[key] { return slot }
        series.append(HeadSeries(key: key, type: type))
        slots[key] = series.count - 1
        return series.count - 1
    }

    @inline(__always)
    mutating func append(slot: Int, timestamp: Int64, bits: UInt64) {
        series[slot].append(timestamp: timestamp, bits: bits)
        pointCount += 1
    }

    mutating func reserve(slot: Int, _ additional: Int) {
        series[slot].reserve(additional)
    }

    /// The series' unflushed points, as a copy-on-write snapshot: cheap to take
    /// under the store's lock; sort it (``HeadSeries/sortedColumns()``) after
    /// the lock is released so appends never wait for a query's sort.
    func snapshot(of key: SeriesKey) -> HeadSeries? {
        guard let slot = slots[key] else { return nil }
        return series[slot]
    }
}

/// The time ranges of one source that deletions or retention hide from
/// queries: points there are still on disk until compaction drops them.
struct HiddenRanges: Sendable {
    /// Half-open `[from, to)` ranges; `to == Int64.max` reaches the end of time
    /// (a point at `Int64.max` included).
    private(set) var ranges: [(from: Int64, to: Int64)] = []

    var isEmpty: Bool { ranges.isEmpty }

    mutating func add(from: Int64, to: Int64) {
        guard to == .max || from < to else { return }
        ranges.append((from, to))
    }

    private static func contains(_ range: (from: Int64, to: Int64), _ time: Int64) -> Bool {
        time >= range.from && (range.to == .max || time < range.to)
    }

    /// True when `time` is hidden.
    func hides(_ time: Int64) -> Bool {
        for range in ranges where Self.contains(range, time) { return true }
        return false
    }

    /// True when every time in `[low, high]` is hidden by one range (enough
    /// for whole chunks and segments; gaps between ranges are not merged).
    func hidesAll(_ low: Int64, _ high: Int64) -> Bool {
        ranges.contains { Self.contains($0, low) && Self.contains($0, high) }
    }

    /// True when some time in `[low, high]` is hidden.
    func touches(_ low: Int64, _ high: Int64) -> Bool {
        ranges.contains { $0.from <= high && ($0.to == .max || $0.to > low) }
    }

    /// `columns` without its hidden points.
    func filter(_ columns: SeriesColumns) -> SeriesColumns {
        guard let first = columns.timestamps.first, let last = columns.timestamps.last, touches(first, last) else { return columns }
        var kept = SeriesColumns()
        kept.timestamps.reserveCapacity(columns.count)
        kept.bits.reserveCapacity(columns.count)
        for index in 0..<columns.count where !hides(columns.timestamps[index]) {
            kept.timestamps.append(columns.timestamps[index])
            kept.bits.append(columns.bits[index])
        }
        return kept
    }
}

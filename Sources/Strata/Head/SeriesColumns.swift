/// The points of one series, sorted by timestamp with one value per
/// timestamp: the form in which data moves between the head, segments and
/// query results. Values are kept as 64-bit patterns so both value types
/// share one path and floats stay bit-exact.
struct SeriesColumns: Sendable {
    var timestamps: [Int64]
    var bits: [UInt64]

    init(timestamps: [Int64] = [], bits: [UInt64] = []) {
        self.timestamps = timestamps
        self.bits = bits
    }

    var count: Int { timestamps.count }
    var isEmpty: Bool { timestamps.isEmpty }

    /// The index of the first timestamp ≥ `time`.
    func lowerBound(_ time: Int64) -> Int {
        var low = 0, high = timestamps.count
        while low < high {
            let middle = (low + high) / 2
            if timestamps[middle] < time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The points with timestamps in `[start, end)`.
    func slice(from start: Int64, to end: Int64) -> SeriesColumns {
        let lower = lowerBound(start)
        let upper = end == .max ? count : lowerBound(end)
        if lower == 0 && upper == count { return self }
        guard lower < upper else { return SeriesColumns() }
        return SeriesColumns(timestamps: Array(timestamps[lower..<upper]), bits: Array(bits[lower..<upper]))
    }

    /// Merges sources given oldest first in one pass (a k-way merge); for a
    /// timestamp present in several, the newest source's value wins.
    ///
    /// A binary heap picks the source with the smallest next timestamp (the
    /// newest on ties); that source's points below every other source's next
    /// timestamp are then copied as one run. Sources that do not overlap (data
    /// that arrived in order) thus cost O(k log k) plus the copy, and
    /// overlapping ones O(n log k).
    static func merging(_ sources: [SeriesColumns]) -> SeriesColumns {
        let sources = sources.filter { !$0.isEmpty }
        guard sources.count > 1 else { return sources.first ?? SeriesColumns() }
        let total = sources.reduce(0) { $0 + $1.count }
        var result = SeriesColumns()
        result.timestamps.reserveCapacity(total)
        result.bits.reserveCapacity(total)

        var cursors = [Int](repeating: 0, count: sources.count)
        var heap = MergeHeap(capacity: sources.count)
        for source in sources.indices { heap.push(source, time: sources[source].timestamps[0]) }

        while let (source, time) = heap.pop() {
            let columns = sources[source]
            result.timestamps.append(time)
            result.bits.append(columns.bits[cursors[source]])
            cursors[source] += 1
            // Older sources holding the same timestamp lose it.
            while let (other, otherTime) = heap.peek(), otherTime == time {
                heap.removeTop()
                cursors[other] += 1
                if cursors[other] < sources[other].count { heap.push(other, time: sources[other].timestamps[cursors[other]]) }
            }
            // Copy the run of this source that lies below every other source's next point.
            let limit = heap.peek()?.time
            let start = cursors[source]
            var end = columns.count
            if let limit {
                var low = start, high = columns.count
                while low < high {
                    let middle = (low + high) / 2
                    if columns.timestamps[middle] < limit { low = middle + 1 } else { high = middle }
                }
                end = low
            }
            if end > start {
                result.timestamps.append(contentsOf: columns.timestamps[start..<end])
                result.bits.append(contentsOf: columns.bits[start..<end])
                cursors[source] = end
            }
            if cursors[source] < columns.count { heap.push(source, time: columns.timestamps[cursors[source]]) }
        }
        return result
    }
}

/// A binary min-heap of (source, next timestamp), ordered by timestamp and,
/// on ties, newest source (highest index) first.
private struct MergeHeap {
    private var entries: [(source: Int, time: Int64)] = []

    init(capacity: Int) { entries.reserveCapacity(capacity) }

    private static func precedes(_ a: (source: Int, time: Int64), _ b: (source: Int, time: Int64)) -> Bool {
        a.time != b.time ? a.time < b.time : a.source > b.source
    }

    func peek() -> (source: Int, time: Int64)? { entries.first }

    mutating func push(_ source: Int, time: Int64) {
        entries.append((source, time))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (source: Int, time: Int64)? {
        guard let top = entries.first else { return nil }
        removeTop()
        return top
    }

    mutating func removeTop() {
        let last = entries.removeLast()
        guard !entries.isEmpty else { return }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < entries.count && Self.precedes(entries[left], entries[best]) { best = left }
            if right < entries.count && Self.precedes(entries[right], entries[best]) { best = right }
            if best == parent { return }
            entries.swapAt(parent, best)
            parent = best
        }
    }
}

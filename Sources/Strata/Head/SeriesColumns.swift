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
    /// Sources are few (the segments holding the series, plus the head), so
    /// the smallest next timestamp is found by a linear scan of the cursors.
    /// Sources that do not overlap (the usual case: data arriving in order)
    /// are simply concatenated.
    static func merging(_ sources: [SeriesColumns]) -> SeriesColumns {
        let sources = sources.filter { !$0.isEmpty }
        guard sources.count > 1 else { return sources.first ?? SeriesColumns() }
        let total = sources.reduce(0) { $0 + $1.count }
        var result = SeriesColumns()
        result.timestamps.reserveCapacity(total)
        result.bits.reserveCapacity(total)

        // In order and disjoint: concatenate.
        let ordered = sources.sorted { $0.timestamps[0] < $1.timestamps[0] }
        if zip(ordered, ordered.dropFirst()).allSatisfy({ $0.timestamps.last! < $1.timestamps[0] }) {
            for source in ordered {
                result.timestamps.append(contentsOf: source.timestamps)
                result.bits.append(contentsOf: source.bits)
            }
            return result
        }

        var cursors = [Int](repeating: 0, count: sources.count)
        while true {
            var smallest = Int64.max
            var winner = -1
            // Scanning oldest to newest with `<=` makes the newest source win a tie.
            for source in sources.indices where cursors[source] < sources[source].count {
                let time = sources[source].timestamps[cursors[source]]
                if time <= smallest {
                    smallest = time
                    winner = source
                }
            }
            guard winner >= 0 else { break }
            result.timestamps.append(smallest)
            result.bits.append(sources[winner].bits[cursors[winner]])
            // Every source positioned at this timestamp moves past it.
            for source in sources.indices where cursors[source] < sources[source].count
                && sources[source].timestamps[cursors[source]] == smallest {
                cursors[source] += 1
            }
        }
        return result
    }
}

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

    /// Merges `newer` into `self`; where both hold a timestamp, `newer`'s value wins.
    func merged(with newer: SeriesColumns) -> SeriesColumns {
        if newer.isEmpty { return self }
        if isEmpty { return newer }
        if timestamps.last! < newer.timestamps.first! {
            return SeriesColumns(timestamps: timestamps + newer.timestamps, bits: bits + newer.bits)
        }
        var result = SeriesColumns()
        result.timestamps.reserveCapacity(count + newer.count)
        result.bits.reserveCapacity(count + newer.count)
        var i = 0, j = 0
        while i < count && j < newer.count {
            let a = timestamps[i], b = newer.timestamps[j]
            if a < b {
                result.timestamps.append(a); result.bits.append(bits[i]); i += 1
            } else {
                if a == b { i += 1 }
                result.timestamps.append(b); result.bits.append(newer.bits[j]); j += 1
            }
        }
        result.timestamps.append(contentsOf: timestamps[i...]); result.bits.append(contentsOf: bits[i...])
        result.timestamps.append(contentsOf: newer.timestamps[j...]); result.bits.append(contentsOf: newer.bits[j...])
        return result
    }

    /// Merges sources given oldest first; for a timestamp present in several,
    /// the newest source's value wins.
    static func merging(_ sources: [SeriesColumns]) -> SeriesColumns {
        var nonEmpty = sources.filter { !$0.isEmpty }
        guard var result = nonEmpty.first else { return SeriesColumns() }
        nonEmpty.removeFirst()
        for source in nonEmpty { result = result.merged(with: source) }
        return result
    }
}

/// The unflushed points of one series, copied out of a ``Head`` in write order.
struct HeadSeries: Sendable {
    let key: SeriesKey
    let type: ValueType
    let timestamps: [Int64]
    let bits: [UInt64]
    /// True while every timestamp is greater than the one before: then the
    /// columns are already in their final form and need no sort.
    let isStrictlyIncreasing: Bool

    var count: Int { timestamps.count }

    /// The points sorted by time; of several writes to one timestamp, the last.
    func sortedColumns() -> SeriesColumns {
        if isStrictlyIncreasing { return SeriesColumns(timestamps: timestamps, bits: bits) }
        // Sorting positions by (timestamp, position) keeps write order among equal
        // timestamps, so the last of each run of equals is the last write.
        var order = Array(0..<timestamps.count)
        timestamps.withUnsafeBufferPointer { time in
            order.sort { time[$0] != time[$1] ? time[$0] < time[$1] : $0 < $1 }
        }
        var result = SeriesColumns()
        result.timestamps.reserveCapacity(order.count)
        result.bits.reserveCapacity(order.count)
        for (position, index) in order.enumerated() {
            let time = timestamps[index]
            if position + 1 < order.count, timestamps[order[position + 1]] == time { continue }
            result.timestamps.append(time)
            result.bits.append(bits[index])
        }
        return result
    }
}

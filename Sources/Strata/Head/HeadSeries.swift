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
        var result = SeriesColumns(timestamps: timestamps, bits: bits)
        let kept = result.timestamps.withUnsafeMutableBufferPointer { times in
            result.bits.withUnsafeMutableBufferPointer { values in LastWriteSort.sort(times: times, bits: values) }
        }
        result.timestamps.removeLast(result.timestamps.count - kept)
        result.bits.removeLast(result.bits.count - kept)
        return result
    }
}

/// Puts one series' points, given in write order, in time order, keeping of
/// several writes to one timestamp the last: last-write-wins, as the head,
/// its flush and a bulk load all apply it.
enum LastWriteSort {
    /// Sorts `times` and `bits` together in place and moves the kept points to
    /// the front; returns how many are kept.
    static func sort(times: UnsafeMutableBufferPointer<Int64>, bits: UnsafeMutableBufferPointer<UInt64>) -> Int {
        let count = times.count
        precondition(bits.count == count, "LastWriteSort: columns of unequal lengths")
        guard count > 1 else { return count }
        let originalTimes = Array(times)
        let originalBits = Array(bits)
        // Sorting positions by (timestamp, position) keeps write order among equal
        // timestamps, so the last of each run of equals is the last write.
        var order = Array(0..<count)
        originalTimes.withUnsafeBufferPointer { time in
            order.sort { time[$0] != time[$1] ? time[$0] < time[$1] : $0 < $1 }
        }
        var kept = 0
        for (position, index) in order.enumerated() {
            let time = originalTimes[index]
            if position + 1 < count, originalTimes[order[position + 1]] == time { continue }
            times[kept] = time
            bits[kept] = originalBits[index]
            kept += 1
        }
        return kept
    }
}

/// The points of a trailing time window: running sums for the z-score, and a
/// sorted copy of the values for the robust score.
struct TrailingWindow {
    private var times: [Int64] = []
    private var values: [Double] = []
    private var head = 0
    private var sorted: [Double] = []
    /// Sums are kept of `value - shift`, with the shift near the window's mean, so
    /// the variance does not lose its digits to cancellation (values like 1013.2 ± 0.1).
    private var shift = 0.0
    private var sum = 0.0
    private var sumOfSquares = 0.0
    /// Points added since the sums were last rebuilt from scratch (to stop rounding drift).
    private var sinceRebuild = 0

    var count: Int { times.count - head }

    mutating func insert(time: Int64, value: Double, keepsOrder: Bool) {
        if count == 0 && sinceRebuild == 0 { shift = value }
        times.append(time)
        values.append(value)
        let shifted = value - shift
        sum += shifted
        sumOfSquares += shifted * shifted
        sinceRebuild += 1
        if keepsOrder { sorted.insert(value, at: insertionIndex(value)) }
    }

    mutating func evict(before limit: Int64) {
        while head < times.count && times[head] < limit {
            let value = values[head]
            let shifted = value - shift
            sum -= shifted
            sumOfSquares -= shifted * shifted
            if !sorted.isEmpty { sorted.remove(at: insertionIndex(value, first: true)) }
            head += 1
        }
        // Compact the arrays now and then so memory follows the window, not the range.
        if head > 4096 && head * 2 > times.count {
            times.removeFirst(head)
            values.removeFirst(head)
            head = 0
        }
        if sinceRebuild > 10_000 && count > 0 {
            // Rebuild from scratch around the current mean: no drift, and a fresh shift.
            shift = values[head...].reduce(0, +) / Double(count)
            sum = 0; sumOfSquares = 0
            for value in values[head...] { let shifted = value - shift; sum += shifted; sumOfSquares += shifted * shifted }
            sinceRebuild = 1
        }
    }

    func zScore(of value: Double) -> Double? {
        let n = Double(count)
        let mean = sum / n
        let variance = max(0, sumOfSquares / n - mean * mean)
        guard variance > 0, !value.isNaN else { return nil }
        return (value - shift - mean) / variance.squareRoot()
    }

    func robustScore(of value: Double) -> Double? {
        guard !sorted.isEmpty, !value.isNaN else { return nil }
        func quantile(_ q: Double) -> Double {
            let position = q * Double(sorted.count - 1)
            let low = Int(position), high = min(low + 1, sorted.count - 1)
            return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
        }
        let spread = (quantile(0.75) - quantile(0.25)) / 1.349
        guard spread > 0 else { return nil }
        return (value - quantile(0.5)) / spread
    }

    /// Binary search in `sorted`: the first index whose value is ≥ `value` (with `first`, the first equal one).
    private func insertionIndex(_ value: Double, first: Bool = false) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

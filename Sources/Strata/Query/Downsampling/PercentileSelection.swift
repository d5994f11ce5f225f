/// Exact percentiles of one bucket's values, by selection instead of sorting.
///
/// Values are kept as order-preserving keys: an unsigned integer whose
/// natural order is the values' order (for doubles the sign bit flipped on
/// positives and every bit flipped on negatives, which also puts -0.0 before
/// +0.0; for Int64 the sign bit flipped). Each level's two closest ranks are
/// found by quickselect (Hoare's FIND, CACM 1961) in expected linear time,
/// falling back to a full sort when partitioning goes badly (Musser's
/// introselect, 1997), so a bucket costs O(n · levels) at worst O(n log n).
enum PercentileSelection {
    /// The order-preserving key of a non-NaN value's bits.
    @inline(__always)
    static func key(bits: UInt64, type: ValueType) -> UInt64 {
        switch type {
        case .int64: return bits ^ (1 << 63)
        case .float64: return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
        }
    }

    /// The value bits of a key.
    @inline(__always)
    static func bits(key: UInt64, type: ValueType) -> UInt64 {
        switch type {
        case .int64: return key ^ (1 << 63)
        case .float64: return key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key
        }
    }

    /// The percentiles at `levels` (each 0 … 100) of the values whose keys fill
    /// `keys`, which is reordered; nil for every level when `keys` is empty.
    static func percentiles(of keys: UnsafeMutableBufferPointer<UInt64>, levels: [Double], type: ValueType) -> [AggregateValue?] {
        var result: [AggregateValue?] = []
        result.reserveCapacity(levels.count)
        appendPercentiles(of: keys, levels: levels, type: type, to: &result)
        return result
    }

    /// The same, appended to `result`.
    static func appendPercentiles(of keys: UnsafeMutableBufferPointer<UInt64>, levels: [Double], type: ValueType, to result: inout [AggregateValue?]) {
        for level in levels { result.append(percentile(level, of: keys, type: type)) }
    }

    /// The percentile at `level` of the values whose keys fill `keys` (reordered); nil when there are none.
    private static func percentile(_ level: Double, of keys: UnsafeMutableBufferPointer<UInt64>, type: ValueType) -> AggregateValue? {
        guard !keys.isEmpty else { return nil }
        let rank = Double(keys.count - 1) * level / 100
        let lowRank = min(Int(rank.rounded(.down)), keys.count - 1)
        let fraction = rank - Double(lowRank)
        if let (low, high) = ranksNearEnd(lowRank, in: keys) {
            guard fraction > 0, lowRank + 1 < keys.count else { return value(low, type: type) }
            return interpolate(low, high, fraction: fraction, type: type)
        }
        let low = select(lowRank, in: keys)
        guard fraction > 0, lowRank + 1 < keys.count else { return value(low, type: type) }
        // After selection every key past lowRank is at least keys[lowRank]: the next rank is their minimum.
        var high = keys[lowRank + 1]
        for index in (lowRank + 2)..<keys.count where keys[index] < high { high = keys[index] }
        return interpolate(low, high, fraction: fraction, type: type)
    }

    private static func value(_ key: UInt64, type: ValueType) -> AggregateValue {
        let bits = bits(key: key, type: type)
        return type == .int64 ? .integer(Int128(Int64(bitPattern: bits))) : .float(Double(bitPattern: bits))
    }

    /// `low + (high − low) · fraction`, with the difference taken exactly for
    /// integers, and without overflowing for doubles far apart.
    static func interpolate(_ lowKey: UInt64, _ highKey: UInt64, fraction: Double, type: ValueType) -> AggregateValue {
        if lowKey == highKey { return value(lowKey, type: type) }
        switch type {
        case .int64:
            let low = Int64(bitPattern: bits(key: lowKey, type: type)), high = Int64(bitPattern: bits(key: highKey, type: type))
            return .float(Double(low) + Double(Int128(high) - Int128(low)) * fraction)
        case .float64:
            let low = Double(bitPattern: bits(key: lowKey, type: type)), high = Double(bitPattern: bits(key: highKey, type: type))
            // Between an infinity and anything else the limit is the infinity.
            if low == -.infinity { return .float(low) }
            if high == .infinity { return .float(high) }
            let result = low + (high - low) * fraction
            return .float(result.isFinite ? result : low * (1 - fraction) + high * fraction)
        }
    }

    /// Moves the key of rank `rank` (0-based, in ascending order) to
    /// `keys[rank]`, smaller or equal keys before it and greater or equal
    /// after, and returns it.
    static func select(_ rank: Int, in keys: UnsafeMutableBufferPointer<UInt64>) -> UInt64 {
        var low = 0, high = keys.count - 1
        // Each partition should shrink the range by a good fraction; past this many, sort instead.
        var budget = 2 * (Int.bitWidth - keys.count.leadingZeroBitCount) + 8
        while high - low > 16 {
            if budget == 0 {
                var range = UnsafeMutableBufferPointer(rebasing: keys[low...high])
                range.sort()
                return keys[rank]
            }
            budget -= 1
            let pivot = high - low > 256 ? sampledPivot(keys, low, high, rank) : medianOfThree(keys, low, high)
            let (lessEnd, greaterStart) = partition(keys, low, high, around: pivot)
            if rank < lessEnd { high = lessEnd - 1 } else if rank >= greaterStart { low = greaterStart } else { return keys[rank] }
        }
        // Insertion sort finishes a short range.
        if low < high {
            for index in (low + 1)...high {
                let key = keys[index]
                var position = index
                while position > low && keys[position - 1] > key {
                    keys[position] = keys[position - 1]
                    position -= 1
                }
                keys[position] = key
            }
        }
        return keys[rank]
    }

    /// The most keys ``ranksNearEnd(_:in:)`` keeps aside.
    static let nearEndKeys = 8

    /// The keys of ranks `rank` and `rank + 1` (the second equal to the first
    /// when `rank` is the last) when both lie among the ``nearEndKeys``
    /// smallest or largest keys, found in one pass that keeps those few
    /// aside; `keys` is left as it was. Nil when the ranks are further in.
    /// A high or low percentile of a small bucket (the p95 of a day of
    /// hourly readings is ranks 21 and 22 of 24) costs one comparison a key
    /// instead of partitions that branch unpredictably.
    static func ranksNearEnd(_ rank: Int, in keys: UnsafeMutableBufferPointer<UInt64>) -> (UInt64, UInt64)? {
        let fromTop = keys.count - rank
        if fromTop <= nearEndKeys {
            // The `fromTop` largest keys are the smallest of the keys inverted, largest first.
            let kept = smallest(fromTop, of: UnsafeBufferPointer(keys), inverted: true)
            return (~kept[fromTop - 1], ~kept[max(fromTop - 2, 0)])
        }
        let fromBottom = rank + 2
        guard fromBottom <= nearEndKeys else { return nil }
        // fromTop > nearEndKeys: there are that many keys.
        let kept = smallest(fromBottom, of: UnsafeBufferPointer(keys), inverted: false)
        return (kept[rank], kept[rank + 1])
    }

    /// The `count` (at most ``nearEndKeys``) smallest of `keys`, or of the keys
    /// with every bit flipped, in ascending order, by insertion into a short
    /// sorted list.
    private static func smallest(_ count: Int, of keys: UnsafeBufferPointer<UInt64>, inverted: Bool) -> InlineArray<8, UInt64> {
        var kept = InlineArray<8, UInt64>(repeating: 0)
        var held = 0
        for stored in keys {
            let key = inverted ? ~stored : stored
            var position: Int
            if held < count {
                position = held
                held += 1
            } else if key < kept[count - 1] {
                position = count - 1
            } else {
                continue
            }
            while position > 0 && kept[position - 1] > key {
                kept[position] = kept[position - 1]
                position -= 1
            }
            kept[position] = key
        }
        return kept
    }

    private static func medianOfThree(_ keys: UnsafeMutableBufferPointer<UInt64>, _ low: Int, _ high: Int) -> UInt64 {
        let (a, b, c) = (keys[low], keys[low + (high - low) / 2], keys[high])
        return max(min(a, b), min(max(a, b), c))
    }

    /// A pivot near the wanted rank: 31 keys sampled evenly from the range,
    /// sorted, and the one at the rank's relative position taken, so one
    /// partition leaves the rank in a small part (the idea of Floyd and
    /// Rivest's SELECT, CACM 1975, with a fixed sample).
    private static func sampledPivot(_ keys: UnsafeMutableBufferPointer<UInt64>, _ low: Int, _ high: Int, _ rank: Int) -> UInt64 {
        var sample = InlineArray<31, UInt64>(repeating: 0)
        let stride = (high - low) / 30
        for index in 0..<31 {
            let key = keys[low + index * stride]
            var position = index
            while position > 0 && sample[position - 1] > key {
                sample[position] = sample[position - 1]
                position -= 1
            }
            sample[position] = key
        }
        let at = Int((Double(rank - low) / Double(high - low) * 30).rounded())
        return sample[min(max(at, 0), 30)]
    }

    /// Three-way partition of `keys[low...high]` around `pivot`, one of its keys
    /// (Dijkstra's Dutch national flag): returns where the keys equal to the
    /// pivot begin and end, so runs of equal values cannot make it quadratic.
    private static func partition(_ keys: UnsafeMutableBufferPointer<UInt64>, _ low: Int, _ high: Int, around pivot: UInt64) -> (Int, Int) {
        var lessEnd = low, index = low, greaterStart = high + 1
        while index < greaterStart {
            let key = keys[index]
            if key < pivot {
                keys.swapAt(lessEnd, index)
                lessEnd += 1
                index += 1
            } else if key > pivot {
                greaterStart -= 1
                keys.swapAt(index, greaterStart)
            } else {
                index += 1
            }
        }
        return (lessEnd, greaterStart)
    }
}

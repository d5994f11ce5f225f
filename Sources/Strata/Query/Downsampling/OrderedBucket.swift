import StrataCodecs

/// One bucket filled by points in time order, keeping what chunk statistics
/// cannot: the values (as ``PercentileSelection`` keys) when percentiles are
/// asked for, and a counter's increase.
struct OrderedBucket {
    var accumulator: BucketAccumulator
    /// Keys of the non-NaN values; empty unless percentiles are asked for.
    var keys: [UInt64] = []
    var integerIncrease: Int128 = 0
    var floatIncrease = CompensatedSum()

    init(type: ValueType) { accumulator = BucketAccumulator(type: type) }

    /// Adds a point; `rise` is its counter increase from the series' previous point.
    @inline(__always)
    mutating func add(time: Int64, bits: UInt64, keepsValue: Bool, rise: CounterRise) {
        switch rise {
        case .none: break
        case .integer(let amount): integerIncrease += amount
        case .float(let amount): floatIncrease.add(amount)
        }
        guard keepsValue else {
            accumulator.add(time: time, bits: bits)
            return
        }
        // The values' statistics come from the keys when the bucket is finished.
        accumulator.addTime(time: time, bits: bits)
        if !(accumulator.type == .float64 && Double(bitPattern: bits).isNaN) {
            keys.append(PercentileSelection.key(bits: bits, type: accumulator.type))
        }
    }

    /// Adds a run of points no counter needs: as many calls to
    /// ``add(time:bits:keepsValue:rise:)`` with no rise would.
    mutating func add(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>, keepsValues: Bool) {
        guard keepsValues else {
            accumulator.add(times: times, bits: bits)
            return
        }
        accumulator.addTimes(times: times, bits: bits)
        let type = accumulator.type
        let before = keys.count
        keys.append(contentsOf: repeatElement(0, count: bits.count))
        let kept = keys.withUnsafeMutableBufferPointer { keys in
            var next = before
            for valueBits in bits where !(type == .float64 && Double(bitPattern: valueBits).isNaN) {
                keys[next] = PercentileSelection.key(bits: valueBits, type: type)
                next += 1
            }
            return next
        }
        keys.removeLast(keys.count - kept)
    }

    /// Appends the finished bucket to `finished`: the eight classic
    /// aggregates, the percentiles at its levels and, when it counts, the
    /// increase and rate.
    mutating func finish(start: Int64, seconds: Double, into finished: inout FinishedBuckets) {
        let levels = finished.levels
        if !levels.isEmpty { keys.withUnsafeBufferPointer { accumulator.addValues(keys: $0) } }
        var increase: AggregateValue? = nil, rate: Double? = nil
        if finished.counts && accumulator.valueCount > 0 {
            let rise: AggregateValue = accumulator.type == .int64 ? .integer(integerIncrease) : .float(floatIncrease.total)
            increase = rise
            rate = rise.number / seconds
        }
        let type = accumulator.type
        finished.append(start: start, accumulator: accumulator, increase: increase, rate: rate) { percentiles in
            keys.withUnsafeMutableBufferPointer { PercentileSelection.appendPercentiles(of: $0, levels: levels, type: type, to: &percentiles) }
        }
    }

    /// Empties the bucket for reuse, keeping the keys' storage.
    mutating func reset() {
        accumulator = BucketAccumulator(type: accumulator.type)
        keys.removeAll(keepingCapacity: true)
        integerIncrease = 0
        floatIncrease = CompensatedSum()
    }
}

/// A point's rise from its series' previous point, for ``Aggregate/increase``.
enum CounterRise {
    /// The point is NaN: it neither counts nor rises.
    case none
    case integer(Int128)
    case float(Double)
}

/// The previous non-NaN value of one series, to measure each point's rise.
///
/// A drop is a counter reset (the process restarted, the counter began again
/// at zero), as Prometheus reads it: the rise is then the new value itself.
/// The series' first point rises by 0.
struct CounterTracker {
    let type: ValueType
    private var previous: UInt64 = 0
    private var hasPrevious = false

    init(type: ValueType) { self.type = type }

    /// The rise of the next point; `.none` for a NaN, which is skipped.
    @inline(__always)
    mutating func rise(bits: UInt64) -> CounterRise {
        let first = !hasPrevious
        let before = previous
        switch type {
        case .int64:
            previous = bits
            hasPrevious = true
            if first { return .integer(0) }
            let value = Int64(bitPattern: bits), old = Int64(bitPattern: before)
            return .integer(value >= old ? Int128(value) - Int128(old) : Int128(value))
        case .float64:
            let value = Double(bitPattern: bits)
            // A NaN is no reading: the next point rises from the one before it.
            if value.isNaN { return .none }
            previous = bits
            hasPrevious = true
            if first { return .float(0) }
            let old = Double(bitPattern: before)
            return .float(value >= old ? value - old : value)
        }
    }
}

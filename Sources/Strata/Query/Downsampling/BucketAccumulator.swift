import StrataCodecs

/// Running aggregates of one bucket. Points and whole-chunk statistics can be
/// added in any order: first and last go by timestamp, and variances combine
/// with Chan, Golub and LeVeque's pairwise update.
///
/// Points are summed shifted by the first point's value (Σ(x − s) and
/// Σ(x − s)², the "assumed mean" form, stable because s is one of the
/// values) rather than through Welford's update, whose division per point
/// was the largest cost of decoding a chunk into buckets; the pending sums
/// are folded into the mean and squared deviations whenever statistics are
/// combined or read.
struct BucketAccumulator {
    private(set) var type: ValueType
    /// The figures kept beyond count, first, last and sum (see ``AccumulatorFigures``).
    private(set) var figures: AccumulatorFigures
    var count = 0
    var valueCount = 0
    /// The sum of a Float64 series.
    var sum = CompensatedSum()
    /// The sum of an Int64 series, exact: 128 bits hold the sum of 2^64 values of any Int64 size.
    var integerSum: Int128 = 0
    /// Mean and sum of squared deviations of the non-NaN values folded so far
    /// (chunks, merged buckets, and points once folded).
    var mean = 0.0
    var m2 = 0.0
    /// Points added since the last fold, their shift (the first one's value),
    /// and the sums of their shifted values and of its squares.
    var pendingCount = 0
    var shift = 0.0
    var shiftedSum = 0.0
    var shiftedSquares = 0.0
    var minimumBits: UInt64 = 0
    var maximumBits: UInt64 = 0
    var firstTime = Int64.max
    var firstBits: UInt64 = 0
    var lastTime = Int64.min
    var lastBits: UInt64 = 0

    init(type: ValueType, figures: AccumulatorFigures = .all) {
        self.type = type
        self.figures = figures
    }

    @inline(__always)
    mutating func add(time: Int64, bits: UInt64) {
        count += 1
        // The first point always sets `first`: a lone point at Int64.max is not below the initial firstTime.
        if count == 1 || time < firstTime { firstTime = time; firstBits = bits }
        if time >= lastTime { lastTime = time; lastBits = bits }
        let value: Double
        switch type {
        case .float64:
            value = Double(bitPattern: bits)
            if value.isNaN { return }
            if valueCount == 0 || Self.floatPrecedes(value, Double(bitPattern: minimumBits)) { minimumBits = bits }
            if valueCount == 0 || Self.floatPrecedes(Double(bitPattern: maximumBits), value) { maximumBits = bits }
            sum.add(value)
        case .int64:
            let integer = Int64(bitPattern: bits)
            value = Double(integer)
            if valueCount == 0 || integer < Int64(bitPattern: minimumBits) { minimumBits = bits }
            if valueCount == 0 || integer > Int64(bitPattern: maximumBits) { maximumBits = bits }
            // Cannot wrap: |sum| < count × 2^63 < 2^127 for any Int count; &+= skips the overflow check.
            integerSum &+= Int128(integer)
        }
        valueCount += 1
        if pendingCount == 0 { shift = value }
        let shifted = value - shift
        shiftedSum += shifted
        shiftedSquares += shifted * shifted
        pendingCount += 1
    }

    /// Adds a run of points, the same figures as adding them one by one in
    /// order: the run's running figures stay in registers instead of going
    /// back to the accumulator after every point.
    mutating func add(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>) {
        guard !times.isEmpty else { return }
        addTimes(times: times, bits: bits)
        // Each combination a loop of its own, the figures not kept left out of it.
        let extremes = figures.contains(.extremes), moments = figures.contains(.moments)
        switch (type, extremes, moments) {
        case (.float64, true, true): addFloatValues(bits, extremes: true, moments: true)
        case (.float64, true, false): addFloatValues(bits, extremes: true, moments: false)
        case (.float64, false, true): addFloatValues(bits, extremes: false, moments: true)
        case (.float64, false, false): addFloatValues(bits, extremes: false, moments: false)
        case (.int64, _, _): addIntegerValues(bits)
        }
    }

    /// The count, first and last of a run of points, as ``addTime(time:bits:)``
    /// for each would give them; the values are added apart.
    mutating func addTimes(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>) {
        guard !times.isEmpty else { return }
        var firstTime = self.firstTime, firstBits = self.firstBits
        var lastTime = self.lastTime, lastBits = self.lastBits
        // The first point always sets `first` (see add(time:bits:)).
        if count == 0 { firstTime = times[0]; firstBits = bits[0] }
        for index in times.indices {
            let time = times[index]
            if time < firstTime { firstTime = time; firstBits = bits[index] }
            if time >= lastTime { lastTime = time; lastBits = bits[index] }
        }
        (self.firstTime, self.firstBits, self.lastTime, self.lastBits) = (firstTime, firstBits, lastTime, lastBits)
        count += times.count
    }

    @inline(__always)
    private mutating func addFloatValues(_ bits: UnsafeBufferPointer<UInt64>, extremes: Bool, moments: Bool) {
        var minimumBits = self.minimumBits, maximumBits = self.maximumBits
        var minimum = Double(bitPattern: minimumBits), maximum = Double(bitPattern: maximumBits)
        var sum = self.sum
        var shift = self.shift, shiftedSum = self.shiftedSum, shiftedSquares = self.shiftedSquares
        var pending = pendingCount, added = 0
        var hasValue = valueCount > 0
        for valueBits in bits {
            let value = Double(bitPattern: valueBits)
            if value.isNaN { continue }
            if extremes {
                if !hasValue || Self.floatPrecedes(value, minimum) { minimum = value; minimumBits = valueBits }
                if !hasValue || Self.floatPrecedes(maximum, value) { maximum = value; maximumBits = valueBits }
                hasValue = true
            }
            sum.add(value)
            if moments {
                if pending == 0 { shift = value }
                let shifted = value - shift
                shiftedSum += shifted
                shiftedSquares += shifted * shifted
                pending += 1
            }
            added += 1
        }
        (self.minimumBits, self.maximumBits, self.sum) = (minimumBits, maximumBits, sum)
        (self.shift, self.shiftedSum, self.shiftedSquares, pendingCount) = (shift, shiftedSum, shiftedSquares, pending)
        valueCount += added
    }

    private mutating func addIntegerValues(_ bits: UnsafeBufferPointer<UInt64>) {
        var minimum = Int64(bitPattern: minimumBits), maximum = Int64(bitPattern: maximumBits)
        var integerSum = self.integerSum
        var shift = self.shift, shiftedSum = self.shiftedSum, shiftedSquares = self.shiftedSquares
        var pending = pendingCount
        var hasValue = valueCount > 0
        for valueBits in bits {
            let integer = Int64(bitPattern: valueBits)
            if !hasValue || integer < minimum { minimum = integer }
            if !hasValue || integer > maximum { maximum = integer }
            hasValue = true
            // Cannot wrap: |sum| < count × 2^63 < 2^127 for any Int count.
            integerSum &+= Int128(integer)
            let value = Double(integer)
            if pending == 0 { shift = value }
            let shifted = value - shift
            shiftedSum += shifted
            shiftedSquares += shifted * shifted
            pending += 1
        }
        (minimumBits, maximumBits, self.integerSum) = (UInt64(bitPattern: minimum), UInt64(bitPattern: maximum), integerSum)
        (self.shift, self.shiftedSum, self.shiftedSquares, pendingCount) = (shift, shiftedSum, shiftedSquares, pending)
        valueCount += bits.count
    }

    /// The mean and squared deviations of every value, the pending points included.
    func moments() -> (mean: Double, m2: Double) {
        guard pendingCount > 0 else { return (mean, m2) }
        let count = Double(pendingCount)
        let pendingMean = shift + shiftedSum / count
        let pendingM2 = max(0, shiftedSquares - shiftedSum * shiftedSum / count)
        let folded = valueCount - pendingCount
        guard folded > 0 else { return (pendingMean, pendingM2) }
        let total = Double(valueCount)
        let delta = pendingMean - mean
        return (mean + delta * count / total, m2 + pendingM2 + delta * delta * Double(folded) * count / total)
    }

    /// Folds the pending points into ``mean`` and ``m2``.
    mutating func foldPending() {
        guard pendingCount > 0 else { return }
        (mean, m2) = moments()
        pendingCount = 0
        shift = 0
        shiftedSum = 0
        shiftedSquares = 0
    }

    /// Counts a point and its time for first and last, leaving its value to
    /// ``addValues(keys:)``: the ordered path keeps every value anyway, and a
    /// pass over them at the end is cheaper than updating the running mean
    /// and sums point by point.
    @inline(__always)
    mutating func addTime(time: Int64, bits: UInt64) {
        count += 1
        // The first point always sets `first`: a lone point at Int64.max is not below the initial firstTime.
        if count == 1 || time < firstTime { firstTime = time; firstBits = bits }
        if time >= lastTime { lastTime = time; lastBits = bits }
    }

    /// Adds the values (non-NaN) whose ``PercentileSelection`` keys are given,
    /// to an accumulator that has no values yet: the same figures as adding
    /// them one by one, the variance from two passes instead of Welford's update.
    mutating func addValues(keys: UnsafeBufferPointer<UInt64>) {
        precondition(valueCount == 0, "values are added once, to an accumulator without values")
        guard !keys.isEmpty else { return }
        var low = keys[0], high = keys[0]
        for key in keys {
            low = Swift.min(low, key)
            high = Swift.max(high, key)
        }
        minimumBits = PercentileSelection.bits(key: low, type: type)
        maximumBits = PercentileSelection.bits(key: high, type: type)
        valueCount = keys.count
        switch type {
        case .float64:
            var total = CompensatedSum()
            for key in keys { total.add(Double(bitPattern: PercentileSelection.bits(key: key, type: type))) }
            sum = total
            mean = total.total / Double(keys.count)
        case .int64:
            var total: Int128 = 0
            // Cannot wrap: |total| < count × 2^63 < 2^127.
            for key in keys { total &+= Int128(Int64(bitPattern: PercentileSelection.bits(key: key, type: type))) }
            integerSum = total
            mean = Self.mean(ofIntegerSum: total, count: keys.count)
        }
        var squares = 0.0
        for key in keys {
            let bits = PercentileSelection.bits(key: key, type: type)
            let value = type == .float64 ? Double(bitPattern: bits) : Double(Int64(bitPattern: bits))
            squares += (value - mean) * (value - mean)
        }
        m2 = squares
    }

    /// Adds a whole chunk's statistics (version 2 entries carry valueCount and m2).
    /// Returns false, adding nothing, when they cannot answer exactly: an Int64
    /// chunk whose stored Double sum may have been rounded must be decoded.
    mutating func add(_ chunk: ChunkStatistics) -> Bool {
        foldPending()
        var chunkIntegerSum: Int128 = 0
        if type == .int64 {
            guard let exact = chunk.exactIntegerSum else { return false }
            chunkIntegerSum = exact
        }
        if count == 0 || chunk.minTime < firstTime { firstTime = chunk.minTime; firstBits = chunk.firstBits }
        count += chunk.count
        if chunk.maxTime >= lastTime { lastTime = chunk.maxTime; lastBits = chunk.lastBits }
        guard chunk.valueCount > 0 else { return true }
        switch type {
        case .float64:
            if valueCount == 0 || Self.floatPrecedes(chunk.minFloat, Double(bitPattern: minimumBits)) { minimumBits = chunk.minBits }
            if valueCount == 0 || Self.floatPrecedes(Double(bitPattern: maximumBits), chunk.maxFloat) { maximumBits = chunk.maxBits }
            sum.add(chunk.sum)
        case .int64:
            if valueCount == 0 || chunk.minInt < Int64(bitPattern: minimumBits) { minimumBits = chunk.minBits }
            if valueCount == 0 || chunk.maxInt > Int64(bitPattern: maximumBits) { maximumBits = chunk.maxBits }
            integerSum += chunkIntegerSum
        }
        let chunkMean = chunk.sum / Double(chunk.valueCount)
        let total = Double(valueCount + chunk.valueCount)
        let delta = chunkMean - mean
        m2 += chunk.m2 + delta * delta * Double(valueCount) * Double(chunk.valueCount) / total
        mean += delta * Double(chunk.valueCount) / total
        valueCount += chunk.valueCount
        return true
    }

    /// Adds the points another accumulator of the same type summarized (a
    /// second series of a group). A tie in time keeps this one's first and
    /// takes the other's last, as ``add(time:bits:)`` does for a later point.
    mutating func merge(_ other: BucketAccumulator) {
        if other.count == 0 { return }
        figures.formIntersection(other.figures)
        foldPending()
        var other = other
        other.foldPending()
        if count == 0 || other.firstTime < firstTime { firstTime = other.firstTime; firstBits = other.firstBits }
        count += other.count
        if other.lastTime >= lastTime { lastTime = other.lastTime; lastBits = other.lastBits }
        guard other.valueCount > 0 else { return }
        switch type {
        case .float64:
            if valueCount == 0 || Self.floatPrecedes(Double(bitPattern: other.minimumBits), Double(bitPattern: minimumBits)) { minimumBits = other.minimumBits }
            if valueCount == 0 || Self.floatPrecedes(Double(bitPattern: maximumBits), Double(bitPattern: other.maximumBits)) { maximumBits = other.maximumBits }
            sum.add(other.sum.total)
        case .int64:
            if valueCount == 0 || Int64(bitPattern: other.minimumBits) < Int64(bitPattern: minimumBits) { minimumBits = other.minimumBits }
            if valueCount == 0 || Int64(bitPattern: other.maximumBits) > Int64(bitPattern: maximumBits) { maximumBits = other.maximumBits }
            integerSum += other.integerSum
        }
        let total = Double(valueCount + other.valueCount)
        let delta = other.mean - mean
        m2 += other.m2 + delta * delta * Double(valueCount) * Double(other.valueCount) / total
        mean += delta * Double(other.valueCount) / total
        valueCount += other.valueCount
    }

    /// The bits of the Double nearest an Int64 given by its bits.
    @inline(__always)
    static func floatBits(ofInteger bits: UInt64) -> UInt64 {
        Double(Int64(bitPattern: bits)).bitPattern
    }

    /// Total order on non-NaN doubles with -0.0 before +0.0.
    @inline(__always)
    static func floatPrecedes(_ a: Double, _ b: Double) -> Bool {
        a < b || (a == b && a.sign == .minus && b.sign == .plus)
    }

    /// The mean of `count` integers summing to `total`, from the exact sum:
    /// the whole quotient and the remainder's fraction are rounded separately.
    static func mean(ofIntegerSum total: Int128, count: Int) -> Double {
        // Most sums fit 64 bits, where division is one instruction instead of a library call.
        if let small = Int64(exactly: total) {
            let (quotient, remainder) = small.quotientAndRemainder(dividingBy: Int64(count))
            return Double(quotient) + Double(remainder) / Double(count)
        }
        let (quotient, remainder) = total.quotientAndRemainder(dividingBy: Int128(count))
        return Double(quotient) + Double(remainder) / Double(count)
    }

    func bucket(start: Int64) -> Bucket {
        Bucket(
            start: start, count: count, valueCount: valueCount,
            minimum: minimum, maximum: maximum,
            sum: total, integerSum: type == .int64 ? integerSum : nil,
            mean: meanValue, standardDeviation: standardDeviation,
            first: first, last: last)
    }

    /// One aggregate, as ``Bucket/value(_:)`` gives it for ``bucket(start:)``,
    /// without making the rest: nil for percentiles and counters, which an
    /// accumulator does not keep.
    func value(_ aggregate: Aggregate) -> AggregateValue? {
        switch aggregate {
        case .count: return .integer(Int128(count))
        case .min: return minimum.map(AggregateValue.init)
        case .max: return maximum.map(AggregateValue.init)
        case .first: return first.map(AggregateValue.init)
        case .last: return last.map(AggregateValue.init)
        case .mean: return meanValue.map(AggregateValue.float)
        case .stddev: return standardDeviation.map(AggregateValue.float)
        case .sum:
            guard valueCount > 0 else { return nil }
            return type == .int64 ? .integer(integerSum) : .float(total)
        case .increase, .rate, .percentile: return nil
        }
    }

    // The figures of a finished bucket, shared by bucket(start:) and value(_:).
    private var minimum: Value? { valueCount > 0 && figures.contains(.extremes) ? Value(bits: minimumBits, type: type) : nil }
    private var maximum: Value? { valueCount > 0 && figures.contains(.extremes) ? Value(bits: maximumBits, type: type) : nil }
    private var first: Value? { count > 0 ? Value(bits: firstBits, type: type) : nil }
    private var last: Value? { count > 0 ? Value(bits: lastBits, type: type) : nil }
    private var total: Double { type == .int64 ? Double(integerSum) : sum.total }
    private var meanValue: Double? {
        guard valueCount > 0 else { return nil }
        return type == .int64 ? Self.mean(ofIntegerSum: integerSum, count: valueCount) : sum.total / Double(valueCount)
    }
    private var standardDeviation: Double? {
        valueCount > 0 && figures.contains(.moments) ? (max(0, moments().m2) / Double(valueCount)).squareRoot() : nil
    }
}

/// The figures a ``BucketAccumulator`` keeps beyond the count, first, last and
/// sum (and so the mean), which every bucket has: leaving out those no one will
/// read halves the work of adding a decoded run of Float64 values for a mean.
/// A figure not kept reads as nil.
struct AccumulatorFigures: OptionSet, Sendable {
    let rawValue: UInt8

    /// The minimum and maximum.
    static let extremes = AccumulatorFigures(rawValue: 1)
    /// The shifted sums the standard deviation comes from.
    static let moments = AccumulatorFigures(rawValue: 2)
    static let all: AccumulatorFigures = [.extremes, .moments]
}


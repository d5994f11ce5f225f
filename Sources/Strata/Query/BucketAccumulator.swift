import StrataCodecs

/// Running aggregates of one bucket. Points and whole-chunk statistics can be
/// added in any order: first and last go by timestamp, and variances combine
/// with Chan, Golub and LeVeque's pairwise update.
struct BucketAccumulator {
    let type: ValueType
    var count = 0
    var valueCount = 0
    /// The sum of a Float64 series.
    var sum = CompensatedSum()
    /// The sum of an Int64 series, exact: 128 bits hold the sum of 2^64 values of any Int64 size.
    var integerSum: Int128 = 0
    /// Running mean and sum of squared deviations of the non-NaN values.
    var mean = 0.0
    var m2 = 0.0
    var minimumBits: UInt64 = 0
    var maximumBits: UInt64 = 0
    var firstTime = Int64.max
    var firstBits: UInt64 = 0
    var lastTime = Int64.min
    var lastBits: UInt64 = 0

    init(type: ValueType) { self.type = type }

    @inline(__always)
    mutating func add(time: Int64, bits: UInt64) {
        count += 1
        if time < firstTime { firstTime = time; firstBits = bits }
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
        // Welford's update.
        let delta = value - mean
        mean += delta / Double(valueCount)
        m2 += delta * (value - mean)
    }

    /// Adds a whole chunk's statistics (version 2 entries carry valueCount and m2).
    /// Returns false, adding nothing, when they cannot answer exactly: an Int64
    /// chunk whose stored Double sum may have been rounded must be decoded.
    mutating func add(_ chunk: ChunkStatistics) -> Bool {
        var chunkIntegerSum: Int128 = 0
        if type == .int64 {
            guard let exact = chunk.exactIntegerSum else { return false }
            chunkIntegerSum = exact
        }
        count += chunk.count
        if chunk.minTime < firstTime { firstTime = chunk.minTime; firstBits = chunk.firstBits }
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
        let hasValues = valueCount > 0
        let isInteger = type == .int64
        let total = isInteger ? Double(integerSum) : sum.total
        let mean = !hasValues ? nil : isInteger ? Self.mean(ofIntegerSum: integerSum, count: valueCount) : total / Double(valueCount)
        return Bucket(
            start: start, count: count, valueCount: valueCount,
            minimum: hasValues ? Value(bits: minimumBits, type: type) : nil,
            maximum: hasValues ? Value(bits: maximumBits, type: type) : nil,
            sum: total, integerSum: isInteger ? integerSum : nil,
            mean: mean,
            standardDeviation: hasValues ? (max(0, m2) / Double(valueCount)).squareRoot() : nil,
            first: count > 0 ? Value(bits: firstBits, type: type) : nil,
            last: count > 0 ? Value(bits: lastBits, type: type) : nil)
    }
}

/// Accumulators by bucket start.
///
/// Points mostly arrive in time order (sources are streamed oldest first),
/// so buckets are kept in an array sorted by start: a new bucket past the
/// last is appended, a revisited one is found by binary search. Only a new
/// bucket that falls before the last one (overlapping sources merged at the
/// end) goes to a side dictionary, merged in when the buckets are listed.
struct BucketTable {
    let options: DownsampleOptions
    let type: ValueType
    private var starts: [Int64] = []
    private var accumulators: [BucketAccumulator] = []
    private var outOfOrder: [Int64: BucketAccumulator] = [:]
    private var current: BucketAccumulator
    private var currentStart = Int64.min
    private var currentEnd = Int64.min
    /// Where `current` goes back: an index into `accumulators`, or nil for `outOfOrder`.
    private var currentIndex: Int? = nil
    private var hasCurrent = false

    init(options: DownsampleOptions, type: ValueType) {
        self.options = options
        self.type = type
        current = BucketAccumulator(type: type)
    }

    @inline(__always)
    mutating func add(time: Int64, bits: UInt64) {
        if !(hasCurrent && time >= currentStart && time < currentEnd) { switchTo(options.bucketStart(time)) }
        current.add(time: time, bits: bits)
    }

    /// Adds a chunk lying wholly inside one bucket; false (nothing added) when
    /// its statistics cannot answer exactly and it must be decoded instead.
    mutating func add(_ chunk: ChunkStatistics) -> Bool {
        if type == .int64 && chunk.exactIntegerSum == nil { return false }
        let start = options.bucketStart(chunk.minTime)
        if !(hasCurrent && start == currentStart) { switchTo(start) }
        return current.add(chunk)
    }

    private mutating func storeCurrent() {
        guard hasCurrent else { return }
        if let currentIndex { accumulators[currentIndex] = current } else { outOfOrder[currentStart] = current }
    }

    private mutating func switchTo(_ start: Int64) {
        storeCurrent()
        if starts.isEmpty || start > starts[starts.count - 1] {
            starts.append(start)
            accumulators.append(BucketAccumulator(type: type))
            currentIndex = starts.count - 1
            current = accumulators[starts.count - 1]
        } else {
            var low = 0, high = starts.count
            while low < high {
                let middle = (low + high) / 2
                if starts[middle] < start { low = middle + 1 } else { high = middle }
            }
            if low < starts.count && starts[low] == start {
                currentIndex = low
                current = accumulators[low]
            } else {
                currentIndex = nil
                current = outOfOrder[start] ?? BucketAccumulator(type: type)
            }
        }
        currentStart = start
        // Only a start clamped to Int64.min needs the exact (Int128) end: a bucket
        // straddling Int64.min ends one step after its true start.
        if start == .min {
            currentEnd = options.bucketEnd(start)
        } else {
            let (end, overflow) = start.addingReportingOverflow(options.step)
            currentEnd = overflow ? .max : end
        }
        hasCurrent = true
    }

    /// The buckets in time order; empty ones, when asked for, are made as
    /// the result is read (see ``DownsampleBuckets``).
    /// - Throws: `.invalidArgument` when empty buckets would number more than
    ///   ``DownsampleOptions/maximumBucketsWithEmpty``.
    mutating func buckets() throws(StrataError) -> DownsampleBuckets {
        storeCurrent()
        hasCurrent = false
        var filled = zip(starts, accumulators).map { $1.bucket(start: $0) }
        if !outOfOrder.isEmpty {
            filled += outOfOrder.map { $0.value.bucket(start: $0.key) }
            filled.sort { $0.start < $1.start }
        }
        guard options.includesEmptyBuckets else { return DownsampleBuckets(filled: filled) }
        // Without a bound, the data's first or last bucket is the end of the grid.
        let first = options.from == .min ? filled.first.map { options.exactBucketStart($0.start) } : options.exactBucketStart(options.from)
        let last = options.to == .max ? filled.last.map { options.exactBucketStart($0.start) }
            : options.exactBucketStart(TimeRangeEnd.lastIncluded(before: options.to))
        guard let first, let last, first <= last else { return DownsampleBuckets(filled: filled) }
        let count = DownsampleBuckets.count(first: first, last: last, step: options.step)
        guard count <= Int128(DownsampleOptions.maximumBucketsWithEmpty) else {
            throw StrataError(.invalidArgument, "\(count) buckets requested; use a larger step or a shorter range (at most \(DownsampleOptions.maximumBucketsWithEmpty) with empty buckets)")
        }
        return DownsampleBuckets(filled: filled, first: first, last: last, step: options.step, type: type)
    }
}

/// Summary of one column chunk, stored in the segment index so queries can
/// answer count/min/max/sum/first/last without decoding the chunk.
///
/// Values are kept as bit patterns so one layout serves both Float64 and
/// Int64 columns; use the typed accessors to read them back.
public struct ChunkStatistics: Sendable, Equatable {
    /// Number of points in the chunk.
    public var count: Int
    /// Earliest timestamp (the first one, since chunk timestamps are sorted).
    public var minTime: Int64
    /// Latest timestamp (the last one).
    public var maxTime: Int64
    /// Smallest value's bit pattern: a `Double` for Float64 columns, an `Int64` for Int64 columns.
    public var minBits: UInt64
    /// Largest value's bit pattern, encoded like ``minBits``.
    public var maxBits: UInt64
    /// First value's exact bit pattern.
    public var firstBits: UInt64
    /// Last value's exact bit pattern.
    public var lastBits: UInt64
    /// Sum of the values as `Double` (Int64 columns converted), computed with
    /// Neumaier compensated summation, NaNs excluded.
    public var sum: Double
    /// Values that are not NaN (all of them in Int64 columns): the count behind
    /// ``sum``, so a mean can be formed without decoding.
    public var valueCount: Int
    /// Sum of squared deviations of the non-NaN values from their mean
    /// (computed in two passes for accuracy): with ``valueCount`` and ``sum``
    /// it lets variances of chunks be combined exactly in the algebraic sense
    /// (Chan, Golub and LeVeque's pairwise update).
    public var m2: Double

    /// The canonical quiet NaN used for the min/max of chunks without a comparable value.
    public static let canonicalNaNBits: UInt64 = 0x7FF8_0000_0000_0000

    /// Creates statistics from stored fields (for example when reading a segment index).
    public init(
        count: Int, minTime: Int64, maxTime: Int64, minBits: UInt64, maxBits: UInt64, firstBits: UInt64, lastBits: UInt64,
        sum: Double, valueCount: Int, m2: Double
    ) {
        self.count = count
        self.minTime = minTime
        self.maxTime = maxTime
        self.minBits = minBits
        self.maxBits = maxBits
        self.firstBits = firstBits
        self.lastBits = lastBits
        self.sum = sum
        self.valueCount = valueCount
        self.m2 = m2
    }

    /// Computes the statistics of a Float64 chunk.
    ///
    /// `timestamps` must be sorted ascending and as long as `values`; minTime is
    /// the first timestamp and maxTime the last. Min and max ignore NaN; when
    /// every value is NaN (or the chunk is empty) both are the canonical quiet
    /// NaN and the sum is 0. -0.0 counts as less than +0.0, so the result does
    /// not depend on the order of equal zeros. An empty chunk has
    /// minTime `Int64.max`, maxTime `Int64.min` (an empty range) and NaN first/last.
    /// - Complexity: O(n), one pass.
    public static func float(timestamps: UnsafeBufferPointer<Int64>, values: UnsafeBufferPointer<Double>) -> ChunkStatistics {
        precondition(timestamps.count == values.count, "ChunkStatistics: \(timestamps.count) timestamps for \(values.count) values")
        let count = values.count
        guard count > 0 else {
            return ChunkStatistics(count: 0, minTime: .max, maxTime: .min, minBits: canonicalNaNBits, maxBits: canonicalNaNBits,
                                   firstBits: canonicalNaNBits, lastBits: canonicalNaNBits, sum: 0, valueCount: 0, m2: 0)
        }
        // Min and max compare order keys (see `orderKey`), which rank -0.0 below
        // +0.0 without a branch; NaNs are rare, so skipping them is a predictable branch.
        var smallestKey = Int64.max
        var largestKey = Int64.min
        var summation = CompensatedSum()
        var valueCount = 0
        for value in values {
            if value.isNaN { continue }
            valueCount += 1
            let key = orderKey(value)
            smallestKey = Swift.min(smallestKey, key)
            largestKey = Swift.max(largestKey, key)
            summation.add(value)
        }
        let sum = summation.total
        // Σ (x − mean)² in a second pass with the mean known, for accuracy.
        var m2 = 0.0
        if valueCount > 1, sum.isFinite {
            let mean = sum / Double(valueCount)
            var squares = CompensatedSum()
            for value in values where !value.isNaN {
                let deviation = value - mean
                squares.add(deviation * deviation)
            }
            m2 = squares.total
        }
        return ChunkStatistics(
            count: count, minTime: timestamps[0], maxTime: timestamps[count - 1],
            minBits: valueCount == 0 ? canonicalNaNBits : bits(ofOrderKey: smallestKey),
            maxBits: valueCount == 0 ? canonicalNaNBits : bits(ofOrderKey: largestKey),
            firstBits: values[0].bitPattern, lastBits: values[count - 1].bitPattern,
            sum: sum, valueCount: valueCount, m2: m2)
    }

    /// A non-NaN `Double`'s bit pattern as an integer that orders like the
    /// value, with -0.0 just below +0.0: negative values have their magnitude
    /// bits flipped, so a larger magnitude ranks lower.
    @inline(__always)
    static func orderKey(_ value: Double) -> Int64 {
        let signed = Int64(bitPattern: value.bitPattern)
        return signed ^ ((signed >> 63) & Int64.max)
    }

    /// The bit pattern an ``orderKey(_:)`` came from (the mapping is its own inverse).
    @inline(__always)
    static func bits(ofOrderKey key: Int64) -> UInt64 {
        UInt64(bitPattern: key ^ ((key >> 63) & Int64.max))
    }

    /// Σ (x − mean)² over Int64 `values` taken as `Double`, in a second pass with the mean known.
    static func squaredDeviations(of values: UnsafeBufferPointer<Int64>, sum: Double) -> Double {
        guard values.count > 1, sum.isFinite else { return 0 }
        let mean = sum / Double(values.count)
        var total = CompensatedSum()
        for value in values {
            let deviation = Double(value) - mean
            total.add(deviation * deviation)
        }
        return total.total
    }

    /// Computes the statistics of an Int64 chunk.
    ///
    /// `timestamps` must be sorted ascending and as long as `values`. The sum
    /// converts each value to `Double`. An empty chunk has minTime `Int64.max`,
    /// maxTime `Int64.min`, min `Int64.max`, max `Int64.min` (the identities for
    /// merging) and first/last 0.
    /// - Complexity: O(n), one pass.
    public static func integer(timestamps: UnsafeBufferPointer<Int64>, values: UnsafeBufferPointer<Int64>) -> ChunkStatistics {
        precondition(timestamps.count == values.count, "ChunkStatistics: \(timestamps.count) timestamps for \(values.count) values")
        let count = values.count
        guard count > 0 else {
            return ChunkStatistics(count: 0, minTime: .max, maxTime: .min, minBits: UInt64(bitPattern: .max),
                                   maxBits: UInt64(bitPattern: .min), firstBits: 0, lastBits: 0, sum: 0, valueCount: 0, m2: 0)
        }
        var minimum = Int64.max
        var maximum = Int64.min
        var summation = CompensatedSum()
        for value in values {
            minimum = Swift.min(minimum, value)
            maximum = Swift.max(maximum, value)
            summation.add(Double(value))
        }
        return ChunkStatistics(
            count: count, minTime: timestamps[0], maxTime: timestamps[count - 1],
            minBits: UInt64(bitPattern: minimum), maxBits: UInt64(bitPattern: maximum),
            firstBits: UInt64(bitPattern: values[0]), lastBits: UInt64(bitPattern: values[count - 1]),
            sum: summation.total, valueCount: count, m2: squaredDeviations(of: values, sum: summation.total))
    }

    /// ``minBits`` read as a `Double` (Float64 columns).
    public var minFloat: Double { Double(bitPattern: minBits) }
    /// ``maxBits`` read as a `Double` (Float64 columns).
    public var maxFloat: Double { Double(bitPattern: maxBits) }
    /// ``firstBits`` read as a `Double` (Float64 columns).
    public var firstFloat: Double { Double(bitPattern: firstBits) }
    /// ``lastBits`` read as a `Double` (Float64 columns).
    public var lastFloat: Double { Double(bitPattern: lastBits) }
    /// ``minBits`` read as an `Int64` (Int64 columns).
    public var minInt: Int64 { Int64(bitPattern: minBits) }
    /// ``maxBits`` read as an `Int64` (Int64 columns).
    public var maxInt: Int64 { Int64(bitPattern: maxBits) }
    /// ``firstBits`` read as an `Int64` (Int64 columns).
    public var firstInt: Int64 { Int64(bitPattern: firstBits) }
    /// ``lastBits`` read as an `Int64` (Int64 columns).
    public var lastInt: Int64 { Int64(bitPattern: lastBits) }
}

/// Neumaier's improved Kahan summation: the running compensation also
/// captures the error when the addend is larger than the sum, so long chunks
/// of mixed magnitudes keep their low-order bits.
///
/// Each step's rounding error is found with Knuth's branch-free TwoSum
/// rather than Neumaier's magnitude test: both give the exact error of a
/// finite addition, so the totals are the same bit for bit, and the loop
/// has no data-dependent branch.
public struct CompensatedSum: Sendable {
    private var sum: Double = 0

    /// An empty sum, 0.
    public init() {}
    private var compensation: Double = 0

    /// Adds `value`, keeping the rounding error in the compensation.
    @inline(__always)
    public mutating func add(_ value: Double) {
        let next = sum + value
        let valuePart = next - sum
        let sumPart = next - valuePart
        compensation += (sum - sumPart) + (value - valuePart)
        sum = next
    }

    /// The compensated total. Once the running sum overflows or meets an
    /// infinity the compensation is meaningless (inf - inf is NaN), so the
    /// plain sum, which is then ±inf or NaN, is the honest answer.
    public var total: Double {
        sum.isFinite ? sum + compensation : sum
    }
}

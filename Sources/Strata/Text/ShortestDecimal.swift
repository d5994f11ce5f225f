/// The shortest decimal that reads back as a given finite, nonzero Double:
/// `digits × 10^exponent`, with as few significant digits as possible and,
/// among those, the one closest to the Double (an exact tie takes the even
/// digits). The same digits Swift's `description` prints.
///
/// The algorithm is Schubfach, after Raffaello Giulietti, "The Schubfach way
/// to render doubles" (2020, revised 2022), written here from the paper: the
/// rounding interval of `v = c × 2^q` is scaled by `10^-k` (a 128-bit upper
/// approximation from ``powersOfTen``) so that it holds at most a few
/// integers; of the multiples of ten in it (one digit fewer) and the integers
/// beside `v` the shortest, then closest, is chosen. Three 64×64-bit
/// multiplications a bound, no loop, no big numbers.
struct ShortestDecimal {
    /// The significant digits, without trailing zeros; at most 17 digits.
    var digits: UInt64
    /// The power of ten the digits are multiplied by.
    var exponent: Int

    /// The decimal for `value`, which must be finite and nonzero (the sign is ignored).
    @inline(__always)
    init(_ value: Double) {
        let bits = value.bitPattern
        let fraction = bits & (1 << 52 - 1)
        let biasedExponent = Int(truncatingIfNeeded: (bits >> 52) & 0x7FF)
        if biasedExponent == 0 {
            self = ShortestDecimal.schubfach(significand: fraction, binaryExponent: -1074)
        } else {
            let significand = fraction | 1 << 52
            let binaryExponent = biasedExponent - 1075
            // An integer below 2^53 is its own shortest decimal (section 8.3 of the paper).
            if binaryExponent < 0 && binaryExponent > -53 {
                let integer = significand >> UInt64(-binaryExponent)
                if integer << UInt64(-binaryExponent) == significand {
                    self.init(digits: integer, exponent: 0)
                    self.removeTrailingZeros()
                    return
                }
            }
            self = ShortestDecimal.schubfach(significand: significand, binaryExponent: binaryExponent)
        }
    }

    @inline(__always)
    private init(digits: UInt64, exponent: Int) {
        self.digits = digits
        self.exponent = exponent
    }

    /// Schubfach proper for `c × 2^q` (c > 0).
    @inline(__always)
    private static func schubfach(significand c: UInt64, binaryExponent q: Int) -> ShortestDecimal {
        let odd: UInt64 = c & 1
        let scaled = c << 2
        let right = scaled + 2
        let left: UInt64
        let k: Int
        if c != 1 << 52 || q == -1074 {
            // Regular spacing: the neighbours are equally far.
            left = scaled - 2
            k = floorLog10Pow2(q)
        } else {
            // At a power of two the lower neighbour is half as far.
            left = scaled - 1
            k = floorLog10ThreeQuartersPow2(q)
        }
        let power = -k
        let shift = UInt64(q + floorLog2Pow10(power) + 1)
        let index = 2 * (power - firstPower)
        let (high, low) = powersOfTen.withUnsafeBufferPointer { table in (table[index], table[index + 1]) }
        let vb = roundToOdd(high, low, scaled << shift)
        let vbLeft = roundToOdd(high, low, left << shift)
        let vbRight = roundToOdd(high, low, right << shift)

        let s = vb >> 2
        if s >= 10 {
            // One digit fewer: the multiples of ten around s.
            let below = s / 10 * 10
            let above = below + 10
            let belowInside = vbLeft + odd <= below << 2
            let aboveInside = (above << 2) + odd <= vbRight
            if belowInside != aboveInside {
                return ShortestDecimal(digits: belowInside ? below : above, exponent: k).trimmed()
            }
        }
        let t = s + 1
        let sInside = vbLeft + odd <= s << 2
        let tInside = (t << 2) + odd <= vbRight
        if sInside != tInside {
            return ShortestDecimal(digits: sInside ? s : t, exponent: k).trimmed()
        }
        // Both inside: the closer to v, an exact tie to the even one.
        let middle = (s + t) << 1
        let useS = vb < middle || (vb == middle && s & 1 == 0)
        return ShortestDecimal(digits: useS ? s : t, exponent: k).trimmed()
    }

    /// `floor(g × cp / 2^128)` where g is (high, low), with the lowest bit
    /// set when the dropped fraction is nonzero ("round to odd"): enough to
    /// compare with the interval's ends exactly (section 9 of the paper).
    @inline(__always)
    private static func roundToOdd(_ high: UInt64, _ low: UInt64, _ cp: UInt64) -> UInt64 {
        let lowProduct = low.multipliedFullWidth(by: cp)
        let highProduct = high.multipliedFullWidth(by: cp)
        let (middle, carry) = highProduct.low.addingReportingOverflow(lowProduct.high)
        let integer = highProduct.high &+ (carry ? 1 : 0)
        return integer | (middle != 0 ? 1 : 0)
    }

    @inline(__always)
    private func trimmed() -> ShortestDecimal {
        var copy = self
        copy.removeTrailingZeros()
        return copy
    }

    /// Drops the trailing zeros of `digits`, raising the exponent to match.
    @inline(__always)
    private mutating func removeTrailingZeros() {
        // Eight zeros at once first: integers such as 1e15 have many.
        while digits % 100_000_000 == 0 {
            digits /= 100_000_000
            exponent += 8
        }
        while digits % 10 == 0 {
            digits /= 10
            exponent += 1
        }
    }

    /// floor(q × log10 2) for |q| ≤ 2^16 or so: 661971961083 / 2^41 is log10 2
    /// rounded down closely enough that no power of two in range lands on the
    /// wrong side of an integer.
    @inline(__always)
    static func floorLog10Pow2(_ q: Int) -> Int {
        (q &* 661_971_961_083) >> 41
    }

    /// floor(log10(3/4 × 2^q)), the same way (-274743187321 / 2^41 is log10 3/4 rounded down).
    @inline(__always)
    static func floorLog10ThreeQuartersPow2(_ q: Int) -> Int {
        (q &* 661_971_961_083 &- 274_743_187_321) >> 41
    }

    /// floor(e × log2 10) (913124641741 / 2^38 is log2 10 rounded down).
    @inline(__always)
    static func floorLog2Pow10(_ e: Int) -> Int {
        (e &* 913_124_641_741) >> 38
    }
}

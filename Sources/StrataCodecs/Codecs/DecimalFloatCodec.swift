/// Decimal-aware compression of `Double` columns: sensor readings are mostly
/// decimals with few digits (21.5, 1013.2, 0.06), which Gorilla's XOR coding
/// stores in 30 to 50 bits. This codec finds, per chunk, a decimal scale under
/// which each value is an integer *n* that decodes back to the value bit for
/// bit, and bit-packs those integers. A value no *n* reproduces is an
/// exception: when it lies a few units in the last place from its nearest
/// decimal (`44.611999999999995`, the float-printing artifacts common in
/// exported data) only that distance is kept; otherwise (NaN, infinities,
/// -0.0, anything too large for the scale) its whole bit pattern.
/// Every bit pattern round-trips.
///
/// Two decodings exist, chosen per chunk:
/// - **multiply** (modes 2 to 4): `(Double(n) × 10^f) × 10^-e`, two
///   multiplications that vectorise, so decoding runs at about a value per
///   nanosecond. `10^-e` is inexact, so for a given number of digits
///   *d* = *e* − *f* the encoder tries every pair (*e*, *f*) on a sample and
///   keeps the one under which the most values survive the round trip.
/// - **divide** (modes 0 and 1): `Double(n) / 10^e`, one correctly rounded
///   division by an exact power of ten. It reproduces every value parsed from
///   a decimal with at most *e* digits after the point, but a division costs
///   several times a multiplication. The encoder falls back to it where no
///   multiplication pair does as well on the sample (values with many
///   significant digits).
///
/// The idea, the exponent-and-factor pair included, follows ALP (Afroozeh,
/// Kuffó and Boncz, "ALP: Adaptive Lossless floating-Point Compression",
/// SIGMOD 2024): choose the scale on a sample, store integers with frame of
/// reference and bit-packing, patch exceptions.
///
/// Format (on disk; never change it without a new ``ColumnCodec`` or mode):
///
/// ```
/// exponent <u8>                 e, 0...18
/// mode <u8>                     0: frame of reference, divide (segment format 4)
///                               1: zigzag deltas, divide (segment format 4)
///                               2: frame of reference, multiply (segment format 5)
///                               3: deltas from the smallest delta, multiply (segment format 5)
///                               4: patched deltas, multiply (segment format 5)
/// factor <u8>                   modes 2 to 4 only: f, 0...e
/// base <zvarint>                FOR: the smallest n; deltas: the first n
/// deltaBase <zvarint>           mode 3: the smallest delta nᵢ − nᵢ₋₁; mode 4: the
///                               low end of the window of 2^width deltas packed
/// width <u8>                    bits per packed value, 0...56
/// exceptionCount <varint>
/// patchCount <varint>           mode 4 only
/// packed                        mode 0, 2: n − base for every value
///                               mode 1: zigzag(nᵢ − nᵢ₋₁) for i ≥ 1
///                               mode 3: (nᵢ − nᵢ₋₁) − deltaBase for i ≥ 1
///                               mode 4: the low width bits of dᵢ = (nᵢ − nᵢ₋₁) − deltaBase
///                               LSB-first, ⌈k·width / 8⌉ bytes
/// patch*                        mode 4 only, for each dᵢ outside 0..<2^width:
///                               positionGap <varint> (in deltas, as for exceptions),
///                               high <zvarint>: dᵢ = low bits + high · 2^width
/// exception*                    positionGap <varint> (from the previous exception's
///                               position + 1, or from 0), then kind <varint>:
///                               0: bits <u64 little-endian> follow, the whole value;
///                               k ≥ 1: with j = k − 1, the value is the decoding of n
///                               moved by zigzag⁻¹(j >> 1) units in the last place (same
///                               sign, within 2²⁰ units), where n is the slot's integer
///                               when j is even, and `n <zvarint>` follows when j is odd
/// ```
///
/// A near exception whose n lies within the range of the chunk's exact
/// integers keeps it in its slot; any other exception's slot repeats the
/// previous value's n (or the first one's), so no exception widens the packing.
/// In the multiply modes every integer lies within ±2⁵¹, which lets the decoder
/// convert integers to doubles with one integer addition and one subtraction.
public enum DecimalFloatCodec {
    /// The largest exponent tried: 10^18 is exact in a `Double`, and values
    /// with more digits gain nothing over their 64-bit patterns.
    public static let maximumExponent = 18

    /// 10^0 ... 10^18, all exact.
    @usableFromInline
    static let powersOfTen: [Double] = (0...18).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// 10^-0 ... 10^-18, each the correctly rounded quotient 1 / 10^e.
    @usableFromInline
    static let inversePowersOfTen: [Double] = powersOfTen.map { 1 / $0 }

    /// 2⁵³: integers below it are exact in a `Double`.
    @usableFromInline
    static let exactLimit = 9_007_199_254_740_992.0

    /// 2⁵¹: the multiply modes keep every integer below it in magnitude.
    @usableFromInline
    static let multiplyLimit = 2_251_799_813_685_248.0

    /// 1.5 × 2⁵²: adding an integer k, |k| < 2⁵¹, to its bit pattern gives the
    /// bit pattern of `magic + k`, so subtracting `magic` yields `Double(k)`;
    /// and `(x + magic) − magic` rounds x to the nearest integer, ties to even.
    @usableFromInline
    static let magic = 6_755_399_441_055_744.0

    /// Mode bytes.
    static let forDivide: UInt8 = 0, zigzagDivide: UInt8 = 1, forMultiply: UInt8 = 2, deltaMultiply: UInt8 = 3
    static let patchedDeltaMultiply: UInt8 = 4

    /// Upper bound on the bytes ``encode(_:into:)`` needs for `count` values
    /// (every value a near exception with its own integer); size the output with it.
    public static func maxEncodedSize(count: Int) -> Int {
        let count = max(count, 0)
        return 1 + 1 + 1 + 10 + 10 + 1 + 10 + 10 + BitPacking.byteCount(count: count, width: 56) + count * (10 + 10 + 10 + 10 + 10) + 8
    }

    /// The largest distance, in units in the last place, a near exception may lie from its decimal.
    static let nearLimit: Int64 = 1 << 20
}

// MARK: - Scales

/// How a chunk maps values to integers and back.
protocol DecimalScale {
    /// The integer candidate for `value`, not yet rounded, or nil when out of range.
    func scaled(_ value: Double) -> Double?
    /// The value an integer decodes to.
    func decode(_ n: Int64) -> Double
    /// The integer nearest to `value`'s scaled form, and whether it decodes
    /// back to `value` bit for bit; the integer is meaningless when not.
    /// Branch-free, for the hot passes: no conversion instruction can trap.
    func integer(_ value: Double) -> (n: Int64, exact: Bool)
}

extension DecimalScale {
    /// Rounds `scaled` to an integer with the 1.5 × 2⁵² trick (valid below
    /// 2⁵¹), returning the integer and the rounded double.
    @inline(__always)
    static func round(_ scaled: Double) -> (n: Int64, rounded: Double) {
        let shifted = scaled + DecimalFloatCodec.magic
        return (Int64(bitPattern: shifted.bitPattern &- DecimalFloatCodec.magic.bitPattern), shifted - DecimalFloatCodec.magic)
    }
}

/// `Double(n) / 10^e`.
struct DividingScale: DecimalScale {
    let power: Double

    @inline(__always)
    func scaled(_ value: Double) -> Double? {
        let scaled = value * power
        // Also false for NaN and ±infinity.
        return scaled.magnitude < DecimalFloatCodec.exactLimit ? scaled : nil
    }

    @inline(__always)
    func decode(_ n: Int64) -> Double { Double(n) / power }

    @inline(__always)
    func integer(_ value: Double) -> (n: Int64, exact: Bool) {
        let scaled = value * power
        let (n, rounded) = Self.round(scaled)
        // Both comparisons are false for NaN; the range test rejects infinities.
        return (n, (rounded / power).bitPattern == value.bitPattern && scaled.magnitude < DecimalFloatCodec.multiplyLimit)
    }
}

/// `(Double(n) × 10^f) × 10^-e`.
struct MultiplyingScale: DecimalScale {
    let exponent: Int, factor: Int
    let power: Double, inverseFactor: Double
    let factorPower: Double, inversePower: Double

    init(exponent: Int, factor: Int) {
        self.exponent = exponent
        self.factor = factor
        power = DecimalFloatCodec.powersOfTen[exponent]
        inverseFactor = DecimalFloatCodec.inversePowersOfTen[factor]
        factorPower = DecimalFloatCodec.powersOfTen[factor]
        inversePower = DecimalFloatCodec.inversePowersOfTen[exponent]
    }

    @inline(__always)
    func scaled(_ value: Double) -> Double? {
        let scaled = value * power * inverseFactor
        return scaled.magnitude < DecimalFloatCodec.multiplyLimit ? scaled : nil
    }

    @inline(__always)
    func decode(_ n: Int64) -> Double { Double(n) * factorPower * inversePower }

    @inline(__always)
    func integer(_ value: Double) -> (n: Int64, exact: Bool) {
        let scaled = value * power * inverseFactor
        let (n, rounded) = Self.round(scaled)
        // `rounded` is Double(n) exactly: the decoder's arithmetic, step for step.
        return (n, (rounded * factorPower * inversePower).bitPattern == value.bitPattern && scaled.magnitude < DecimalFloatCodec.multiplyLimit)
    }
}

extension DecimalFloatCodec {
    /// How one value is stored under a scale.
    @usableFromInline
    enum Slot {
        /// The integer decodes to the value.
        case exact(Int64)
        /// The value is the integer's decoding moved by `offset` units in the last place.
        case near(Int64, offset: Int64)
        /// Only its whole bit pattern stores the value.
        case whole
    }

    @inline(__always)
    static func slot<Scale: DecimalScale>(_ value: Double, _ scale: Scale) -> Slot {
        guard let scaled = scale.scaled(value) else { return .whole }
        // Round half to even without a libm call below 2⁵¹.
        let n = scaled.magnitude < multiplyLimit ? Scale.round(scaled).n : Int64(scaled.rounded(.toNearestOrEven))
        let back = scale.decode(n)
        if back.bitPattern == value.bitPattern { return .exact(n) }
        // Within one sign, bit patterns are ordered like magnitudes: their difference counts ulps.
        guard back.sign == value.sign, back != 0 else { return .whole }
        let offset = Int64(bitPattern: value.bitPattern &- back.bitPattern)
        return offset.magnitude < UInt64(nearLimit) ? .near(n, offset: offset) : .whole
    }

    /// What a scale costs on a sample of a chunk.
    struct SampleCost {
        /// Estimated bits: the packed width the sample's integers need, plus
        /// about 3 bytes per near exception and 10 per whole one.
        var bits = 0
        /// Values the scale does not reproduce exactly.
        var exceptions = 0
    }

    /// The cost of `scale` on every `stride`-th value. Once the exceptions
    /// alone cost more than `ceiling` bits the scale cannot win: the sampling
    /// stops there, with at least one exception counted.
    static func sampleCost<Scale: DecimalScale>(
        _ values: UnsafeBufferPointer<Double>, stride: Int, _ scale: Scale, ceiling: Int = .max
    ) -> SampleCost {
        var minimum = Int64.max, maximum = Int64.min
        var cost = SampleCost()
        var taken = 0
        var index = 0
        while index < values.count && cost.bits <= ceiling {
            let (n, exact) = scale.integer(values[index])
            if exact {
                minimum = min(minimum, n)
                maximum = max(maximum, n)
            } else {
                switch slot(values[index], scale) {
                case .exact(let n), .near(let n, _):
                    minimum = min(minimum, n)
                    maximum = max(maximum, n)
                    cost.bits += 24
                case .whole:
                    cost.bits += 80
                }
                cost.exceptions += 1
            }
            taken += 1
            index += stride
        }
        let width = minimum <= maximum ? 64 - UInt64(bitPattern: maximum &- minimum).leadingZeroBitCount : 0
        cost.bits += width * taken
        return cost
    }

    /// Exponents in order of how close the double nearest 10^-e lies to it
    /// (relative error in units of 2⁻⁵³: 0 for e = 0, 0.011 for 14, 0.18 for 12,
    /// 0.19 for 2, 3, 8 and 16, … 0.74 for 5; computed with exact rationals).
    /// The closer, the fewer products round the wrong way, so the pair search
    /// below usually stops at its first or second try.
    static let exponentsByAccuracy = [0, 14, 12, 2, 3, 8, 16, 13, 10, 6, 7, 4, 1, 11, 9, 17, 18, 15, 5]

    /// The number of digits whose dividing scale costs the fewest bits on the
    /// sample, among 0 up to the first that reproduces every sampled value
    /// (beyond it the integers only widen); the lowest on a tie.
    ///
    /// The first value's own number of digits is tried first. When it
    /// reproduces the whole sample it bounds the answer, and every smaller
    /// number misses at least that first value, so those are costed with the
    /// bound as a ceiling and mostly abandoned after a few values; the
    /// answer is the one trying 0, 1, 2, ... in turn would give.
    static func cheapestDigits(_ values: UnsafeBufferPointer<Double>, stride: Int) -> (digits: Int, cost: SampleCost) {
        var firstDigits: Int? = nil
        for exponent in 0...maximumExponent where !values.isEmpty && DividingScale(power: powersOfTen[exponent]).integer(values[0]).exact {
            firstDigits = exponent
            break
        }
        if let firstDigits {
            let bound = sampleCost(values, stride: stride, DividingScale(power: powersOfTen[firstDigits]))
            if bound.exceptions == 0 {
                var digits = firstDigits
                var best = bound
                for exponent in 0..<firstDigits {
                    let cost = sampleCost(values, stride: stride, DividingScale(power: powersOfTen[exponent]), ceiling: best.bits)
                    if cost.bits < best.bits || (cost.bits == best.bits && exponent < digits) {
                        digits = exponent
                        best = cost
                    }
                }
                return (digits, best)
            }
        }
        var digits = 0
        var best = SampleCost(bits: Int.max, exceptions: 0)
        for exponent in 0...maximumExponent {
            let cost = sampleCost(values, stride: stride, DividingScale(power: powersOfTen[exponent]), ceiling: best.bits)
            if cost.bits < best.bits {
                digits = exponent
                best = cost
            }
            // Every sampled value is exact: a larger exponent only widens the integers.
            if cost.exceptions == 0 { break }
        }
        return (digits, best)
    }

    /// The scale a chunk is encoded with: first the number of digits whose
    /// estimated size is smallest on a sample (with the division, which
    /// reproduces every short decimal); then, for that number of digits, the
    /// exponent-and-factor pair that multiplies back the most sampled values.
    /// The division stays only where every pair misses more sampled values.
    static func chooseScale(_ values: UnsafeBufferPointer<Double>) -> (digits: Int, multiplying: MultiplyingScale?) {
        let count = values.count
        let samples = min(count, 64)
        let stride = max(1, count / samples)
        let (digits, best) = cheapestDigits(values, stride: stride)
        var chosen: MultiplyingScale? = nil
        var fewest = Int.max
        for exponent in exponentsByAccuracy where exponent >= digits {
            let scale = MultiplyingScale(exponent: exponent, factor: exponent - digits)
            let exceptions = sampleCost(values, stride: stride, scale).exceptions
            if exceptions < fewest {
                chosen = scale
                fewest = exceptions
                if exceptions <= best.exceptions { break }
            }
        }
        return (digits, fewest <= best.exceptions ? chosen : nil)
    }
}

extension DecimalFloatCodec: ColumnBufferCodec {}

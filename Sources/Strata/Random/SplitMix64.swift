/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): a small, fast, seeded generator, so the same seed
/// gives the same fleet, schedule or crash on every machine.
///
/// The product's one copy, for the CLI's fleet generators and the crash
/// tests; the test targets and the benchmarks have theirs, `SeededGenerator` in `StrataTestSupport`.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    package mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Roughly normal with mean 0 and deviation 1 (sum of four uniforms), cheap and bounded.
    package mutating func noise() -> Double { (unit() + unit() + unit() + unit() - 2) * 1.732 }

    /// Like ``noise()`` (the sum of four uniforms), but the four are 16-bit
    /// slices of one draw: a quarter of the work, for generators that make
    /// hundreds of millions of readings. Steps of 1/65,536 are far finer than
    /// any sensor resolution the readings are rounded to.
    package mutating func quickNoise() -> Double {
        let draw = next()
        let sum = (draw & 0xFFFF) + ((draw >> 16) & 0xFFFF) + ((draw >> 32) & 0xFFFF) + (draw >> 48)
        return (Double(sum) * 0x1p-16 - 2) * 1.732
    }
}

/// SplitMix64: a small, fast, seeded generator so every property test is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Value bit patterns that stress exactness.
enum SpecialValues {
    static let floats: [Double] = [
        0, -0.0, .infinity, -.infinity, .nan, -.nan,
        Double(bitPattern: 0x7FF0_0000_0000_0001),  // signalling NaN
        Double(bitPattern: 0x7FF8_0000_DEAD_BEEF),  // quiet NaN with payload
        Double(bitPattern: 0xFFF4_0000_0000_0042),  // negative NaN with payload
        .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 44.611999999999995, 0.06453452400000001, 21.5,
    ]
    static let integers: [Int64] = [0, 1, -1, .min, .max, .min + 1, .max - 1, 1 << 53, -(1 << 53) - 1]
}

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

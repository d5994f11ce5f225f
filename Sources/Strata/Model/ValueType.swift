/// The type of a series' values. A series keeps the type of its first point.
public enum ValueType: UInt8, Sendable, CustomStringConvertible, CaseIterable {
    /// IEEE 754 binary64. Every bit pattern round-trips: NaN payloads, -0.0, infinities, subnormals.
    case float64 = 1
    /// Signed 64-bit integers, the full range.
    case int64 = 2

    /// `float64` or `int64`, as the CLI spells the type.
    public var description: String {
        switch self {
        case .float64: "float64"
        case .int64: "int64"
        }
    }
}

/// One value of either type.
public enum Value: Sendable, Equatable, CustomStringConvertible {
    /// A Float64 value.
    case float64(Double)
    /// An Int64 value.
    case int64(Int64)

    /// The value's type.
    public var type: ValueType {
        switch self {
        case .float64: .float64
        case .int64: .int64
        }
    }

    /// The 64-bit pattern stored for this value.
    var bits: UInt64 {
        switch self {
        case .float64(let value): value.bitPattern
        case .int64(let value): UInt64(bitPattern: value)
        }
    }

    init(bits: UInt64, type: ValueType) {
        switch type {
        case .float64: self = .float64(Double(bitPattern: bits))
        case .int64: self = .int64(Int64(bitPattern: bits))
        }
    }

    /// Equality is bit-for-bit, so NaN equals the same NaN and -0.0 differs from 0.0.
    public static func == (lhs: Value, rhs: Value) -> Bool {
        lhs.type == rhs.type && lhs.bits == rhs.bits
    }

    /// The value as Swift prints it (the shortest text that parses back to the same bits).
    public var description: String {
        switch self {
        case .float64(let value): "\(value)"
        case .int64(let value): "\(value)"
        }
    }
}

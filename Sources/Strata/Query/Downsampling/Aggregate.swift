/// A summary of the points in one bucket of a downsampling query.
///
/// NaN values count in ``count`` and may be ``first`` or ``last``; the other
/// aggregates ignore them.
///
/// The first eight are kept in every chunk's statistics, so a chunk lying
/// inside one bucket is answered without decoding. ``percentile(_:)``,
/// ``increase`` and ``rate`` need every point in time order: a query that asks
/// for them decodes its chunks (see ``DownsampleOptions/aggregates``).
public enum Aggregate: Sendable, Hashable, CustomStringConvertible {
    /// The smallest value (exact; -0.0 orders below +0.0).
    case min
    /// The largest value (exact).
    case max
    /// The arithmetic mean: the sum divided by the number of non-NaN values
    /// (for Int64 series, from the exact sum).
    case mean
    /// The sum of the values: compensated (Neumaier) for Float64 series, exact for Int64 series.
    case sum
    /// The number of points, NaNs included.
    case count
    /// The value of the earliest point (exact).
    case first
    /// The value of the latest point (exact).
    case last
    /// The population standard deviation, √(Σ(x − mean)² / n).
    case stddev
    /// The `level`-th percentile (0 … 100) of the non-NaN values, exact: with the
    /// values sorted, x₀ ≤ … ≤ xₙ₋₁, it is the linear interpolation at rank
    /// h = (n − 1) · level / 100 between x⌊h⌋ and x⌈h⌉, the definition of
    /// DuckDB's `quantile_cont` and NumPy's default `percentile` (Hyndman and
    /// Fan's definition 7). Named `p95`, `p99.9`, `p0` (the minimum) … `p100`.
    case percentile(Double)
    /// How much a monotonically increasing counter grew in the bucket: the sum,
    /// over each point of the bucket, of its rise from the series' previous
    /// point in the query's range. A drop is a counter reset, as Prometheus
    /// reads it: the counter restarted from zero, so the rise is the new value.
    /// Nothing is extrapolated to the bucket's edges, so the increases of
    /// consecutive buckets add up to the increase over the range. NaN points
    /// are skipped. Exact (128-bit) for Int64 series.
    case increase
    /// ``increase`` per second of the bucket's width (a Prometheus-style `rate`).
    case rate

    /// The aggregates with a fixed name, in the order the help lists them.
    public static let namedCases: [Aggregate] = [.min, .max, .mean, .sum, .count, .first, .last, .stddev, .increase, .rate]

    /// Parses a name as `--agg` takes it: a named case, or `p` and a level from 0 to 100
    /// with at most three decimals (`p50`, `p99.9`). (Not `RawRepresentable`: its
    /// `==` would then compare names as strings.)
    public init?(rawValue: String) {
        if let named = Self.namedCases.first(where: { $0.rawValue == rawValue }) {
            self = named
            return
        }
        guard let level = Self.percentileLevel(rawValue) else { return nil }
        self = .percentile(level)
    }

    /// The aggregate's name, as `--agg` takes it and the CSV header shows it.
    public var rawValue: String {
        switch self {
        case .min: "min"
        case .max: "max"
        case .mean: "mean"
        case .sum: "sum"
        case .count: "count"
        case .first: "first"
        case .last: "last"
        case .stddev: "stddev"
        case .increase: "increase"
        case .rate: "rate"
        case .percentile(let level):
            level == level.rounded(.towardZero) && level.isFinite ? "p\(Int(level))" : "p\(level)"
        }
    }

    /// The aggregate's name.
    public var description: String { rawValue }

    /// Whether the aggregate needs every point in time order, which chunk statistics cannot give.
    var needsOrderedPoints: Bool {
        switch self {
        case .percentile, .increase, .rate: true
        default: false
        }
    }

    /// The level of a percentile name: `p`, one to three digits, optionally a point and
    /// one to three digits, at most 100.
    private static func percentileLevel(_ name: String) -> Double? {
        let bytes = Array(name.utf8)
        guard bytes.count >= 2, bytes.count <= 8, bytes[0] == UInt8(ascii: "p") else { return nil }
        let digits = bytes[1...]
        let point = digits.firstIndex(of: UInt8(ascii: "."))
        let whole = digits[..<(point ?? digits.endIndex)]
        let fraction = point.map { digits[($0 + 1)...] } ?? []
        func allDigits(_ part: ArraySlice<UInt8>) -> Bool { part.allSatisfy { $0 >= 48 && $0 <= 57 } }
        guard (1...3).contains(whole.count), allDigits(whole), allDigits(fraction),
              point == nil || (1...3).contains(fraction.count) else { return nil }
        guard let level = Double(String(name.dropFirst())), level >= 0, level <= 100 else { return nil }
        return level
    }
}

/// The value of one aggregate of one bucket.
///
/// Integers stay integers: the minimum of an Int64 series, its exact sum or
/// increase, and a percentile that falls on a value (no interpolation) are
/// printed with every digit.
public enum AggregateValue: Sendable, Equatable, CustomStringConvertible {
    /// A floating-point result.
    case float(Double)
    /// An exact integer: an Int64 value, or a 128-bit sum or increase.
    case integer(Int128)

    /// The value as a Double (an integer rounded to the nearest).
    public var number: Double {
        switch self {
        case .float(let value): value
        case .integer(let value): Double(value)
        }
    }

    /// A stored value as an aggregate value.
    init(_ value: Value) {
        switch value {
        case .float64(let number): self = .float(number)
        case .int64(let number): self = .integer(Int128(number))
        }
    }

    /// The value as text: integers in full, doubles as ``NumberText/format(_:)`` writes them.
    public var description: String {
        switch self {
        case .float(let value): NumberText.format(value)
        case .integer(let value): Int64(exactly: value).map { String($0) } ?? String(value)
        }
    }
}

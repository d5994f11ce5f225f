/// The points of one series over a time range, sorted by timestamp, one per
/// timestamp: what a range query returns.
public struct SeriesPoints: Sendable, RandomAccessCollection {
    /// One point.
    public struct Point: Sendable, Equatable {
        /// Milliseconds since the Unix epoch.
        public let timestamp: Int64
        /// The value, with the series' type and every bit kept.
        public let value: Value
    }

    /// The series asked for.
    public let series: SeriesKey
    /// The series' value type; `nil` when the series is unknown to the store.
    public let type: ValueType?
    /// Timestamps in milliseconds since the Unix epoch, ascending.
    public let timestamps: [Int64]
    let bits: [UInt64]

    init(series: SeriesKey, type: ValueType?, columns: SeriesColumns) {
        self.series = series
        self.type = type
        self.timestamps = columns.timestamps
        self.bits = columns.bits
    }

    /// Always 0.
    public var startIndex: Int { 0 }
    /// The number of points.
    public var endIndex: Int { timestamps.count }

    /// The point at `position`, in time order.
    public subscript(position: Int) -> Point {
        Point(timestamp: timestamps[position], value: Value(bits: bits[position], type: type ?? .float64))
    }

    /// The values as Float64 (empty for an Int64 series).
    public var floatValues: [Double] {
        type == .float64 ? bits.map { Double(bitPattern: $0) } : []
    }

    /// The values as Int64 (empty for a Float64 series).
    public var intValues: [Int64] {
        type == .int64 ? bits.map { Int64(bitPattern: $0) } : []
    }

    /// The raw 64-bit patterns of the values, for bit-exact comparison.
    public var valueBitPatterns: [UInt64] { bits }
}

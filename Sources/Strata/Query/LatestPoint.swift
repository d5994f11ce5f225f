/// The newest visible point of one series, as ``Store/latest(of:)`` finds it:
/// the last point ``Store/query(device:metric:from:to:)`` would return over
/// all time.
public struct LatestPoint: Sendable, Equatable {
    /// The series.
    public let series: SeriesKey
    /// The point's timestamp, milliseconds since the Unix epoch.
    public let timestamp: Int64
    /// The point's value, with the series' type and every bit kept (NaN
    /// payloads, -0.0); equality is bit for bit.
    public let value: Value

    /// A point of `series`.
    public init(series: SeriesKey, timestamp: Int64, value: Value) {
        self.series = series
        self.timestamp = timestamp
        self.value = value
    }
}

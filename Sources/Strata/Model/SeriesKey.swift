/// Identifies a series: a metric of a device.
///
/// Names compare as UTF-8 bytes, as segment indexes store them: `"é"` written
/// as one code point and as `e` plus a combining accent are different names
/// (Swift's `String ==` would call them equal, and a series could then be
/// looked up under one spelling and stored under the other).
public struct SeriesKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The device's name, as given when the series was written.
    public let device: String
    /// The metric's name.
    public let metric: String

    /// The series `metric` of `device`; names are checked when points are appended, not here.
    public init(device: String, metric: String) {
        self.device = device
        self.metric = metric
    }

    /// Equal when both names have the same UTF-8 bytes.
    public static func == (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        UTF8Order.equal(lhs.device, rhs.device) && UTF8Order.equal(lhs.metric, rhs.metric)
    }

    /// Hashes the names' UTF-8 bytes, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        UTF8Order.hash(device, into: &hasher)
        hasher.combine(0xFF as UInt8)  // never a UTF-8 byte: separates device from metric
        UTF8Order.hash(metric, into: &hasher)
    }

    /// Orders by device, then metric, comparing UTF-8 bytes (as segment indexes do).
    public static func < (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        let devices = UTF8Order.compare(lhs.device, rhs.device)
        return devices != 0 ? devices < 0 : UTF8Order.precedes(lhs.metric, rhs.metric)
    }

    /// `device/metric`, as the CLI prints a series.
    public var description: String { "\(device)/\(metric)" }
}

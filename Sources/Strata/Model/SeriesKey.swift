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
        lhs.device.utf8.elementsEqual(rhs.device.utf8) && lhs.metric.utf8.elementsEqual(rhs.metric.utf8)
    }

    /// Hashes the names' UTF-8 bytes, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        for byte in device.utf8 { hasher.combine(byte) }
        hasher.combine(0xFF as UInt8)  // never a UTF-8 byte: separates device from metric
        for byte in metric.utf8 { hasher.combine(byte) }
    }

    /// Orders by device, then metric, comparing UTF-8 bytes (as segment indexes do).
    public static func < (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        if !lhs.device.utf8.elementsEqual(rhs.device.utf8) { return lhs.device.utf8.lexicographicallyPrecedes(rhs.device.utf8) }
        return lhs.metric.utf8.lexicographicallyPrecedes(rhs.metric.utf8)
    }

    /// `device/metric`, as the CLI prints a series.
    public var description: String { "\(device)/\(metric)" }
}

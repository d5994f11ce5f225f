/// Identifies a series: a metric of a device.
public struct SeriesKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let device: String
    public let metric: String

    public init(device: String, metric: String) {
        self.device = device
        self.metric = metric
    }

    /// Orders by device, then metric, comparing UTF-8 bytes (as segment indexes do).
    public static func < (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        if lhs.device != rhs.device { return lhs.device.utf8.lexicographicallyPrecedes(rhs.device.utf8) }
        return lhs.metric.utf8.lexicographicallyPrecedes(rhs.metric.utf8)
    }

    public var description: String { "\(device)/\(metric)" }
}

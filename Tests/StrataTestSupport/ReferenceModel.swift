import Strata

/// What a store must return, computed the simplest possible way: for each
/// series, a dictionary from timestamp to the last value written.
public struct ReferenceModel {
    private var series: [SeriesKey: [Int64: UInt64]] = [:]

    /// An empty model.
    public init() {}

    /// Records `bits` as the value of `key` at `timestamp`: the last write wins.
    public mutating func write(_ key: SeriesKey, _ timestamp: Int64, _ bits: UInt64) {
        series[key, default: [:]][timestamp] = bits
    }

    /// Sorted timestamps and value bits in `[start, end)`.
    public func expected(_ key: SeriesKey, from start: Int64 = .min, to end: Int64 = .max) -> (timestamps: [Int64], bits: [UInt64]) {
        let points = (series[key] ?? [:]).filter { $0.key >= start && $0.key < end }.sorted { $0.key < $1.key }
        return (points.map(\.key), points.map(\.value))
    }

    /// Every series written, sorted.
    public var keys: [SeriesKey] { Array(series.keys).sorted() }

    /// The model without the points `isRemoved` picks.
    public func removing(where isRemoved: (SeriesKey, Int64) -> Bool) -> ReferenceModel {
        var kept = ReferenceModel()
        for (key, points) in series {
            for (time, bits) in points where !isRemoved(key, time) { kept.write(key, time, bits) }
        }
        return kept
    }
}

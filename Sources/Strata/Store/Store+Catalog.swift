extension Store {
    /// Every series in the store with its value type, sorted by device then metric.
    ///
    /// - Complexity: O(n log n) in the series of every segment and head: it
    ///   reads every segment's index. To learn one series' type, use
    ///   ``valueType(device:metric:)``.
    public func series() -> [(key: SeriesKey, type: ValueType)] {
        let (segments, tombstones, unflushed) = state.withLock { state in
            (state.segments, state.manifest.tombstones, state.headSeries())
        }
        var catalog = StoreLayout.catalog(of: segments, tombstones: tombstones)
        for (key, type) in unflushed { catalog[key] = type }
        return catalog.map { ($0.key, $0.value) }.sorted { $0.key < $1.key }
    }

    /// The value type of the series `metric` of `device`, or nil when the
    /// store holds no visible point of it. Reads only the index entries of
    /// that device.
    public func valueType(device: String, metric: String) -> ValueType? {
        state.withLock { $0.knownType(of: SeriesKey(device: device, metric: metric)) }
    }

    /// The devices in the store, sorted.
    public func devices() -> [String] {
        var seen = Set<[UInt8]>()
        return series().compactMap { seen.insert(Array($0.key.device.utf8)).inserted ? $0.key.device : nil }
    }

    /// The metrics of `device` with their value types, sorted.
    public func metrics(of device: String) -> [(name: String, type: ValueType)] {
        series().filter { UTF8Order.equal($0.key.device, device) }.map { ($0.key.metric, $0.type) }
    }

    /// The published segments, oldest first.
    public func segments() -> [SegmentFile] {
        state.withLock { $0.segments }
    }

    /// Points appended and not yet flushed.
    public var unflushedPointCount: Int {
        state.withLock { state in state.head.pointCount + state.flushing.reduce(0) { $0 + $1.pointCount } }
    }
}

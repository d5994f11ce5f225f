/// Points of many series gathered for one append, stored column by column.
///
/// A batch is applied all or nothing: if any series has a bad name or a
/// value of the wrong type, ``Store/append(_:)`` throws and stores nothing.
///
/// ```swift
/// var batch = WriteBatch()
/// try batch.append(device: "pump-7", metric: "temperature", timestamp: t, value: 21.5)
/// try batch.append(device: "pump-7", metric: "cycles", timestamp: t, value: Int64(42))
/// try store.append(batch)
/// ```
public struct WriteBatch: Sendable {
    private(set) var keys: [SeriesKey] = []
    private(set) var types: [ValueType] = []
    private var slots: [SeriesKey: Int] = [:]
    /// Row-aligned columns: the series of each row, its timestamp and value bits.
    private(set) var seriesOfRow: [UInt32] = []
    private(set) var timestamps: [Int64] = []
    private(set) var bits: [UInt64] = []

    /// Creates an empty batch with room for `capacity` points.
    public init(capacity: Int = 0) {
        seriesOfRow.reserveCapacity(capacity)
        timestamps.reserveCapacity(capacity)
        bits.reserveCapacity(capacity)
    }

    /// Points in the batch.
    public var count: Int { timestamps.count }
    /// Distinct series in the batch.
    public var seriesCount: Int { keys.count }
    /// Whether the batch holds no point.
    public var isEmpty: Bool { timestamps.isEmpty }

    /// The batch-local number of a series, registered on first use. Use it with
    /// ``append(series:timestamp:value:)-(_,_,Double)`` to skip the name lookup
    /// when many points of one series come together.
    ///
    /// - Throws: ``StrataError/Code/invalidName`` for a bad name,
    ///   ``StrataError/Code/typeMismatch`` when the series was registered with the other type.
    public mutating func series(device: String, metric: String, type: ValueType) throws(StrataError) -> Int {
        let key = SeriesKey(device: device, metric: metric)
        if let slot = slots[key] {
            guard types[slot] == type else {
                throw StrataError(.typeMismatch, "series \(key) holds \(types[slot]) values; got \(type)")
            }
            return slot
        }
        try SeriesName.validate(device, role: "device")
        try SeriesName.validate(metric, role: "metric")
        keys.append(key)
        types.append(type)
        slots[key] = keys.count - 1
        return keys.count - 1
    }

    /// Adds a Float64 point to a series registered with ``series(device:metric:type:)``.
    public mutating func append(series: Int, timestamp: Int64, value: Double) {
        precondition(types[series] == .float64, "series \(keys[series]) holds \(types[series]) values")
        seriesOfRow.append(UInt32(series))
        timestamps.append(timestamp)
        bits.append(value.bitPattern)
    }

    /// Adds an Int64 point to a series registered with ``series(device:metric:type:)``.
    public mutating func append(series: Int, timestamp: Int64, value: Int64) {
        precondition(types[series] == .int64, "series \(keys[series]) holds \(types[series]) values")
        seriesOfRow.append(UInt32(series))
        timestamps.append(timestamp)
        bits.append(UInt64(bitPattern: value))
    }

    /// Replaces the rows wholesale (WAL replay; rows already checked against the series table).
    mutating func setRows(seriesOfRow: [UInt32], timestamps: [Int64], bits: [UInt64]) {
        self.seriesOfRow = seriesOfRow
        self.timestamps = timestamps
        self.bits = bits
    }

    /// Adds a point given as its 64-bit pattern (for importers that parsed the type already).
    mutating func append(series: Int, timestamp: Int64, bits value: UInt64) {
        seriesOfRow.append(UInt32(series))
        timestamps.append(timestamp)
        bits.append(value)
    }

    /// Adds a Float64 point.
    public mutating func append(device: String, metric: String, timestamp: Int64, value: Double) throws(StrataError) {
        let slot = try series(device: device, metric: metric, type: .float64)
        append(series: slot, timestamp: timestamp, value: value)
    }

    /// Adds an Int64 point.
    public mutating func append(device: String, metric: String, timestamp: Int64, value: Int64) throws(StrataError) {
        let slot = try series(device: device, metric: metric, type: .int64)
        append(series: slot, timestamp: timestamp, value: value)
    }

    /// Adds a point of either type.
    public mutating func append(device: String, metric: String, timestamp: Int64, value: Value) throws(StrataError) {
        switch value {
        case .float64(let number): try append(device: device, metric: metric, timestamp: timestamp, value: number)
        case .int64(let number): try append(device: device, metric: metric, timestamp: timestamp, value: number)
        }
    }
}

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
///
/// Points may also name their series by a ``SeriesReference`` (see
/// ``append(_:timestamp:value:)-(_,_,Double)``), which skips every name
/// lookup: the fast path for fleets whose batches hold many series.
public struct WriteBatch: Sendable {
    private(set) var keys: [SeriesKey] = []
    private(set) var types: [ValueType] = []
    private var slots: [SeriesKey: Int] = [:]
    /// Row-aligned columns: the series of each row, its timestamp and value bits.
    /// A series is a batch-local slot of `keys`, or a store's series number
    /// with ``referenceFlag`` set.
    private(set) var seriesOfRow: [UInt32] = []
    /// Set on a row whose series is a ``SeriesReference``'s number.
    static let referenceFlag: UInt32 = 1 << 31
    /// The store instance whose references the batch holds (0: none yet).
    private(set) var referenceStoreToken: UInt32 = 0
    /// True once references of two store instances were mixed in the batch.
    private(set) var mixesStores = false
    /// Rows naming their series by reference.
    private(set) var referencedRowCount = 0
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
    /// Distinct series named in the batch (series appended by reference are not counted).
    public var seriesCount: Int { keys.count }
    /// Whether the batch holds no point.
    public var isEmpty: Bool { timestamps.isEmpty }
    /// The series named in the batch, in the order they were first named (a
    /// batch-local series number indexes it); series appended by reference are
    /// not listed.
    public var seriesKeys: [SeriesKey] { keys }

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

    /// Adds a Float64 point to the series of `reference`.
    ///
    /// - Precondition: the reference was made for ``ValueType/float64``.
    public mutating func append(_ reference: SeriesReference, timestamp: Int64, value: Double) {
        precondition(reference.type == .float64, "\(reference) holds int64 values")
        appendReferenced(reference, timestamp: timestamp, bits: value.bitPattern)
    }

    /// Adds an Int64 point to the series of `reference`.
    ///
    /// - Precondition: the reference was made for ``ValueType/int64``.
    public mutating func append(_ reference: SeriesReference, timestamp: Int64, value: Int64) {
        precondition(reference.type == .int64, "\(reference) holds float64 values")
        appendReferenced(reference, timestamp: timestamp, bits: UInt64(bitPattern: value))
    }

    @inline(__always)
    private mutating func appendReferenced(_ reference: SeriesReference, timestamp: Int64, bits value: UInt64) {
        if reference.storeToken != referenceStoreToken {
            if referenceStoreToken == 0 { referenceStoreToken = reference.storeToken } else { mixesStores = true }
        }
        seriesOfRow.append(reference.id | Self.referenceFlag)
        timestamps.append(timestamp)
        bits.append(value)
        referencedRowCount += 1
    }

    /// The store's series number of every row, given the numbers of the batch's named series.
    func rowNumbers(named: [UInt32]) -> [UInt32] {
        seriesOfRow.map { series in
            series & Self.referenceFlag != 0 ? series & ~Self.referenceFlag : named[Int(series)]
        }
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

/// A series resolved once by ``Store/reference(device:metric:type:)``, for
/// appending many points without naming the series each time.
///
/// Appending by name costs a hash of both names per series per batch; a
/// fleet whose batches hold one reading of many devices pays it for every
/// point. A reference is a number the store handed out: a batch of
/// references goes to the write-ahead log and the head with no name lookup.
///
/// ```swift
/// let temperature = try store.reference(device: "pump-7", metric: "temperature", type: .float64)
/// var batch = WriteBatch()
/// batch.append(temperature, timestamp: t, value: 21.5)
/// try store.append(batch)
/// ```
///
/// A reference is valid for the ``Store`` instance that made it, until it
/// is closed; appending it to another instance (even of the same directory)
/// throws `.invalidArgument`. It keeps the value type it was made with: if
/// the series is deleted over all time and then registered again with the
/// other type, appends through the old reference throw `.typeMismatch`.
public struct SeriesReference: Hashable, Sendable, CustomStringConvertible {
    /// The store-wide number of the series, below 2³¹.
    let id: UInt32
    /// The value type every point appended through the reference must have.
    public let type: ValueType
    /// Identifies the ``Store`` instance that made the reference.
    let storeToken: UInt32

    init(id: UInt32, type: ValueType, storeToken: UInt32) {
        self.id = id
        self.type = type
        self.storeToken = storeToken
    }

    /// `#ID (type)`: references print without their names, which only the store knows.
    public var description: String { "series #\(id) (\(type))" }
}

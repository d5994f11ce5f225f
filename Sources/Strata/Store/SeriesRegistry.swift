/// The series a store instance has numbered, so appends and the head refer
/// to a series by a 32-bit number instead of hashing its names.
///
/// Numbers are handed out in order and never reused while the store is
/// open; they are not stored in segments (the write-ahead log defines the
/// numbers each of its files uses, see <doc:WriteAheadLogFormat>). Memory is
/// about 100 bytes a series plus its names.
struct SeriesRegistry: Sendable {
    /// The most series one store instance numbers: row numbers keep their high bit free.
    static let capacity = Int(WriteBatch.referenceFlag)

    private(set) var keys: [SeriesKey] = []
    private(set) var types: [ValueType] = []
    /// Set when the series was deleted over all time and registered again with
    /// the other type, under a new number: appends through the old one are refused.
    private(set) var isRetired: [Bool] = []
    private var numbers: [SeriesKey: UInt32] = [:]

    var count: Int { keys.count }

    /// The current number of `key`, if it has one.
    func number(of key: SeriesKey) -> UInt32? { numbers[key] }

    /// Numbers `key` (which must not have a current number, or only a retired one).
    mutating func add(_ key: SeriesKey, type: ValueType) throws(StrataError) -> UInt32 {
        guard keys.count < Self.capacity else {
            throw StrataError(.invalidArgument, "a store instance numbers at most \(Self.capacity) series; reopen the store")
        }
        let number = UInt32(keys.count)
        keys.append(key)
        types.append(type)
        isRetired.append(false)
        numbers[key] = number
        return number
    }

    /// Retired numbers so far: while 0, appends skip the per-row check.
    private(set) var retiredCount = 0

    /// The first retired number among `numbers`.
    func firstRetired(in numbers: [UInt32]) -> UInt32? {
        guard retiredCount > 0 else { return nil }
        return numbers.first { isRetired[Int($0)] }
    }

    /// The first retired number among the references of `batch`.
    func firstRetired(in batch: WriteBatch) -> UInt32? {
        guard retiredCount > 0, batch.referencedRowCount > 0 else { return nil }
        for series in batch.seriesOfRow where series & WriteBatch.referenceFlag != 0 {
            let number = series & ~WriteBatch.referenceFlag
            if Int(number) < isRetired.count && isRetired[Int(number)] { return number }
        }
        return nil
    }

    /// Retires `number`: its key gets a new number when it is registered again.
    mutating func retire(_ number: UInt32) {
        if !isRetired[Int(number)] { retiredCount += 1 }
        isRetired[Int(number)] = true
        if numbers[keys[Int(number)]] == number { numbers[keys[Int(number)]] = nil }
    }
}

/// The last whole request of ``Store/latest(of:)`` kept for the next one:
/// a dashboard asks for the same fleet again and again, and preparing the
/// request (sorting its names, matching each head series to its place by
/// hashing both names) cost more than answering it.
///
/// Kept: the request's keys, their sorted names, and, for every series number
/// a head has offered so far, the request position it maps to. A number's key
/// never changes (a deleted series that is written again gets a new number),
/// so a mapping, once made, stays right; numbers not seen before are matched
/// through the names' hash table, built only then.
struct LatestRequestMemo: Sendable {
    let keys: [SeriesKey]
    let names: SortedSeriesNames
    /// Per series number: the request position, ``notRequested``, or ``unknown``.
    private(set) var positionOfNumber: [Int32] = []
    private var table: SeriesPositionTable?

    static let unknown: Int32 = -2
    static let notRequested: Int32 = -1

    init(keys: [SeriesKey]) throws(StrataError) {
        self.keys = keys
        names = try SortedSeriesNames(keys)
    }

    /// Whether the memo answers for `keys` (the same array is recognized at once).
    func matches(_ keys: [SeriesKey]) -> Bool { self.keys == keys }

    /// Maps every series number of `heads` not mapped yet: the walks that
    /// follow only read ``positionOfNumber``.
    mutating func mapNumbers(of heads: [Head]) {
        for head in heads {
            for slot in 0..<head.seriesCount {
                let number = Int(head.slotNumbers[slot])
                if number >= positionOfNumber.count {
                    positionOfNumber.append(contentsOf: repeatElement(Self.unknown, count: max(number + 1, positionOfNumber.count * 2) - positionOfNumber.count))
                }
                guard positionOfNumber[number] == Self.unknown else { continue }
                if table == nil { table = SeriesPositionTable(names) }
                let position = names.bytes.withUnsafeBytes { base in table!.position(of: head.slotKeys[slot], in: names, base: base) }
                positionOfNumber[number] = position.map { Int32($0) } ?? Self.notRequested
            }
        }
    }
}

/// The in-memory part of a store: points appended since the last flush.
///
/// Rows are kept in write order in a few flat columns (series slot,
/// timestamp, value bits), so appending a batch costs a handful of array
/// appends per point and no allocation per series. Each row also links to
/// the previous row of its series, so the points of one series are found
/// without scanning the head: a query walks its chain.
///
/// A series gets a slot the first time it appears in this head; slots refer
/// to the store's series numbers (see ``SeriesRegistry``).
struct Head: Sendable {
    /// Marks "no row" in a chain and "no slot" in `slotOfNumber`.
    static let none = UInt32.max

    /// Per slot, what appending needs: kept apart from the names so the hot
    /// loop touches one small record per point.
    struct SlotState {
        var lastRow: UInt32
        var count: UInt32
        var lastTime: Int64
        /// True while every timestamp was greater than the one before.
        var isStrictlyIncreasing: Bool
        /// The greatest timestamp and the last row written with it: the
        /// series' newest point, kept as rows arrive so that reading it never
        /// walks the chain (late points make the chain's last row an old one).
        var newestTime: Int64 = .min
        var newestRow: UInt32 = Head.none
    }

    private(set) var rowSlots: [UInt32] = []
    private(set) var timestamps: [Int64] = []
    private(set) var bits: [UInt64] = []
    /// The row before this one in the same series, or ``none``.
    private var previousRow: [UInt32] = []

    private(set) var slots: [SlotState] = []
    /// The store's series number of each slot.
    private(set) var slotNumbers: [UInt32] = []
    private(set) var slotKeys: [SeriesKey] = []
    private(set) var slotTypes: [ValueType] = []
    /// Series number → slot, or ``none``; grown on demand.
    private var slotOfNumber: [UInt32] = []

    /// The smallest and largest timestamps appended (`.max` and `.min` when
    /// empty): compaction leaves the windows they span partly merged, since
    /// more points for them are on the way.
    private(set) var minimumTime = Int64.max
    private(set) var maximumTime = Int64.min

    /// The most rows a head holds: row numbers are 32-bit.
    static let rowCapacity = Int(UInt32.max - 1)

    var pointCount: Int { timestamps.count }
    var isEmpty: Bool { timestamps.isEmpty }
    var seriesCount: Int { slots.count }

    /// The slot of series `number`, if the head holds points of it.
    func slot(ofNumber number: UInt32) -> Int? {
        let index = Int(number)
        guard index < slotOfNumber.count else { return nil }
        let slot = slotOfNumber[index]
        return slot == Self.none ? nil : Int(slot)
    }

    /// Empties the head, keeping its buffers when it holds them alone.
    mutating func removeAll() {
        rowSlots.removeAll(keepingCapacity: true)
        timestamps.removeAll(keepingCapacity: true)
        bits.removeAll(keepingCapacity: true)
        previousRow.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        slotNumbers.removeAll(keepingCapacity: true)
        slotKeys.removeAll(keepingCapacity: true)
        slotTypes.removeAll(keepingCapacity: true)
        for index in slotOfNumber.indices { slotOfNumber[index] = Self.none }
        minimumTime = .max
        maximumTime = .min
    }

    /// Makes room for `rows` more rows at once (a batch's worth).
    mutating func reserve(rows: Int) {
        let needed = timestamps.count + rows
        guard needed > timestamps.capacity else { return }
        let capacity = max(needed, timestamps.capacity * 2)
        rowSlots.reserveCapacity(capacity)
        timestamps.reserveCapacity(capacity)
        bits.reserveCapacity(capacity)
        previousRow.reserveCapacity(capacity)
    }

    /// Adds a slot for series `number`.
    mutating func addSlot(number: UInt32, key: SeriesKey, type: ValueType) -> Int {
        let index = Int(number)
        if index >= slotOfNumber.count {
            slotOfNumber.append(contentsOf: repeatElement(Self.none, count: max(index + 1, slotOfNumber.count * 2) - slotOfNumber.count))
        }
        let slot = slots.count
        slotOfNumber[index] = UInt32(slot)
        slots.append(SlotState(lastRow: Self.none, count: 0, lastTime: .min, isStrictlyIncreasing: true))
        slotNumbers.append(number)
        slotKeys.append(key)
        slotTypes.append(type)
        return slot
    }

    @inline(__always)
    mutating func append(slot: Int, timestamp: Int64, bits value: UInt64) {
        let row = UInt32(truncatingIfNeeded: timestamps.count)
        var state = slots[slot]
        previousRow.append(state.lastRow)
        state.lastRow = row
        state.count &+= 1
        if timestamp <= state.lastTime { state.isStrictlyIncreasing = false }
        state.lastTime = timestamp
        if timestamp >= state.newestTime { (state.newestTime, state.newestRow) = (timestamp, row) }
        slots[slot] = state
        if timestamp < minimumTime { minimumTime = timestamp }
        if timestamp > maximumTime { maximumTime = timestamp }
        rowSlots.append(UInt32(truncatingIfNeeded: slot))
        timestamps.append(timestamp)
        bits.append(value)
    }

    /// Appends a batch's rows: row `i` is point (`timestamps[i]`, `bits[i]`)
    /// of series `numbers[i]`. A series new to the head gets a slot, named by
    /// `keys` and `types` (the store's series table).
    ///
    /// The rows are copied in bulk and linked in one pass over unsafe
    /// buffers: this is the appender's per-point work, so it avoids the
    /// uniqueness and capacity checks of four array appends per row.
    mutating func append(
        numbers: UnsafeBufferPointer<UInt32>, timestamps times: UnsafeBufferPointer<Int64>,
        bits values: UnsafeBufferPointer<UInt64>, keys: [SeriesKey], types: [ValueType]
    ) {
        let count = numbers.count
        precondition(times.count == count && values.count == count, "Head: rows of unequal lengths")
        guard count > 0 else { return }
        for number in numbers where slot(ofNumber: number) == nil {
            _ = addSlot(number: number, key: keys[Int(number)], type: types[Int(number)])
        }
        let first = timestamps.count
        reserve(rows: count)
        timestamps.append(contentsOf: times)
        bits.append(contentsOf: values)
        rowSlots.append(contentsOf: repeatElement(0, count: count))
        previousRow.append(contentsOf: repeatElement(0, count: count))
        var earliest = minimumTime
        var latest = maximumTime
        rowSlots.withUnsafeMutableBufferPointer { rowSlots in
            previousRow.withUnsafeMutableBufferPointer { previousRow in
                slots.withUnsafeMutableBufferPointer { states in
                    slotOfNumber.withUnsafeBufferPointer { slotOfNumber in
                        for index in 0..<count {
                            let slot = Int(slotOfNumber[Int(numbers[index])])
                            let row = first &+ index
                            let timestamp = times[index]
                            var state = states[slot]
                            previousRow[row] = state.lastRow
                            state.lastRow = UInt32(truncatingIfNeeded: row)
                            state.count &+= 1
                            if timestamp <= state.lastTime { state.isStrictlyIncreasing = false }
                            state.lastTime = timestamp
                            if timestamp >= state.newestTime { (state.newestTime, state.newestRow) = (timestamp, state.lastRow) }
                            states[slot] = state
                            rowSlots[row] = UInt32(truncatingIfNeeded: slot)
                            earliest = Swift.min(earliest, timestamp)
                            latest = Swift.max(latest, timestamp)
                        }
                    }
                }
            }
        }
        minimumTime = earliest
        maximumTime = latest
    }

    /// The points of the series in `slot`, in write order (walks its chain).
    func series(atSlot slot: Int) -> HeadSeries {
        let state = slots[slot]
        let count = Int(state.count)
        var times = [Int64](repeating: 0, count: count)
        var values = [UInt64](repeating: 0, count: count)
        var row = state.lastRow
        var position = count
        while row != Self.none {
            position -= 1
            times[position] = timestamps[Int(row)]
            values[position] = bits[Int(row)]
            row = previousRow[Int(row)]
        }
        return HeadSeries(key: slotKeys[slot], type: slotTypes[slot], timestamps: times, bits: values,
                          isStrictlyIncreasing: state.isStrictlyIncreasing)
    }

    /// The newest point of the series in `slot`: its greatest timestamp and,
    /// of several writes to it, the last one's value. O(1): kept as rows are
    /// appended. Nil when the slot holds no row.
    func latest(atSlot slot: Int) -> (time: Int64, bits: UInt64)? {
        let state = slots[slot]
        guard state.newestRow != Self.none else { return nil }
        return (state.newestTime, bits[Int(state.newestRow)])
    }

    /// The points of series `number` held in this head, if any.
    func snapshot(ofNumber number: UInt32) -> HeadSeries? {
        slot(ofNumber: number).map { series(atSlot: $0) }
    }

    /// Appends every row of `other` after this head's rows, in `other`'s write order.
    mutating func append(contentsOf other: Head) {
        reserve(rows: other.pointCount)
        var mapped = [Int](repeating: -1, count: other.slots.count)
        for row in 0..<other.pointCount {
            let otherSlot = Int(other.rowSlots[row])
            if mapped[otherSlot] < 0 {
                let number = other.slotNumbers[otherSlot]
                mapped[otherSlot] = slot(ofNumber: number)
                    ?? addSlot(number: number, key: other.slotKeys[otherSlot], type: other.slotTypes[otherSlot])
            }
            append(slot: mapped[otherSlot], timestamp: other.timestamps[row], bits: other.bits[row])
        }
    }
}

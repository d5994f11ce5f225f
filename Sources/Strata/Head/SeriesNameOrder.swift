/// Every series flushed so far, in the order segments store them: by the
/// UTF-8 bytes of the device name, then of the metric name.
///
/// Kept across flushes so that each flush sorts only the series new to it
/// and finds the order of the others in one pass, instead of comparing
/// names n log n times per flush (a fifth of a 400,000-series flush did
/// that).
struct SeriesNameOrder {
    /// Series numbers in name order.
    private var numbers: [UInt32] = []
    /// The key of each entry of `numbers`.
    private var keys: [SeriesKey] = []
    /// By series number: whether it is in `numbers`.
    private var isKnown: [Bool] = []

    /// The slots of `head`, in name order.
    mutating func slots(of head: Head) -> [Int] {
        var fresh: [Int] = []
        for (slot, number) in head.slotNumbers.enumerated() {
            let index = Int(number)
            if index >= isKnown.count || !isKnown[index] { fresh.append(slot) }
        }
        if !fresh.isEmpty { insert(fresh, of: head) }
        var order: [Int] = []
        order.reserveCapacity(head.seriesCount)
        for number in numbers {
            if let slot = head.slot(ofNumber: number) { order.append(slot) }
        }
        return order
    }

    /// Sorts the slots `fresh` of `head` by name and merges them in.
    private mutating func insert(_ fresh: [Int], of head: Head) {
        let sorted = head.slotKeys.withUnsafeBufferPointer { slotKeys in
            fresh.sorted { slotKeys[$0] < slotKeys[$1] }
        }
        var mergedNumbers: [UInt32] = []
        var mergedKeys: [SeriesKey] = []
        mergedNumbers.reserveCapacity(numbers.count + sorted.count)
        mergedKeys.reserveCapacity(numbers.count + sorted.count)
        var position = 0
        for slot in sorted {
            let key = head.slotKeys[slot]
            while position < keys.count && keys[position] < key {
                mergedNumbers.append(numbers[position])
                mergedKeys.append(keys[position])
                position += 1
            }
            let number = head.slotNumbers[slot]
            mergedNumbers.append(number)
            mergedKeys.append(key)
            if Int(number) >= isKnown.count {
                isKnown.append(contentsOf: repeatElement(false, count: max(Int(number) + 1, isKnown.count * 2) - isKnown.count))
            }
            isKnown[Int(number)] = true
        }
        mergedNumbers.append(contentsOf: numbers[position...])
        mergedKeys.append(contentsOf: keys[position...])
        numbers = mergedNumbers
        keys = mergedKeys
    }
}

/// What a flush keeps from one to the next, guarded by the store's flush
/// gate: the columns it deals a head into, and the name order of the series.
struct FlushScratch {
    var runs = HeadRuns()
    var order = SeriesNameOrder()
}

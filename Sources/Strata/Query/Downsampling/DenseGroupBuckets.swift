/// The buckets of a merged group on a fixed grid, found by position instead
/// of by merging sorted lists: bucket starts are `base + k × step`, and slot
/// `k` holds the position of bucket `k`'s accumulator (or -1). Each member's
/// buckets are folded in as they come, in member order, in time linear in
/// their number; the slots grow (or move their base back) as needed.
///
/// It declines (``add(start:_:)`` returns false) where positions cannot
/// stand for starts: a start clamped to `Int64.min`, local-day grids, and
/// spans needing more than ``maximumSlots`` slots. The caller then merges
/// sorted lists instead.
struct DenseGroupBuckets {
    /// 16 M slots, 64 MiB: beyond, a sparse group is merged as sorted lists.
    static let maximumSlots = 1 << 24
    let step: Int64
    private var base: Int64 = 0
    private var slots: [Int32] = []
    private var starts: [Int64] = []
    private var accumulators: [BucketAccumulator] = []

    init(step: Int64) { self.step = step }

    /// Folds one member's bucket into the group; false, leaving the group as it was, when it cannot.
    mutating func add(start: Int64, _ accumulator: BucketAccumulator) -> Bool {
        guard start != .min else { return false }
        if slots.isEmpty {
            base = start
            slots = [-1]
        }
        let (offset, overflow) = start.subtractingReportingOverflow(base)
        guard !overflow, offset % step == 0 else { return false }
        var slot = offset / step
        if slot < 0 {
            // Move the base back, with room to spare so a series walking backwards stays linear.
            let needed = Int(-slot)
            let grown = max(needed, slots.count)
            guard slots.count + grown <= Self.maximumSlots,
                  case (let span, false) = Int64(grown).multipliedReportingOverflow(by: step),
                  case (let newBase, false) = base.subtractingReportingOverflow(span) else { return false }
            slots.insert(contentsOf: repeatElement(-1, count: grown), at: 0)
            base = newBase
            slot += Int64(grown)
        } else if slot >= slots.count {
            guard slot < Self.maximumSlots else { return false }
            slots.append(contentsOf: repeatElement(-1, count: max(Int(slot) + 1 - slots.count, min(slots.count, Self.maximumSlots - slots.count))))
        }
        let position = Int(slots[Int(slot)])
        if position >= 0 {
            accumulators[position].merge(accumulator)
        } else {
            slots[Int(slot)] = Int32(accumulators.count)
            starts.append(start)
            accumulators.append(accumulator)
        }
        return true
    }

    /// The group's buckets sorted by start.
    func sorted() -> (starts: [Int64], accumulators: [BucketAccumulator]) {
        var sortedStarts: [Int64] = [], sorted: [BucketAccumulator] = []
        sortedStarts.reserveCapacity(starts.count)
        sorted.reserveCapacity(starts.count)
        for position in slots where position >= 0 {
            sortedStarts.append(starts[Int(position)])
            sorted.append(accumulators[Int(position)])
        }
        return (sortedStarts, sorted)
    }
}

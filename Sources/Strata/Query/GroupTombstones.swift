/// The deletions that name each device group of ``SortedSeriesNames``,
/// found by one merge of the sorted deletions with the sorted devices rather
/// than by comparing every deletion with every device.
struct GroupTombstones {
    /// The deletions, sorted by device (UTF-8 bytes).
    private let sorted: [Tombstone]
    /// Per group: the range of `sorted` naming its device.
    private var ranges: [Range<Int>] = []

    init(_ tombstones: [Tombstone], for names: SortedSeriesNames) {
        sorted = tombstones.sorted { UTF8Order.precedes($0.device, $1.device) }
        guard !sorted.isEmpty else { return }
        ranges.reserveCapacity(names.groupCount)
        var next = 0
        for group in 0..<names.groupCount {
            let device = names.deviceName(ofGroup: group)
            while next < sorted.count && UTF8Order.precedes(sorted[next].device, device) { next += 1 }
            var end = next
            while end < sorted.count && UTF8Order.equal(sorted[end].device, device) { end += 1 }
            ranges.append(next..<end)
            next = end
        }
    }

    /// True when there is no deletion at all.
    var isEmpty: Bool { sorted.isEmpty }

    /// True when a deletion ranked above `segment` may hide the point of
    /// `key` (of `group`) at `time`. It covers the deletions the segment has
    /// applied already too: the caller then scans, which decides exactly.
    func mayHide(_ time: Int64, of key: SeriesKey, group: Int, in segment: SegmentFile) -> Bool {
        guard !sorted.isEmpty else { return false }
        for tombstone in sorted[ranges[group]] where tombstone.rank > segment.rank && tombstone.covers(time) {
            if tombstone.metric.map({ UTF8Order.equal($0, key.metric) }) ?? true { return true }
        }
        return false
    }
}

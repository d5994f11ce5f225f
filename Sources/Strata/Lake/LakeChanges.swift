/// What a sync reads of the store before any point: the segments, deletions
/// and unflushed points at one moment, and the number the next segment or
/// deletion will get (everything numbered from it on came later).
struct LakeSnapshot {
    var nextSequence: UInt64
    var segments: [SegmentFile]
    var tombstones: [Tombstone]
    /// Per series in the heads: its device and the span of its unflushed points.
    var headSeries: [(device: String, span: ClosedRange<Int64>)]
    /// The span of every unflushed point.
    var headSpan: ClosedRange<Int64>?

    init(of store: Store) {
        (nextSequence, segments, tombstones, headSeries, headSpan) = store.state.withLock { state in
            var series: [(String, ClosedRange<Int64>)] = []
            for head in state.flushing + [state.head] { series += head.seriesSpans() }
            return (state.nextSequence, state.segments, state.manifest.tombstones, series, state.unflushedTimes)
        }
    }

    /// The live segments holding points, as a later sync's state remembers them.
    var seenSegments: [LakeSyncState.SeenSegment] {
        segments.compactMap { segment in
            segment.timeBounds.map { LakeSyncState.SeenSegment(sequence: segment.sequence, first: $0.first, last: $0.last, points: UInt64(segment.pointCount)) }
        }
    }
}

extension Head {
    /// Each series' device and the span of its points here.
    func seriesSpans() -> [(device: String, span: ClosedRange<Int64>)] {
        var low = [Int64](repeating: .max, count: seriesCount)
        var high = [Int64](repeating: .min, count: seriesCount)
        for row in 0..<pointCount {
            let slot = Int(rowSlots[row]), time = timestamps[row]
            low[slot] = min(low[slot], time)
            high[slot] = max(high[slot], time)
        }
        return (0..<seriesCount).compactMap { slot in low[slot] <= high[slot] ? (slotKeys[slot].device, low[slot]...high[slot]) : nil }
    }
}

/// The partitions a sync must look at, as runs of partitions per device:
/// found from the store's index, the deletions and the previous state,
/// never from the points themselves. A run may hold partitions with no
/// point and partitions that did not change: the sync reads each run's
/// points and rewrites a partition only when its rows differ from the file's
/// (see ``PartitionDigest``).
///
/// What can change a partition since the previous sync, and how each is found:
/// - points written since (new, late, or overwriting): they are in segments
///   numbered from the previous snapshot's next sequence on (flushed, or
///   compacted together with older ones), or in the head: the spans of those
///   segments' chunks and of the head's series;
/// - a deletion recorded since: its device and range, while it is pending;
///   once compaction has applied it, the segments it rewrote are new (and the
///   old ones are gone, below), and the compacted windows that applied it
///   are checked whole;
/// - points gone by retention or by a deletion applied in compaction: a
///   segment the previous sync saw is gone, so every owned partition in its
///   time span is checked;
/// - points that were unflushed at the previous sync: their span is checked
///   again, whatever happened to them since;
/// - points the open store's retention hides as the clock moves (no segment
///   changes until a compaction): owned partitions beginning before the cutoff.
struct LakeChanges {
    /// Device names by their bytes, so canonically equivalent names stay apart.
    private var names: [[UInt8]: String] = [:]
    private var spansByDevice: [[UInt8]: [(first: Int64, last: Int64)]] = [:]
    let granularity: LakeGranularity

    init(granularity: LakeGranularity) {
        self.granularity = granularity
    }

    /// Adds the partitions of `device` that `span` (timestamps) meets.
    mutating func add(device: String, span: ClosedRange<Int64>) {
        add(device: device, partitions: (granularity.partition(of: span.lowerBound), granularity.partition(of: span.upperBound)))
    }

    mutating func add(device: String, partitions: (first: Int64, last: Int64)) {
        let key = Array(device.utf8)
        names[key] = device
        spansByDevice[key, default: []].append(partitions)
    }

    /// Every partition of `device`.
    mutating func addAll(device: String) {
        add(device: device, span: Int64.min...Int64.max)
    }

    /// The devices with runs to read, sorted (UTF-8 bytes), and each one's
    /// runs in time order, overlapping and adjacent runs merged.
    func merged() -> [(device: String, runs: [(first: Int64, last: Int64)])] {
        var result: [(device: String, runs: [(first: Int64, last: Int64)])] = []
        for (key, spans) in spansByDevice {
            var merged: [(first: Int64, last: Int64)] = []
            for span in spans.sorted(by: { $0.first < $1.first }) {
                if let last = merged.last, span.first <= granularity.next(after: last.last) {
                    merged[merged.count - 1].last = max(last.last, span.last)
                } else {
                    merged.append(span)
                }
            }
            result.append((names[key]!, merged))
        }
        return result.sorted { UTF8Order.precedes($0.device, $1.device) }
    }

    /// The runs to read, from what changed in `snapshot` since `state` (nil:
    /// no previous sync, or one that cannot be trusted: then everything).
    ///
    /// - Parameters:
    ///   - owned: the partitions the lake holds for this store, sorted.
    ///   - selects: whether a device is synced.
    /// - Throws: `.corruptFile` when a segment's index entry is damaged.
    ///   - retention: the open store's retention, which hides points by the wall clock
    ///     (`now`) without changing a segment: owned partitions that begin before a
    ///     device's cutoff are checked at every sync.
    static func find(
        in snapshot: LakeSnapshot, since state: LakeSyncState?, owned: [LakePartition], granularity: LakeGranularity,
        retention: RetentionPolicy = RetentionPolicy(), now: Int64 = 0, selects: (String) -> Bool
    ) throws(StrataError) -> LakeChanges {
        var changes = LakeChanges(granularity: granularity)
        guard let state else {
            // Everything: every owned partition, every device in every segment and in the head.
            for partition in owned { changes.add(device: partition.device, partitions: (partition.first, partition.first)) }
            for segment in snapshot.segments {
                for position in 0..<segment.deviceCount {
                    let device = try segment.deviceName(at: position)
                    if selects(device) { changes.addAll(device: device) }
                }
            }
            for (device, span) in snapshot.headSeries where selects(device) { changes.add(device: device, span: span) }
            return changes
        }
        let watermark = state.watermark
        var spansOfAllDevices: [ClosedRange<Int64>] = []
        // Points written since: segments ranked from the watermark on hold points flushed since
        // (a compaction ranks as its newest input), and the head.
        for segment in snapshot.segments where segment.rank >= watermark {
            try changes.addChunks(of: segment, selects: selects)
        }
        // Deletions applied by a compaction since may have emptied whole series of its window.
        for segment in snapshot.segments where segment.sequence >= watermark && segment.deletionsApplied >= watermark && segment.level > 0 {
            if let bounds = segment.timeBounds {
                let window = CompactionWindow.of(level: segment.level, firstTime: bounds.first)
                spansOfAllDevices.append(window.start...window.last)
            }
        }
        for (device, span) in snapshot.headSeries where selects(device) { changes.add(device: device, span: span) }
        // Deletions recorded since, still pending.
        for tombstone in snapshot.tombstones where tombstone.rank >= watermark && selects(tombstone.device)
            && !TimeRangeEnd.isEmpty(from: tombstone.from, to: tombstone.to) {
            changes.add(device: tombstone.device, span: tombstone.from...TimeRangeEnd.lastIncluded(before: tombstone.to))
        }
        // Segments seen last time and gone: their points moved (and were found above) or left the store.
        let accountedFor = movedWhole(state.segments, into: snapshot.segments, since: state)
        let live = Set(snapshot.segments.map(\.sequence))
        for seen in state.segments where !live.contains(seen.sequence) && !accountedFor.contains(seen.sequence) {
            spansOfAllDevices.append(seen.first...seen.last)
        }
        if let headSpan = state.headSpan { spansOfAllDevices.append(headSpan) }
        changes.addOwned(owned, meeting: spansOfAllDevices)
        if !retention.keepsEverything {
            for partition in owned {
                guard let cutoff = retention.cutoff(for: partition.device, now: now),
                      LakeGranularity.startOfDay(partition.first) < cutoff else { continue }
                changes.add(device: partition.device, partitions: (partition.first, partition.first))
            }
        }
        return changes
    }

    /// The segments the previous sync saw that compaction has replaced
    /// without dropping a point: their points are all in live segments,
    /// unchanged, so their spans need no second look.
    ///
    /// Two ways to know. Globally: the live segments written since that rank
    /// below the watermark hold only points the previous sync saw (points
    /// flushed since rank above it), so if no compaction since took in new
    /// points (ranked above the watermark) and those segments store as many
    /// points as every vanished seen segment did, none was dropped (by
    /// retention, a deletion, or as an overwritten duplicate). Failing that,
    /// step by step: a compaction whose inputs (from its provenance) were all
    /// seen segments, whose outputs are all live, and which stores as many
    /// points as they did.
    static func movedWhole(_ seen: [LakeSyncState.SeenSegment], into segments: [SegmentFile], since state: LakeSyncState) -> Set<UInt64> {
        let live = Dictionary(segments.map { ($0.sequence, $0) }, uniquingKeysWith: { a, _ in a })
        let vanished = seen.filter { live[$0.sequence] == nil }
        guard !vanished.isEmpty else { return [] }
        let newSince = segments.filter { $0.sequence >= state.watermark }
        if !newSince.contains(where: { $0.rank >= state.watermark && $0.level > 0 }) {
            let pointsIn = vanished.reduce(UInt64(0)) { $0 &+ $1.points }
            let pointsOut = newSince.filter { $0.rank < state.watermark }.reduce(UInt64(0)) { $0 &+ UInt64($1.pointCount) }
            if pointsIn == pointsOut { return Set(vanished.map(\.sequence)) }
        }
        let seenPoints = Dictionary(seen.map { ($0.sequence, $0.points) }, uniquingKeysWith: { a, _ in a })
        var accounted = Set<UInt64>()
        for segment in newSince {
            guard let provenance = segment.recordedProvenance, !provenance.replaced.isEmpty else { continue }
            let siblings = provenance.siblings.isEmpty ? [segment.sequence] : provenance.siblings
            guard siblings.allSatisfy({ live[$0] != nil }), provenance.replaced.allSatisfy({ seenPoints[$0] != nil }) else { continue }
            let pointsIn = provenance.replaced.reduce(UInt64(0)) { $0 &+ seenPoints[$1]! }
            let pointsOut = siblings.reduce(UInt64(0)) { $0 &+ UInt64(live[$1]!.pointCount) }
            if pointsIn == pointsOut { accounted.formUnion(provenance.replaced) }
        }
        return accounted
    }

    /// Adds the span of every chunk of `segment`'s selected devices.
    private mutating func addChunks(of segment: SegmentFile, selects: (String) -> Bool) throws(StrataError) {
        for position in 0..<segment.deviceCount {
            let device = try segment.deviceName(at: position)
            guard selects(device) else { continue }
            let entry = try segment.device(at: position)
            for group in entry.groups {
                for chunk in group.timeChunks where chunk.count > 0 && chunk.minTime <= chunk.maxTime {
                    add(device: device, span: chunk.minTime...chunk.maxTime)
                }
            }
        }
    }

    /// Adds each partition of `owned` (sorted by device, then time) that one of `spans` meets.
    private mutating func addOwned(_ owned: [LakePartition], meeting spans: [ClosedRange<Int64>]) {
        guard !spans.isEmpty else { return }
        let partitionSpans = spans.map { (granularity.partition(of: $0.lowerBound), granularity.partition(of: $0.upperBound)) }
        for partition in owned where partitionSpans.contains(where: { $0.0 <= partition.first && partition.first <= $0.1 }) {
            add(device: partition.device, partitions: (partition.first, partition.first))
        }
    }
}

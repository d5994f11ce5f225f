/// One step of compaction: what to read and where its points go.
enum CompactionStep {
    /// Segments whose every point has expired: removed without reading them.
    case drop([SegmentFile])
    /// Flushed segments (the lowest-ranked ones), rewritten into one segment
    /// per time window their points fall in.
    case partition([SegmentFile])
    /// Every compacted segment of one window (or of the days of one week),
    /// merged into one segment of `window`.
    case merge([SegmentFile], into: CompactionWindow)

    var inputs: [SegmentFile] {
        switch self {
        case .drop(let segments), .partition(let segments), .merge(let segments, _): segments
        }
    }
}

/// Chooses the next compaction step for a set of segments.
///
/// Last-write-wins needs one invariant: the segments a step merges must be
/// such that no segment left out ranks between them *and* shares a
/// timestamp with them, because the output takes the highest input rank.
/// Two rules keep it:
/// - flushed segments always rank above compacted ones (an output takes its
///   inputs' highest rank, and flushed inputs are the lowest-ranked flushed
///   segments), and `partition` takes a lowest-ranked run of them;
/// - a compacted segment holds points of its window only, and `merge` takes
///   every segment of its window, so the ones it leaves out do not overlap it.
struct CompactionPlanner {
    let policy: CompactionPolicy
    let retention: RetentionPolicy
    /// Deletions not yet applied to every segment they concern.
    let tombstones: [Tombstone]
    let now: Int64
    /// Compact whatever can be: flushed segments below the trigger, and day
    /// windows with more than one segment even while the day is open.
    let force: Bool
    /// The time span of the points not yet flushed, if any: windows it meets
    /// (or a flushed segment meets) are still receiving points.
    var arriving: ClosedRange<Int64>? = nil

    /// Segments a size-tiered merge takes at least.
    static let tierWidth = 4

    func nextStep(_ segments: [SegmentFile]) -> CompactionStep? {
        if !retention.keepsEverything {
            let expired = segments.filter { $0.hasExpired(under: retention, now: now) }
            if !expired.isEmpty { return .drop(expired) }
        }

        let flushed = segments.filter { $0.level == 0 }.sorted { $0.rank < $1.rank }
        if flushed.count >= policy.flushedSegmentTrigger || (force && !flushed.isEmpty) {
            var inputs: [SegmentFile] = []
            var bytes = 0
            for segment in flushed {
                if !inputs.isEmpty && bytes + segment.byteCount > policy.maximumInputBytes { break }
                inputs.append(segment)
                bytes += segment.byteCount
            }
            return .partition(inputs)
        }

        // A segment holding points a deletion hides is rewritten without them, with
        // the segments it must merge with. So is, when compacting on request, one
        // holding points retention has expired for over an hour.
        for segment in segments.sorted(by: { $0.rank < $1.rank }) {
            let deleted = tombstones.contains { segment.isConcerned(by: $0) && segment.mayHold($0) }
            let expired = force && segment.holdsPoints(expiredBefore: policy.closeAfterMilliseconds, under: retention, now: now)
            guard deleted || expired else { continue }
            if segment.level == 0 {
                return .partition(flushed.filter { $0.rank <= segment.rank })
            }
            return mergeStep(containing: segment, among: segments)
        }

        // Compacted segments, by the top-level window they lie in, then level by level down.
        var receiving = flushed.compactMap(\.timeBounds).map { $0.first...$0.last }
        if let arriving { receiving.append(arriving) }
        var byTop: [CompactionWindow: [SegmentFile]] = [:]
        for segment in segments where segment.level != 0 {
            guard let first = segment.timeBounds?.first else { continue }
            byTop[CompactionWindow.containing(first, level: CompactionWindow.topLevel), default: []].append(segment)
        }
        for top in byTop.keys.sorted() {
            if let step = step(for: byTop[top]!, in: top, receiving: receiving) { return step }
        }
        return nil
    }

    /// The next merge among `members`, the compacted segments lying in `window`.
    ///
    /// A window that has a segment of its own level and others besides is
    /// merged whole once no more points are arriving for it (see
    /// ``settledMerge(_:in:receiving:)``). Otherwise its child windows come first;
    /// then a finished window is merged into one segment: always for a week, and
    /// above a week when its segments are all one level down and together at
    /// most ``CompactionPolicy/largeWindowMaximumBytes`` (so sparse data ends up
    /// in few files with full chunks, while a large fleet keeps weekly files).
    private func step(for members: [SegmentFile], in window: CompactionWindow, receiving: [ClosedRange<Int64>]) -> CompactionStep? {
        let sorted = members.sorted { $0.rank < $1.rank }
        if window.level == CompactionWindow.dayLevel || members.contains(where: { $0.level == window.level }) {
            return settledMerge(sorted, in: window, receiving: receiving)
        }
        var children: [CompactionWindow: [SegmentFile]] = [:]
        for segment in members { children[window.child(containing: segment.timeBounds!.first), default: []].append(segment) }
        for child in children.keys.sorted() {
            if let step = step(for: children[child]!, in: child, receiving: receiving) { return step }
        }
        guard window.isClosed(now: now, closeAfter: policy.closeAfterMilliseconds) else { return nil }
        if window.level == CompactionWindow.weekLevel { return .merge(sorted, into: window) }
        let small = members.reduce(0) { $0 + $1.byteCount } <= policy.largeWindowMaximumBytes
        if members.count > 1, small, members.allSatisfy({ $0.level == window.level - 1 }) {
            return .merge(sorted, into: window)
        }
        return nil
    }

    /// The merge due among `sorted` (lowest rank first), the segments of a
    /// window that holds its own level's segments (or of a day).
    ///
    /// Once the window is over and no point for it waits in the head or in a
    /// flushed segment, it is merged whole into one segment. While points
    /// still arrive (an open day, or history being loaded), merging it whole
    /// at every compaction would rewrite the window so far each time: a
    /// quadratic cost. Its newest segments are then merged in size tiers
    /// instead: the run of the newest segments in which each holds at most one
    /// and a half times the points of all newer ones together (the half absorbs
    /// differences between flushes; points, not bytes, since a merged segment
    /// compresses better than its inputs), once it counts ``tierWidth``. A
    /// point is so rewritten about log₂ of the window's compactions times, and
    /// the window keeps a few files of growing size; ``CompactionPolicy/openDaySegmentLimit``
    /// bounds them, merging the window whole when reached. Merging a run of
    /// the newest keeps last-write-wins: every segment left out ranks below it.
    private func settledMerge(_ sorted: [SegmentFile], in window: CompactionWindow, receiving: [ClosedRange<Int64>]) -> CompactionStep? {
        guard sorted.count > 1 else { return nil }
        let stillArriving = receiving.contains { $0.lowerBound <= window.last && $0.upperBound >= window.start }
        if force || sorted.count >= policy.openDaySegmentLimit
            || (!stillArriving && window.isClosed(now: now, closeAfter: policy.closeAfterMilliseconds)) {
            return .merge(sorted, into: window)
        }
        var run = 1
        var newerPoints = sorted[sorted.count - 1].pointCount
        for segment in sorted.dropLast().reversed() {
            guard segment.pointCount * 2 <= newerPoints * 3 else { break }
            run += 1
            newerPoints += segment.pointCount
        }
        return run >= Self.tierWidth ? .merge(Array(sorted.suffix(run)), into: window) : nil
    }

    /// The merge that rewrites compacted `segment` with every segment it must
    /// share a window with: those of the largest window around it that holds a
    /// segment of its own level.
    private func mergeStep(containing segment: SegmentFile, among segments: [SegmentFile]) -> CompactionStep {
        let first = segment.timeBounds?.first ?? 0
        let compacted = segments.filter { $0.level != 0 && $0.timeBounds != nil }
        var level = CompactionWindow.topLevel
        while true {
            let window = CompactionWindow.containing(first, level: level)
            let inside = compacted.filter { CompactionWindow.containing($0.timeBounds!.first, level: level) == window }
            if level <= segment.level || inside.contains(where: { $0.level == level }) {
                return .merge(inside.sorted { $0.rank < $1.rank }, into: window)
            }
            level -= 1
        }
    }
}

extension SegmentFile {
    /// True when, by its index, the segment may hold points `tombstone` deletes.
    /// A damaged index entry for the device may hold anything: true.
    func mayHold(_ tombstone: Tombstone) -> Bool {
        let found: DeviceEntry?
        do throws(StrataError) { found = try device(named: tombstone.device) } catch { return true }
        guard let device = found else { return false }
        let groups: [ColumnGroupEntry]
        if let metric = tombstone.metric {
            guard let entry = device.metric(named: metric) else { return false }
            groups = [device.groups[entry.group]]
        } else {
            groups = device.groups
        }
        return groups.contains { group in
            guard let first = group.timeChunks.first, let last = group.timeChunks.last else { return false }
            return first.minTime <= (tombstone.to == .max ? .max : tombstone.to - 1) && last.maxTime >= tombstone.from
        }
    }

    /// True when some device holds points that expired more than `margin`
    /// milliseconds ago. Devices whose index entry is damaged are passed over:
    /// a rewrite could not read them.
    /// - Complexity: O(1) when one age applies to every device (the segment's
    ///   time bounds decide); otherwise O(index size).
    func holdsPoints(expiredBefore margin: Int64, under retention: RetentionPolicy, now: Int64) -> Bool {
        guard !retention.keepsEverything else { return false }
        if retention.rules.isEmpty {
            guard let cutoff = retention.cutoff(for: "", now: now), let first = timeBounds?.first else { return false }
            return Int128(first) < Int128(cutoff) - Int128(margin)
        }
        for position in 0..<deviceCount {
            guard let device = try? device(at: position), let cutoff = retention.cutoff(for: device.name, now: now) else { continue }
            for group in device.groups {
                if let first = group.timeChunks.first, Int128(first.minTime) < Int128(cutoff) - Int128(margin) { return true }
            }
        }
        return false
    }

    /// True when every point of every device in the segment is older than its
    /// device's retention cutoff. A device whose index entry is damaged counts
    /// as not expired, so the file is kept.
    /// - Complexity: O(1) when one age applies to every device; otherwise O(index size).
    func hasExpired(under retention: RetentionPolicy, now: Int64) -> Bool {
        if retention.rules.isEmpty {
            guard let last = timeBounds?.last else { return true }
            guard let cutoff = retention.cutoff(for: "", now: now) else { return false }
            return last < cutoff
        }
        for position in 0..<deviceCount {
            guard let device = try? device(at: position) else { return false }
            guard let cutoff = retention.cutoff(for: device.name, now: now) else { return false }
            for group in device.groups {
                if let last = group.timeChunks.last, last.maxTime >= cutoff { return false }
            }
        }
        return true
    }
}

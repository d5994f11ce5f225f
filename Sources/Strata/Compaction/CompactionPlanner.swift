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

        // Compacted segments, by the season their window lies in, then by week and day.
        var bySeason: [CompactionWindow: [SegmentFile]] = [:]
        for segment in segments where segment.level != 0 {
            guard let first = segment.timeBounds?.first else { continue }
            bySeason[CompactionWindow.season(containing: first), default: []].append(segment)
        }
        for season in bySeason.keys.sorted() {
            let members = bySeason[season]!
            let hasSeasonSegment = members.contains { $0.level == CompactionWindow.seasonLevel }
            if hasSeasonSegment {
                // Late points for a merged season: merge them in (the whole season, as the invariant needs).
                if members.count > 1 { return .merge(members.sorted { $0.rank < $1.rank }, into: season) }
                continue
            }
            if let step = weekStep(members) { return step }
            let small = members.reduce(0) { $0 + $1.byteCount } <= policy.seasonMaximumBytes
            if members.count > 1, small, season.isClosed(now: now, closeAfter: policy.closeAfterMilliseconds),
               members.allSatisfy({ $0.level == CompactionWindow.weekLevel }) {
                return .merge(members.sorted { $0.rank < $1.rank }, into: season)
            }
        }
        return nil
    }

    /// The merge that rewrites compacted `segment`: with every segment of the
    /// window it must share (its season's when the season has a season
    /// segment, else its week's when it or a neighbour is a week, else its day's).
    private func mergeStep(containing segment: SegmentFile, among segments: [SegmentFile]) -> CompactionStep {
        let first = segment.timeBounds?.first ?? 0
        let compacted = segments.filter { $0.level != 0 && $0.timeBounds != nil }
        let season = CompactionWindow.season(containing: first)
        let inSeason = compacted.filter { CompactionWindow.season(containing: $0.timeBounds!.first) == season }
        if inSeason.contains(where: { $0.level == CompactionWindow.seasonLevel }) {
            return .merge(inSeason.sorted { $0.rank < $1.rank }, into: season)
        }
        let week = CompactionWindow.week(containing: first)
        let inWeek = inSeason.filter { CompactionWindow.week(containing: $0.timeBounds!.first) == week }
        if inWeek.contains(where: { $0.level == CompactionWindow.weekLevel }) {
            return .merge(inWeek.sorted { $0.rank < $1.rank }, into: week)
        }
        let day = CompactionWindow.day(containing: first)
        let inDay = inWeek.filter { CompactionWindow.day(containing: $0.timeBounds!.first) == day }
        return .merge(inDay.sorted { $0.rank < $1.rank }, into: day)
    }

    /// The next merge among the weeks and days of one season without a season segment.
    private func weekStep(_ segments: [SegmentFile]) -> CompactionStep? {
        var byWeek: [CompactionWindow: [SegmentFile]] = [:]
        for segment in segments {
            byWeek[CompactionWindow.week(containing: segment.timeBounds!.first), default: []].append(segment)
        }
        for week in byWeek.keys.sorted() {
            let members = byWeek[week]!
            let hasWeekSegment = members.contains { $0.level == CompactionWindow.weekLevel }
            if week.isClosed(now: now, closeAfter: policy.closeAfterMilliseconds) || hasWeekSegment {
                if members.count > 1 || members.contains(where: { $0.level != CompactionWindow.weekLevel }) {
                    return .merge(members.sorted { $0.rank < $1.rank }, into: week)
                }
                continue
            }
            var byDay: [CompactionWindow: [SegmentFile]] = [:]
            for segment in members {
                byDay[CompactionWindow.day(containing: segment.timeBounds!.first), default: []].append(segment)
            }
            for day in byDay.keys.sorted() {
                let days = byDay[day]!
                guard days.count > 1 else { continue }
                if force || days.count >= policy.openDaySegmentLimit || day.isClosed(now: now, closeAfter: policy.closeAfterMilliseconds) {
                    return .merge(days.sorted { $0.rank < $1.rank }, into: day)
                }
            }
        }
        return nil
    }
}

extension SegmentFile {
    /// True when, by its index, the segment may hold points `tombstone` deletes.
    func mayHold(_ tombstone: Tombstone) -> Bool {
        guard let device = device(named: tombstone.device) else { return false }
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

    /// True when some device holds points that expired more than `margin` milliseconds ago.
    func holdsPoints(expiredBefore margin: Int64, under retention: RetentionPolicy, now: Int64) -> Bool {
        guard !retention.keepsEverything else { return false }
        for device in devices {
            guard let cutoff = retention.cutoff(for: device.name, now: now) else { continue }
            for group in device.groups {
                if let first = group.timeChunks.first, Int128(first.minTime) < Int128(cutoff) - Int128(margin) { return true }
            }
        }
        return false
    }

    /// True when every point of every device in the segment is older than its
    /// device's retention cutoff.
    func hasExpired(under retention: RetentionPolicy, now: Int64) -> Bool {
        for device in devices {
            guard let cutoff = retention.cutoff(for: device.name, now: now) else { return false }
            for group in device.groups {
                if let last = group.timeChunks.last, last.maxTime >= cutoff { return false }
            }
        }
        return true
    }
}

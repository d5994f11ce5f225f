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

        // Compacted segments, by the week their window lies in.
        var byWeek: [CompactionWindow: [SegmentFile]] = [:]
        for segment in segments where segment.level != 0 {
            guard let first = segment.timeBounds?.first else { continue }
            byWeek[CompactionWindow.week(containing: first), default: []].append(segment)
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

/// The time window a compacted segment holds. Level 1 is a UTC day, level 2
/// a week from Monday 00:00 UTC, and each level above is 16 windows of the
/// level below: a season of 16 weeks (level 3, about four months), 256 weeks
/// (level 4, about five years), 4,096 weeks (level 5, about 78 years). Every
/// window lies inside exactly one window of each higher level.
struct CompactionWindow: Hashable, Sendable, Comparable {
    static let dayLevel: UInt8 = 1
    static let weekLevel: UInt8 = 2
    static let seasonLevel: UInt8 = 3
    static let topLevel: UInt8 = 5
    /// 1970-01-05, the first Monday after the epoch, is 4 days in.
    private static let weekOffset: Int64 = 4 * Milliseconds.day

    let level: UInt8
    /// The first millisecond of the window.
    let start: Int64

    static func length(of level: UInt8) -> Int64 {
        switch level {
        case dayLevel: return Milliseconds.day
        case weekLevel: return Milliseconds.week
        default: return Milliseconds.week << (4 * (Int64(level) - 2))
        }
    }

    var length: Int64 { Self.length(of: level) }

    /// The last millisecond of the window.
    var last: Int64 {
        let (end, overflow) = start.addingReportingOverflow(length - 1)
        return overflow ? .max : end
    }

    /// The window of `level` that contains `time`.
    static func containing(_ time: Int64, level: UInt8) -> CompactionWindow {
        CompactionWindow(level: level, start: floor(time, length(of: level), offset: level == dayLevel ? 0 : weekOffset))
    }

    static func day(containing time: Int64) -> CompactionWindow { containing(time, level: dayLevel) }
    static func week(containing time: Int64) -> CompactionWindow { containing(time, level: weekLevel) }

    /// The window of the compacted segment of `level` whose first point is at `time`.
    static func of(level: UInt8, firstTime time: Int64) -> CompactionWindow { containing(time, level: level) }

    /// The window a segment written now should put `time` in: its day while
    /// its week is open; otherwise the largest finished window up to
    /// `largestLevel` (at least its week).
    static func target(for time: Int64, now: Int64, closeAfter: Int64, largestLevel: UInt8 = weekLevel) -> CompactionWindow {
        let week = week(containing: time)
        guard week.isClosed(now: now, closeAfter: closeAfter) else { return day(containing: time) }
        var level = max(weekLevel, min(largestLevel, topLevel))
        while level > weekLevel {
            let window = containing(time, level: level)
            if window.isClosed(now: now, closeAfter: closeAfter) { return window }
            level -= 1
        }
        return week
    }

    /// The largest level whose windows, at the density of `bytes` spread over
    /// `span` milliseconds, would hold at most `limit` bytes: where a
    /// compaction of historical data can put it directly instead of writing
    /// weeks and merging them up level by level.
    static func largestLevel(bytes: Int, span: Int64, limit: Int) -> UInt8 {
        guard bytes > 0, span > 0 else { return topLevel }
        var level = topLevel
        while level > weekLevel {
            let estimate = Double(bytes) * Double(length(of: level)) / Double(span)
            if estimate <= Double(limit) { return level }
            level -= 1
        }
        return weekLevel
    }

    /// True when the window ended long enough before `now` (windows above a
    /// day wait a day longer, so a week's last day is merged before its week).
    func isClosed(now: Int64, closeAfter: Int64) -> Bool {
        let wait = closeAfter + (level == Self.dayLevel ? 0 : Milliseconds.day)
        return last < .max && Int128(last) + Int128(wait) < Int128(now)
    }

    /// The window one level down that contains `time`.
    func child(containing time: Int64) -> CompactionWindow { Self.containing(time, level: level - 1) }

    static func < (a: CompactionWindow, b: CompactionWindow) -> Bool { (a.start, a.level) < (b.start, b.level) }

    private static func floor(_ time: Int64, _ width: Int64, offset: Int64) -> Int64 {
        let shifted = Int128(time) - Int128(offset)
        var quotient = shifted / Int128(width)
        if shifted % Int128(width) < 0 { quotient -= 1 }
        return Int64(clamping: quotient * Int128(width) + Int128(offset))
    }
}

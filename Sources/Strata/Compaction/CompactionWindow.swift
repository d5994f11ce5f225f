/// The time window a compacted segment holds: a UTC day (level 1), a week
/// from Monday 00:00 UTC (level 2), or a season of 16 such weeks (level 3).
/// Each window lies inside one window of the next level.
struct CompactionWindow: Hashable, Sendable, Comparable {
    static let dayLevel: UInt8 = 1
    static let weekLevel: UInt8 = 2
    static let seasonLevel: UInt8 = 3
    static let dayMilliseconds: Int64 = 86_400_000
    static let weekMilliseconds: Int64 = 7 * dayMilliseconds
    static let seasonMilliseconds: Int64 = 16 * weekMilliseconds
    /// 1970-01-05, the first Monday after the epoch, is 4 days in.
    private static let weekOffset: Int64 = 4 * dayMilliseconds

    let level: UInt8
    /// The first millisecond of the window.
    let start: Int64

    /// The last millisecond of the window.
    var last: Int64 {
        let (end, overflow) = start.addingReportingOverflow(length - 1)
        return overflow ? .max : end
    }

    var length: Int64 {
        switch level {
        case Self.seasonLevel: Self.seasonMilliseconds
        case Self.weekLevel: Self.weekMilliseconds
        default: Self.dayMilliseconds
        }
    }

    static func day(containing time: Int64) -> CompactionWindow {
        CompactionWindow(level: dayLevel, start: floor(time, dayMilliseconds, offset: 0))
    }

    static func week(containing time: Int64) -> CompactionWindow {
        CompactionWindow(level: weekLevel, start: floor(time, weekMilliseconds, offset: weekOffset))
    }

    static func season(containing time: Int64) -> CompactionWindow {
        CompactionWindow(level: seasonLevel, start: floor(time, seasonMilliseconds, offset: weekOffset))
    }

    /// The window a segment written now should put `time` in: its week once
    /// the week has been over for `closeAfter` plus a day, its day otherwise.
    static func target(for time: Int64, now: Int64, closeAfter: Int64) -> CompactionWindow {
        let week = week(containing: time)
        return week.isClosed(now: now, closeAfter: closeAfter) ? week : day(containing: time)
    }

    /// True when the window ended long enough before `now` (weeks wait a day
    /// longer than days, so a week's last day is merged before its week).
    func isClosed(now: Int64, closeAfter: Int64) -> Bool {
        let wait = closeAfter + (level == Self.dayLevel ? 0 : Self.dayMilliseconds)
        return last < .max && Int128(last) + Int128(wait) < Int128(now)
    }

    /// The window of the compacted segment whose first point is at `time`.
    static func of(level: UInt8, firstTime time: Int64) -> CompactionWindow {
        switch level {
        case seasonLevel: season(containing: time)
        case weekLevel: week(containing: time)
        default: day(containing: time)
        }
    }

    static func < (a: CompactionWindow, b: CompactionWindow) -> Bool { (a.start, a.level) < (b.start, b.level) }

    private static func floor(_ time: Int64, _ width: Int64, offset: Int64) -> Int64 {
        let shifted = Int128(time) - Int128(offset)
        var quotient = shifted / Int128(width)
        if shifted % Int128(width) < 0 { quotient -= 1 }
        let start = quotient * Int128(width) + Int128(offset)
        return Int64(clamping: start)
    }
}

/// The rule in a TZif footer: a POSIX `TZ` string such as
/// `CET-1CEST,M3.5.0,M10.5.0/3`, with RFC 8536 section 3.3.1's extensions
/// (transition hours from -167 to 167). It gives local time for instants after
/// the last transition a TZif file lists, so every year, however far ahead,
/// has its daylight-saving changes.
///
/// The string's grammar is POSIX.1-2017 section 8.3 (the `TZ` variable);
/// ``PosixTimeZoneRuleParser`` reads it. Offsets here are seconds east of UTC
/// (POSIX writes them west-positive; the parser flips the sign).
struct PosixTimeZoneRule: Sendable, Equatable {
    /// A day of a year on which a change happens.
    enum Day: Sendable, Equatable {
        /// `Jn`: day 1...365, 29 February never counted (so `J60` is always 1 March).
        case julian(Int64)
        /// `n`: day 0...365, 29 February counted in leap years.
        case zeroBased(Int64)
        /// `Mm.w.d`: weekday `weekday` (0 = Sunday) of week `week` (1...5, 5 = last) of `month`.
        case monthWeekday(month: Int64, week: Int64, weekday: Int64)
    }

    /// A change of offset: a day and a local time on it (seconds, may be
    /// negative or past 24 h), in the local time in effect before the change.
    struct Change: Sendable, Equatable {
        let day: Day
        let time: Int64
    }

    /// Daylight-saving time: its offset and when it starts and ends each year.
    struct Daylight: Sendable, Equatable {
        let offset: Int64
        let start: Change
        let end: Change
    }

    /// A moment when the offset changes, and the offset from then on.
    struct Event: Sendable, Equatable {
        let instant: Int64
        let offset: Int64
        let isDaylight: Bool
    }

    /// Standard time's offset, seconds east of UTC.
    let standardOffset: Int64
    /// Instants beyond ±2^56 s (two billion years) are treated as ±2^56 s.
    static let reach: Int64 = 1 << 56
    /// Years beyond ±10^6 are not cached (a damaged file's last transition may lie there).
    static let yearReach: Int64 = 1_000_000
    /// Daylight-saving time, or nil when the zone keeps one offset all year.
    let daylight: Daylight?
    /// The changes of years `cachedYears`, sorted: most look-ups land here.
    private(set) var cachedEvents: [Event] = []
    private(set) var cachedYears: Range<Int64> = 0..<0

    init(standardOffset: Int64, daylight: Daylight?) {
        self.standardOffset = standardOffset
        self.daylight = daylight
    }

    /// Precomputes the changes of `years`, which makes ``offset(at:)`` and
    /// ``nextChange(after:)`` a binary search for instants of those years.
    mutating func cacheEvents(forYears years: ClosedRange<Int64>) {
        guard daylight != nil, years.lowerBound >= -Self.yearReach, years.upperBound <= Self.yearReach else { return }
        var events: [Event] = []
        events.reserveCapacity(2 * years.count)
        for year in years {
            guard let (start, end) = self.events(inYear: year) else { continue }
            events.append(start)
            events.append(end)
        }
        cachedEvents = events.sorted(by: Self.precedes)
        cachedYears = years.lowerBound..<years.upperBound + 1
    }

    /// The offset (seconds east of UTC) at UTC instant `seconds`.
    func offset(at seconds: Int64) -> Int64 {
        guard daylight != nil else { return standardOffset }
        // Callers stay within about 10^16 s (Int64 milliseconds); clamping far
        // beyond that keeps the calendar arithmetic below from overflowing.
        let seconds = min(max(seconds, -Self.reach), Self.reach)
        let year = localYear(of: seconds)
        // The changes of a year lie within about 8 days of it (times up to
        // 167 h, offsets up to 26 h), so both changes of year - 2 came before
        // `seconds` and the last change at or before it is among years - 2 ... + 1.
        if cachedYears.contains(year - 2), cachedYears.contains(year + 1) {
            let index = Self.firstIndex(in: cachedEvents, after: seconds)
            return index > 0 ? cachedEvents[index - 1].offset : standardOffset
        }
        // Beyond the cache: the latest of those eight changes at or before `seconds`, without allocating.
        var latest: Event?
        for candidateYear in year - 2...year + 1 {
            guard let (start, end) = events(inYear: candidateYear) else { continue }
            for event in [start, end] where event.instant <= seconds {
                if let current = latest, !Self.precedes(current, event) { continue }
                latest = event
            }
        }
        return latest?.offset ?? standardOffset
    }

    /// The first change after UTC instant `seconds`, or nil when the zone
    /// keeps one offset all year. A change may leave the offset as it was.
    func nextChange(after seconds: Int64) -> Int64? {
        guard daylight != nil, seconds < Self.reach else { return nil }
        let seconds = max(seconds, -Self.reach)
        let year = localYear(of: seconds)
        // Year + 2's changes come after `seconds`, so the next change is among years - 1 ... + 2.
        if cachedYears.contains(year - 1), cachedYears.contains(year + 2) {
            let index = Self.firstIndex(in: cachedEvents, after: seconds)
            if index < cachedEvents.count { return cachedEvents[index].instant }
        }
        var earliest: Int64?
        for candidateYear in year - 1...year + 2 {
            guard let (start, end) = events(inYear: candidateYear) else { continue }
            for instant in [start.instant, end.instant] where instant > seconds {
                earliest = min(earliest ?? instant, instant)
            }
        }
        return earliest
    }

    /// The two changes of `year` as UTC instants: the start and the end of
    /// daylight-saving time (nil without daylight-saving time).
    func events(inYear year: Int64) -> (start: Event, end: Event)? {
        guard let daylight else { return nil }
        let startDay = Self.dayNumber(of: daylight.start.day, inYear: year)
        let endDay = Self.dayNumber(of: daylight.end.day, inYear: year)
        // Each change is written in the local time in effect before it.
        let start = startDay * CivilCalendar.secondsPerDay + daylight.start.time - standardOffset
        let end = endDay * CivilCalendar.secondsPerDay + daylight.end.time - daylight.offset
        return (
            Event(instant: start, offset: daylight.offset, isDaylight: true),
            Event(instant: end, offset: standardOffset, isDaylight: false)
        )
    }

    /// The calendar year, in standard time, of UTC instant `seconds`.
    private func localYear(of seconds: Int64) -> Int64 {
        CivilCalendar.year(containing: CivilCalendar.floorDivide(seconds + standardOffset, CivilCalendar.secondsPerDay))
    }

    /// Sort order of events: by instant; at equal instants the end of
    /// daylight time first, so a start at the same moment (the `J365/25`
    /// idiom for daylight time all year) wins.
    private static func precedes(_ a: Event, _ b: Event) -> Bool {
        a.instant != b.instant ? a.instant < b.instant : (!a.isDaylight && b.isDaylight)
    }

    /// The index of the first event later than `seconds` (`events.count` if none).
    private static func firstIndex(in events: [Event], after seconds: Int64) -> Int {
        var low = 0
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            if events[middle].instant <= seconds { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The day number (days since 1970-01-01) of `day` in `year`.
    static func dayNumber(of day: Day, inYear year: Int64) -> Int64 {
        let firstOfYear = CivilCalendar.days(year: year, month: 1, day: 1)
        switch day {
        case .julian(let n):
            // 29 February is never counted: from 1 March on, leap years are one day later.
            let leapShift: Int64 = (n >= 60 && CivilCalendar.isLeapYear(year)) ? 1 : 0
            return firstOfYear + n - 1 + leapShift
        case .zeroBased(let n):
            return firstOfYear + n
        case .monthWeekday(let month, let week, let weekday):
            let firstOfMonth = CivilCalendar.days(year: year, month: month, day: 1)
            let firstMatch = firstOfMonth + CivilCalendar.floorModulo(weekday - CivilCalendar.weekday(of: firstOfMonth), 7)
            var result = firstMatch + 7 * (week - 1)
            let lastOfMonth = firstOfMonth + CivilCalendar.daysInMonth(month, of: year) - 1
            while result > lastOfMonth { result -= 7 }  // week 5: the last such weekday
            return result
        }
    }
}

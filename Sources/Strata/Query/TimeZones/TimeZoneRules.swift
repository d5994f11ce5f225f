/// The offsets from UTC of one zone of the IANA time zone database, and the
/// local calendar days they make: what aligns a downsampling grid of a day
/// or longer to local midnight, where a day of a daylight-saving change lasts
/// 23 or 25 hours.
///
/// ```swift
/// let berlin = try TimeZoneRules(identifier: "Europe/Berlin")
/// let day = berlin.localDayBucket(containing: timestamp)  // = localDay(containing:) but on split days
/// let bucket = berlin.startOfLocalDay(day)..<berlin.startOfLocalDay(day + 1)  // 23, 24 or 25 hours
/// ```
///
/// ## Design
///
/// The rules come from the zone's TZif file (RFC 8536, updated by RFC 9636;
/// see TZifParser.swift), read once by the
/// initializer from the system's database: `$TZDIR` when set, else
/// `/usr/share/zoneinfo` (Debian's `tzdata` package). The file lists every
/// transition (the instants the offset changed) up to some year, then ends
/// with a footer, a POSIX `TZ` string such as `CET-1CEST,M3.5.0,M10.5.0/3`,
/// that gives the rule for every later instant. Both matter: "slim" files
/// stop their table at the last change of rule, so for them even today's
/// offsets come from the footer. Before the first transition the offset is
/// that of time type 0, as RFC 8536 section 3.2 says (the zone's local mean
/// time in most files). Files with leap-second records (`right/...`) are
/// refused: their instants count leap seconds, Strata's timestamps do not.
///
/// An offset is a binary search over the transitions, or, past the last one,
/// over the footer rule's changes, computed once for 500 years after the
/// table ends (and on demand beyond). Every `Int64` millisecond instant and
/// day number is accepted; answers that cannot be represented clamp to
/// `Int64.min` or `Int64.max`.
public struct TimeZoneRules: Sendable {
    /// The IANA name the rules were read for, such as `Europe/Berlin`.
    public let identifier: String
    /// Transition instants (UTC seconds), strictly increasing.
    private let transitions: [Int64]
    /// The offset (seconds east of UTC) from each transition on.
    private let offsets: [Int64]
    /// The offset before the first transition.
    private let initialOffset: Int64
    /// The rule after the last transition (for all instants when there are none).
    private let footer: PosixTimeZoneRule?
    /// The largest offset any instant can have, seconds.
    private let maximumOffset: Int64


    /// The database directory ``init(identifier:)`` reads: `$TZDIR` if set, else `/usr/share/zoneinfo`.
    public static var defaultDatabaseDirectory: String { TimeZoneDatabase.defaultDirectory }

    /// Reads the rules of zone `identifier` (such as `Europe/Berlin`,
    /// `America/New_York` or `UTC`) from the system's time zone database.
    ///
    /// - Throws: `.invalidArgument` naming the identifier for a malformed
    ///   name (empty, absolute, with `..`, control characters, too long), an
    ///   unknown zone, a directory, a file that is not TZif, or a missing
    ///   database (the message says to install `tzdata`); `.corruptFile`
    ///   with the path and offset for a damaged TZif file; `.io` when reading fails.
    public init(identifier: String) throws(StrataError) {
        try self.init(identifier: identifier, databaseDirectory: TimeZoneDatabase.defaultDirectory)
    }

    /// Reads the rules of zone `identifier` from the database in `databaseDirectory`
    /// (a `zoneinfo` directory); throws as ``init(identifier:)`` does.
    public init(identifier: String, databaseDirectory: String) throws(StrataError) {
        let contents = try TimeZoneDatabase.contents(of: identifier, in: databaseDirectory)
        self.init(identifier: identifier, contents: contents)
    }

    /// The rules in `tzif`, the bytes of a TZif file (RFC 8536), named
    /// `identifier`: for zones that are not in the system's database.
    ///
    /// - Throws: `.corruptFile` (or `.invalidArgument` for bytes that are not
    ///   TZif at all) saying what is wrong and at which offset.
    public init(identifier: String, tzif: [UInt8]) throws(StrataError) {
        let contents = try TZifParser.parse(tzif, path: identifier)
        self.init(identifier: identifier, contents: contents)
    }

    private init(identifier: String, contents: TZifParser.Contents) {
        self.identifier = identifier
        transitions = contents.transitions
        offsets = contents.offsets
        initialOffset = contents.initialOffset
        var footer = contents.footer
        var maximum = contents.typeOffsets.max() ?? 0
        if let rule = footer {
            maximum = max(maximum, rule.standardOffset, rule.daylight?.offset ?? rule.standardOffset)
            let lastDay = CivilCalendar.floorDivide(contents.transitions.last ?? 0, CivilCalendar.secondsPerDay)
            let firstYear = CivilCalendar.year(containing: lastDay) - 2
            footer?.cacheEvents(forYears: firstYear...firstYear + 500)
        }
        self.footer = footer
        maximumOffset = maximum
    }

    /// The offset from UTC, in milliseconds east of UTC (Berlin in summer:
    /// 7 200 000), in effect at `utcMilliseconds` (milliseconds since
    /// 1970-01-01 UTC). Any `Int64` is accepted.
    public func offset(at utcMilliseconds: Int64) -> Int64 {
        offsetSeconds(at: CivilCalendar.floorDivide(utcMilliseconds, 1000)) * 1000
    }

    /// The local calendar day of `utcMilliseconds`: days since 1970-01-01 in
    /// local time, rounded down (a local time in 1969-12-31 is day -1).
    public func localDay(containing utcMilliseconds: Int64) -> Int64 {
        let utcDay = CivilCalendar.floorDivide(utcMilliseconds, Milliseconds.day)
        let intoDay = CivilCalendar.floorModulo(utcMilliseconds, Milliseconds.day)  // 0 ..< one day: no overflow below
        return utcDay + CivilCalendar.floorDivide(intoDay + offset(at: utcMilliseconds), Milliseconds.day)
    }

    /// The local day whose span `startOfLocalDay(d) ..< startOfLocalDay(d + 1)`
    /// holds `utcMilliseconds`: the bucket of a day-aligned grid an instant
    /// falls in. It is ``localDay(containing:)`` except in the hour or so
    /// after a clock was set back across midnight (St. John's changed at
    /// 00:01 until 2011: 00:01 daylight time became 23:01 the day before);
    /// those instants are counted with the day whose midnight already passed.
    public func localDayBucket(containing utcMilliseconds: Int64) -> Int64 {
        var day = localDay(containing: utcMilliseconds)
        // Day starts never decrease and differ from local days by a clock
        // change, so each loop takes a step or two at most; the clamped ends stop them.
        while utcMilliseconds < startOfLocalDay(day) { day -= 1 }
        while true {
            let next = startOfLocalDay(day + 1)
            if next == Int64.max || utcMilliseconds < next { return day }
            day += 1
        }
    }

    /// The UTC instant (milliseconds) at which local day `day` (days since
    /// 1970-01-01) begins: its local midnight. When midnight falls in a
    /// daylight-saving gap, the first instant after the gap; when midnight
    /// happens twice, the first time. Precisely: the first instant whose local
    /// time is `day`'s midnight or later, so
    /// `startOfLocalDay(d) <= t < startOfLocalDay(d + 1)` for every `t` of
    /// local day `d`, and a day a zone skipped (Pacific/Apia, 2011-12-30)
    /// begins where the next one does. Where a clock was set back across
    /// midnight (Alaska's by a day in 1867; St. John's, Moncton and Goose Bay
    /// at 00:01 until 2011; Phoenix 1944, Guam 1969, Casey 2010) a local day
    /// is split in two and no start can bound both parts; the day then
    /// begins at its first midnight, and ``localDayBucket(containing:)`` is
    /// the day whose span holds an instant. Days too far
    /// from 1970 for milliseconds clamp to `Int64.min` or `Int64.max`.
    public func startOfLocalDay(_ day: Int64) -> Int64 {
        // Beyond ±limit days no instant of the day is representable in
        // milliseconds; within, the arithmetic in seconds cannot overflow.
        let limit = Int64.max / Milliseconds.day + 2
        guard day > -limit else { return Int64.min }
        guard day < limit else { return Int64.max }
        let seconds = firstInstant(reachingLocal: day * CivilCalendar.secondsPerDay)
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        return milliseconds
    }

    /// The first UTC second whose local time (seconds) is `localSeconds` or later.
    private func firstInstant(reachingLocal localSeconds: Int64) -> Int64 {
        // Before this, even the largest offset leaves local time earlier.
        var instant = localSeconds - maximumOffset - 1
        // Walk the intervals of constant offset forward; within one, the local
        // time grows with the instant, so its first instant late enough is a maximum.
        while true {
            let offset = offsetSeconds(at: instant)
            let end = nextChange(after: instant) ?? Int64.max
            let candidate = max(instant, localSeconds - offset)
            if candidate < end { return candidate }
            instant = end
        }
    }

    /// The offset (seconds east of UTC) at UTC second `seconds`.
    private func offsetSeconds(at seconds: Int64) -> Int64 {
        guard let last = transitions.last, seconds < last || footer == nil else {
            // After the last transition, or no transitions at all: the footer's rule.
            if let footer { return footer.offset(at: seconds) }
            return initialOffset
        }
        let index = firstIndex(after: seconds)
        return index == 0 ? initialOffset : offsets[index - 1]
    }

    /// The first instant after `seconds` at which the offset may change, or
    /// nil when it never changes again.
    private func nextChange(after seconds: Int64) -> Int64? {
        if let last = transitions.last, seconds < last { return transitions[firstIndex(after: seconds)] }
        return footer?.nextChange(after: seconds)
    }

    /// The index of the first transition later than `seconds` (`transitions.count` if none).
    private func firstIndex(after seconds: Int64) -> Int {
        var low = 0
        var high = transitions.count
        while low < high {
            let middle = (low + high) / 2
            if transitions[middle] <= seconds { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

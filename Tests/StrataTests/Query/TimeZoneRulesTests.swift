import Foundation
import Strata
import Testing
import StrataTestSupport

/// TimeZoneRules against Foundation's time zones and against days worked out
/// by hand; its local-day property in zones whose clocks change at midnight;
/// hostile identifiers and damaged TZif files.
@Suite struct TimeZoneRulesTests {
    static let comparedZones = [
        "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Sao_Paulo",
        "Pacific/Chatham", "America/St_Johns", "Africa/Casablanca", "Pacific/Apia", "UTC",
    ]

    /// Zones for the local-day property, several of which change their clocks at midnight.
    static let dayZones = comparedZones + [
        "America/Havana", "America/Asuncion", "Asia/Gaza", "America/Santiago", "Africa/Cairo", "Asia/Beirut",
        "Asia/Tehran", "Europe/Lisbon", "Antarctica/Troll", "Pacific/Kiritimati",
    ]


    /// The UTC instant of a proleptic Gregorian date and time, in milliseconds.
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return Int64(calendar.date(from: components)!.timeIntervalSince1970) * 1000
    }

    /// The day number (days since 1970-01-01) of a date.
    static func dayNumber(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        utc(year, month, day) / Milliseconds.day
    }

    /// A random instant in whole seconds from 1900 to 2100, in milliseconds.
    static func randomInstant1900To2100(_ generator: inout SeededGenerator) -> Int64 {
        Int64.random(in: -2_208_988_800...4_102_444_800, using: &generator) * 1000
    }

    /// The version of the system's tz database (`tzdata.zi`'s first line, "# version 2026f"), if it says.
    static func systemDatabaseVersion() -> String? {
        guard let text = try? String(contentsOfFile: TimeZoneRules.defaultDatabaseDirectory + "/tzdata.zi", encoding: .utf8),
            let first = text.split(separator: "\n", maxSplits: 1).first, first.hasPrefix("# version ")
        else { return nil }
        return String(first.dropFirst("# version ".count))
    }

    /// Foundation's time zones come from the ICU data built into the toolchain
    /// (`TimeZone.timeZoneDataVersion`), ours from the system's database; the two
    /// releases can differ (2025b against 2026f here), a machine's `apt-get` may
    /// bring another, and ICU's zones have had races under concurrent use
    /// (swift-foundation #1597), which parallel tests are. Where Foundation
    /// disagrees with us, `zdump` (the tz project's reader of the same files we
    /// read) decides: every offset must equal zdump's.
    @Test func offsetsMatchFoundationFrom1900To2100() throws {
        var generator = SeededGenerator(seed: 0x7A1F_2024)
        for zone in Self.comparedZones {
            let rules = try TimeZoneRules(identifier: zone)
            let reference = try #require(TimeZone(identifier: zone))
            var disagreements: [Int64] = []
            for _ in 0..<4000 {
                let instant = Self.randomInstant1900To2100(&generator)
                let expected = Int64(reference.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant / 1000)))) * 1000
                if rules.offset(at: instant) != expected { disagreements.append(instant) }
            }
            if disagreements.isEmpty { continue }
            let transitions = try TimeZoneRulesZdumpTests.samples(of: [zone])[zone] ?? []
            try #require(!transitions.isEmpty || zone == "UTC",
                         "\(zone): Foundation (tz \(TimeZone.timeZoneDataVersion), system tz \(Self.systemDatabaseVersion() ?? "unknown")) disagrees at \(disagreements.count) instants and zdump lists no transitions to decide")
            let unexplained = disagreements.filter { instant in
                let zdumpOffset = (transitions.last { $0.instant <= instant } ?? transitions.first)?.offset ?? 0
                return zdumpOffset != rules.offset(at: instant)
            }
            #expect(unexplained.isEmpty, "\(zone): \(unexplained.count) offsets disagree with zdump, first at \(unexplained.first.map { $0 / 1000 } ?? 0) s")
        }
    }

    @Test func daylightSavingDaysInBerlinAndNewYorkLast23And25Hours() throws {
        let berlin = try TimeZoneRules(identifier: "Europe/Berlin")
        let springBerlin = Self.dayNumber(2024, 3, 31)
        #expect(berlin.startOfLocalDay(springBerlin) == Self.utc(2024, 3, 30, 23))
        #expect(berlin.startOfLocalDay(springBerlin + 1) == Self.utc(2024, 3, 31, 22))
        #expect(berlin.startOfLocalDay(springBerlin + 1) - berlin.startOfLocalDay(springBerlin) == 23 * 3_600_000)
        let autumnBerlin = Self.dayNumber(2024, 10, 27)
        #expect(berlin.startOfLocalDay(autumnBerlin) == Self.utc(2024, 10, 26, 22))
        #expect(berlin.startOfLocalDay(autumnBerlin + 1) == Self.utc(2024, 10, 27, 23))
        #expect(berlin.startOfLocalDay(autumnBerlin + 1) - berlin.startOfLocalDay(autumnBerlin) == 25 * 3_600_000)
        #expect(berlin.offset(at: Self.utc(2024, 3, 31, 1) - 1) == 3_600_000)
        #expect(berlin.offset(at: Self.utc(2024, 3, 31, 1)) == 7_200_000)
        #expect(berlin.localDay(containing: Self.utc(2024, 10, 26, 22)) == autumnBerlin)
        #expect(berlin.localDay(containing: Self.utc(2024, 10, 26, 22) - 1) == autumnBerlin - 1)

        let newYork = try TimeZoneRules(identifier: "America/New_York")
        let springNewYork = Self.dayNumber(2024, 3, 10)
        #expect(newYork.startOfLocalDay(springNewYork) == Self.utc(2024, 3, 10, 5))
        #expect(newYork.startOfLocalDay(springNewYork + 1) == Self.utc(2024, 3, 11, 4))
        let autumnNewYork = Self.dayNumber(2024, 11, 3)
        #expect(newYork.startOfLocalDay(autumnNewYork) == Self.utc(2024, 11, 3, 4))
        #expect(newYork.startOfLocalDay(autumnNewYork + 1) == Self.utc(2024, 11, 4, 5))
        #expect(newYork.startOfLocalDay(autumnNewYork + 1) - newYork.startOfLocalDay(autumnNewYork) == 25 * 3_600_000)
        #expect(newYork.offset(at: Self.utc(2024, 11, 3, 6) - 1) == -4 * 3_600_000)
        #expect(newYork.offset(at: Self.utc(2024, 11, 3, 6)) == -5 * 3_600_000)
    }

    @Test func midnightInAGapStartsTheDayAfterTheGapAndATwiceMidnightAtItsFirstTime() throws {
        // Santiago 2024-09-08: 00:00 -04 jumps to 01:00 -03, so the day begins at 01:00 -03 = 04:00 UTC.
        let santiago = try TimeZoneRules(identifier: "America/Santiago")
        #expect(santiago.startOfLocalDay(Self.dayNumber(2024, 9, 8)) == Self.utc(2024, 9, 8, 4))
        // Santiago 2024-04-07: 24:00 -03 falls back to 23:00 -04; midnight happens once, at 04:00 UTC.
        #expect(santiago.startOfLocalDay(Self.dayNumber(2024, 4, 7)) == Self.utc(2024, 4, 7, 4))
        #expect(santiago.startOfLocalDay(Self.dayNumber(2024, 4, 7)) - santiago.startOfLocalDay(Self.dayNumber(2024, 4, 6)) == 25 * 3_600_000)
        // Havana 2023-03-12: 00:00 CST jumps to 01:00 CDT (05:00 UTC); the day lasts 23 hours.
        let havana = try TimeZoneRules(identifier: "America/Havana")
        let spring = Self.dayNumber(2023, 3, 12)
        #expect(havana.startOfLocalDay(spring) == Self.utc(2023, 3, 12, 5))
        #expect(havana.startOfLocalDay(spring + 1) == Self.utc(2023, 3, 13, 4))
        // Havana 2023-11-05: 01:00 CDT falls back to 00:00 CST, so midnight happens at 04:00 and
        // 05:00 UTC; the day begins at the first, and lasts 25 hours.
        let autumn = Self.dayNumber(2023, 11, 5)
        #expect(havana.startOfLocalDay(autumn) == Self.utc(2023, 11, 5, 4))
        #expect(havana.startOfLocalDay(autumn + 1) == Self.utc(2023, 11, 6, 5))
        // St. John's 2010-11-07: 00:01 NDT (02:31 UTC) became 23:01 NST on the 6th, so the 6th is split.
        // The 7th begins at its first midnight, 02:30 UTC; the hour after 02:31 UTC is local day 6
        // but lies in the 7th's span, which localDayBucket reports.
        let stJohns = try TimeZoneRules(identifier: "America/St_Johns")
        let split = Self.dayNumber(2010, 11, 7)
        #expect(stJohns.startOfLocalDay(split) == Self.utc(2010, 11, 7, 2, 30))
        #expect(stJohns.startOfLocalDay(split + 1) == Self.utc(2010, 11, 8, 3, 30))
        #expect(stJohns.localDay(containing: Self.utc(2010, 11, 7, 3)) == split - 1)
        #expect(stJohns.localDayBucket(containing: Self.utc(2010, 11, 7, 3)) == split)
        #expect(stJohns.localDayBucket(containing: Self.utc(2010, 11, 7, 2, 30) - 1) == split - 1)
        #expect(stJohns.localDayBucket(containing: Self.utc(2010, 11, 7, 2, 30)) == split)
        // Apia skipped 2011-12-30: that day is empty and begins where 2011-12-31 does (10:00 UTC on the 30th).
        let apia = try TimeZoneRules(identifier: "Pacific/Apia")
        let skipped = Self.dayNumber(2011, 12, 30)
        #expect(apia.startOfLocalDay(skipped) == Self.utc(2011, 12, 30, 10))
        #expect(apia.startOfLocalDay(skipped + 1) == Self.utc(2011, 12, 30, 10))
        #expect(apia.localDay(containing: Self.utc(2011, 12, 30, 10) - 1) == skipped - 1)
    }

    /// The property a bucket grid rests on, for random instants and for the
    /// boundaries of random days, in zones with changes at and around midnight.
    @Test func everyInstantLiesInItsLocalDaysBounds() throws {
        var generator = SeededGenerator(seed: 0xDA75_1900)
        for zone in Self.dayZones {
            let rules = try TimeZoneRules(identifier: zone)
            var failures: [String] = []
            for _ in 0..<3000 {
                let instant = Self.randomInstant1900To2100(&generator) + Int64.random(in: 0..<1000, using: &generator)
                let day = rules.localDay(containing: instant)
                let start = rules.startOfLocalDay(day)
                let next = rules.startOfLocalDay(day + 1)
                if rules.localDay(containing: start) != day || !(start <= instant && instant < next) {
                    failures.append("instant \(instant): day \(day) from \(start) to \(next)")
                }
                if rules.localDayBucket(containing: instant) != day { failures.append("instant \(instant): bucket differs") }
            }
            for _ in 0..<3000 {
                let day = Self.randomInstant1900To2100(&generator) / Milliseconds.day
                let start = rules.startOfLocalDay(day)
                let next = rules.startOfLocalDay(day + 1)
                if start == next {
                    // A skipped day: the instant it names belongs to a later day.
                    if rules.localDay(containing: start) <= day { failures.append("day \(day) is empty but not skipped") }
                    continue
                }
                let boundsHold = start < next && rules.localDay(containing: start) == day
                    && rules.localDay(containing: next - 1) == day && rules.localDay(containing: start - 1) < day
                if !boundsHold { failures.append("day \(day) from \(start) to \(next)") }
            }
            #expect(failures.isEmpty, "\(zone): \(failures.count) failures, first \(failures.prefix(5))")
        }
    }

    @Test func extremeInstantsAndDaysClampWithoutTrapping() throws {
        var generator = SeededGenerator(seed: 0xE7_7E3E)
        for zone in ["Europe/Berlin", "Australia/Lord_Howe", "America/Santiago", "UTC"] {
            let rules = try TimeZoneRules(identifier: zone)
            var instants: [Int64] = [.min, .min + 1, .max, .max - 1, 0, -1]
            for _ in 0..<200 { instants.append(Int64.random(in: .min ... .max, using: &generator)) }
            for instant in instants {
                #expect(abs(rules.offset(at: instant)) < 26 * 3_600_000)
                let day = rules.localDay(containing: instant)
                let start = rules.startOfLocalDay(day)
                #expect(start <= instant, "\(zone) \(instant)")
                #expect(instant < rules.startOfLocalDay(day + 1) || instant == .max || rules.startOfLocalDay(day + 1) == .max)
            }
            #expect(rules.startOfLocalDay(.min) == .min)
            #expect(rules.startOfLocalDay(.max) == .max)
            let lastDay = Int64.max / Milliseconds.day
            #expect(rules.startOfLocalDay(lastDay + 3) == .max && rules.startOfLocalDay(-lastDay - 3) == .min)
            let representable = rules.startOfLocalDay(lastDay - 1)
            #expect(representable < .max && rules.localDay(containing: representable) == lastDay - 1)
            #expect(rules.startOfLocalDay(lastDay - 3) < rules.startOfLocalDay(lastDay - 2))
            #expect(rules.startOfLocalDay(-lastDay + 3) > rules.startOfLocalDay(-lastDay + 2))
        }
    }

    /// Far beyond the table (fat files stop in 2037), only the footer's rule answers.
    @Test func footerRuleGivesDaylightSavingTimeInTheYear2400() throws {
        let berlin = try TimeZoneRules(identifier: "Europe/Berlin")
        // 2400-03-26 and 2400-10-29 are the last Sundays of their months.
        #expect(Self.weekday(2400, 3, 26) == 1 && Self.weekday(2400, 10, 29) == 1)
        #expect(berlin.offset(at: Self.utc(2400, 3, 26, 1) - 1) == 3_600_000)
        #expect(berlin.offset(at: Self.utc(2400, 3, 26, 1)) == 7_200_000)
        #expect(berlin.offset(at: Self.utc(2400, 10, 29, 1) - 1) == 7_200_000)
        #expect(berlin.offset(at: Self.utc(2400, 10, 29, 1)) == 3_600_000)
        #expect(berlin.offset(at: Self.utc(2400, 1, 15)) == 3_600_000)
        // Lord Howe's daylight time is 30 minutes: +10:30 to +11 on the first Sunday of October
        // at 02:00 local (2300-10-07), back on the first Sunday of April (2300-04-01).
        let lordHowe = try TimeZoneRules(identifier: "Australia/Lord_Howe")
        #expect(Self.weekday(2300, 10, 7) == 1 && Self.weekday(2300, 4, 1) == 1)
        #expect(lordHowe.offset(at: Self.utc(2300, 10, 6, 15, 30) - 1) == 37_800_000)
        #expect(lordHowe.offset(at: Self.utc(2300, 10, 6, 15, 30)) == 39_600_000)
        #expect(lordHowe.offset(at: Self.utc(2300, 3, 31, 15) - 1) == 39_600_000)
        #expect(lordHowe.offset(at: Self.utc(2300, 3, 31, 15)) == 37_800_000)
        // Far beyond the cached years the rule is evaluated directly.
        #expect(berlin.offset(at: Self.utc(9999, 7, 1)) == 7_200_000)
        #expect(berlin.offset(at: Self.utc(9999, 12, 1)) == 3_600_000)
    }

    /// Foundation's weekday (1 = Sunday) of a Gregorian date.
    static func weekday(_ year: Int, _ month: Int, _ day: Int) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.component(.weekday, from: Date(timeIntervalSince1970: Double(utc(year, month, day) / 1000)))
    }
}

import Foundation
import Strata
import Testing
import StrataTestSupport

/// TimeZoneRules against `zdump -v` (the tz project's own reader of the same
/// files) at both sides of every transition from 1850 to 2100, in zones of
/// the database's `zone1970.tab`; and the local-day property right at
/// those transitions, where a mistake would show.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/zdump")))
struct TimeZoneRulesZdumpTests {
    /// Zones whose clocks were once set back across midnight, so one local day
    /// is split in two and no single start can bound it (see ``TimeZoneRules/startOfLocalDay(_:)``).
    static let splitDayZones: Set<String> = [
        // 1867: Alaska moved from Russian to American time, repeating a day.
        "America/Adak", "America/Anchorage", "America/Juneau", "America/Metlakatla", "America/Nome", "America/Sitka",
        "America/Yakutat",
        // Changes at 00:01 (1987-2010 in Newfoundland and New Brunswick, 1944 in Arizona, 1969 on Guam).
        "America/St_Johns", "America/Goose_Bay", "America/Moncton", "America/Phoenix", "Pacific/Guam",
        // 2010-03-05 02:00 +11 became 2010-03-04 23:00 +08.
        "Antarctica/Casey",
    ]

    /// A line of `zdump -v`: a UTC instant (milliseconds) and the offset (milliseconds) zdump gives it.
    struct Sample { let instant: Int64; let offset: Int64 }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The zones of `zone1970.tab` (its third column).
    static func zones() throws -> [String] {
        let table = try String(contentsOfFile: TimeZoneRules.defaultDatabaseDirectory + "/zone1970.tab", encoding: .utf8)
        return table.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let columns = line.split(separator: "\t")
            return columns.count >= 3 ? String(columns[2]) : nil
        } + ["UTC"]
    }

    /// `zdump -v -c 1850,2100` of `zones` (one run), parsed and grouped by zone.
    static func samples(of zones: [String]) throws -> [String: [Sample]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zdump")
        process.arguments = ["-v", "-c", "1850,2100"] + zones
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var samples: [String: [Sample]] = [:]
        var monthStarts: [Int: Int64] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            // "Europe/Berlin  Sun Mar 31 00:59:59 2024 UT = Sun Mar 31 01:59:59 2024 CET isdst=0 gmtoff=3600"
            let halves = line.components(separatedBy: " = ")
            guard halves.count == 2, let offsetText = halves[1].split(separator: " ").last, offsetText.hasPrefix("gmtoff=") else { continue }
            let left = halves[0].split(separator: " ")
            let utc = Array(left.suffix(5))  // month, day, time, year, "UT"
            guard left.count == 7, utc[4] == "UT", let month = months.firstIndex(of: String(utc[0])) else { continue }
            let clock = utc[2].split(separator: ":").compactMap { Int($0) }
            guard clock.count == 3, let day = Int(utc[1]), let year = Int(utc[3]),
                let offset = Int64(offsetText.dropFirst("gmtoff=".count))
            else { continue }
            // Foundation dates each month once; the day and time are added to that.
            let key = year * 12 + month
            if monthStarts[key] == nil {
                guard let date = calendar.date(from: DateComponents(year: year, month: month + 1, day: 1)) else { continue }
                monthStarts[key] = Int64(date.timeIntervalSince1970)
            }
            let seconds = monthStarts[key]! + Int64((day - 1) * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2])
            samples[String(left[0]), default: []].append(Sample(instant: seconds * 1000, offset: offset * 1000))
        }
        return samples
    }

    @Test func offsetsAndLocalDaysAtEveryTransitionAgreeWithZdump() throws {
        var checked = 0
        var splitDays: Set<String> = []
        // zdump itself takes about 25 s of CPU for all 313 zones (all passed when
        // this test was written), so a run takes the split-day zones and a
        // seeded sample of 60 others.
        var generator = SeededGenerator(seed: 0x2D_0A7E)
        let others = try Self.zones().filter { !Self.splitDayZones.contains($0) }.shuffled(using: &generator).prefix(60)
        let zones = Self.splitDayZones.sorted() + others
        let zdump = try Self.samples(of: zones)
        #expect(zones.filter { zdump[$0] == nil }.allSatisfy { $0 == "UTC" }, "zdump lists every zone with a transition")
        for zone in zones {
            let rules = try TimeZoneRules(identifier: zone)
            let samples = zdump[zone] ?? []
            var mismatches: [String] = []
            for sample in samples {
                if rules.offset(at: sample.instant) != sample.offset {
                    mismatches.append("\(sample.instant / 1000) s: ours \(rules.offset(at: sample.instant) / 1000), zdump \(sample.offset / 1000)")
                }
                for instant in [sample.instant - 1, sample.instant, sample.instant + 1] {
                    let day = rules.localDay(containing: instant)
                    let start = rules.startOfLocalDay(day)
                    if rules.localDay(containing: start) != day || !(start <= instant && instant < rules.startOfLocalDay(day + 1)) {
                        splitDays.insert(zone)
                    }
                    let bucket = rules.localDayBucket(containing: instant)
                    if !(rules.startOfLocalDay(bucket) <= instant && instant < rules.startOfLocalDay(bucket + 1)) || abs(bucket - day) > 1 {
                        mismatches.append("bucket \(bucket) of \(instant) ms")
                    }
                }
            }
            checked += samples.count
            #expect(mismatches.isEmpty, "\(zone): \(mismatches.count) of \(samples.count) differ, first \(mismatches.prefix(4))")
        }
        #expect(checked > 10_000)
        #expect(splitDays == Self.splitDayZones, "\(splitDays.sorted())")
    }
}

/// "Slim" TZif files (`zic -b slim`, what some systems ship) end their table
/// at the last change of rule, so today's offsets come from the footer: they
/// must give the same answers as the "fat" files Debian ships.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/zic")
    && FileManager.default.fileExists(atPath: TimeZoneRules.defaultDatabaseDirectory + "/tzdata.zi")))
struct TimeZoneRulesSlimFileTests {
    @Test func slimFilesGiveTheOffsetsAndDaysOfFatOnes() throws {
        let directory = TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/zic")
        process.arguments = ["-b", "slim", "-d", directory.path, TimeZoneRules.defaultDatabaseDirectory + "/tzdata.zi"]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let fatBerlin = try FileManager.default.attributesOfItem(atPath: TimeZoneRules.defaultDatabaseDirectory + "/Europe/Berlin")[.size] as? Int
        let slimBerlin = try FileManager.default.attributesOfItem(atPath: directory.appending("Europe/Berlin"))[.size] as? Int
        #expect(try #require(slimBerlin) < (try #require(fatBerlin)) / 2, "zic wrote a slim file")
        var generator = SeededGenerator(seed: 0x5_11F1)
        for zone in TimeZoneRulesTests.dayZones {
            let fat = try TimeZoneRules(identifier: zone)
            let slim = try TimeZoneRules(identifier: zone, databaseDirectory: directory.path)
            var differences: [Int64] = []
            // Up to 2072: Gaza's predicted Ramadan suspensions of daylight time from 2073 to 2086,
            // listed in the fat file, are missing from the slim one this zic (glibc 2.36) writes,
            // as zdump on the slim file confirms.
            for _ in 0..<2000 {
                let instant = Int64.random(in: -2_208_988_800...3_250_454_399, using: &generator) * 1000
                let day = fat.localDay(containing: instant)
                if slim.offset(at: instant) != fat.offset(at: instant) || slim.localDay(containing: instant) != day
                    || slim.startOfLocalDay(day) != fat.startOfLocalDay(day) {
                    differences.append(instant)
                }
            }
            #expect(differences.isEmpty, "\(zone): \(differences.count) instants differ, first \(differences.prefix(5))")
        }
    }
}

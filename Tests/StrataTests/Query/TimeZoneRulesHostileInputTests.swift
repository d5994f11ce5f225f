import Foundation
import Strata
import Testing
import StrataTestSupport

/// TimeZoneRules given hostile identifiers, damaged TZif files and footer
/// rules in every form RFC 8536 allows: errors, never traps.
@Suite struct TimeZoneRulesHostileInputTests {
    static func error(_ body: () throws(StrataError) -> TimeZoneRules) -> StrataError? {
        do throws(StrataError) {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    /// Each identifier fails with `.invalidArgument`, a message naming it and the problem.
    @Test(arguments: [
        ("", "empty"),
        ("../../etc/passwd", "'..'"),
        ("Europe/../../../etc/passwd", "'..'"),
        ("/etc/passwd", "absolute path"),
        ("/usr/share/zoneinfo/Europe/Berlin", "absolute path"),
        ("Europe/Berlin\u{0}", "NUL"),
        ("Europe/\u{0}Berlin", "NUL"),
        ("Europe/Ber\nlin", "control character"),
        ("Europe/", "empty component"),
        ("Europe//Berlin", "empty component"),
        ("./Europe/Berlin", "'..'"),
        ("Europe/Berlin ", "' '"),
        ("Europe/Zürich", "non-ASCII"),
        ("-Europe/Berlin", "begins with '-'"),
        ("Europe/Berlin;rm", "';'"),
        (String(repeating: "A", count: 300), "300 bytes"),
        ("Europe", "is a directory"),
        ("zone.tab", "not in TZif format"),
        ("iso3166.tab", "not in TZif format"),
        ("tzdata.zi", "not in TZif format"),
        ("Nowhere/Atlantis", "unknown time zone"),
        ("right/Europe/Berlin", "leap-second"),
    ])
    func hostileIdentifierIsRefused(identifier: String, problem: String) throws {
        let error = try #require(Self.error { () throws(StrataError) in try TimeZoneRules(identifier: identifier) })
        #expect(error.code == .invalidArgument, "\(identifier.debugDescription): \(error)")
        #expect(error.message.contains(problem), "\(identifier.debugDescription): \(error)")
        let shown = String(identifier.unicodeScalars.prefix(20)).debugDescription.dropLast()
        #expect(error.message.contains(shown), "the message names the identifier: \(error)")
    }

    /// Names are checked before the database is looked for; a missing database says what to install.
    @Test func missingDatabaseSaysToInstallTzdata() throws {
        let missing = "/nonexistent/zoneinfo-\(UInt32.random(in: 0...UInt32.max))"
        let error = try #require(Self.error { () throws(StrataError) in
            try TimeZoneRules(identifier: "Europe/Berlin", databaseDirectory: missing)
        })
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("tzdata") && error.message.contains(missing) && error.message.contains("Europe/Berlin"))
        let hostile = try #require(Self.error { () throws(StrataError) in
            try TimeZoneRules(identifier: "../../etc/passwd", databaseDirectory: missing)
        })
        #expect(hostile.message.contains("'..'") && !hostile.message.contains("tzdata"))
        #expect(TimeZoneRules.defaultDatabaseDirectory == (ProcessInfo.processInfo.environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/zoneinfo"))
    }

    static func bytes(ofZone zone: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: TimeZoneRules.defaultDatabaseDirectory + "/" + zone)))
    }

    /// Answers of rules read from a damaged file: any values, but no trap.
    static func exercise(_ rules: TimeZoneRules) -> Int64 {
        var total: Int64 = 0
        for instant: Int64 in [.min, -2_000_000_000_000, 0, 1_700_000_000_000, 4_000_000_000_000, .max] {
            let day = rules.localDay(containing: instant)
            total &+= rules.offset(at: instant) &+ rules.startOfLocalDay(day) &+ rules.startOfLocalDay(day &+ 1)
        }
        return total
    }

    /// A real file cut at every length, and with bytes overwritten at seeded
    /// places, gives an error or rules that answer; it never traps.
    @Test(arguments: ["Europe/Berlin", "Australia/Lord_Howe", "America/Santiago"])
    func damagedFilesThrowOrAnswer(zone: String) throws {
        let original = try Self.bytes(ofZone: zone)
        let intact = try TimeZoneRules(identifier: zone, tzif: original)
        let reference = try TimeZoneRules(identifier: zone)
        #expect(intact.offset(at: 1_720_000_000_000) == reference.offset(at: 1_720_000_000_000))
        var truncatedAccepted = 0
        for length in 0..<original.count {
            if let rules = try? TimeZoneRules(identifier: zone, tzif: Array(original.prefix(length))) {
                truncatedAccepted += 1
                _ = Self.exercise(rules)
            }
        }
        // Every cut loses the footer's closing newline at least.
        #expect(truncatedAccepted == 0)
        var generator = SeededGenerator(seed: 0xC022_0F7E ^ UInt64(original.count))
        var outcomes = (errors: 0, answers: 0)
        for _ in 0..<3000 {
            var damaged = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let place = Int.random(in: 0..<damaged.count, using: &generator)
                damaged[place] = Bool.random(using: &generator) ? UInt8.random(in: 0...255, using: &generator) : damaged[place] ^ 0x80
            }
            do throws(StrataError) {
                _ = Self.exercise(try TimeZoneRules(identifier: zone, tzif: damaged))
                outcomes.answers += 1
            } catch {
                #expect(error.code == .corruptFile || error.code == .invalidArgument)
                #expect(error.path == zone)
                outcomes.errors += 1
            }
        }
        #expect(outcomes.errors + outcomes.answers == 3000)
        #expect(outcomes.errors > 0 && outcomes.answers > 0, "\(outcomes)")
    }

    /// A version 2 TZif file with no transitions and one type: the footer decides everything.
    static func footerOnlyFile(_ footer: String) -> [UInt8] {
        func count(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        let header = Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15) + [0, 0, 0, 0, 1, 4].flatMap(count)
        let block: [UInt8] = [0, 0, 0, 0, 0, 0] + Array("AAA".utf8) + [0]
        return header + block + header + block + Array("\n\(footer)\n".utf8)
    }

    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0) -> Int64 {
        TimeZoneRulesTests.utc(year, month, day, hour)
    }

    @Test func footerRulesInEveryForm() throws {
        // Times past 24 h and below zero (RFC 8536 section 3.3.1): 2024-03-31 at -1:00 is 2024-03-30 23:00;
        // 2024-10-27 at 25:00 daylight time is 2024-10-28 00:00 UTC.
        let extended = try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile("AAA0BBB,M3.5.0/-1,M10.5.0/25"))
        #expect(extended.offset(at: Self.utc(2024, 3, 30, 23) - 1) == 0)
        #expect(extended.offset(at: Self.utc(2024, 3, 30, 23)) == 3_600_000)
        #expect(extended.offset(at: Self.utc(2024, 10, 28, 0) - 1) == 3_600_000)
        #expect(extended.offset(at: Self.utc(2024, 10, 28, 0)) == 0)
        // Jn never counts 29 February: J60 is 1 March in every year, J300 is 27 October in 2024.
        let julian = try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile("AAA0BBB,J60/0,J300/0"))
        for year in [2023, 2024, 2100, 2000] {
            #expect(julian.offset(at: Self.utc(year, 3, 1) - 1) == 0)
            #expect(julian.offset(at: Self.utc(year, 3, 1)) == 3_600_000)
        }
        #expect(julian.offset(at: Self.utc(2024, 10, 26, 23) - 1) == 3_600_000)
        #expect(julian.offset(at: Self.utc(2024, 10, 26, 23)) == 0)
        // n counts from 0 and counts 29 February: day 59 is 29 February in 2024, 1 March in 2023.
        let zeroBased = try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile("AAA0BBB,59/0,300/0"))
        #expect(zeroBased.offset(at: Self.utc(2024, 2, 29) - 1) == 0 && zeroBased.offset(at: Self.utc(2024, 2, 29)) == 3_600_000)
        #expect(zeroBased.offset(at: Self.utc(2023, 3, 1) - 1) == 0 && zeroBased.offset(at: Self.utc(2023, 3, 1)) == 3_600_000)
        #expect(zeroBased.offset(at: Self.utc(2023, 10, 27, 23) - 1) == 3_600_000 && zeroBased.offset(at: Self.utc(2023, 10, 27, 23)) == 0)
        // Quoted names, minutes, and a southern-hemisphere rule (daylight time across New Year).
        let lordHowe = try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"))
        #expect(lordHowe.offset(at: Self.utc(2030, 1, 1)) == 39_600_000 && lordHowe.offset(at: Self.utc(2030, 7, 1)) == 37_800_000)
        // US rules, an offset with seconds, and daylight time all year (the J365/25 idiom).
        let newYork = try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile("EST5EDT,M3.2.0,M11.1.0"))
        #expect(newYork.offset(at: Self.utc(2024, 3, 10, 7) - 1) == -18_000_000 && newYork.offset(at: Self.utc(2024, 3, 10, 7)) == -14_400_000)
        let seconds = try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile("<+0053>-0:53:28"))
        #expect(seconds.offset(at: 0) == 3_208_000)
        let permanent = try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile("EST5EDT,0/0,J365/25"))
        for instant in [Self.utc(2024, 1, 1, 5), Self.utc(2024, 1, 1, 5) - 1, Self.utc(2024, 12, 31, 23), Self.utc(2025, 6, 1)] {
            #expect(permanent.offset(at: instant) == -14_400_000)
        }
        // An empty footer: the last (here the only) type's offset.
        #expect(try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile("")).offset(at: 0) == 0)
    }

    /// Random footers built from the bytes TZ strings use: an error or rules that answer, never a trap.
    @Test func randomFootersThrowOrAnswer() {
        let alphabet = Array("CETSJM<>+-0123456789:,./".utf8)
        let seeds = ["CET-1CEST,M3.5.0,M10.5.0/3", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "EET-2EEST,M3.4.4/50,M10.4.4/50", "EST5EDT,0/0,J365/25"]
        var generator = SeededGenerator(seed: 0xF007_E125)
        var outcomes = (errors: 0, answers: 0)
        for round in 0..<4000 {
            // Half start from a real footer with a few bytes changed, half are random.
            var footer = round % 2 == 0 ? Array(seeds[round / 2 % seeds.count].utf8) : (0..<Int.random(in: 0...30, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            if round % 2 == 0 {
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    footer[Int.random(in: 0..<footer.count, using: &generator)] = alphabet.randomElement(using: &generator)!
                }
            }
            do throws(StrataError) {
                _ = Self.exercise(try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile(String(decoding: footer, as: UTF8.self))))
                outcomes.answers += 1
            } catch {
                #expect(error.code == .corruptFile && error.message.contains("footer"), "\(error)")
                outcomes.errors += 1
            }
        }
        #expect(outcomes.errors > 100 && outcomes.answers > 100, "\(outcomes)")
    }

    /// A version 1 file (no 64-bit block, no footer) is read from its 32-bit block.
    @Test func versionOneFileIsReadFromItsOnlyBlock() throws {
        func count(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        // One transition, at 1 000 000 000 s, from type 0 (+01:00) to type 1 (+02:00, daylight).
        let header = Array("TZif".utf8) + [UInt8](repeating: 0, count: 16) + [0, 0, 0, 1, 2, 4].flatMap(count)
        let block = count(1_000_000_000) + [1] + count(3600) + [0, 0] + count(7200) + [1, 0] + Array("AAA".utf8) + [0]
        let rules = try TimeZoneRules(identifier: "v1", tzif: header + block)
        #expect(rules.offset(at: 999_999_999_999) == 3_600_000)
        #expect(rules.offset(at: 1_000_000_000_000) == 7_200_000)
        #expect(rules.offset(at: .max) == 7_200_000 && rules.offset(at: .min) == 3_600_000)
        // A transition index past the types, and a truncated block, are damage.
        var damaged = header + block
        damaged[48] = 2
        #expect(Self.error { () throws(StrataError) in try TimeZoneRules(identifier: "v1", tzif: damaged) }?.code == .corruptFile)
        #expect(Self.error { () throws(StrataError) in try TimeZoneRules(identifier: "v1", tzif: Array((header + block).dropLast())) }?.code == .corruptFile)
    }

    @Test(arguments: [
        "CET-1CEST", "CET-25", "CE-1", "<>0", "<+01-1", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
        "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,M3.5.0/168,M10.5.0", "CET-1CEST,J0,J365", "CET-1CEST,366,0",
        "CET-1CEST,M3.5.0", "CET-1CEST,M3.5.0,M10.5.0x", "CET-1:60", "CET", "CET-1\u{0}",
    ])
    func malformedFooterIsRefused(footer: String) throws {
        let error = try #require(Self.error { () throws(StrataError) in try TimeZoneRules(identifier: "x", tzif: Self.footerOnlyFile(footer)) })
        #expect(error.code == .corruptFile, "\(footer.debugDescription): \(error)")
        #expect(error.message.contains("footer"), "\(footer.debugDescription): \(error)")
    }
}

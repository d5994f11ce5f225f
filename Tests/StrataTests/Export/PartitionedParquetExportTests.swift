import Foundation
import Testing
@testable import Strata

import Glibc
import StrataTestSupport

@Suite("Partitioned Parquet export as library code: names, dates, links, atomic files")
struct PartitionedParquetExportTests {
    static let day = Milliseconds.day

    /// A series of `device` with one Float64 point per timestamp.
    static func points(_ device: String, _ timestamps: [Int64]) -> SeriesPoints {
        SeriesPoints(series: SeriesKey(device: device, metric: "t"), type: .float64,
                     columns: SeriesColumns(timestamps: timestamps, bits: timestamps.indices.map { Double($0).bitPattern }))
    }

    @Test("escaping keeps letters, digits, - and _ (and . after the first byte); every other byte is %XX")
    func escaping() {
        #expect(PartitionNaming.escaped("pump-1_a.b") == "pump-1_a.b")
        #expect(PartitionNaming.escaped("pump/2") == "pump%2F2")
        #expect(PartitionNaming.escaped("pompe-é") == "pompe-%C3%A9")
        #expect(PartitionNaming.escaped("..") == "%2E.")
        #expect(PartitionNaming.escaped(".hidden") == "%2Ehidden")
        #expect(PartitionNaming.escaped("a=b c~%") == "a%3Db%20c%7E%25")
        #expect(PartitionNaming.deviceDirectory("pump/2") == "device=pump%2F2")
    }

    @Test("a name whose directory would pass 255 bytes gets a readable prefix and a hash; it is stable and distinct")
    func longNames() {
        let fits = String(repeating: "x", count: 248)
        #expect(PartitionNaming.deviceDirectory(fits) == "device=" + fits)
        #expect(!PartitionNaming.isShortened(fits))
        let long = String(repeating: "é", count: 50)  // 100 bytes, 300 escaped
        let names = [String(repeating: "x", count: 249), long, long + "a", long + "b", String(repeating: "/", count: 255),
                     "a" + String(repeating: "é", count: 127)]
        var directories = Set<String>()
        for name in names {
            #expect(PartitionNaming.isShortened(name))
            let directory = PartitionNaming.deviceDirectory(name)
            #expect(directory.utf8.count <= PartitionNaming.componentByteLimit, "\(directory)")
            #expect(directory == PartitionNaming.deviceDirectory(name), "stable")
            let parts = directory.dropFirst("device=".count).split(separator: "~")
            #expect(parts.count == 2)
            // The prefix is the escaped name's start, cut before an escape, never inside one.
            #expect(PartitionNaming.escaped(name).hasPrefix(parts[0]))
            #expect(parts[0].utf8.count <= 200 && parts[0].utf8.count >= 198)
            #expect(!parts[0].suffix(2).contains("%"))
            #expect(parts[1].count == 16 && parts[1].allSatisfy(\.isHexDigit))
            directories.insert(directory)
        }
        #expect(directories.count == names.count)
        // FNV-1a 64 of "a" (the algorithm's published test value).
        #expect(PartitionNaming.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
    }

    @Test("the day of a timestamp and its date, at every extreme of Int64")
    func extremeDays() {
        let cases: [(Int64, String)] = [
            (.min, "-292275055-05-16"), (.min + 1, "-292275055-05-16"), (-1, "1969-12-31"), (0, "1970-01-01"),
            (.max - 1, "+292278994-08-17"), (.max, "+292278994-08-17"),
            (-62_167_219_200_000, "0000-01-01"), (-62_167_219_200_001, "-0001-12-31"),
            (253_402_300_799_999, "9999-12-31"), (253_402_300_800_000, "+10000-01-01"),
            (951_782_400_000, "2000-02-29"), (-2_203_891_200_000, "1900-03-01"),
        ]
        for (timestamp, date) in cases {
            #expect(PartitionNaming.date(ofDay: PartitionNaming.day(of: timestamp)) == date, "\(timestamp)")
        }
        #expect(PartitionNaming.day(of: .min) == -106_751_991_168)
        #expect(PartitionNaming.day(of: .max) == 106_751_991_167)
        #expect(PartitionNaming.dateDirectory(day: 0) == "date=1970-01-01")
    }

    @Test("dates agree with TimeText for years 0000 to 9999, and every day has its own date across the whole range")
    func datesAgreeAndDiffer() {
        // Every 13th day of years 0000 to 9999 against the store's own time formatting.
        var day: Int64 = -719_528
        while day <= 2_932_896 {
            #expect(PartitionNaming.date(ofDay: day) == String(TimeText.format(day * Self.day).prefix(10)), "day \(day)")
            day += 13
        }
        // Consecutive days differ and are well formed, across the representable range.
        var generator = SeededGenerator(seed: 16)
        let first = PartitionNaming.day(of: .min), last = PartitionNaming.day(of: .max)
        for _ in 0..<20_000 {
            let day = Int64.random(in: first..<last, using: &generator)
            let (today, tomorrow) = (PartitionNaming.date(ofDay: day), PartitionNaming.date(ofDay: day + 1))
            #expect(today != tomorrow)
            for date in [today, tomorrow] {
                let parts = date.dropFirst().split(separator: "-")
                #expect(parts.count == 3 && parts[1].count == 2 && parts[2].count == 2 && parts[0].count >= 3, "\(date)")
                #expect(parts.allSatisfy { $0.allSatisfy(\.isNumber) }, "\(date)")
            }
        }
    }

    @Test("rows are cut by UTC day, at the extremes too")
    func rowsByDay() {
        let series = [Self.points("d", [.min, .min + 1, -1, 0, 1, Self.day, .max - 1, .max])]
        let days = Dictionary(uniqueKeysWithValues: LakeGranularity.day.rowsByPartition(series).map { ($0.first, $0.slices) })
        #expect(days.keys.sorted() == [-106_751_991_168, -1, 0, 1, 106_751_991_167])
        #expect(days[-106_751_991_168]?.map(\.rows) == [0..<2])
        #expect(days[-1]?.map(\.rows) == [2..<3])
        #expect(days[0]?.map(\.rows) == [3..<5])
        #expect(days[1]?.map(\.rows) == [5..<6])
        #expect(days[106_751_991_167]?.map(\.rows) == [6..<8])
    }

    @Test("writes one file per device and day, with the full name and the date in the footer")
    func writesFiles() throws {
        let directory = TemporaryDirectory()
        let destination = directory.appending("a/b/lake")
        let export = try PartitionedParquetExport(directory: destination)
        let long = String(repeating: "é", count: 50)
        try export.write(device: long, series: [Self.points(long, [.min, 0, 1, Self.day + 5])])
        try export.write(device: "pump/2", series: [Self.points("pump/2", [10, 20]), Self.points("pump/2", [30])])
        export.close()
        #expect(export.summary.fileCount == 4)
        #expect(export.summary.rowCount == 7)
        let longDirectory = destination + "/" + PartitionNaming.deviceDirectory(long)
        #expect(try FileManager.default.contentsOfDirectory(atPath: longDirectory).sorted()
                == ["date=-292275055-05-16", "date=1970-01-01", "date=1970-01-02"])
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: longDirectory + "/date=1970-01-02/part-0.parquet")))
        #expect(ParquetFooter.metadata(bytes, key: "strata.device") == long)
        #expect(ParquetFooter.metadata(bytes, key: "strata.date") == "1970-01-02")
        #expect(Array(bytes.prefix(4)) == Array("PAR1".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination + "/device=pump%2F2") == ["date=1970-01-01"])
        #expect(throws: StrataError.self) { try export.write(device: "x", series: [Self.points("x", [1])]) }
    }

    @Test("a file is replaced whole; a failed write leaves the previous file and no temporary one")
    func atomicReplace() throws {
        let directory = TemporaryDirectory()
        let destination = directory.appending("lake")
        let file = destination + "/device=d/date=1970-01-01/part-0.parquet"
        try PartitionedParquetExport(directory: destination).write(device: "d", series: [Self.points("d", [1, 2, 3])])
        let first = try Data(contentsOf: URL(fileURLWithPath: file))
        try PartitionedParquetExport(directory: destination).write(device: "d", series: [Self.points("d", Array(1...500))])
        let second = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(second.count > first.count)

        FaultInjection.install(.init(pathPrefix: destination, operation: .write, effect: .fail(ENOSPC), skip: 1, times: 2))
        defer { FaultInjection.removeRules(under: destination) }
        let export = try PartitionedParquetExport(directory: destination)
        #expect {
            try export.write(device: "d", series: [Self.points("d", [7])])
        } throws: { error in
            (error as? StrataError)?.code == .io && "\(error)".contains("No space left on device")
        }
        // A new day's directory that stays empty goes too.
        #expect {
            try export.write(device: "e", series: [Self.points("e", [7])])
        } throws: { _ in true }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination + "/device=d/date=1970-01-01") == ["part-0.parquet"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["device=d"])
    }

    @Test("a symbolic link anywhere below the destination is an error naming it; nothing is written through it")
    func symbolicLinks() throws {
        let directory = TemporaryDirectory()
        let outside = directory.appending("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        for link in ["device=d", "device=d/date=1970-01-01", "device=d/date=1970-01-01/part-0.parquet"] {
            let destination = directory.appending("lake-\(link.count)")
            try FileManager.default.createDirectory(atPath: destination + "/device=d/date=1970-01-01", withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: destination + "/" + link)
            try FileManager.default.createSymbolicLink(atPath: destination + "/" + link, withDestinationPath: outside + "/x")
            try FileManager.default.createDirectory(atPath: outside + "/x", withIntermediateDirectories: true)
            let export = try PartitionedParquetExport(directory: destination)
            #expect(throws: StrataError(.invalidArgument, "is a symbolic link; an export never writes through one", path: destination + "/" + link)) {
                try export.write(device: "d", series: [Self.points("d", [1])])
            }
            #expect(try FileManager.default.subpathsOfDirectory(atPath: outside) == ["x"])
            try FileManager.default.removeItem(atPath: outside + "/x")
        }
    }

    @Test("outputs inside a protected directory (a store) are refused, however the destination is spelled")
    func protectedDirectory() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        try FileManager.default.createDirectory(atPath: store + "/segments", withIntermediateDirectories: true)
        for destination in [store, store + "/segments", store + "/new/x", directory.appending("store/../store/./y")] {
            #expect(throws: StrataError.self) { try PartitionedParquetExport(directory: destination, protectedDirectory: store) }
        }
        #expect(!FileManager.default.fileExists(atPath: store + "/new"))
        // A store that is itself a partition directory below the destination.
        let lake = directory.appending("lake")
        let nested = lake + "/device=d"
        try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
        let export = try PartitionedParquetExport(directory: lake, protectedDirectory: nested)
        #expect(throws: StrataError.self) { try export.write(device: "d", series: [Self.points("d", [1])]) }
        try export.write(device: "e", series: [Self.points("e", [1])])
        #expect(try FileManager.default.contentsOfDirectory(atPath: nested).isEmpty)
        // Resolution: links and dot-dot are followed as the system follows them.
        try FileManager.default.createSymbolicLink(atPath: directory.appending("link"), withDestinationPath: store)
        #expect(throws: StrataError.self) { try ExportDestination.refuseInside(store: store, destination: directory.appending("link/a/../b.csv")) }
        try ExportDestination.refuseInside(store: store, destination: directory.appending("store-other/b.csv"))
        try ExportDestination.refuseInside(store: store, destination: directory.appending("link/../b.csv"))
    }

    @Test("ExportFile: appears at commit, discard leaves nothing, a link at the destination is replaced, not followed")
    func exportFile() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("out.csv")
        let file = try ExportFile(path: path)
        try file.write(Array("a,b\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).allSatisfy { $0.hasPrefix(".out.csv.") && $0.hasSuffix(".tmp") })
        try file.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n")
        #expect(throws: StrataError.self) { try file.write(Array("late".utf8)) }

        let abandoned = try ExportFile(path: path)
        try abandoned.write(Array("partial".utf8))
        abandoned.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.csv"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n")
        do { _ = try ExportFile(path: path) }  // released unfinished: removed as well
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.csv"])

        let target = directory.appending("target.txt")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: target))
        let link = directory.appending("link.csv")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let replacing = try ExportFile(path: link)
        try replacing.write(Array("new".utf8))
        try replacing.commit()
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
        #expect(try String(contentsOfFile: link, encoding: .utf8) == "new")

        #expect(throws: StrataError(.invalidArgument, "is a directory, not a file", path: directory.path)) { try ExportFile(path: directory.path) }
        let long = directory.appending(String(repeating: "n", count: 250))
        let longFile = try ExportFile(path: long)
        try longFile.commit()
        #expect(FileManager.default.fileExists(atPath: long))
    }
}

import Foundation
import Testing
@testable import Strata

import Glibc
import StrataTestSupport

/// Exports and plots as a hostile user would try them: destinations inside
/// the store, failures part-way, symbolic links in the destination, extreme
/// dates and names too long for a path component.
@Suite("strata export and --plot: destinations, failures, links, dates, long names")
struct ExportSafetyCommandTests {
    /// A store of three devices, 600 points each over two days.
    static func makeStore(_ path: String) throws {
        let store = try Store(at: path)
        for device in ["d0", "d1", "d2"] {
            let times = (0..<600).map { Int64($0) * 300_000 }
            try store.append(device: device, metric: "t", timestamps: times, values: times.map { Double($0) * 0.37 })
        }
        try store.close()
    }

    /// Every file of `directory` with its contents, by relative path.
    static func snapshot(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue,
               !name.hasSuffix(".lock") {
                files[name] = FileManager.default.contents(atPath: directory + "/" + name)
            }
        }
        return files
    }

    @Test("a destination inside the store is refused before anything is written, however it is spelled")
    func destinationInsideStore() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        try Self.makeStore(store)
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: store + "/segments").first { $0.hasSuffix(".seg") })
        try FileManager.default.createSymbolicLink(atPath: directory.appending("link"), withDestinationPath: store + "/segments")
        let before = try Self.snapshot(store)
        #expect(before.keys.contains("MANIFEST") && before.count >= 2)
        let attempts: [[String]] = [
            [store + "/MANIFEST", "--format", "csv"],
            [store + "/segments/" + segment, "--format", "csv"],
            [store + "/segments/" + segment, "--format", "parquet"],
            [store + "/new.jsonl", "--format", "jsonl"],
            [directory.appending("link/x.csv"), "--format", "csv"],
            [directory.appending("link/../MANIFEST"), "--format", "csv"],
            [store + "/../store/missing/../out.parquet", "--format", "parquet"],
            [store, "--format", "parquet", "--partition"],
            [store + "/wal", "--format", "parquet", "--partition"],
            [store + "/new/deeper", "--format", "parquet", "--partition"],
        ]
        for arguments in attempts {
            let run = try CommandRunner.run(["export", store] + arguments)
            #expect(run.status == 2, "\(arguments): \(run.standardError)")
            #expect(run.standardError.hasPrefix("strata: " + arguments[0] + ": "), "\(run.standardError)")
            #expect(run.standardError.contains("inside the store") || run.standardError.contains("is the store's directory"), "\(run.standardError)")
        }
        #expect(try Self.snapshot(store) == before, "the store's files are untouched")
        #expect(!FileManager.default.fileExists(atPath: store + "/new"))
        let query = try CommandRunner.run(["query", store, "--device", "d1", "--metric", "t", "--format", "csv"])
        #expect(query.status == 0)
        #expect(query.standardOutput.split(separator: "\n").count == 601)
        // A plot is an output too.
        let plot = try CommandRunner.run(["downsample", store, "--device", "d1", "--metric", "t", "--step", "1h", "--plot", store + "/MANIFEST"])
        #expect(plot.status == 2)
        #expect(plot.standardError.contains("inside the store"), "\(plot.standardError)")
        #expect(try Self.snapshot(store) == before)
    }

    @Test("a destination hard-linked to a segment is replaced by the export, the segment left whole")
    func hardLinkedDestination() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        try Self.makeStore(store)
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: store + "/segments").first { $0.hasSuffix(".seg") })
        let before = try Self.snapshot(store)
        for format in ["csv", "parquet"] {
            let destination = directory.appending("linked." + format)
            try FileManager.default.linkItem(atPath: store + "/segments/" + segment, toPath: destination)
            let run = try CommandRunner.run(["export", store, destination, "--format", format])
            #expect(run.status == 0, "\(format): \(run.standardError)")
            #expect(try Self.snapshot(store) == before, "\(format): the segment is not truncated through the link")
        }
        let query = try CommandRunner.run(["query", store, "--device", "d2", "--metric", "t", "--format", "csv"])
        #expect(query.status == 0)
        #expect(query.standardOutput.split(separator: "\n").count == 601)
    }

    /// Runs `strata` with a file size limit of `blocks` (the shell's unit),
    /// SIGXFSZ ignored, so a write past it fails with EFBIG as on a full disk.
    static func runLimited(_ arguments: [String], blocks: Int) throws -> CommandRunner.Outcome {
        let script = "ulimit -f \(blocks) && trap '' XFSZ && exec \"$0\" \"$@\""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, CommandRunner.executable.path] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandRunner.Outcome(status: process.terminationStatus, standardOutput: "", standardError: String(decoding: errorData, as: UTF8.self))
    }

    @Test("an export that fails part-way leaves the destination as it was and no temporary file")
    func failedExportLeavesNoPartialFile() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        try Self.makeStore(store)
        let output = directory.appending("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for format in ["csv", "jsonl", "parquet"] {
            let destination = output + "/points." + format
            try Data("previous export\n".utf8).write(to: URL(fileURLWithPath: destination))
            let run = try Self.runLimited(["export", store, destination, "--format", format], blocks: 4)
            #expect(run.status == 1, "\(format): \(run.standardError)")
            #expect(run.standardError.contains("File too large"), "\(run.standardError)")
            #expect(!run.standardError.contains("NSCocoaErrorDomain"))
            #expect(try String(contentsOfFile: destination, encoding: .utf8) == "previous export\n", "\(format)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: output).sorted() == ["points.csv", "points.jsonl", "points.parquet"],
                "no temporary file is left behind")
        let partitions = directory.appending("parts")
        let run = try Self.runLimited(["export", store, partitions, "--format", "parquet", "--partition"], blocks: 4)
        #expect(run.status == 1, "\(run.standardError)")
        #expect(try FileManager.default.subpathsOfDirectory(atPath: partitions).isEmpty, "no partial file or empty directory")
        // Unlimited, the same exports succeed.
        let csv = try CommandRunner.run(["export", store, output + "/points.csv", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.standardError)")
        #expect(try String(contentsOfFile: output + "/points.csv", encoding: .utf8).split(separator: "\n").count == 1801)
    }

    @Test("--partition gives every representable day its own well-formed date, from Int64.min to Int64.max")
    func partitionDates() throws {
        let directory = TemporaryDirectory()
        let storePath = directory.appending("store")
        let year10000: Int64 = 253_402_300_800_000  // 10000-01-01T00:00:00Z
        let day: Int64 = Milliseconds.day
        let times: [Int64] = [.min, .min + 1, -62_167_305_600_000, -62_167_219_200_000, -1, 0,
                              year10000, year10000 + day, year10000 + 2 * day + 5, .max - 1, .max]
        let store = try Store(at: storePath)
        try store.append(device: "d", metric: "t", timestamps: times, values: times.indices.map(Double.init))
        try store.close()
        let destination = directory.appending("parts")
        let run = try CommandRunner.run(["export", storePath, destination, "--format", "parquet", "--partition"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.hasPrefix("exported 11 rows of 1 series to 9 files"), "\(run.standardOutput)")
        let dates = try FileManager.default.contentsOfDirectory(atPath: destination + "/device=d").sorted()
        #expect(Set(dates) == [
            "date=-292275055-05-16", "date=-0001-12-31", "date=0000-01-01", "date=1969-12-31", "date=1970-01-01",
            "date=+10000-01-01", "date=+10000-01-02", "date=+10000-01-03", "date=+292278994-08-17",
        ])
        for date in dates {
            #expect(FileManager.default.fileExists(atPath: destination + "/device=d/" + date + "/part-0.parquet"), "\(date)")
        }
    }

    @Test("--partition never writes through a symbolic link found in the destination, and names it")
    func partitionRefusesSymbolicLinks() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        try Self.makeStore(store)
        let outside = directory.appending("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let victim = directory.appending("victim.txt")
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: victim))
        let cases: [(link: String, target: String)] = [
            ("device=d0", outside),
            ("device=d0/date=1970-01-01", outside),
            ("device=d0/date=1970-01-01/part-0.parquet", victim),
        ]
        for (link, target) in cases {
            let destination = directory.appending("parts-\(UUID().uuidString.prefix(6))")
            let parent = destination + "/" + (link as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: destination + "/" + link, withDestinationPath: target)
            let run = try CommandRunner.run(["export", store, destination, "--format", "parquet", "--partition", "--device", "d0"])
            #expect(run.status == 1, "\(link): \(run.standardError)")
            #expect(run.standardError == "strata: \(destination)/\(link): is a symbolic link; an export never writes through one\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "\(link): nothing written outside")
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me\n")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: destination + "/" + link) == target)
        }
    }

    @Test("a device name too long for a path component gets a short stable directory; the file keeps the full name")
    func partitionLongNames() throws {
        let directory = TemporaryDirectory()
        let storePath = directory.appending("store")
        let long = String(repeating: "é", count: 50)
        let devices = [long, long + "a", long + "b", String(repeating: "x", count: 248)]
        let store = try Store(at: storePath)
        for device in devices { try store.append(device: device, metric: "t", timestamps: [1000, 2000], values: [1.5, 2.5]) }
        try store.close()
        let destination = directory.appending("parts")
        let run = try CommandRunner.run(["export", storePath, destination, "--format", "parquet", "--partition"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(!run.standardError.contains("NSCocoaErrorDomain"))
        let names = try FileManager.default.contentsOfDirectory(atPath: destination)
        #expect(Set(names) == Set(devices.map(PartitionNaming.deviceDirectory)))
        #expect(names.count == 4)
        #expect(names.allSatisfy { $0.utf8.count <= 255 })
        #expect(names.contains("device=" + String(repeating: "x", count: 248)), "a name that fits is not shortened")
        for device in devices {
            let file = destination + "/" + PartitionNaming.deviceDirectory(device) + "/date=1970-01-01/part-0.parquet"
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(ParquetFooter.metadata(bytes, key: "strata.device") == device)
        }
    }

    @Test("--plot to a directory or a missing directory is a clear error naming the path, never a Foundation dump")
    func plotErrors() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        try Self.makeStore(store)
        let folder = directory.appending("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let cases: [(arguments: [String], path: String, reason: String)] = [
            (["downsample", store, "--device", "d1", "--metric", "t", "--step", "1h", "--plot", folder], folder, "is a directory, not a file"),
            (["anomalies", store, "--device", "d1", "--metric", "t", "--detector", "above", "--threshold", "1", "--plot", folder],
             folder, "is a directory, not a file"),
            (["downsample", store, "--device", "d1", "--metric", "t", "--step", "1h", "--plot", folder + "/missing/p.svg"],
             folder + "/missing", "No such file or directory"),
        ]
        for (arguments, path, reason) in cases {
            let run = try CommandRunner.run(arguments)
            #expect(run.status == 1, "\(run.standardError)")
            #expect(run.standardError.hasPrefix("strata: \(path): cannot write the plot: "), "\(run.standardError)")
            #expect(run.standardError.contains(reason), "\(run.standardError)")
            #expect(!run.standardError.contains("NSCocoaErrorDomain") && !run.standardError.contains("Error Domain"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "no temporary file is left behind")
    }
}

extension ExportSafetyCommandTests {
    @Test("--plot draws a series from Int64.min to Int64.max without trapping, and labels years past 9999 whole")
    func plotExtremeTimes() throws {
        let directory = TemporaryDirectory()
        let storePath = directory.appending("store")
        let year10000: Int64 = 253_402_300_800_000
        let store = try Store(at: storePath)
        try store.append(device: "wide", metric: "t", timestamps: [.min, .min + 1, -1, 0, .max - 1, .max], values: [1.0, 2, 3, 4, 5, 6])
        try store.append(device: "far", metric: "t", timestamps: (0..<200).map { year10000 + Int64($0) * 3_600_000 },
                         values: (0..<200).map(Double.init))
        try store.close()
        let wide = directory.appending("wide.svg")
        let run = try CommandRunner.run(["downsample", storePath, "--device", "wide", "--metric", "t", "--step", "1000000d", "--plot", wide])
        #expect(run.status == 0, "\(run.standardError)")
        let svg = try String(contentsOfFile: wide, encoding: .utf8)
        #expect(svg.contains(">-292275055-05-16</text>") && svg.contains(">+292278994-08-17</text>"), "\(svg)")
        let far = directory.appending("far.svg")
        let farRun = try CommandRunner.run(["downsample", storePath, "--device", "far", "--metric", "t", "--step", "1h", "--plot", far])
        #expect(farRun.status == 0, "\(farRun.standardError)")
        let farSVG = try String(contentsOfFile: far, encoding: .utf8)
        #expect(farSVG.contains(">+10000-01-01</text>") && farSVG.contains(">+10000-01-09</text>"), "\(farSVG)")
        #expect(!farSVG.contains(">10000-01-0</text>"))
    }
}

extension ExportSafetyCommandTests {
    @Test("a destination that is a pipe or a device is written as a stream, never replaced by a file")
    func pipeDestination() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        try Self.makeStore(store)
        for format in ["csv", "parquet"] {
            let fifo = directory.appending("pipe-" + format)
            #expect(mkfifo(fifo, 0o600) == 0)
            // Opened for reading first (without blocking), so the export's open does not wait; the
            // export of one device fits in the pipe's buffer.
            let reader = open(fifo, O_RDONLY | O_NONBLOCK)
            #expect(reader >= 0)
            defer { close(reader) }
            let run = try CommandRunner.run(["export", store, fifo, "--format", format, "--device", "d0", "--to", "100000000"])
            #expect(run.status == 0, "\(format): \(run.standardError)")
            var bytes = [UInt8](repeating: 0, count: 1 << 16)
            let count = read(reader, &bytes, bytes.count)
            #expect(count > 0)
            let received = Array(bytes.prefix(max(0, count)))
            if format == "csv" {
                #expect(String(decoding: received, as: UTF8.self).hasPrefix("device,metric,ts_ms,value\nd0,t,0,0.0\n"))
            } else {
                #expect(Array(received.prefix(4)) == Array("PAR1".utf8) && Array(received.suffix(4)) == Array("PAR1".utf8))
            }
            var info = stat()
            #expect(lstat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "still a pipe")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).allSatisfy { !$0.hasPrefix(".") })
    }
}

/// Reads one key/value pair from a Parquet footer written by
/// ``ParquetFileWriter``: a Thrift compact `KeyValue` struct is field 1
/// (binary, header 0x18) with the key, field 2 (binary, 0x18) with the value.
enum ParquetFooter {
    static func metadata(_ file: [UInt8], key: String) -> String? {
        guard file.count > 12, Array(file.suffix(4)) == Array("PAR1".utf8) else { return nil }
        let lengthBytes = file[(file.count - 8)..<(file.count - 4)]
        let length = lengthBytes.reversed().reduce(0) { $0 << 8 | Int($1) }
        guard length <= file.count - 12 else { return nil }
        let footer = Array(file[(file.count - 8 - length)..<(file.count - 8)])
        let pattern = [UInt8(0x18), UInt8(key.utf8.count)] + Array(key.utf8) + [0x18]
        guard let start = footer.indices.first(where: { footer[$0...].starts(with: pattern) }) else { return nil }
        // The value's length as a ULEB128 varint, then its bytes.
        var position = start + pattern.count, valueLength = 0, shift = 0
        while position < footer.count {
            let byte = footer[position]
            valueLength |= Int(byte & 0x7F) << shift
            position += 1
            shift += 7
            if byte & 0x80 == 0 { break }
        }
        guard position + valueLength <= footer.count else { return nil }
        return String(decoding: footer[position..<(position + valueLength)], as: UTF8.self)
    }
}

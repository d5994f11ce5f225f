import Testing
import Foundation
import StrataCodecs
@testable import Strata
import StrataTestSupport

/// `strata ingest` on hostile input, through the binary as a user runs it.
@Suite("strata ingest: hostile input")
struct IngestHardeningCommandTests {
    func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func zstd(_ bytes: [UInt8]) throws -> [UInt8] {
        try bytes.withUnsafeBytes { raw in try BlockCompression.zstd(level: 3).compress(raw) }
    }

    @Test("Names that are not UTF-8: FILE:LINE: reason and exit 2, nothing stored")
    func invalidUTF8() throws {
        let directory = TemporaryDirectory()
        let input = directory.appending("bad.csv")
        try write(Array("device,metric,ts_ms,value\n".utf8) + [0x64, 0xFF] + Array(",m,1,1\n".utf8) + [0x64, 0xFE] + Array(",m,2,2\n".utf8), to: input)
        let run = try CommandRunner.run(["ingest", directory.appending("store"), input])
        #expect(run.status == 2)
        #expect(run.standardError == "strata: \(input):2: the device field is not valid UTF-8 (byte 0xFF at offset 1); names must be UTF-8 text\n")
        let lines = try CommandRunner.run(["ingest", directory.appending("store"), "-", "--format", "lp"],
                                          input: Data(Array("m,host=d".utf8) + [0xFF] + Array(" v=1 1\n".utf8)))
        #expect(lines.status == 2)
        #expect(lines.standardError.hasPrefix("strata: -:1:8: the host tag value is not valid UTF-8"), "\(lines.standardError)")
    }

    @Test("A byte-order mark is skipped from a file, standard input and a .zst, in every format")
    func byteOrderMark() throws {
        let directory = TemporaryDirectory()
        let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let long = mark + Array("device,metric,ts_ms,value\nd,m,1,2\n".utf8)
        let wide = mark + Array("timestamp,m\n2,3\n".utf8)
        let lines = mark + Array("m,host=d v=4 3\n".utf8)
        try write(long, to: directory.appending("long.csv"))
        try write(try zstd(wide), to: directory.appending("wide.csv.zst"))
        let store = directory.appending("store")
        let fromFile = try CommandRunner.run(["ingest", store, directory.appending("long.csv")])
        #expect(fromFile.status == 0, "\(fromFile.standardError)")
        let fromZstd = try CommandRunner.run(["ingest", store, directory.appending("wide.csv.zst"), "--format", "wide", "--device", "d"])
        #expect(fromZstd.status == 0, "\(fromZstd.standardError)")
        let fromStandardInput = try CommandRunner.run(["ingest", store, "-", "--format", "lp", "--precision", "ms"], input: Data(lines))
        #expect(fromStandardInput.status == 0, "\(fromStandardInput.standardError)")
        let query = try CommandRunner.run(["export", store, "-", "--format", "csv"])
        #expect(query.standardOutput == "device,metric,ts_ms,value\nd,m,1,2.0\nd,m,2,3.0\nd,m.v,3,4.0\n", "\(query.standardError)")
    }

    @Test("Hexadecimal, 1e999 and 1e-400 are malformed; 5e-324 and +5 are kept")
    func numbers() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        for (text, reason) in [("0x10", "is not a decimal number"), ("1e999", "is beyond the Float64 range"), ("1e-400", "has non-zero digits but is too small")] {
            let run = try CommandRunner.run(["ingest", store, "-"], input: Data("device,metric,ts_ms,value\nd,m,1,\(text)\n".utf8))
            #expect(run.status == 2)
            #expect(run.standardError.hasPrefix("strata: -:2: value \"\(text)\" \(reason)"), "\(run.standardError)")
        }
        let good = try CommandRunner.run(["ingest", store, "-"], input: Data("device,metric,ts_ms,value\nd,m,1,5e-324\nd,m,2,+5\n".utf8))
        #expect(good.status == 0, "\(good.standardError)")
        let export = try CommandRunner.run(["export", store, "-", "--format", "csv"])
        #expect(export.standardOutput == "device,metric,ts_ms,value\nd,m,1,5e-324\nd,m,2,5.0\n")
    }

    @Test("Quoted headers and quoted line breaks, as R and pandas write CSV")
    func rfc4180() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let quoted = try CommandRunner.run(["ingest", store, "-"], input: Data("\"device\",\"metric\",\"ts_ms\",\"value\"\r\n\"d\",\"m\",1,2\r\n".utf8))
        #expect(quoted.status == 0, "\(quoted.standardError)")
        let broken = try CommandRunner.run(["ingest", store, "-"], input: Data("device,metric,ts_ms,value\nd,m,1,2\n\"d\nx\",m,2,2\nd,m,3,y\n".utf8))
        #expect(broken.status == 2)
        #expect(broken.standardError == "strata: -:3: device name \"d\\nx\" contains the control character U+A\n")
        let skipped = try CommandRunner.run(["ingest", store, "-", "--skip-bad-rows"], input: Data("device,metric,ts_ms,value\nd,m,1,2\n\"d\nx\",m,2,2\nd,m,3,y\n".utf8))
        #expect(skipped.standardError.contains("strata: skipped -:5: value \"y\" is not a decimal number"), "\(skipped.standardError)")
    }

    @Test("A line over --max-line-bytes is malformed, and a runaway line stops the read (a .zst that expands to 32 MiB, standard input)")
    func lineLimit() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let plain = directory.appending("long-line.csv")
        try write(Array("device,metric,ts_ms,value\nd,m,1,1\nd,m,2,".utf8) + [UInt8](repeating: 0x31, count: 300) + [0x0A], to: plain)
        let limited = try CommandRunner.run(["ingest", store, plain, "--max-line-bytes", "200"])
        #expect(limited.status == 2)
        #expect(limited.standardError == "strata: \(plain):3: the record is 306 bytes long, over the limit of 200 bytes\n")
        let raised = try CommandRunner.run(["ingest", store, plain, "--max-line-bytes", "2000"])
        #expect(raised.status == 0, "\(raised.standardError)")

        // One line with no end, larger than a read block: the reader refuses it while reading.
        let runaway = Array("device,metric,ts_ms,value\nd,".utf8) + [UInt8](repeating: 0x61, count: 32 << 20)
        let compressed = directory.appending("runaway.csv.zst")
        try write(try zstd(runaway), to: compressed)
        let expanded = try CommandRunner.run(["ingest", store, compressed, "--max-line-bytes", "1000000"])
        #expect(expanded.status == 2)
        #expect(expanded.standardError == "strata: \(compressed):2: the line is longer than 1000000 bytes, the limit (--max-line-bytes raises it); reading stopped there\n")
        // Smaller than a pipe's buffer, so the child reads all of it before it refuses it.
        let piped = try CommandRunner.run(["ingest", directory.appending("other"), "-", "--max-line-bytes", "1000"], input: Data(runaway.prefix(40_000)))
        #expect(piped.status == 2)
        #expect(piped.standardError.hasPrefix("strata: -:2: the line is longer than 1000 bytes"), "\(piped.standardError)")
        #expect(!FileManager.default.fileExists(atPath: directory.appending("other")))
    }

    @Test("Empty names and a duplicate device tag are refused")
    func lineProtocolOptions() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let input = Data("m,host=a,host=b v=1 1\n".utf8)
        let duplicate = try CommandRunner.run(["ingest", store, "-", "--format", "lp"], input: input)
        #expect(duplicate.status == 2)
        #expect(duplicate.standardError == "strata: -:1:10: the host tag, which names the device, appears twice\n")
        for arguments in [["--format", "lp", "--device-tag", ""], ["--format", "wide", "--device", ""],
                          ["--format", "wide", "--device-column", ""], ["--format", "wide", "--device", "d", "--time-column", ""],
                          ["--max-line-bytes", "0"]] {
            let run = try CommandRunner.run(["ingest", store, "-"] + arguments, input: input)
            #expect(run.status == 64, "\(arguments)")
            #expect(run.standardError.contains(arguments[arguments.count - 2]), "\(run.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    @Test("Unreadable inputs are one clear line, never a Foundation error")
    func unreadable() throws {
        let directory = TemporaryDirectory()
        let missing = try CommandRunner.run(["ingest", directory.appending("store"), directory.appending("none.csv")])
        #expect(missing.status == 1)
        #expect(missing.standardError == "strata: \(directory.appending("none.csv")): no such file\n")
        let folder = try CommandRunner.run(["ingest", directory.appending("store"), directory.path])
        #expect(folder.standardError == "strata: \(directory.path): is a directory, not a file\n")
    }
}

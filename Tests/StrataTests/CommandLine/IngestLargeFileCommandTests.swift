import Foundation
import Testing
@testable import Strata
import StrataCodecs
import StrataTestSupport

/// `strata ingest` of files large enough to be read a round of blocks at a time on
/// several threads and parsed in several blocks: the store holds what a file read
/// and parsed one piece at a time gives (standard input is read block by block), and
/// bad rows and runaway lines are reported at the same lines.
@Suite("strata ingest: large files")
struct IngestLargeFileCommandTests {
    /// About `rows` × 40 bytes of long CSV: several devices and metrics, seeded values.
    static func longCSV(rows: Int, seed: UInt64) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        var text = "device,metric,ts_ms,value\n"
        text.reserveCapacity(rows * 40)
        for row in 0..<rows {
            let device = "dev-\(random.next() % 7)"
            let metric = ["temp", "\"hum,idity\"", "pm2.5"][Int(random.next() % 3)]
            text += "\(device),\(metric),\(1_700_000_000_000 + Int64(row) * 1000),\(NumberText.format(Double(Int64(bitPattern: random.next()) >> 34) / 100))\n"
        }
        return Array(text.utf8)
    }

    /// Every series of the store at `path` with its points' timestamps and value bits.
    func contents(of path: String) throws -> [SeriesKey: [UInt64]] {
        let store = try Store(at: path)
        defer { try? store.close() }
        var contents: [SeriesKey: [UInt64]] = [:]
        for (key, _) in store.series() {
            let points = try store.query(device: key.device, metric: key.metric)
            contents[key] = zip(points.timestamps, points.bits).flatMap { [UInt64(bitPattern: $0), $1] }
        }
        return contents
    }

    @Test("A file read and parsed in parallel stores what standard input and .zst store")
    func sameStore() throws {
        let directory = TemporaryDirectory()
        let input = Self.longCSV(rows: 120_000, seed: 18)
        #expect(input.count > 4 << 20)
        let plain = directory.appending("big.csv")
        try Data(input).write(to: URL(fileURLWithPath: plain))
        let compressed = directory.appending("big.csv.zst")
        try Data(try input.withUnsafeBytes { try BlockCompression.zstd(level: 3).compress($0) }).write(to: URL(fileURLWithPath: compressed))

        let fromFile = try CommandRunner.run(["ingest", directory.appending("file"), plain])
        let fromPipe = try CommandRunner.run(["ingest", directory.appending("pipe"), "-"], input: Data(input))
        let fromZstd = try CommandRunner.run(["ingest", directory.appending("zstd"), compressed])
        for outcome in [fromFile, fromPipe, fromZstd] {
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput.hasPrefix("ingested 120,000 points from 1 file"), "\(outcome.standardOutput)")
        }
        let stored = try contents(of: directory.appending("file"))
        #expect(stored.count == 21)
        #expect(stored.values.reduce(0) { $0 + $1.count } == 2 * 120_000)
        #expect(try contents(of: directory.appending("pipe")) == stored)
        #expect(try contents(of: directory.appending("zstd")) == stored)
        let verified = try CommandRunner.run(["verify", directory.appending("file")])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
    }

    @Test("A bad row far into a large file is reported at its line, nothing stored")
    func badRowLine() throws {
        let directory = TemporaryDirectory()
        var lines = String(decoding: Self.longCSV(rows: 100_000, seed: 19), as: UTF8.self).split(separator: "\n").map(String.init)
        lines[87_654] = "dev-1,temp,12,twelve"
        let path = directory.appending("bad.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let store = directory.appending("store")
        let outcome = try CommandRunner.run(["ingest", store, path])
        #expect(outcome.status == 2)
        #expect(outcome.standardError == "strata: \(path):87655: value \"twelve\" is not a decimal number\n")
        #expect(!FileManager.default.fileExists(atPath: store + "/segments"))
    }

    @Test("A runaway line in a large file stops the parallel read at the line it starts")
    func runawayLine() throws {
        let directory = TemporaryDirectory()
        // 30,000 rows (about 1.2 MB, so the read is already in rounds), then one line of 3 MB.
        let input = Self.longCSV(rows: 30_000, seed: 20) + Array("dev-1,".utf8) + [UInt8](repeating: 0x61, count: 3 << 20) + [0x0A]
            + Self.longCSV(rows: 10, seed: 21).dropFirst(26)
        let path = directory.appending("runaway.csv")
        try Data(input).write(to: URL(fileURLWithPath: path))
        let outcome = try CommandRunner.run(["ingest", directory.appending("store"), path, "--max-line-bytes", "1000000"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError == "strata: \(path):30002: the line is longer than 1000000 bytes, the limit (--max-line-bytes raises it); reading stopped there\n")
    }

    @Test("An ingest killed at any moment stores all of the file or none of it, and the store opens")
    func killedIngest() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("fleet.csv")
        try Data(Self.longCSV(rows: 400_000, seed: 22)).write(to: URL(fileURLWithPath: path))
        // A store already holding other points, which every outcome must keep.
        let store = directory.appending("store")
        let first = directory.appending("first.csv")
        try Data("device,metric,ts_ms,value\nkept,temp,1,2.5\n".utf8).write(to: URL(fileURLWithPath: first))
        #expect(try CommandRunner.run(["ingest", store, first]).status == 0)
        let kept = try contents(of: store)
        let whole = directory.appending("whole")
        #expect(try CommandRunner.run(["ingest", whole, first, path]).status == 0)
        let full = try contents(of: whole)
        var outcomes = (none: 0, all: 0)
        var random = SeededGenerator(seed: 23)
        for _ in 0..<12 {
            let process = Process()
            process.executableURL = CommandRunner.executable
            process.arguments = ["ingest", store, path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(20_000 + random.next() % 400_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let now = try contents(of: store)
            if now == kept {
                outcomes.none += 1
            } else {
                #expect(now == full, "a killed ingest stored part of the file")
                outcomes.all += 1
                break
            }
        }
        #expect(outcomes.none + outcomes.all > 0)
        let verified = try CommandRunner.run(["verify", store])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
    }
}

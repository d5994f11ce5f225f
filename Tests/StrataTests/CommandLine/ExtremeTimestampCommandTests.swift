import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// Every command over points at the ends of Int64, with every time option at
/// the ends too: each run exits 0 with the right answer, or 2 (a request the
/// store refuses) or 64 (a usage error, such as an empty range) with a
/// message, and none dies of a signal.
@Suite("Commands with timestamps at the ends of Int64")
struct ExtremeTimestampCommandTests {
    static let times: [Int64] = [.min, .min + 1, -1, 0, .max - 1, .max]
    /// Above zero at .min, -1, .max - 1 and .max.
    static let values: [Int64: String] = [.min: "1", .min + 1: "-1", -1: "1", 0: "-1", .max - 1: "1", .max: "1"]
    static let durations = ["1ms", "7ms", "1d", "9223372036854775807ms"]

    /// Whether `time` is in `[from, to)`, an end of Int64.max (or none) having no upper bound.
    static func inRange(_ time: Int64, from: Int64?, to: Int64?) -> Bool {
        time >= (from ?? .min) && (to == nil || to == .max || time < to!)
    }

    static func rangeArguments(from: Int64?, to: Int64?) -> [String] {
        (from.map { ["--from=\($0)"] } ?? []) + (to.map { ["--to=\($0)"] } ?? [])
    }

    /// Runs `arguments` and checks the exit is clean: 0, or 2 or 64 with a message.
    static func clean(_ arguments: [String]) throws -> CommandRunner.Outcome {
        let outcome = try CommandRunner.run(arguments)
        #expect([0, 2, 64].contains(outcome.status), "\(arguments): status \(outcome.status) \(outcome.standardError)")
        if outcome.status == 2 { #expect(outcome.standardError.hasPrefix("strata: "), "\(arguments)") }
        if outcome.status == 64 { #expect(outcome.standardError.hasPrefix("Error: "), "\(arguments)") }
        return outcome
    }

    /// CSV data rows of a command's output.
    static func rows(_ outcome: CommandRunner.Outcome) -> [[String]] {
        outcome.standardOutput.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    static func ingested(_ directory: borrowing TemporaryDirectory) throws -> String {
        let store = directory.appending("store")
        let csv = directory.appending("edges.csv")
        let text = "device,metric,ts_ms,value\n" + times.map { "d,m,\($0),\(values[$0]!)\n" }.joined()
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        let ingest = try CommandRunner.run(["ingest", store, csv])
        #expect(ingest.status == 0, "\(ingest.standardError)")
        return store
    }

    @Test("query, export, downsample, anomalies, delete, compact, inspect, verify and backup at the ends of time")
    func everyCommand() throws {
        let directory = TemporaryDirectory()
        let store = try Self.ingested(directory)
        let bounds: [Int64?] = [nil] + Self.times

        for from in bounds {
            for to in bounds {
                let range = Self.rangeArguments(from: from, to: to)
                let expected = Self.times.filter { Self.inRange($0, from: from, to: to) }.map(String.init)
                let query = try Self.clean(["query", store, "--device", "d", "--metric", "m", "--format", "csv"] + range)
                if query.status == 0 { #expect(Self.rows(query).map { $0[2] } == expected, "query \(range)") }
                #expect(query.status == 0 || expected.isEmpty, "query \(range) \(query.standardError)")
                let export = try Self.clean(["export", store, "-", "--format", "csv"] + range)
                if export.status == 0 { #expect(Self.rows(export).map { $0[2] } == expected, "export \(range)") }
                let dryRun = try Self.clean(["delete", store, "--device", "d", "--dry-run"] + range)
                if dryRun.status == 0 { #expect(dryRun.standardOutput.contains("would delete \(expected.count) point"), "delete \(range): \(dryRun.standardOutput)") }
            }
        }

        for step in Self.durations {
            for from in bounds {
                for align in from == nil ? ["epoch"] : ["epoch", "from"] {
                    for empty in [false, true] {
                        let arguments = ["downsample", store, "--device", "d", "--metric", "m", "--step", step, "--agg", "count",
                                         "--align", align, "--format", "csv"] + Self.rangeArguments(from: from, to: nil) + (empty ? ["--empty"] : [])
                        let run = try Self.clean(arguments)
                        guard run.status == 0 else { continue }
                        let buckets = Self.rows(run)
                        let counted = buckets.reduce(0) { $0 + (Int($1[3]) ?? -1) }
                        #expect(counted == Self.times.filter { Self.inRange($0, from: from, to: nil) }.count, "\(arguments)")
                        // Starts are in order and within Int64; the last bucket holds the point at Int64.max.
                        let starts = buckets.compactMap { Int64($0[2]) }
                        #expect(starts.count == buckets.count && starts == starts.sorted(), "\(arguments)")
                        #expect(buckets.last.map { $0[3] != "0" } ?? false, "\(arguments)")
                    }
                }
            }
        }

        let detectors: [[String]] = [["above", "--threshold", "0"], ["below", "--threshold", "0"], ["rate", "--threshold", "1"],
                                     ["zscore"], ["robust"], ["flatline"], ["silence"]]
        for (index, detector) in detectors.enumerated() {
            for (offset, window) in Self.durations.enumerated() {
                let gap = Self.durations[(index + offset) % Self.durations.count]
                let minimum = Self.durations[(index + 2 * offset) % Self.durations.count]
                for from in [nil, Self.times[(index + offset) % Self.times.count]] {
                    let arguments = ["anomalies", store, "--device", "d", "--metric", "m", "--format", "csv", "--detector"] + detector
                        + ["--window", window, "--merge-gap", gap, "--min-duration", minimum] + Self.rangeArguments(from: from, to: nil)
                    let run = try Self.clean(arguments)
                    #expect(run.status == 0, "\(arguments): \(run.standardError)")
                }
            }
        }
        let above = try Self.clean(["anomalies", store, "--device", "d", "--metric", "m", "--format", "csv", "--detector", "above", "--threshold", "0"])
        #expect(Self.rows(above).map { [$0[2], $0[3], $0[8]] } == [
            ["\(Int64.min)", "\(Int64.min + 1)", "1"], ["-1", "0", "1"], ["\(Int64.max - 1)", "\(Int64.max)", "2"],
        ])
        let silence = try Self.clean(["anomalies", store, "--device", "d", "--metric", "m", "--format", "csv", "--detector", "silence", "--window", "1ms"])
        #expect(Self.rows(silence).map { [$0[2], $0[3]] } == [["\(Int64.min + 1)", "-1"], ["0", "\(Int64.max - 1)"]])
        // The table prints durations: a window over all of time lasts more than Int64.max ms.
        let table = try Self.clean(["anomalies", store, "--device", "d", "--metric", "m", "--detector", "below", "--threshold", "2"])
        #expect(table.status == 0 && table.standardOutput.contains("1 window in 1 series"), "\(table.standardOutput)")
        for command in [["query", store, "--device", "d", "--metric", "m"],
                        ["downsample", store, "--device", "d", "--metric", "m", "--step", "1d", "--empty", "--from=\(Int64.max - 1)"]] {
            let run = try Self.clean(command)
            #expect(run.status == 0 && run.standardOutput.contains("292278994-08-17T"), "\(command): \(run.standardOutput)")
        }

        for command in [["inspect", store], ["verify", store], ["backup", store, directory.appending("copy")],
                        ["downsample", store, "--device", "d", "--step", "1ms", "--plot", directory.appending("d.svg")],
                        ["anomalies", store, "--device", "d", "--detector", "above", "--threshold", "0", "--plot", directory.appending("a.svg")]] {
            #expect(try Self.clean(command).status == 0, "\(command)")
        }

        // Deleting from 2000 on counts and removes the two points at the end of time, and compaction agrees.
        let delete = try Self.clean(["delete", store, "--device", "d", "--from", "2000"])
        #expect(delete.standardOutput.contains("deleted 2 points"), "\(delete.standardOutput)")
        let compact = try Self.clean(["compact", store])
        #expect(compact.standardOutput.contains("dropped 2 "), "\(compact.standardOutput)")
        let left = try Self.clean(["query", store, "--device", "d", "--metric", "m", "--format", "csv"])
        #expect(Self.rows(left).map { $0[2] } == ["\(Int64.min)", "\(Int64.min + 1)", "-1", "0"])
    }

    @Test("compact with retention ages at the ends of Int64 keeps exactly the points younger than the age", arguments: ["1ms", "9223372036854775807ms"])
    func retentionAges(age: String) throws {
        let directory = TemporaryDirectory()
        let store = try Self.ingested(directory)
        let compact = try Self.clean(["compact", store, "--retention", age, "--retention-rule", "d=\(age)"])
        #expect(compact.status == 0, "\(compact.standardError)")
        let left = try Self.clean(["query", store, "--device", "d", "--metric", "m", "--format", "csv"])
        // A 1 ms age expires everything before now; the longest one what is before now - Int64.max (Int64.min and Int64.min + 1).
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let kept = Self.times.filter { age == "1ms" ? $0 > now : $0 >= now.subtractingSaturated(.max) }.map(String.init)
        #expect(Self.rows(left).map { $0[2] } == kept)
        #expect(compact.standardOutput.contains("dropped \(Self.times.count - kept.count) "), "\(compact.standardOutput)")
    }

    @Test("compact --retention-rule with no device prefix is a usage error that changes nothing")
    func emptyRetentionPrefix() throws {
        let directory = TemporaryDirectory()
        let store = try Self.ingested(directory)
        let run = try CommandRunner.run(["compact", store, "--retention-rule", "=7d"])
        #expect(run.status == 64)  // a usage error, as for the other malformed rules
        #expect(run.standardError.contains("--retention-rule") && run.standardError.contains("prefix"), "\(run.standardError)")
        let left = try Self.clean(["query", store, "--device", "d", "--metric", "m", "--format", "csv"])
        #expect(Self.rows(left).count == Self.times.count)
    }
}

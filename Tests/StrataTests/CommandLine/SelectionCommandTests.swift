import Testing
import Foundation
import StrataTestSupport

/// A CSV field, quoted when it must be.
private func csvField(_ text: String) -> String {
    text.contains(where: { ",\"\r\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
}

/// A store with `rows` (device, metric, time, value), ingested as Int64 or Float64.
private func ingest(_ rows: [(String, String, Int64, String)], into store: String, int64: Bool, in directory: borrowing TemporaryDirectory) throws {
    let csv = directory.appending("input-\(UUID().uuidString.prefix(6)).csv")
    let text = "device,metric,ts_ms,value\n" + rows.map { "\(csvField($0.0)),\(csvField($0.1)),\($0.2),\($0.3)\n" }.joined()
    try text.write(toFile: csv, atomically: true, encoding: .utf8)
    let run = try CommandRunner.run(["ingest", store, csv] + (int64 ? ["--value-type", "int64"] : []))
    #expect(run.status == 0, "\(run.standardError)")
}

@Suite("strata downsample: exact Int64 sums")
struct ExactSumCommandTests {
    @Test("Int64 sums print exactly as integers in CSV, JSON and the table, past 2^53 and past Int64")
    func exactSums() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("s")
        try ingest([("d", "small", 0, "9007199254740993"), ("d", "small", 1, "1"),
                    ("d", "huge", 0, "9223372036854775807"), ("d", "huge", 1, "9223372036854775807"),
                    ("d", "low", 0, "-9223372036854775808"), ("d", "low", 1, "-9223372036854775808"), ("d", "low", 2, "-1")],
                   into: store, int64: true, in: directory)
        let expected = ["small": "9007199254740994", "huge": "18446744073709551614", "low": "-18446744073709551617"]
        for decode in [[], ["--decode-all"]] {
            let csv = try CommandRunner.run(["downsample", store, "--device", "d", "--step", "1h", "--agg", "sum,mean", "--format", "csv"] + decode)
            #expect(csv.status == 0, "\(csv.standardError)")
            for (metric, sum) in expected {
                #expect(csv.standardOutput.contains("d,\(metric),0,\(sum),"), "\(metric): \(csv.standardOutput)")
            }
            #expect(csv.standardOutput.contains("d,small,0,9007199254740994,4503599627370497.0"), "\(csv.standardOutput)")

            let json = try CommandRunner.run(["downsample", store, "--device", "d", "--step", "1h", "--agg", "sum", "--format", "json"] + decode)
            #expect(json.status == 0)
            for (metric, sum) in expected {
                #expect(json.standardOutput.contains("\"metric\":\"\(metric)\",\"ts_ms\":0,\"sum\":\(sum)}"), "\(json.standardOutput)")
            }

            let table = try CommandRunner.run(["downsample", store, "--device", "d", "--step", "1h", "--agg", "sum"] + decode)
            #expect(table.status == 0)
            for sum in expected.values { #expect(table.standardOutput.contains(sum), "\(table.standardOutput)") }
        }
    }
}

@Suite("strata: empty or meaningless options are usage errors")
struct OptionValidationCommandTests {
    @Test("--device '', --metric '', --agg '', --agg min,,max, a NaN or infinite threshold and the like exit 64 and name the option")
    func usageErrors() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("s")
        try ingest([("d", "m", 0, "1"), ("d", "m", 1000, "2")], into: store, int64: false, in: directory)
        let csv = directory.appending("wide.csv")
        try "timestamp,m\n0,1\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let lp = directory.appending("in.lp")
        try "cpu,host=a v=1 0\n".write(toFile: lp, atomically: true, encoding: .utf8)
        let cases: [(arguments: [String], mentions: String)] = [
            (["downsample", store, "--device", "", "--step", "1h"], "--device"),
            (["downsample", store, "--device", "d,,x", "--step", "1h"], "--device"),
            (["downsample", store, "--device", "d,", "--step", "1h"], "--device"),
            (["downsample", store, "--device", "d\\", "--step", "1h"], "backslash"),
            (["downsample", store, "--device", "d\\n", "--step", "1h"], "escape"),
            (["downsample", store, "--device", "d", "--metric", "", "--step", "1h"], "--metric"),
            (["downsample", store, "--device", "d", "--step", "1h", "--agg", ""], "--agg"),
            (["downsample", store, "--device", "d", "--step", "1h", "--agg", "min,,max"], "--agg"),
            (["downsample", store, "--device", "d", "--step", "1h", "--agg", "min,"], "--agg"),
            (["downsample", store, "--device", "d", "--step=-1h"], "--step"),
            (["downsample", store, "--device", "d", "--step", "0s"], "--step"),
            (["anomalies", store, "--device", "", "--detector", "above", "--threshold", "1"], "--device"),
            (["anomalies", store, "--device", "d", "--metric", "", "--detector", "above", "--threshold", "1"], "--metric"),
            (["anomalies", store, "--device", "d", "--detector", "above", "--threshold", "NaN"], "--threshold"),
            (["anomalies", store, "--device", "d", "--detector", "below", "--threshold", "nan"], "--threshold"),
            (["anomalies", store, "--device", "d", "--detector", "above", "--threshold", "inf"], "--threshold"),
            (["anomalies", store, "--device", "d", "--detector", "below", "--threshold=-inf"], "--threshold"),
            (["anomalies", store, "--device", "d", "--detector", "zscore", "--threshold", "inf"], "--threshold"),
            (["anomalies", store, "--device", "d", "--detector", "zscore", "--threshold=-1"], "--threshold"),
            (["anomalies", store, "--device", "d", "--detector", "robust", "--threshold", "0"], "--threshold"),
            (["anomalies", store, "--device", "d", "--detector", "rate", "--threshold=-2"], "--threshold"),
            (["anomalies", store, "--device", "d", "--detector", "zscore", "--window=-1h"], "--window"),
            (["delete", store, "--device", "", "--dry-run"], "--device"),
            (["delete", store, "--device", "d,,", "--dry-run"], "--device"),
            (["delete", store, "--device", "d", "--metric", "", "--dry-run"], "--metric"),
            (["export", store, "-", "--format", "csv", "--device", ""], "--device"),
            (["export", store, "-", "--format", "csv", "--device", "d", "--metric", ""], "--metric"),
            (["query", store, "--device", "", "--metric", "m"], "--device"),
            (["query", store, "--device", "d", "--metric", ""], "--metric"),
            (["ingest", directory.appending("t"), csv, "--format", "wide", "--device", ""], "--device"),
            (["ingest", directory.appending("t"), csv, "--format", "wide", "--device-column", ""], "--device-column"),
            (["ingest", directory.appending("t"), lp, "--format", "lp", "--device-tag", ""], "--device-tag"),
        ]
        for (arguments, mentions) in cases {
            let run = try CommandRunner.run(arguments)
            #expect(run.status == 64, "\(arguments): \(run.status) \(run.standardError)")
            #expect(run.standardError.contains(mentions), "\(arguments): \(run.standardError)")
            #expect(!run.standardError.contains("Error Domain"), "\(arguments)")
        }
        // Nothing was created by the refused ingests, and the store is untouched.
        #expect(!FileManager.default.fileExists(atPath: directory.appending("t")))
        let query = try CommandRunner.run(["query", store, "--device", "d", "--metric", "m", "--format", "csv"])
        #expect(query.standardOutput == "device,metric,ts_ms,value\nd,m,0,1.0\nd,m,1000,2.0\n")
    }
}

@Suite("strata --device selects every legal name exactly")
struct DeviceSelectionCommandTests {
    /// Names with the selector's own characters, glob characters, spaces, a leading dash and non-ASCII text.
    static let names = [
        "a", "b", "a,b", "a\\,b", "back\\slash", "trail\\", "star*", "star-x", "q?", "br[1]", "x]", " lead space",
        "-dash", "é", "e\u{301}", "日本,東京", "pump-*,x", "\\*", "[",
    ]

    /// `name` written for --device: `\` before each of `,` `\` `*` `?` `[`.
    static func escaped(_ name: String) -> String {
        var result = ""
        for scalar in name.unicodeScalars {
            if ",\\*?[".unicodeScalars.contains(scalar) { result += "\\" }
            result.unicodeScalars.append(scalar)
        }
        return result
    }

    /// The device fields of JSON objects, compared by bytes (`é` precomposed and decomposed are different devices).
    static func devices(inJSON text: String) throws -> [[UInt8]] {
        let objects: [[String: Any]]
        if text.hasPrefix("[") {
            objects = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        } else {
            objects = try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }
        return try objects.map { Array(try #require($0["device"] as? String).utf8) }
    }

    @Test("downsample, anomalies, export, delete and query select each name alone; patterns still work")
    func everyNameExactly() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("s")
        // Device i has i + 1 points, so a count identifies it.
        var rows: [(String, String, Int64, String)] = []
        for (index, name) in Self.names.enumerated() {
            for point in 0...index { rows.append((name, "m", Int64(point) * 1000, "5")) }
        }
        try ingest(rows, into: store, int64: false, in: directory)

        for (index, name) in Self.names.enumerated() {
            let selector = "--device=" + Self.escaped(name)
            let bytes = Array(name.utf8)
            let downsample = try CommandRunner.run(["downsample", store, selector, "--step", "1h", "--agg", "count", "--format", "json"])
            #expect(downsample.status == 0, "\(name): \(downsample.standardError)")
            #expect(try Self.devices(inJSON: downsample.standardOutput) == [bytes], "\(name): \(downsample.standardOutput)")
            #expect(downsample.standardOutput.contains("\"count\":\(index + 1)}"), "\(name)")

            let anomalies = try CommandRunner.run(["anomalies", store, selector, "--detector", "above", "--threshold", "0", "--format", "json"])
            #expect(anomalies.status == 0, "\(name): \(anomalies.standardError)")
            #expect(try Self.devices(inJSON: anomalies.standardOutput) == [bytes], "\(name): \(anomalies.standardOutput)")

            let export = try CommandRunner.run(["export", store, "-", "--format", "jsonl", selector])
            #expect(export.status == 0, "\(name): \(export.standardError)")
            #expect(try Self.devices(inJSON: export.standardOutput) == Array(repeating: bytes, count: index + 1), "\(name)")

            let delete = try CommandRunner.run(["delete", store, selector, "--dry-run"])
            #expect(delete.status == 0, "\(name): \(delete.standardError)")
            #expect(delete.standardOutput.contains("would delete \(index + 1) point\(index == 0 ? "" : "s") of 1 series"), "\(name): \(delete.standardOutput)")

            // query takes one name as it is, without escapes.
            let query = try CommandRunner.run(["query", store, "--device=" + name, "--metric", "m", "--format", "json"])
            #expect(query.status == 0, "\(name): \(query.standardError)")
            #expect(query.standardOutput.components(separatedBy: "\"ts_ms\"").count - 1 == index + 1, "\(name)")
        }

        // An unescaped comma still separates names, and an unescaped star is still a pattern.
        let list = try CommandRunner.run(["downsample", store, "--device", "a,b,star*", "--step", "1h", "--agg", "count", "--format", "json"])
        #expect(list.status == 0, "\(list.standardError)")
        #expect(try Self.devices(inJSON: list.standardOutput) == ["a", "b", "star*", "star-x"].map { Array($0.utf8) })
        let pattern = try CommandRunner.run(["downsample", store, "--device", "star\\**", "--step", "1h", "--agg", "count", "--format", "json"])
        #expect(try Self.devices(inJSON: pattern.standardOutput) == [Array("star*".utf8)])
        // `\\` in a pattern is a literal backslash.
        let backslash = try CommandRunner.run(["downsample", store, "--device", "trail\\\\*,*slash", "--step", "1h", "--agg", "count", "--format", "json"])
        #expect(try Self.devices(inJSON: backslash.standardOutput) == ["trail\\", "back\\slash"].map { Array($0.utf8) }, "\(backslash.standardError)")
        let missing = try CommandRunner.run(["downsample", store, "--device", "a\\,c", "--step", "1h"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("no device matches \"a\\\\,c\""), "\(missing.standardError)")
    }
}

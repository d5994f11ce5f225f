import Testing
import Foundation
@testable import Strata
import StrataTestSupport

/// The (device, metric) of each CSV data line after the header.
private func seriesColumns(_ csv: String) -> [String] {
    csv.split(separator: "\n").dropFirst().map { line in line.split(separator: ",").prefix(2).joined(separator: ",") }
}

@Suite("strata latest: the newest point of each selected series")
struct LatestCommandTests {
    /// A store of several segments, a deletion, exact values and points left in the write-ahead log.
    private func makeStore(_ path: String) throws -> Store {
        let store = try Store(at: path)
        var random = SeededGenerator(seed: 7)
        for round in 0..<3 {
            var batch = WriteBatch()
            for device in ["pump-02", "pump-01", "fan, big", "valve-1"] {
                for step in 0..<20 {
                    let time = Int64(round * 1_000 + step * 60 + 100)
                    try batch.append(device: device, metric: "temp", timestamp: time,
                                     value: SpecialValues.floats[Int(random.next() % UInt64(SpecialValues.floats.count))])
                    try batch.append(device: device, metric: "count", timestamp: time,
                                     value: SpecialValues.integers[Int(random.next() % UInt64(SpecialValues.integers.count))])
                }
            }
            try store.append(batch)
            if round < 2 { try store.flush() }
        }
        try store.delete(device: "pump-01", metric: "temp", from: 1_000, to: .max)
        try store.append(device: "valve-1", metric: "temp", timestamp: 3_240, value: -0.0)  // rewrites the last point
        return store
    }

    @Test("CSV rows equal the last row of `strata query --format csv` for every series, in `strata downsample`'s order")
    func matchesQueryAndDownsample() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("s")
        let store = try makeStore(path)
        for selector in ["pump-*,fan*,valve-1", "valve-1,pump-0[12]"] {
            let latest = try CommandRunner.run(["latest", path, "--device", selector, "--format", "csv"])
            #expect(latest.status == 0, "\(latest.standardError)")
            let lines = latest.standardOutput.split(separator: "\n").map(String.init)
            #expect(lines.first == "device,metric,ts_ms,value")
            let downsample = try CommandRunner.run(["downsample", path, "--device", selector, "--step", "1d", "--agg", "last", "--format", "csv"])
            #expect(downsample.status == 0, "\(downsample.standardError)")
            #expect(seriesColumns(latest.standardOutput) == seriesColumns(downsample.standardOutput))
            #expect(lines.count == 1 + (selector.hasPrefix("valve") ? 3 : 4) * 2)
            for line in lines.dropFirst() {
                let key = try #require(store.series().map(\.key).first { line.hasPrefix(CSVTextForTest.field($0.device) + "," + $0.metric + ",") })
                let query = try CommandRunner.run(["query", path, "--device", key.device, "--metric", key.metric, "--format", "csv"])
                #expect(query.status == 0, "\(query.standardError)")
                #expect(query.standardOutput.split(separator: "\n").last.map(String.init) == line)
            }
        }
        // The rewrite in the head wins, -0.0 printed as such; the deletion hides pump-01's newest temperatures.
        let valve = try CommandRunner.run(["latest", path, "--device", "valve-1", "--metric", "temp", "--format", "csv"])
        #expect(valve.standardOutput == "device,metric,ts_ms,value\nvalve-1,temp,3240,-0.0\n")
        let pump = try CommandRunner.run(["latest", path, "--device", "pump-01", "--metric", "temp", "--format", "csv"])
        let pumpTime = try #require(pump.standardOutput.split(separator: "\n").last?.split(separator: ",")[2]).description
        #expect(Int64(pumpTime).map { $0 < 1_000 } == true, "\(pump.standardOutput)")
    }

    @Test("JSON and the table print the same values exactly; an unknown device or metric fails naming it; --device is required")
    func formatsAndErrors() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("s")
        let store = try makeStore(path)
        let answers = try store.latest(of: [SeriesKey(device: "pump-02", metric: "count"), SeriesKey(device: "pump-02", metric: "temp")])
        let count = try #require(answers[0]), temp = try #require(answers[1])
        let json = try CommandRunner.run(["latest", path, "--device", "pump-02", "--format", "json"])
        #expect(json.status == 0, "\(json.standardError)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8), options: [.fragmentsAllowed]) as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows.map { $0["metric"] as? String } == ["count", "temp"])
        #expect(rows[0]["ts_ms"] as? Int64 == count.timestamp)
        #expect(rows[0]["type"] as? String == "int64")
        #expect(json.standardOutput.contains("\"ts_ms\":\(count.timestamp),\"value\":\(JSONTextForTest.value(count.value))}"))
        #expect(json.standardOutput.contains("\"ts_ms\":\(temp.timestamp),\"value\":\(JSONTextForTest.value(temp.value))}"))

        let table = try CommandRunner.run(["latest", path, "--device", "pump-02"])
        #expect(table.status == 0)
        #expect(table.standardOutput.contains(String(count.timestamp)))
        #expect(table.standardOutput.hasSuffix("2 series\n"), "\(table.standardOutput)")

        let unknown = try CommandRunner.run(["latest", path, "--device", "nosuch-*"])
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("no device matches \"nosuch-*\""), "\(unknown.standardError)")
        let metric = try CommandRunner.run(["latest", path, "--device", "pump-02", "--metric", "rpm"])
        #expect(metric.status == 1)
        #expect(metric.standardError.contains("has no metric \"rpm\""), "\(metric.standardError)")
        let missing = try CommandRunner.run(["latest", path])
        #expect(missing.status == 64)
        #expect(missing.standardError.contains("--device"), "\(missing.standardError)")
    }
}

/// The CLI's quoting of a CSV field (the test target cannot see the executable's CSVText).
private enum CSVTextForTest {
    static func field(_ text: String) -> String {
        text.contains(where: { ",\"\r\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}

/// How the CLI writes a value in JSON: numbers as numbers, NaN and infinities as strings.
private enum JSONTextForTest {
    static func value(_ value: Value) -> String {
        switch value {
        case .int64(let number): String(number)
        case .float64(let number): number.isFinite ? NumberText.format(number) : "\"" + NumberText.format(number) + "\""
        }
    }
}

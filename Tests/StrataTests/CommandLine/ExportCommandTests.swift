import Foundation
import Testing
@testable import Strata
import StrataTestSupport

@Suite("strata export to CSV and JSON Lines")
struct ExportCommandTests {
    /// A store holding Float64 series with every special value and an Int64 series with the extremes.
    static func makeStore(_ path: String) throws -> ReferenceModel {
        var model = ReferenceModel()
        let store = try Store(at: path)
        for (deviceIndex, device) in ["pump-1", "pump,2", "pompe \"é\""].enumerated() {
            // Negative timestamps too; each device's series shifted so they differ.
            let timestamps = SpecialValues.floats.indices.map { Int64($0) * 60_000 - 120_000 + Int64(deviceIndex) }
            let values = SpecialValues.floats
            try store.append(device: device, metric: "temp", timestamps: timestamps, values: values)
            for (time, value) in zip(timestamps, values) { model.write(SeriesKey(device: device, metric: "temp"), time, value.bitPattern) }
            let integers = SpecialValues.integers
            let intTimes = integers.indices.map { Int64($0) * 1000 }
            try store.append(device: device, metric: "count", timestamps: intTimes, values: integers)
            for (time, value) in zip(intTimes, integers) { model.write(SeriesKey(device: device, metric: "count"), time, UInt64(bitPattern: value)) }
        }
        try store.close()
        return model
    }

    @Test("CSV export then ingest gives back every point bit for bit")
    func csvRoundTrip() throws {
        let directory = TemporaryDirectory()
        let source = directory.appending("source"), copy = directory.appending("copy")
        let model = try Self.makeStore(source)
        // ingest reads one value type per run: the Float64 metric, then the Int64 one.
        for (metric, type) in [("temp", "float64"), ("count", "int64")] {
            let file = directory.appending("\(metric).csv")
            let export = try CommandRunner.run(["export", source, file, "--format", "csv", "--metric", metric])
            #expect(export.status == 0, "\(export.standardError)")
            let rows = model.keys.filter { $0.metric == metric }.reduce(0) { $0 + model.expected($1).timestamps.count }
            #expect(export.standardOutput.hasPrefix("exported \(rows) rows of 3 series to 1 file"), "\(export.standardOutput)")
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.hasPrefix("device,metric,ts_ms,value\n"))
            let ingest = try CommandRunner.run(["ingest", copy, file, "--value-type", type])
            #expect(ingest.status == 0, "\(ingest.standardError)")
        }
        let restored = try Store(at: copy, mode: .readOnly)
        #expect(restored.series().map(\.key) == model.keys)
        for key in model.keys {
            let points = try restored.query(device: key.device, metric: key.metric)
            let expected = model.expected(key)
            #expect(points.timestamps == expected.timestamps)
            #expect(points.valueBitPatterns == expected.bits, "\(key)")
            #expect(points.type == (key.metric == "count" ? .int64 : .float64))
        }
    }

    @Test("JSON Lines: one parseable object a line; non-finite values as the documented strings")
    func jsonLines() throws {
        let directory = TemporaryDirectory()
        let source = directory.appending("source")
        let model = try Self.makeStore(source)
        let export = try CommandRunner.run(["export", source, "-", "--format", "jsonl", "--device", "pump-*,pompe*", "--from=-60000"])
        #expect(export.status == 0, "\(export.standardError)")
        #expect(export.standardError.hasPrefix("exported "), "the summary goes to standard error when the export is on standard output")
        let lines = export.standardOutput.split(separator: "\n")
        var expectedLines = 0
        var index = 0
        // Device by device in the order --device named them, then metric by metric.
        for device in ["pump-1", "pompe \"é\""] {
            for metric in ["count", "temp"] {
                let key = SeriesKey(device: device, metric: metric)
                let expected = model.expected(key, from: -60_000)
                expectedLines += expected.timestamps.count
                for (time, bits) in zip(expected.timestamps, expected.bits) {
                    guard index < lines.count else { break }
                    let object = try JSONSerialization.jsonObject(with: Data(lines[index].utf8)) as! [String: Any]
                    index += 1
                    #expect(object["device"] as? String == device)
                    #expect(object["metric"] as? String == metric)
                    #expect((object["ts"] as? NSNumber)?.int64Value == time)
                    if metric == "count" {
                        #expect((object["value"] as? NSNumber)?.int64Value == Int64(bitPattern: bits))
                    } else {
                        let value = Double(bitPattern: bits)
                        if value.isFinite {
                            // The text itself is the shortest round-trip form, so it parses back to the same bits.
                            let text = lines[index - 1].split(separator: ":").last!.dropLast()
                            #expect(Double(String(text))?.bitPattern == bits, "\(lines[index - 1])")
                        } else {
                            #expect(object["value"] as? String == NumberText.format(value))
                        }
                    }
                }
            }
        }
        #expect(lines.count == expectedLines)
    }

    @Test("usage errors: --partition without parquet, parquet to standard output")
    func usage() throws {
        let directory = TemporaryDirectory()
        let source = directory.appending("source")
        _ = try Self.makeStore(source)
        let partition = try CommandRunner.run(["export", source, directory.appending("x"), "--format", "csv", "--partition"])
        #expect(partition.status == 64)
        let stdout = try CommandRunner.run(["export", source, "-", "--format", "parquet"])
        #expect(stdout.status == 64)
    }
}

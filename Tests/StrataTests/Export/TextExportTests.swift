import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// The CSV and JSON Lines text exports, read and formatted on several
/// threads, against rows built the way `strata export` built them before:
/// one `String` a row from `String(Int64)` and Swift's `description`.
@Suite("Text export on several threads: byte for byte the String-built rows, in series order")
struct TextExportTests {
    /// Names that need CSV quoting or JSON escaping, and plain ones.
    static let devices = ["pump-1", "pump,2", "pompe \"é\"", "back\\slash", "日本", "a b", "z-last"]

    /// A store of many series: Float64 ones with every kind of value and Int64 ones, some
    /// flushed to segments, some in the head, some written twice over overlapping times.
    static func makeStore(_ path: String) throws -> ReferenceModel {
        var model = ReferenceModel()
        let store = try Store(at: path)
        var random = SeededGenerator(seed: 0xE4907)
        for (deviceIndex, device) in devices.enumerated() {
            for metricIndex in 0..<9 {
                let integer = metricIndex % 3 == 2
                let metric = integer ? "count\(metricIndex)" : "m,\(metricIndex)"
                let key = SeriesKey(device: device, metric: metric)
                let count = Int(random.next() % 2500)
                for pass in 0..<2 {
                    var time = Int64(random.next() % 1_000_000) - 500_000 + Int64(pass) * 100_000
                    var times: [Int64] = [], bits: [UInt64] = []
                    for _ in 0..<(pass == 0 ? count : count / 4) {
                        time += 1 + Int64(random.next() % 5000)
                        times.append(time)
                        bits.append(integer ? integerBits(&random) : floatBits(&random))
                    }
                    if integer {
                        try store.append(device: device, metric: metric, timestamps: times, values: bits.map { Int64(bitPattern: $0) })
                    } else {
                        try store.append(device: device, metric: metric, timestamps: times, values: bits.map { Double(bitPattern: $0) })
                    }
                    for (time, value) in zip(times, bits) { model.write(key, time, value) }
                    if (deviceIndex + metricIndex + pass) % 3 != 0 { try store.flush() }
                }
            }
        }
        try store.close()
        return model
    }

    static func floatBits(_ random: inout SeededGenerator) -> UInt64 {
        switch random.next() % 5 {
        case 0: random.next()
        case 1: SpecialValues.floats[Int(random.next() % UInt64(SpecialValues.floats.count))].bitPattern
        case 2: Double(Int64(random.next() % 2000) - 1000).bitPattern
        default: (Double(Int64(random.next() % 2_000_000) - 1_000_000) / 100).bitPattern
        }
    }

    static func integerBits(_ random: inout SeededGenerator) -> UInt64 {
        random.next() % 2 == 0 ? random.next() : UInt64(bitPattern: SpecialValues.integers[Int(random.next() % UInt64(SpecialValues.integers.count))])
    }

    // The old formatting, restated: ExportCommand's writeCSV and writeJSONLines before the byte writers.

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static func oldValue(_ bits: UInt64, integer: Bool) -> String {
        integer ? String(Int64(bitPattern: bits)) : OldNumberText.format(Double(bitPattern: bits))
    }

    static func expectedCSV(_ model: ReferenceModel, from start: Int64 = .min, to end: Int64 = .max) -> String {
        var text = ""
        for key in model.keys {
            let prefix = csvField(key.device) + "," + csvField(key.metric) + ","
            let points = model.expected(key, from: start, to: end)
            for (time, bits) in zip(points.timestamps, points.bits) {
                text += prefix + String(time) + "," + oldValue(bits, integer: key.metric.hasPrefix("count")) + "\n"
            }
        }
        return text
    }

    static func expectedJSONLines(_ model: ReferenceModel) -> String {
        var text = ""
        for key in model.keys {
            let prefix = "{\"device\":" + jsonString(key.device) + ",\"metric\":" + jsonString(key.metric) + ",\"ts\":"
            let points = model.expected(key)
            let integer = key.metric.hasPrefix("count")
            for (time, bits) in zip(points.timestamps, points.bits) {
                var value = oldValue(bits, integer: integer)
                if !integer && !Double(bitPattern: bits).isFinite { value = "\"" + value + "\"" }
                text += prefix + String(time) + ",\"value\":" + value + "}\n"
            }
        }
        return text
    }

    static func csvLayouts(_ keys: [SeriesKey]) -> [TextRowLayout] {
        keys.map { key in
            TextRowLayout(series: key, prefix: Array((csvField(key.device) + "," + csvField(key.metric) + ",").utf8),
                          separator: Array(",".utf8), suffix: Array("\n".utf8))
        }
    }

    @Test("Store.writeTextRows on 1, 2 and 3 threads, whole and in a range: the old CSV text, series in order")
    func libraryCSV() throws {
        let directory = TemporaryDirectory()
        let model = try Self.makeStore(directory.path)
        let store = try Store(at: directory.path, mode: .readOnly)
        let keys = model.keys
        #expect(keys.count == Self.devices.count * 9)
        for (start, end) in [(Int64.min, Int64.max), (-100_000, 2_000_000)] {
            let expected = Self.expectedCSV(model, from: start, to: end)
            for threads in [1, 2, 3] {
                var text: [UInt8] = []
                var order: [Int] = []
                var rows = 0
                try store.writeTextRows(Self.csvLayouts(keys), from: start, to: end, threads: threads) { index, bytes, count in
                    order.append(index)
                    text.append(contentsOf: bytes)
                    rows += count
                }
                #expect(order == Array(keys.indices))
                #expect(String(decoding: text, as: UTF8.self) == expected, "threads \(threads), from \(start)")
                #expect(rows == keys.reduce(0) { $0 + model.expected($1, from: start, to: end).timestamps.count })
            }
        }
    }

    @Test("An error of the writer stops the export at that series; nothing after it is written")
    func writerErrorStops() throws {
        struct Refused: Error {}
        let directory = TemporaryDirectory()
        let model = try Self.makeStore(directory.path)
        let store = try Store(at: directory.path, mode: .readOnly)
        for failing in [0, 5, model.keys.count - 1] {
            var written: [Int] = []
            #expect(throws: Refused.self) {
                try store.writeTextRows(Self.csvLayouts(model.keys), threads: 2) { index, _, _ in
                    if index == failing { throw Refused() }
                    written.append(index)
                }
            }
            #expect(written == Array(0..<failing))
        }
    }

    @Test("strata export --format csv and jsonl of many series: byte-identical to the String-built rows")
    func commandOutput() throws {
        let directory = TemporaryDirectory()
        let source = directory.appending("store")
        let model = try Self.makeStore(source)
        let csvFile = directory.appending("out.csv"), jsonFile = directory.appending("out.jsonl")
        let csv = try CommandRunner.run(["export", source, csvFile, "--format", "csv"])
        #expect(csv.status == 0, "\(csv.standardError)")
        let jsonl = try CommandRunner.run(["export", source, jsonFile, "--format", "jsonl"])
        #expect(jsonl.status == 0, "\(jsonl.standardError)")
        let csvText = try String(contentsOfFile: csvFile, encoding: .utf8)
        #expect(csvText == "device,metric,ts_ms,value\n" + Self.expectedCSV(model))
        let jsonText = try String(contentsOfFile: jsonFile, encoding: .utf8)
        #expect(jsonText == Self.expectedJSONLines(model))
        // Standard output streams the same bytes.
        let streamed = try CommandRunner.run(["export", source, "-", "--format", "csv"])
        #expect(streamed.standardOutput == csvText)
    }

    @Test("strata query --format csv: the old rows for a Float64 and an Int64 series with quoted names")
    func queryCSV() throws {
        let directory = TemporaryDirectory()
        let model = try Self.makeStore(directory.path)
        for key in [SeriesKey(device: "pump,2", metric: "m,1"), SeriesKey(device: "pompe \"é\"", metric: "count2")] {
            let query = try CommandRunner.run(["query", directory.path, "--device", key.device, "--metric", key.metric, "--format", "csv"])
            #expect(query.status == 0, "\(query.standardError)")
            var single = ReferenceModel()
            let points = model.expected(key)
            for (time, bits) in zip(points.timestamps, points.bits) { single.write(key, time, bits) }
            #expect(!points.timestamps.isEmpty)
            #expect(query.standardOutput == "device,metric,ts_ms,value\n" + Self.expectedCSV(single))
        }
    }
}

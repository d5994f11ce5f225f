import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// Runs `tools/check-parquet`, which reads Parquet with pyarrow and DuckDB.
enum ParquetReaders {
    /// The Python interpreter: `$STRATA_PYTHON`, else `python3` from the path.
    static let python = ProcessInfo.processInfo.environment["STRATA_PYTHON"] ?? "python3"

    static let script = TestResources.packageRoot.appendingPathComponent("tools/check-parquet").path

    /// Whether the interpreter can import both readers.
    static let available: Bool = (try? run(["-c", "import duckdb, pyarrow"]).status) == 0

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// The script's output lines as objects.
    static func check(_ arguments: [String]) throws -> [[String: Any]] {
        let result = try run([script] + arguments)
        #expect(result.status == 0, "\(result.error)")
        return try result.output.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }
}

/// One exported row as the readers report it.
struct ExportedRow: Equatable, Comparable, CustomStringConvertible {
    var device: String
    var metric: String
    var timestamp: Int64
    var valueBits: UInt64
    var valueInt: Int64?

    init(device: String, metric: String, timestamp: Int64, valueBits: UInt64, valueInt: Int64?) {
        (self.device, self.metric, self.timestamp, self.valueBits, self.valueInt) = (device, metric, timestamp, valueBits, valueInt)
    }

    init(_ object: [String: Any]) {
        device = object["device"] as! String
        metric = object["metric"] as! String
        timestamp = (object["ts"] as! NSNumber).int64Value
        valueBits = UInt64(object["value_bits"] as! String, radix: 16)!
        valueInt = (object["value_int"] as? NSNumber)?.int64Value
    }

    static func < (lhs: ExportedRow, rhs: ExportedRow) -> Bool {
        if lhs.device != rhs.device { return lhs.device.utf8.lexicographicallyPrecedes(rhs.device.utf8) }
        if lhs.metric != rhs.metric { return lhs.metric.utf8.lexicographicallyPrecedes(rhs.metric.utf8) }
        return lhs.timestamp < rhs.timestamp
    }

    var description: String { "\(device)/\(metric)@\(timestamp)=\(String(valueBits, radix: 16)) int \(valueInt.map(String.init) ?? "null")" }
}

@Suite("strata export --format parquet, read back by pyarrow and DuckDB",
       .enabled(if: ParquetReaders.available, "python3 cannot import duckdb and pyarrow (python3 -m pip install duckdb pyarrow); Parquet read-back skipped"))
struct ParquetExportTests {
    static let devices = ["a=b", "pompe-é", "pump-1", "pump/2"]
    static let day: Int64 = Milliseconds.day

    /// Several devices, both value types, special floats among ordinary ones, three days from a midday (four UTC dates).
    static func makeStore(_ path: String) throws -> [ExportedRow] {
        let store = try Store(at: path)
        var rows: [ExportedRow] = []
        let start: Int64 = 1_425_168_000_000 - day / 2  // midday before 2015-03-01
        for (deviceIndex, device) in devices.enumerated() {
            let times = (0..<432).map { start + Int64($0) * 600_000 + Int64(deviceIndex) }
            let floats = times.indices.map { index in
                index % 7 == 3 ? SpecialValues.floats[(index / 7) % SpecialValues.floats.count] : Double(index) * 0.1 - 20 + Double(deviceIndex)
            }
            let integers = times.indices.map { index in
                index % 5 == 1 ? SpecialValues.integers[(index / 5) % SpecialValues.integers.count] : Int64(index) - 200
            }
            try store.append(device: device, metric: "count", timestamps: times, values: integers)
            try store.append(device: device, metric: "temp", timestamps: times, values: floats)
            rows += zip(times, integers).map { ExportedRow(device: device, metric: "count", timestamp: $0, valueBits: Double($1).bitPattern, valueInt: $1) }
            rows += zip(times, floats).map { ExportedRow(device: device, metric: "temp", timestamp: $0, valueBits: $1.bitPattern, valueInt: nil) }
        }
        try store.close()
        return rows
    }

    /// A Double's bits as 16 hex digits, as the script prints them.
    static func hex(_ value: Double) -> String {
        let digits = String(value.bitPattern, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    @Test("every point comes back bit for bit from both readers, with statistics and logical types")
    func singleFile() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store"), file = directory.appending("points.parquet")
        let expected = try Self.makeStore(store)
        let rowsPerGroup = 500
        let export = try CommandRunner.run(["export", store, file, "--format", "parquet", "--rows-per-row-group", "\(rowsPerGroup)"])
        #expect(export.status == 0, "\(export.standardError)")
        // 3,456 rows: the summary groups digits.
        #expect(expected.count == 3456)
        #expect(export.standardOutput.hasPrefix("exported 3,456 rows of 8 series to 1 file"), "\(export.standardOutput)")

        let lines = try ParquetReaders.check([file])
        let pyarrowRows = lines.filter { $0["kind"] as? String == "row" && $0["reader"] as? String == "pyarrow" }.map(ExportedRow.init)
        let duckdbRows = lines.filter { $0["kind"] as? String == "row" && $0["reader"] as? String == "duckdb" }.map(ExportedRow.init)
        // pyarrow reads in file order: device by device, series by series, in time order.
        #expect(pyarrowRows.count == expected.count)
        for (got, want) in zip(pyarrowRows, expected) where got != want {
            Issue.record("pyarrow read \(got), expected \(want)")
            break
        }
        #expect(duckdbRows.sorted() == expected.sorted())

        let fileInfo = lines.first { $0["kind"] as? String == "file" }!
        let groupCount = (expected.count + rowsPerGroup - 1) / rowsPerGroup
        #expect(fileInfo["rows"] as? Int == expected.count)
        #expect(fileInfo["row_groups"] as? Int == groupCount)
        #expect((fileInfo["created_by"] as? String)?.hasPrefix("strata version ") == true)

        // Statistics of every row group, recomputed from the rows it holds.
        let stats = lines.filter { $0["kind"] as? String == "stats" }
        #expect(stats.count == groupCount * 5)
        for group in 0..<groupCount {
            let rows = expected[(group * rowsPerGroup)..<min(expected.count, (group + 1) * rowsPerGroup)]
            func entry(_ column: String) -> [String: Any] {
                stats.first { $0["row_group"] as? Int == group && $0["column"] as? String == column }!
            }
            for column in ["device", "metric", "ts", "value", "value_int"] { #expect(entry(column)["compression"] as? String == "ZSTD") }
            let devices = rows.map(\.device).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            #expect(entry("device")["min"] as? String == devices.first)
            #expect(entry("device")["max"] as? String == devices.last)
            #expect((entry("ts")["min"] as? NSNumber)?.int64Value == rows.map(\.timestamp).min())
            #expect((entry("ts")["max"] as? NSNumber)?.int64Value == rows.map(\.timestamp).max())
            let numbers = rows.map { Double(bitPattern: $0.valueBits) }.filter { !$0.isNaN }
            var low = numbers.min()!, high = numbers.max()!
            if low == 0 { low = -0.0 }
            if high == 0 { high = 0.0 }
            #expect(entry("value")["min"] as? String == Self.hex(low), "row group \(group)")
            #expect(entry("value")["max"] as? String == Self.hex(high), "row group \(group)")
            #expect(entry("value")["null_count"] as? Int == 0)
            let integers = rows.compactMap(\.valueInt)
            #expect(entry("value_int")["null_count"] as? Int == rows.count - integers.count)
            #expect((entry("value_int")["min"] as? NSNumber)?.int64Value == integers.min())
            #expect((entry("value_int")["max"] as? NSNumber)?.int64Value == integers.max())
        }

        let columns = Dictionary(uniqueKeysWithValues: lines.filter { $0["kind"] as? String == "column" }.map { ($0["name"] as! String, $0) })
        #expect(columns.keys.sorted() == ["device", "metric", "ts", "value", "value_int"])
        #expect(columns["device"]?["arrow_type"] as? String == "string")
        #expect(columns["device"]?["logical_type"] as? String == "String")
        #expect(columns["metric"]?["logical_type"] as? String == "String")
        #expect(columns["ts"]?["arrow_type"] as? String == "timestamp[ms, tz=UTC]")
        #expect((columns["ts"]?["logical_type"] as? String)?.hasPrefix("Timestamp(isAdjustedToUTC=true, timeUnit=milliseconds") == true)
        #expect(columns["value"]?["physical_type"] as? String == "DOUBLE")
        #expect(columns["value_int"]?["arrow_type"] as? String == "int64")

        let totals = lines.first { $0["kind"] as? String == "duckdb_totals" }!
        #expect(totals["count"] as? Int == expected.count)
    }

    @Test("--partition writes device=NAME/date=YYYY-MM-DD/part-0.parquet that DuckDB reads with hive partitioning")
    func partitioned() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store"), destination = directory.appending("parts")
        let expected = try Self.makeStore(store)
        let export = try CommandRunner.run(["export", store, destination, "--format", "parquet", "--partition", "--device", "p*,a=b"])
        #expect(export.status == 0, "\(export.standardError)")

        // Escaped names: '/', '=' and non-ASCII bytes become %XX.
        let deviceDirectories = try FileManager.default.contentsOfDirectory(atPath: destination).sorted()
        #expect(deviceDirectories == ["device=a%3Db", "device=pompe-%C3%A9", "device=pump%2F2", "device=pump-1"])
        let dates = try FileManager.default.contentsOfDirectory(atPath: destination + "/device=pump-1").sorted()
        #expect(dates == ["date=2015-02-28", "date=2015-03-01", "date=2015-03-02", "date=2015-03-03"])
        #expect(FileManager.default.fileExists(atPath: destination + "/device=pump-1/date=2015-03-01/part-0.parquet"))

        let lines = try ParquetReaders.check(["--partitioned", destination])
        let pyarrowRows = lines.filter { $0["kind"] as? String == "row" && $0["reader"] as? String == "pyarrow" }.map(ExportedRow.init)
        let duckdbRows = lines.filter { $0["kind"] as? String == "row" && $0["reader"] as? String == "duckdb" }.map(ExportedRow.init)
        #expect(pyarrowRows.sorted() == expected.sorted())
        #expect(duckdbRows.sorted() == expected.sorted())

        // DuckDB's hive columns: one group per device and UTC day, with the exact device name.
        var expectedGroups: [String: Int] = [:]
        for row in expected {
            let date = String(TimeText.format(row.timestamp - ((row.timestamp % Self.day) + Self.day) % Self.day).prefix(10))
            expectedGroups[row.device + " " + date, default: 0] += 1
        }
        var groups: [String: Int] = [:]
        for line in lines where line["kind"] as? String == "hive" {
            groups["\(line["device"] as! String) \(line["date"] as! String)"] = line["rows"] as? Int
        }
        #expect(groups == expectedGroups)
        let files = lines.filter { $0["kind"] as? String == "file" }
        #expect(files.count == expectedGroups.count)
        #expect(export.standardOutput.contains("to \(expectedGroups.count) files"), "\(export.standardOutput)")
    }
}

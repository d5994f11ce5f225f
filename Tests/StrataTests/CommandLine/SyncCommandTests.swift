import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// `strata sync` as scripts use it: the summary line, exit codes, refusals,
/// and a lake that DuckDB reads as one hive-partitioned table.
@Suite("strata sync: summary, exit codes, refusals, read back by DuckDB")
struct SyncCommandTests {
    /// A store of three devices (one with a name to escape) over three days, ingested by the CLI.
    static func makeStore(_ path: String, in directory: borrowing TemporaryDirectory) throws {
        var csv = "device,metric,ts_ms,value\n"
        for device in ["a", "b", "c/ü"] {
            for minute in 0..<(3 * 1440) where minute % 7 == 0 {
                csv += "\"\(device)\",t,\(Int64(minute) * 60_000 + 1_700_000_000_000),\(Double(minute % 100) / 4)\n"
            }
        }
        let input = directory.appending("in.csv")
        try Data(csv.utf8).write(to: URL(fileURLWithPath: input))
        let run = try CommandRunner.run(["ingest", path, input])
        #expect(run.status == 0, "\(run.standardError)")
    }

    @Test("the first sync is a full pass, the second writes nothing; the one-line summary says so")
    func summaries() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store"), lake = directory.appending("lake")
        try Self.makeStore(store, in: directory)
        let first = try CommandRunner.run(["sync", store, lake])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.hasPrefix("synced (full pass): 12 partitions written, 0 rewritten, 0 deleted, 0 unchanged; 1,854 rows,"), "\(first.standardOutput)")
        #expect(first.standardOutput.contains("12 partitions in the lake"))
        let second = try CommandRunner.run(["sync", store, lake])
        #expect(second.status == 0)
        #expect(second.standardOutput.hasPrefix("synced: 0 partitions written, 0 rewritten, 0 deleted, 0 unchanged; 0 rows, 0 bytes"), "\(second.standardOutput)")
        let deletion = try CommandRunner.run(["delete", store, "--device", "b", "--from", "1700086400000"])
        #expect(deletion.status == 0, "\(deletion.standardError)")
        let third = try CommandRunner.run(["sync", store, lake])
        #expect(third.standardOutput.hasPrefix("synced: 0 partitions written, "), "\(third.standardOutput)")
        #expect(third.standardOutput.contains(" deleted, "))
        #expect(!third.standardOutput.contains(" 0 rewritten, 0 deleted"), "\(third.standardOutput)")
    }

    @Test("usage errors exit 64; a lake of another granularity, a foreign directory or one inside the store exit 2; a missing store exits 1")
    func exitCodes() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store"), lake = directory.appending("lake")
        try Self.makeStore(store, in: directory)
        #expect(try CommandRunner.run(["sync", store, lake, "--granularity", "week"]).status == 64)
        #expect(try CommandRunner.run(["sync", store, lake, "--device", ""]).status == 64)
        #expect(try CommandRunner.run(["sync", store, ""]).status == 64)
        _ = FileManager.default.createFile(atPath: directory.appending("file"), contents: Data())
        let onFile = try CommandRunner.run(["sync", store, directory.appending("file")])
        #expect(onFile.status == 2 && onFile.standardError.contains("not a directory"), "\(onFile.standardError)")
        #expect(try CommandRunner.run(["sync", store, lake]).status == 0)
        let monthly = try CommandRunner.run(["sync", store, lake, "--granularity", "month"])
        #expect(monthly.status == 2 && monthly.standardError.contains("--granularity day"), "\(monthly.standardError)")
        let selected = try CommandRunner.run(["sync", store, lake, "--device", "a"])
        #expect(selected.status == 2 && selected.standardError.contains("every device"), "\(selected.standardError)")
        let foreign = directory.appending("foreign")
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: foreign + "/keep.txt", contents: Data("x".utf8))
        #expect(try CommandRunner.run(["sync", store, foreign]).status == 2)
        #expect(try CommandRunner.run(["sync", store, store + "/lake"]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: store + "/lake"))
        #expect(try CommandRunner.run(["sync", directory.appending("missing"), directory.appending("lake2")]).status == 1)
    }

    @Test("DuckDB reads the lake as one table: rows, devices, the partition columns; the state folder is skipped",
          .enabled(if: ParquetReaders.available, "python3 cannot import duckdb (python3 -m pip install duckdb pyarrow); read-back skipped"))
    func duckDBReadsTheLake() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        try Self.makeStore(store, in: directory)
        for granularity in ["day", "month"] {
            let lake = directory.appending("lake-" + granularity)
            #expect(try CommandRunner.run(["sync", store, lake, "--granularity", granularity]).status == 0)
            let column = granularity == "day" ? "date" : "month"
            let query = """
                import duckdb
                rows = duckdb.sql("select device, count(*), count(distinct \(column)), sum(value) from read_parquet('\(lake)/**/*.parquet', hive_partitioning=true) group by device order by device").fetchall()
                for row in rows: print(row[0], row[1], row[2], row[3])
                """
            let result = try ParquetReaders.run(["-c", query])
            #expect(result.status == 0, "\(result.error)")
            let expectedPartitions = granularity == "day" ? 4 : 1
            let lines = result.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(result.output)")
            for (line, device) in zip(lines, ["a", "b", "c/ü"]) {
                #expect(line.hasPrefix(device + " 618 \(expectedPartitions) "), "\(granularity): \(line)")
            }
        }
    }
}

import Testing
import Foundation
@testable import Strata
import StrataTestSupport

@Suite("The strata command, run as a built binary")
struct CommandLineTests {
    /// Parses long CSV text into (series → sorted (ts, bits)), keeping the last of duplicate timestamps.
    static func points(ofCSV text: String) throws -> [SeriesKey: [(Int64, UInt64)]] {
        let bytes = Array(text.utf8)
        let batch = try bytes.withUnsafeBytes { try LongCSVParser().parse($0, file: "csv").batch }
        var model = ReferenceModel()
        for row in 0..<batch.count {
            model.write(batch.keys[Int(batch.seriesOfRow[row])], batch.timestamps[row], batch.bits[row])
        }
        var result: [SeriesKey: [(Int64, UInt64)]] = [:]
        for key in model.keys {
            let expected = model.expected(key)
            result[key] = Array(zip(expected.timestamps, expected.bits))
        }
        return result
    }

    @Test("ingest, then query --format csv, gives back the input's points exactly", arguments: [
        "nab_known_cause_excerpt.csv", "beijing_dongsi_excerpt.csv", "statsmodels_co2_excerpt.csv",
    ])
    func ingestQueryRoundTrip(file: String) throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let input = TestResources.path(file)
        let ingest = try CommandRunner.run(["ingest", store, input])
        #expect(ingest.status == 0, "\(ingest.standardError)")
        #expect(ingest.standardOutput.contains("ingested"))

        let expected = try Self.points(ofCSV: String(contentsOfFile: input, encoding: .utf8))
        for (key, points) in expected {
            let query = try CommandRunner.run(["query", store, "--device", key.device, "--metric", key.metric, "--format", "csv"])
            #expect(query.status == 0, "\(query.standardError)")
            let got = try Self.points(ofCSV: query.standardOutput)
            #expect(got.count == 1)
            let gotPoints = try #require(got[key])
            #expect(gotPoints.map(\.0) == points.map(\.0), "\(key)")
            #expect(gotPoints.map(\.1) == points.map(\.1), "\(key)")
        }
    }

    @Test("ingest reads zstd-compressed input and standard input")
    func compressedAndStandardInput() throws {
        let directory = TemporaryDirectory()
        let input = TestResources.path("statsmodels_co2_excerpt.csv")
        let compressed = directory.appending("co2.csv.zst")
        let zstd = Process()
        zstd.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        zstd.arguments = ["zstd", "-q", "-o", compressed, input]
        try zstd.run()
        zstd.waitUntilExit()
        try #require(zstd.terminationStatus == 0, "the zstd command is needed for this test")
        #expect(try CommandRunner.run(["ingest", directory.appending("a"), compressed]).status == 0)
        let stdinRun = try CommandRunner.run(["ingest", directory.appending("b"), "-"], input: try Data(contentsOf: URL(fileURLWithPath: input)))
        #expect(stdinRun.status == 0, "\(stdinRun.standardError)")
        for store in ["a", "b"] {
            let query = try CommandRunner.run(["query", directory.appending(store), "--device", "mauna_loa", "--metric", "co2_ppm", "--format", "json"])
            #expect(query.status == 0)
            #expect(query.standardOutput.contains("\"ts_ms\":-371174400000,\"value\":316.1"))
        }
    }

    @Test("A malformed row rejects the file with file, line and reason; --skip-bad-rows stores the rest")
    func malformedInput() throws {
        let directory = TemporaryDirectory()
        let bad = directory.appending("bad.csv")
        try "device,metric,ts_ms,value\nd,m,1,1.5\nd,m,2,oops\nd,m,3,2.5\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let store = directory.appending("store")
        let rejected = try CommandRunner.run(["ingest", store, bad])
        #expect(rejected.status == 2)
        #expect(rejected.standardError == "strata: \(bad):3: value \"oops\" is not a decimal number\n")
        let missing = try CommandRunner.run(["query", store, "--device", "d", "--metric", "m"])
        #expect(missing.status == 1)  // nothing was stored: not even the store was created
        #expect(missing.standardError.hasPrefix("strata: ") && missing.standardError.filter { $0 == "\n" }.count == 1)

        let skipped = try CommandRunner.run(["ingest", store, bad, "--skip-bad-rows"])
        #expect(skipped.status == 0)
        #expect(skipped.standardOutput.contains("skipped 1 bad row"))
        #expect(skipped.standardError.contains("bad.csv:3"))
        let query = try CommandRunner.run(["query", store, "--device", "d", "--metric", "m", "--format", "csv"])
        #expect(query.standardOutput == "device,metric,ts_ms,value\nd,m,1,1.5\nd,m,3,2.5\n")
    }

    @Test("query honours --from and --to in both notations")
    func ranges() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        #expect(try CommandRunner.run(["ingest", store, TestResources.path("statsmodels_co2_excerpt.csv")]).status == 0)
        let byMillis = try CommandRunner.run(["query", store, "--device", "mauna_loa", "--metric", "co2_ppm",
                                              "--from=-371174400000", "--to=-370569600000", "--format", "csv"])
        #expect(byMillis.standardOutput == "device,metric,ts_ms,value\nmauna_loa,co2_ppm,-371174400000,316.1\n")
        let byDate = try CommandRunner.run(["query", store, "--device", "mauna_loa", "--metric", "co2_ppm",
                                            "--from", "1958-03-29", "--to", "1958-04-05T00:00:00Z", "--format", "csv"])
        #expect(byDate.standardOutput == byMillis.standardOutput)
        let badTime = try CommandRunner.run(["query", store, "--device", "mauna_loa", "--metric", "co2_ppm", "--from", "soon"])
        #expect(badTime.status == 64)
        let unknown = try CommandRunner.run(["query", store, "--device", "nope", "--metric", "co2_ppm"])
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("no series nope/co2_ppm"))
    }

    @Test("inspect summarizes the store and a segment")
    func inspect() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        #expect(try CommandRunner.run(["ingest", store, TestResources.path("beijing_dongsi_excerpt.csv")]).status == 0)
        let summary = try CommandRunner.run(["inspect", store])
        #expect(summary.status == 0)
        #expect(summary.standardOutput.contains("points    3,000"))
        #expect(summary.standardOutput.contains("bytes/point"))
        #expect(summary.standardOutput.contains("timestamps: gaps"))
        let segment = try CommandRunner.run(["inspect", store, "--segment", "0000000001.seg"])
        #expect(segment.status == 0, "\(segment.standardError)")
        #expect(segment.standardOutput.contains("All "))
        #expect(segment.standardOutput.contains("Dongsi"))
    }

    @Test("demo runs end to end on a small fleet")
    func demo() throws {
        let directory = TemporaryDirectory()
        let run = try CommandRunner.run(["demo", directory.appending("demo"), "--devices", "20", "--hours", "2"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("bytes/point"))
        #expect(run.standardOutput.contains("Hottest reading"))
        let again = try CommandRunner.run(["demo", directory.appending("demo")])
        #expect(again.status == 1)
        #expect(again.standardError.contains("already exists"))
    }
}

@Suite("strata downsample")
struct DownsampleCommandTests {
    @Test("CSV has the documented columns; devices are chosen by list and pattern")
    func csvAndPatterns() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let csv = directory.appending("in.csv")
        try """
            device,metric,ts_ms,value
            pump-1,t,0,1.5
            pump-1,t,1000,2.5
            pump-1,t,3600000,nan
            pump-2,t,0,10
            tank-1,t,0,7
            """.write(toFile: csv, atomically: true, encoding: .utf8)
        #expect(try CommandRunner.run(["ingest", store, csv]).status == 0)
        let run = try CommandRunner.run(["downsample", store, "--device", "pump-*", "--step", "1h", "--agg", "count,min,max,mean,first,last,stddev", "--format", "csv"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput == """
            device,metric,ts_ms,count,min,max,mean,first,last,stddev
            pump-1,t,0,2,1.5,2.5,2.0,1.5,2.5,0.5
            pump-1,t,3600000,1,,,,nan,nan,
            pump-2,t,0,1,10.0,10.0,10.0,10.0,10.0,0.0

            """)
        let listed = try CommandRunner.run(["downsample", store, "--device", "tank-1,pump-2", "--metric", "t", "--step", "1d", "--agg", "sum", "--format", "json"])
        #expect(listed.standardOutput.contains("{\"device\":\"tank-1\",\"metric\":\"t\",\"ts_ms\":0,\"sum\":7.0}"))
        let missing = try CommandRunner.run(["downsample", store, "--device", "nothing-*", "--step", "1h"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("no device matches"))
        let badStep = try CommandRunner.run(["downsample", store, "--device", "pump-1", "--step", "soon"])
        #expect(badStep.status == 64)
    }

    @Test("--group-by, percentiles, counters and --fill: the documented columns and exact values")
    func groupsPercentilesAndFills() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let csv = directory.appending("in.csv")
        try """
            device,metric,ts_ms,value
            pump-1,t,0,1
            pump-1,t,1000,3
            pump-2,t,0,10
            pump-2,t,7200000,20
            pump-1,n,0,5
            pump-1,n,1000,2
            """.write(toFile: csv, atomically: true, encoding: .utf8)
        #expect(try CommandRunner.run(["ingest", store, csv]).status == 0)
        let byMetric = try CommandRunner.run(["downsample", store, "--device", "pump-*", "--step", "1h", "--agg", "count,mean,p50,p95,increase",
                                              "--group-by", "metric", "--format", "csv"])
        #expect(byMetric.status == 0, "\(byMetric.standardError)")
        #expect(byMetric.standardOutput == """
            device,metric,ts_ms,count,mean,p50,p95,increase
            pump-*,n,0,2,3.5,3.5,4.85,2.0
            pump-*,t,0,3,4.666666666666667,3.0,9.299999999999999,2.0
            pump-*,t,7200000,1,20.0,20.0,20.0,10.0

            """)
        let all = try CommandRunner.run(["downsample", store, "--device", "pump-*", "--step", "1h", "--agg", "count,max", "--group-by", "all",
                                         "--empty", "--fill", "previous", "--format", "json"])
        #expect(all.status == 0, "\(all.standardError)")
        #expect(all.standardOutput == """
            [
            {"device":"pump-*","metric":"*","ts_ms":0,"count":5,"max":10.0},
            {"device":"pump-*","metric":"*","ts_ms":3600000,"count":0,"max":10.0},
            {"device":"pump-*","metric":"*","ts_ms":7200000,"count":1,"max":20.0}
            ]

            """)
        // Local days: Berlin's midnight of 1970-01-01 is 23:00 UTC the day before.
        let local = try CommandRunner.run(["downsample", store, "--device", "pump-1", "--metric", "t", "--step", "1d", "--tz", "Europe/Berlin",
                                           "--agg", "count", "--format", "csv"])
        #expect(local.status == 0, "\(local.standardError)")
        #expect(local.standardOutput == "device,metric,ts_ms,count\npump-1,t,-3600000,2\n")
        for (arguments, message) in [(["--agg", "p101"], "unknown aggregate \"p101\""), (["--agg", "p9.9999"], "at most 3 decimals"),
                                     (["--fill", "linear"], "it needs --empty"), (["--empty", "--fill", "nan"], "is not none, previous, linear or a number"),
                                     (["--group-by", "device"], "group-by"), (["--tz", "../../etc/passwd", "--step", "1d"], "--tz"),
                                     (["--tz", "Mars/Olympus", "--step", "1d"], "Mars/Olympus"), (["--tz", "Europe/Berlin"], "whole days"),
                                     (["--tz", "Europe/Berlin", "--step", "1d", "--align", "from", "--from", "0"], "--align from")] {
            let step = arguments.contains("--step") ? [] : ["--step", "1h"]
            let run = try CommandRunner.run(["downsample", store, "--device", "pump-*"] + step + arguments)
            #expect(run.status == 64, "\(arguments)")
            #expect(run.standardError.contains(message), "\(arguments): \(run.standardError)")
        }
    }
}

@Suite("strata --version")
struct VersionCommandTests {
    @Test("--version prints the version the exports record, and exits 0")
    func version() throws {
        let run = try CommandRunner.run(["--version"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput == StrataVersion.current + "\n")
    }
}

@Suite("strata anomalies")
struct AnomaliesCommandTests {
    @Test("CSV columns, the detectors' required options, and an SVG plot")
    func csvAndPlot() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let csv = directory.appending("in.csv")
        var rows = ["device,metric,ts_ms,value"]
        for minute in 0..<240 { rows.append("m,t,\(minute * 60_000),\(minute == 100 ? 90 : 20 + minute % 3)") }
        try rows.joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        #expect(try CommandRunner.run(["ingest", store, csv]).status == 0)
        let plot = directory.appending("plot.svg")
        let run = try CommandRunner.run(["anomalies", store, "--device", "m", "--metric", "t", "--detector", "above", "--threshold", "50",
                                         "--format", "csv", "--plot", plot])
        #expect(run.status == 0, "\(run.standardError)")
        // score: m / (1 + m) with m = 1 + (90 − 50) / 50; the kind after it.
        #expect(run.standardOutput == "device,metric,start_ms,end_ms,peak_ts_ms,peak,score,kind,points\nm,t,6000000,6000001,6000000,90.0,\(1 - 1 / (1 + 1.8)),out-of-bounds,1\n")
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("1 anomaly window") && svg.contains("time (UTC)") && svg.contains("fill=\"#e53935\"") && svg.contains("<g id=\"score-track\">"))
        let zscore = try CommandRunner.run(["anomalies", store, "--device", "m", "--detector", "zscore", "--window", "1h", "--format", "json"])
        #expect(zscore.status == 0)
        #expect(zscore.standardOutput.contains("\"start_ms\":6000000"))
        // Without --detector the automatic detector runs (it finds the spike), and takes no --threshold.
        let automatic = try CommandRunner.run(["anomalies", store, "--device", "m", "--format", "csv", "--learning", "0"])
        #expect(automatic.status == 0, "\(automatic.standardError)")
        #expect(automatic.standardOutput.contains("\nm,t,6000000,"), "\(automatic.standardOutput)")
        let stray = try CommandRunner.run(["anomalies", store, "--device", "m", "--threshold", "3"])
        #expect(stray.status == 64 && stray.standardError.contains("need a --detector"))
        let missing = try CommandRunner.run(["anomalies", store, "--device", "m", "--detector", "above"])
        #expect(missing.status == 64)
        #expect(missing.standardError.contains("needs --threshold"))
        let downsamplePlot = directory.appending("down.svg")
        #expect(try CommandRunner.run(["downsample", store, "--device", "m", "--step", "10m", "--plot", downsamplePlot]).status == 0)
        #expect(FileManager.default.fileExists(atPath: downsamplePlot))
    }
}

@Suite("strata verify")
struct VerifyCommandTests {
    @Test("Clean, a damaged chunk, a torn log tail and a damaged log record")
    func verify() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("store")
        do {
            let store = try Store(at: path)
            let times = (0..<3000).map { Int64($0) * 1000 }
            try store.append(device: "d", metric: "m", timestamps: times, values: times.map { Double($0) / 3 })
            try store.close()
        }
        let clean = try CommandRunner.run(["verify", path])
        #expect(clean.status == 0)
        #expect(clean.standardOutput.contains("clean"))

        // A torn log tail is a note, not damage.
        try appendWithoutClosing(path, batches: 2, size: 10)
        let log = try #require(try walFiles(path).last)
        let logSize = try FileManager.default.attributesOfItem(atPath: log)[.size] as! Int
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try handle.truncate(atOffset: UInt64(logSize - 5))
        try handle.close()
        let torn = try CommandRunner.run(["verify", path])
        #expect(torn.status == 0, "\(torn.standardOutput)")
        #expect(torn.standardOutput.contains("note") && torn.standardOutput.contains("torn tail"))

        // A flipped byte inside a chunk is damage, named by file and offset.
        let segment = try SegmentFile(path: path + "/segments/0000000001.seg")
        let chunk = try #require(segment.chunkDescriptions().first { $0.column != .time })
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment.path)))
        bytes[chunk.offset + 1] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: segment.path))
        let damaged = try CommandRunner.run(["verify", path])
        #expect(damaged.status == 3)
        #expect(damaged.standardOutput.contains("DAMAGED \(segment.path) at offset \(chunk.offset)"))
        #expect(damaged.standardError.hasPrefix("strata: \(path): 1 problem found"))

        // Repair moves the segment aside, never deleting it, keeps the intact chunks and lists what left the store.
        let repaired = try CommandRunner.run(["verify", path, "--repair"])
        #expect(repaired.status == 3)
        #expect(repaired.standardOutput.contains("moved   \(segment.path) -> \(path)/segments/damaged/0000000001.seg"))
        #expect(repaired.standardOutput.contains("salvaged 2,100 points"), "\(repaired.standardOutput)")
        #expect(repaired.standardOutput.contains("lost d/m from 1970-01-01T00:00:00Z to 1970-01-01T00:14:59Z"))
        #expect(FileManager.default.fileExists(atPath: path + "/segments/damaged/0000000001.seg"))
        let after = try CommandRunner.run(["verify", path])
        #expect(after.status == 0, "\(after.standardOutput)")
    }
}

@Suite("strata with a damaged index entry")
struct DamagedEntryCommandTests {
    @Test("inspect, verify and query name the damaged entry by file and offset; the segment's other devices still read")
    func damagedEntry() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("store")
        do {
            let store = try Store(at: path)
            for device in ["a", "b", "c"] {
                try store.append(device: device, metric: "m", timestamps: [1000, 2000], values: [1.5, 2.5])
            }
            try store.close()
        }
        let file = path + "/segments/0000000001.seg"
        let segment = try SegmentFile(path: file)
        let record = try DeviceDirectoryTests.record(1, of: segment)
        #expect(try segment.deviceName(at: 1) == "b")
        try DeviceDirectoryTests.modify(file) { $0[record.offset + record.length / 2] ^= 0x10 }

        let inspect = try CommandRunner.run(["inspect", path, "--segment", "0000000001.seg"])
        #expect(inspect.status == 1)
        #expect(inspect.standardOutput.contains("DAMAGED \(file) offset \(record.offset): device entry fails its checksum"))
        #expect(inspect.standardError.contains("1 damaged chunk or index entry, first at offset \(record.offset)"))

        let verify = try CommandRunner.run(["verify", path])
        #expect(verify.status == 3)
        #expect(verify.standardOutput.contains("DAMAGED \(file) at offset \(record.offset)"))

        let query = try CommandRunner.run(["query", path, "--device", "c", "--metric", "m"])
        #expect(query.status == 0)
        #expect(query.standardOutput.contains("2 points"))
    }
}

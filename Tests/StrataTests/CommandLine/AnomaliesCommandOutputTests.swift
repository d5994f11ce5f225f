import Testing
import Foundation
@testable import Strata
import StrataTestSupport

/// `strata anomalies` as printed: the score and kind columns, the table's last
/// point and peak precision, per-point scores, the automatic detector's tuning
/// flags, the score track of the plot, and hostile arguments.
@Suite("strata anomalies: columns, scores, tuning and plots")
struct AnomaliesCommandOutputTests {
    static let minute: Int64 = 60_000

    /// A store of four series, one point a minute:
    /// - "f"/"t" (Float64): 240 points cycling 20.1, 20.2, 20.3, with 61.0153558 at
    ///   minute 100 and 55.5 at minutes 150 to 152;
    /// - "g"/"t" (Float64): minutes 0–59 and 90–239, values cycling 0…4 (a gap of 31 minutes);
    /// - "i"/"n" (Int64): 240 points cycling 20, 21, 22, with 90 at minute 100;
    /// - "one"/"t": a single point, 1.5 at 0.
    static func makeStore(_ directory: borrowing TemporaryDirectory) throws -> String {
        let path = directory.appending("store")
        let store = try Store(at: path)
        let times = (0..<240).map { Int64($0) * minute }
        let floats = (0..<240).map { index in index == 100 ? 61.0153558 : (150...152).contains(index) ? 55.5 : [20.1, 20.2, 20.3][index % 3] }
        try store.append(device: "f", metric: "t", timestamps: times, values: floats)
        try store.append(device: "i", metric: "n", timestamps: times, values: (0..<240).map { $0 == 100 ? 90 : 20 + Int64($0 % 3) })
        let gapped = times.filter { $0 < 60 * minute || $0 >= 90 * minute }
        try store.append(device: "g", metric: "t", timestamps: gapped, values: gapped.map { Double($0 / minute % 5) })
        try store.append(device: "one", metric: "t", timestamp: 0, value: 1.5)
        try store.flush()
        try store.close()
        return path
    }

    /// Runs `strata anomalies`. The stores here span four hours, less than the automatic
    /// detector's default learning day, so its runs judge at once (`--learning 0`) unless
    /// a test says otherwise.
    static func run(_ arguments: [String]) throws -> CommandRunner.Outcome {
        let automatic = !arguments.contains("--detector") && !arguments.contains("--learning")
        let outcome = try CommandRunner.run(["anomalies"] + arguments + (automatic ? ["--learning", "0"] : []))
        #expect(outcome.status == 0, "\(arguments): \(outcome.standardError)")
        return outcome
    }

    static func lines(_ outcome: CommandRunner.Outcome) -> [String] {
        outcome.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    static func json(_ outcome: CommandRunner.Outcome) throws -> [[String: Any]] {
        try #require(JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [[String: Any]])
    }

    /// The explicit detectors' score, `m / (1 + m)` with `m = 1 + (value − limit) / max(|limit|, 1)`.
    static func aboveScore(_ value: Double, limit: Double) -> Double {
        let m = 1 + (value - limit) / max(abs(limit), 1)
        return 1 - 1 / (1 + m)
    }

    @Test("CSV: score in [0, 1] then kind, the peak at the series' precision, an Int64 series' peak an integer")
    func csvColumns() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        let floats = try Self.run([store, "--device", "f", "--detector", "above", "--threshold", "50", "--format", "csv"])
        #expect(Self.lines(floats) == [
            "device,metric,start_ms,end_ms,peak_ts_ms,peak,score,kind,points",
            "f,t,6000000,6000001,6000000,61.0153558,\(Self.aboveScore(61.0153558, limit: 50)),out-of-bounds,1",
            "f,t,9000000,9120001,9000000,55.5,\(Self.aboveScore(55.5, limit: 50)),out-of-bounds,3",
        ])
        let integers = try Self.run([store, "--device", "i", "--detector", "above", "--threshold", "50", "--format", "csv"])
        #expect(Self.lines(integers) == [
            "device,metric,start_ms,end_ms,peak_ts_ms,peak,score,kind,points",
            "i,n,6000000,6000001,6000000,90,\(Self.aboveScore(90, limit: 50)),out-of-bounds,1",
        ])
        // The automatic detector names what fired: the spike of minute 100.
        let automatic = try Self.run([store, "--device", "f", "--format", "csv"])
        let spike = try #require(Self.lines(automatic).first { $0.hasPrefix("f,t,6000000,") }, "\(automatic.standardOutput)")
        let fields = spike.split(separator: ",").map(String.init)
        #expect(fields[5] == "61.0153558" && fields[7] == "spike", "\(spike)")
        let score = try #require(Double(fields[6]))
        #expect(score > 0.5 && score <= 1, "\(spike)")
    }

    @Test("JSON: the CSV's fields and the magnitude; integers stay integers")
    func jsonFields() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        let run = try Self.run([store, "--device", "f,i", "--detector", "above", "--threshold", "50", "--format", "json"])
        let objects = try Self.json(run)
        #expect(objects.count == 3)
        for object in objects {
            #expect(Set(object.keys) == ["device", "metric", "start_ms", "end_ms", "peak_ts_ms", "peak", "score", "kind", "points", "magnitude"])
            #expect(object["kind"] as? String == "out-of-bounds")
        }
        #expect((objects[0]["peak"] as? NSNumber)?.doubleValue == 61.0153558)
        #expect((objects[0]["score"] as? NSNumber)?.doubleValue == Self.aboveScore(61.0153558, limit: 50))
        #expect(abs(((objects[0]["magnitude"] as? NSNumber)?.doubleValue ?? 0) - (61.0153558 - 50)) < 1e-9, "how far above the limit")
        #expect((objects[1]["points"] as? NSNumber)?.intValue == 3)
        #expect((objects[1]["end_ms"] as? NSNumber)?.int64Value == 9_120_001)
        #expect(objects[2]["device"] as? String == "i")
        #expect(run.standardOutput.contains("\"peak\":90,"), "\(run.standardOutput)")
    }

    @Test("Table: the last point (not the exclusive end), \"1 point\" for one point, the peak's shortest text, a silence's last point")
    func table() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        let run = try Self.run([store, "--device", "f", "--detector", "above", "--threshold", "50"])
        let lines = Self.lines(run)
        #expect(lines[0].hasPrefix("device  metric  start (UTC)") && lines[0].contains("last point (UTC)"), "\(lines[0])")
        for header in ["duration", "peak at", "peak", "score", "kind", "points"] { #expect(lines[0].contains(header)) }
        #expect(lines.count == 5 && lines[4] == "2 windows in 1 series", "\(run.standardOutput)")
        let single = lines[2], triple = lines[3]
        #expect(single.contains("\(TimeText.format(6_000_000))  \(TimeText.format(6_000_000))") && single.contains("1 point"), "\(single)")
        #expect(single.contains("61.0153558") && !single.contains("61.01535579") && single.contains(String(format: "%.2f", Self.aboveScore(61.0153558, limit: 50))) && single.contains("out-of-bounds"), "\(single)")
        #expect(triple.contains("\(TimeText.format(9_000_000))  \(TimeText.format(9_120_000))") && triple.contains("2 min"), "\(triple)")
        #expect(!run.standardOutput.contains(TimeText.format(9_120_001)) && !run.standardOutput.contains(" ms "), "\(run.standardOutput)")
        let integers = try Self.run([store, "--device", "i", "--detector", "above", "--threshold", "50"])
        #expect(integers.standardOutput.contains(" 90 ") && !integers.standardOutput.contains("90.0"), "\(integers.standardOutput)")

        // A silence window has no point of its own: its last point is the point that ended the gap.
        let csv = try Self.run([store, "--device", "g", "--detector", "silence", "--window", "5m", "--format", "csv"])
        let rows = Self.lines(csv).dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == 1 && rows.first?[3] == "5400000" && rows.first?[8] == "0", "\(csv.standardOutput)")
        let silence = try Self.run([store, "--device", "g", "--detector", "silence", "--window", "5m"])
        let row = Self.lines(silence)[2]
        #expect(row.contains(TimeText.format(5_400_000)) && row.contains("silence"), "\(row)")
        #expect(row.contains(DurationText.describe(5_400_000 - Int64(rows.first.flatMap { Int64($0[2]) } ?? 0))), "\(row)")
    }

    @Test("--scores: one row per point, streamed for every series, CSV (also for the table format) or JSON")
    func scores() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        let csv = try Self.run([store, "--device", "f", "--scores", "--format", "csv"])
        let lines = Self.lines(csv)
        #expect(lines.first == "device,metric,ts_ms,value,score")
        #expect(lines.count == 241)
        #expect(lines[1].hasPrefix("f,t,0,20.1,") && lines[101].hasPrefix("f,t,6000000,61.0153558,"), "\(lines[101])")
        for line in lines.dropFirst() {
            let score = Double(line.split(separator: ",")[4])
            #expect(score.map { (0...1).contains($0) } ?? false, "\(line)")
        }
        // The spike's point scores above the alert threshold 0.5.
        #expect(Double(lines[101].split(separator: ",")[4])! > 0.5)
        // The table format prints the same CSV.
        #expect(try Self.run([store, "--device", "f", "--scores"]).standardOutput == csv.standardOutput)

        let explicit = try Self.lines(Self.run([store, "--device", "i", "--detector", "above", "--threshold", "50", "--scores", "--format", "csv"]))
        #expect(explicit.count == 241)
        #expect(explicit[1] == "i,n,0,20,\(Self.aboveScore(20, limit: 50))")
        #expect(explicit[101] == "i,n,6000000,90,\(Self.aboveScore(90, limit: 50))")

        let json = try Self.json(Self.run([store, "--device", "f", "--scores", "--format", "json", "--from", "6000000", "--to", "6060000"]))
        #expect(json.count == 1)
        #expect(Set(json[0].keys) == ["device", "metric", "ts_ms", "value", "score"])
        #expect((json[0]["value"] as? NSNumber)?.doubleValue == 61.0153558)

        // Every selected series, in the selection's order: 240 + 210 + 240 + 1 points.
        let all = Self.lines(try Self.run([store, "--device", "*", "--scores", "--format", "csv"]))
        #expect(all.count == 1 + 240 + 210 + 240 + 1)
        var devices: [String] = []
        for line in all.dropFirst() {
            let device = String(line.prefix { $0 != "," })
            if devices.last != device { devices.append(device) }
        }
        #expect(devices == ["f", "g", "i", "one"])
        #expect(all.last == "one,t,0,1.5,0.0")
        #expect(try Self.run([store, "--device", "f", "--scores", "--format", "json", "--from", "1000000000"]).standardOutput == "[]\n")
    }

    @Test("The tuning flags reach the automatic detector")
    func tuning() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        func windows(_ extra: [String]) throws -> [[String]] {
            Self.lines(try Self.run([store, "--device", "f", "--format", "csv"] + extra)).dropFirst().map { $0.split(separator: ",").map(String.init) }
        }
        let standard = try windows([])
        #expect(standard.contains { $0[2] == "6000000" && $0[7] == "spike" }, "\(standard)")
        // Far wider margins: the spike is no longer beyond the recent range.
        let margin = try windows(["--spike-margin", "1000"])
        #expect(!margin.contains { $0[7] == "spike" }, "\(margin)")
        // A sensitivity near 1 alerts on far more points.
        let eager = try windows(["--sensitivity", "0.99"])
        let eagerPoints = eager.reduce(0) { $0 + Int($1[8])! }, standardPoints = standard.reduce(0) { $0 + Int($1[8])! }
        #expect(eagerPoints > standardPoints, "\(eager) \(standard)")
        // The spike (minute 100) and the spread change at minute 152 are more than 20 points
        // apart, two windows; a hold of 60 points joins them.
        #expect(standard.count == 2, "\(standard)")
        let held = try windows(["--hold", "60"])
        #expect(held.count == 1 && held.first?[2] == "6000000" && held.first?[8] == "2", "\(held)")
        #expect(try windows(["--history", "120", "--scales", "4,8", "--spread-margin", "3", "--hold", "1"]).allSatisfy { Double($0[6])! > 0.5 })
        // The scores follow the same settings: with a sensitivity of 0.99 a point above 0.01 belongs to a window.
        let scored = Self.lines(try Self.run([store, "--device", "f", "--scores", "--format", "csv", "--spike-margin", "1000"]))
        #expect(Double(scored[101].split(separator: ",")[4])! < Double(Self.lines(try Self.run([store, "--device", "f", "--scores", "--format", "csv"]))[101].split(separator: ",")[4])!)
    }

    @Test("--plot draws a score track with the alert threshold under the series")
    func plotScoreTrack() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        let automatic = directory.appending("automatic.svg")
        #expect(try Self.run([store, "--device", "f", "--sensitivity", "0.75", "--plot", automatic]).status == 0)
        let svg = try String(contentsOfFile: automatic, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("<g id=\"score-track\">") && svg.contains("<path class=\"score\" d=\"M") && svg.contains(">score</text>"))
        #expect(svg.contains("alert threshold 0.25"), "threshold 1 − sensitivity")
        #expect(svg.contains("height=\"564\"") && !svg.contains("href="), "taller, self-contained")
        let explicit = directory.appending("explicit.svg")
        #expect(try Self.run([store, "--device", "f", "--detector", "above", "--threshold", "50", "--plot", explicit]).status == 0)
        let explicitSVG = try String(contentsOfFile: explicit, encoding: .utf8)
        #expect(explicitSVG.contains("<g id=\"score-track\">") && explicitSVG.contains("alert threshold 0.5<"))
        #expect(explicitSVG.contains("out-of-bounds, score 0.55"))
        // One point plots too.
        #expect(try Self.run([store, "--device", "one", "--plot", directory.appending("one.svg")]).status == 0)
    }

    @Test("Many series scan on every core and print in the selection's order, the same as one by one")
    func manySeries() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        for extra in [["--format", "csv"], ["--format", "csv", "--detector", "silence", "--window", "5m"]] {
            let all = Self.lines(try Self.run([store, "--device", "*"] + extra))
            var oneByOne = ["device,metric,start_ms,end_ms,peak_ts_ms,peak,score,kind,points"]
            for device in ["f", "g", "i", "one"] { oneByOne += Self.lines(try Self.run([store, "--device", device] + extra)).dropFirst() }
            #expect(all == oneByOne)
        }
    }

    @Test("Single points, empty stores and Int64 series print sensibly")
    func smallInputs() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        #expect(Self.lines(try Self.run([store, "--device", "one", "--format", "csv"])) == ["device,metric,start_ms,end_ms,peak_ts_ms,peak,score,kind,points"])
        #expect(try Self.run([store, "--device", "one"]).standardOutput.hasSuffix("0 windows in 1 series\n"))
        #expect(try Self.run([store, "--device", "one", "--format", "json"]).standardOutput == "[\n\n]\n" ||
                Self.run([store, "--device", "one", "--format", "json"]).standardOutput == "[\n]\n")
        #expect(Self.lines(try Self.run([store, "--device", "i", "--scores", "--format", "csv"]))[101] .hasPrefix("i,n,6000000,90,"))

        let empty = directory.appending("empty")
        try Store(at: empty).close()
        for extra in [[String](), ["--scores"], ["--format", "json"]] {
            let run = try CommandRunner.run(["anomalies", empty, "--device", "*"] + extra)
            #expect(run.status == 0 || run.status == 1, "\(run.standardError)")
            #expect(run.standardError.hasPrefix("strata: ") || run.standardError.isEmpty, "\(run.standardError)")
        }
    }

    @Test("A window ending at Int64.max shows its true last point: Int64.max itself, or the point before")
    func lastPointAtTheEndOfTime() throws {
        let directory = TemporaryDirectory()
        let store = directory.appending("store")
        let csv = directory.appending("edges.csv")
        // "d": both last points above 0 (its window ends at Int64.max, at its last point);
        // "e": only the one before Int64.max (its window ends at Int64.max too, 1 ms after its point).
        try """
            device,metric,ts_ms,value
            d,m,\(Int64.max - 1),5
            d,m,\(Int64.max),5
            e,m,\(Int64.max - 1),5
            e,m,\(Int64.max),-5
            """.write(toFile: csv, atomically: true, encoding: .utf8)
        #expect(try CommandRunner.run(["ingest", store, csv]).status == 0)
        let windows = Self.lines(try Self.run([store, "--device", "*", "--detector", "above", "--threshold", "0", "--format", "csv"]))
        #expect(windows.dropFirst().map { $0.split(separator: ",")[3] } == ["\(Int64.max)", "\(Int64.max)"])
        let table = Self.lines(try Self.run([store, "--device", "*", "--detector", "above", "--threshold", "0"]))
        let end = TimeText.format(.max), before = TimeText.format(.max - 1)
        #expect(table[2].hasPrefix("d") && table[2].contains("\(before)  \(end)") && table[2].contains("1 ms"), "\(table)")
        #expect(table[3].hasPrefix("e") && table[3].contains("\(before)  \(before)") && table[3].contains("1 point"), "\(table)")
    }

    @Test("Hostile tuning arguments are usage errors that name the flag", arguments: [
        (["--sensitivity", "nan"], "--sensitivity"), (["--sensitivity", "inf"], "--sensitivity"), (["--sensitivity=-0.5"], "--sensitivity"),
        (["--sensitivity", "0"], "--sensitivity"), (["--sensitivity", "1"], "--sensitivity"),
        (["--history", "5"], "--history"), (["--history=-1"], "--history"), (["--history", "many"], "--history"),
        (["--scales", "40,10"], "--scales"), (["--scales", "10,40"], "--scales"), (["--scales", "20,10"], "--scales"),
        (["--scales", "10"], "--scales"), (["--scales", "a,b"], "--scales"), (["--scales", "2,3"], "--scales"), (["--scales", "10,20,30"], "--scales"),
        (["--spike-margin", "nan"], "--spike-margin"), (["--spike-margin", "inf"], "--spike-margin"), (["--spike-margin=-1"], "--spike-margin"),
        (["--spread-margin", "nan"], "--spread-margin"), (["--spread-margin=-0.1"], "--spread-margin"),
        (["--hold", "0"], "--hold"), (["--hold=-3"], "--hold"),
        (["--sensitivity", "0.6", "--detector", "above", "--threshold", "1"], "--sensitivity"),
        (["--hold", "5", "--detector", "zscore"], "--hold"),
        (["--scores", "--plot", "x.svg"], "--scores"),
        (["--threshold", "3"], "--threshold"), (["--window", "1h"], "--window"),
    ])
    func hostile(arguments: [String], flag: String) throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        let run = try CommandRunner.run(["anomalies", store, "--device", "f"] + arguments)
        #expect(run.status == 64, "\(arguments): \(run.status) \(run.standardError)")
        #expect(run.standardError.contains(flag), "\(arguments): \(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }
}

import ArgumentParser
import Strata

struct AnomaliesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies",
        abstract: "Find the windows of time in which series misbehave.",
        discussion: """
            The automatic detector (the default, without --detector) needs no
            threshold: it judges every point against the series' own recent history
            with record tests, and the record broken names the window's kind:
              spike          the value beyond its recent range (by --spike-margin)
              level-shift    the rolling median of the last few points, at two
                             scales (--scales), beyond its recent range
              spread-change  the interquartile range of the same rolling windows
                             beyond its recent record (by --spread-margin)
              stuck          a run of identical values longer than any recent run
              silence        a gap over four times the longest recent gap
            "Recent" is at least --history points and --history-span of time.
            Each point gets a score in [0, 1]: 0.5 where a feature reaches its
            record, nearer 1 the further beyond. A point is anomalous when its score is above 1 - sensitivity (by default,
            when a record is broken); anomalous points at most --hold points apart
            join one window, whose kind is what fired at its first point. The first
            --learning of a series (a day) and its first 100 points only teach it
            values, medians and spreads: a daily cycle breaks every record on its
            first day. Stuck values and silences are judged from the start.

            Tuning the automatic detector (each refused with --detector):
              --sensitivity S      in (0, 1), default 0.5; higher alerts on points
                                   that come close to a record, lower only on
                                   points well beyond one
              --history N          points of history the records cover at least,
                                   default 12000
              --history-span D     time the records cover at least, default 42d
              --learning D         how long a new series only teaches the
                                   detector, default 1d (0: judge at once)
              --scales SHORT,LONG  the rolling windows in points, 4 to 32, SHORT
                                   below LONG, default 10,20
              --spike-margin X     how far beyond the recent range a value must
                                   go, in spreads (interquartile ranges), default
                                   0.6
              --spread-margin X    how far beyond its record a rolling spread must
                                   go, in units of its own spread, default 0.5
              --hold N             anomalous points at most N points apart join
                                   one window, default 20

            Explicit detectors (--detector):
              above, below   values beyond --threshold (the limit itself)
              zscore         more than --threshold standard deviations from the
                             mean of the trailing --window (default 1d,
                             threshold 4)
              robust         more than --threshold robust deviations (IQR / 1.349)
                             from the median of the trailing --window (default
                             6h, threshold 6)
              rate           changes faster than --threshold units per second
              flatline       the value unchanged for at least --window (a stuck
                             sensor)
              silence        no point for longer than --window (the device went
                             offline)
            Their score is m / (1 + m), m the measure relative to the threshold,
            so the threshold itself scores 0.5 and every detector's scores compare.

            Consecutive anomalous points form one window; --merge-gap also joins
            windows that close; --min-duration drops shorter blips. The series is
            streamed, so memory does not grow with the range; many series are
            scanned on every core.

            Output: a row per window, series in the order selected, then by time.
              table  device, metric, start, last point, duration, peak at, peak,
                     score (two decimals), kind, points. The last point is the
                     window's last anomalous point; for a silence window (no point
                     of its own), the point that ended the gap. A window of one
                     point lasts "1 point".
              csv    device,metric,start_ms,end_ms,peak_ts_ms,peak,score,kind,points
                     for the window [start_ms, end_ms): end_ms is 1 ms after the
                     last point (for a silence, the point after the gap).
              json   an array of objects with the CSV's fields and "magnitude",
                     the detector's own measure at the peak (|z|, how far beyond
                     the limit, ...).
            score is in [0, 1]; kind is spike, level-shift, spread-change, stuck,
            silence, out-of-bounds or fast-change; peak is the value at the
            window's highest-scoring point, at the series' own precision (an
            integer for an Int64 series).

            --scores prints the score of every point in the range instead,
            streamed: CSV device,metric,ts_ms,value,score (with --format json, an
            array of objects with those fields; the table format prints the CSV).
            --plot draws the first series with its windows shaded and, under it,
            its points' scores and the alert threshold (1 - sensitivity, or 0.5
            for an explicit detector); it cannot be combined with --scores.
            """
    )

    @Argument(help: "The store directory.")
    var store: String

    @OptionGroup var selection: SeriesSelectionOptions

    @Option(help: "above, below, zscore, robust, rate, flatline or silence (default: automatic).")
    var detector: DetectorArgument?

    @Option(help: "The detector's limit (see above).")
    var threshold: Double?

    @Option(help: "Trailing window (zscore, robust), minimum duration (flatline) or maximum gap (silence): 30s, 15m, 1h ...")
    var window: String?

    @Option(help: ArgumentHelp("Automatic detector: how eagerly to alert, between 0 and 1 (default 0.5).", valueName: "S"))
    var sensitivity: Double?

    @Option(help: ArgumentHelp("Automatic detector: points of history the records cover (default 12000).", valueName: "points"))
    var history: Int?

    @Option(help: ArgumentHelp("Automatic detector: time of history the records cover (default 42d).", valueName: "duration"))
    var historySpan: String?

    @Option(help: ArgumentHelp("Automatic detector: how long a new series only teaches it (default 1d; 0 judges at once).", valueName: "duration"))
    var learning: String?

    @Option(help: ArgumentHelp("Automatic detector: the rolling windows, in points (default 10,20).", valueName: "short,long"))
    var scales: String?

    @Option(help: ArgumentHelp("Automatic detector: how far beyond the recent range a spike goes, in spreads (default 0.6).", valueName: "X"))
    var spikeMargin: Double?

    @Option(help: ArgumentHelp("Automatic detector: how far beyond its record a spread change goes (default 0.5).", valueName: "X"))
    var spreadMargin: Double?

    @Option(help: ArgumentHelp("Automatic detector: anomalous points at most this many points apart join one window (default 20).", valueName: "points"))
    var hold: Int?

    @Option(help: "Join windows at most this far apart (default 0).")
    var mergeGap: String?

    @Option(help: "Drop windows shorter than this (default 0).")
    var minDuration: String?

    @OptionGroup var range: TimeRangeOptions

    @Option(help: "Output format: table, csv or json.")
    var format: OutputFormat = .table

    @Flag(help: "Print every point's score instead of windows (CSV, or JSON with --format json).")
    var scores = false

    @Option(help: ArgumentHelp("Also draw the series with its anomaly windows shaded and its score into this SVG file.", valueName: "file.svg"))
    var plot: String?

    mutating func validate() throws {
        for (name, value) in [("--window", window), ("--merge-gap", mergeGap), ("--min-duration", minDuration)] {
            if let value, DurationText.parseMilliseconds(value) == nil {
                throw ValidationError("\(name) \(value.debugDescription) is not a duration such as 30s, 15m, 1h or 1d")
            }
        }
        if scores && plot != nil {
            throw ValidationError("--scores prints the scores and --plot draws them (under the series): use one or the other")
        }
        if let threshold {
            guard threshold.isFinite else { throw ValidationError("--threshold \(threshold) is not a finite number") }
            if let detector, threshold <= 0, [.zscore, .robust, .rate].contains(detector) {
                throw ValidationError("--threshold for --detector \(detector.rawValue) must be positive, not \(threshold)")
            }
        }
        guard let detector else {
            if threshold != nil || window != nil {
                throw ValidationError("--threshold and --window need a --detector; the automatic detector takes neither")
            }
            _ = try automaticSettings()
            return
        }
        if let flag = tuningFlags.first {
            throw ValidationError("\(flag) tunes the automatic detector; it cannot be combined with --detector \(detector.rawValue)")
        }
        switch detector {
        case .above, .below, .rate:
            guard threshold != nil else { throw ValidationError("--detector \(detector.rawValue) needs --threshold") }
        case .flatline, .silence:
            guard window != nil else { throw ValidationError("--detector \(detector.rawValue) needs --window (the duration)") }
        case .zscore, .robust:
            break
        }
    }

    /// The automatic detector's tuning flags given, by name.
    private var tuningFlags: [String] {
        [("--sensitivity", sensitivity != nil), ("--history", history != nil), ("--history-span", historySpan != nil),
         ("--learning", learning != nil), ("--scales", scales != nil),
         ("--spike-margin", spikeMargin != nil), ("--spread-margin", spreadMargin != nil), ("--hold", hold != nil)]
            .filter(\.1).map(\.0)
    }

    /// The automatic detector's settings from the tuning flags. Each flag is
    /// checked by the library on its own, so its error names the flag.
    func automaticSettings() throws -> AutomaticSettings {
        var settings = AutomaticSettings.standard
        func apply(_ flag: String, _ text: String, _ change: (inout AutomaticSettings) -> Void) throws {
            var alone = AutomaticSettings.standard
            change(&alone)
            do {
                try alone.validate()
            } catch {
                throw ValidationError("\(flag) \(text): \(error.message)")
            }
            change(&settings)
        }
        if let sensitivity { try apply("--sensitivity", "\(sensitivity)") { $0.sensitivity = sensitivity } }
        if let history { try apply("--history", "\(history)") { $0.historyPoints = history } }
        if let historySpan {
            guard let span = DurationText.parseMilliseconds(historySpan) else {
                throw ValidationError("--history-span \(historySpan.debugDescription) is not a duration such as 12h, 42d or 8w")
            }
            try apply("--history-span", historySpan) { $0.historySpan = span }
        }
        if let learning {
            guard let span = learning == "0" ? 0 : DurationText.parseMilliseconds(learning) else {
                throw ValidationError("--learning \(learning.debugDescription) is not 0 or a duration such as 6h or 1d")
            }
            try apply("--learning", learning) { $0.learningSpan = span }
        }
        if let scales {
            let parts = scales.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let short = parts[0], let long = parts[1] else {
                throw ValidationError("--scales \(scales.debugDescription) is not two point counts SHORT,LONG such as 10,20")
            }
            guard short < long else { throw ValidationError("--scales \(scales): the short scale must be below the long one") }
            try apply("--scales", scales) { $0.shortScale = short; $0.longScale = long }
        }
        if let spikeMargin { try apply("--spike-margin", "\(spikeMargin)") { $0.spikeMargin = spikeMargin } }
        if let spreadMargin { try apply("--spread-margin", "\(spreadMargin)") { $0.spreadMargin = spreadMargin } }
        if let hold { try apply("--hold", "\(hold)") { $0.holdPoints = hold } }
        return settings
    }

    func anomalyOptions() throws -> AnomalyOptions {
        let windowLength = window.flatMap(DurationText.parseMilliseconds)
        let chosen: AnomalyDetector
        switch detector {
        case nil: chosen = .automatic(try automaticSettings())
        case .above: chosen = .above(threshold!)
        case .below: chosen = .below(threshold!)
        case .zscore: chosen = .zScore(window: windowLength ?? Milliseconds.day, threshold: threshold ?? 4)
        case .robust: chosen = .robust(window: windowLength ?? 21_600_000, threshold: threshold ?? 6)
        case .rate: chosen = .rateOfChange(perSecond: threshold!)
        case .flatline: chosen = .flatline(minimumDuration: windowLength!)
        case .silence: chosen = .silence(maximumGap: windowLength!)
        }
        var options = AnomalyOptions(detector: chosen, from: range.start, to: range.end)
        options.mergeGap = mergeGap.flatMap(DurationText.parseMilliseconds) ?? 0
        options.minimumDuration = minDuration.flatMap(DurationText.parseMilliseconds) ?? 0
        return options
    }

    func run() throws {
        try runReportingErrors {
            let database = try Store(at: store, mode: .readOnly)
            reportOpeningProblems(of: database)
            let options = try anomalyOptions()
            let keys = try DeviceSelection.series(in: database, devices: selection.device, metric: selection.metric)
            var output = StandardOutput()
            if scores {
                try Self.writeScores(of: keys, in: database, options: options, json: format == .json, to: &output)
                output.flush()
                return
            }
            // Many series are scanned on every core; the result keeps the selection's order.
            let found = Array(zip(keys, try database.anomalies(in: keys, options: options)))
            var rows: [WindowRow] = []
            for (key, windows) in found {
                let integer = database.valueType(device: key.device, metric: key.metric) == .int64
                for window in windows { rows.append(try WindowRow(key: key, window: window, integer: integer, options: options, store: database)) }
            }
            Self.write(rows, seriesCount: found.count, format: format, to: &output)
            output.flush()
            if let plot {
                guard let (key, windows) = found.first else { return }
                if found.count > 1 { printError("note: --plot draws the first series, \(key)") }
                try SeriesPlot.write(store: database, series: key, from: options.from, to: options.to, anomalies: windows,
                                     scores: options, to: plot)
            }
        }
    }

    static func write(_ rows: [WindowRow], seriesCount: Int, format: OutputFormat, to output: inout StandardOutput) {
        switch format {
        case .csv:
            output.line("device,metric,start_ms,end_ms,peak_ts_ms,peak,score,kind,points")
            for row in rows {
                let window = row.window
                output.line([CSVText.field(row.key.device), CSVText.field(row.key.metric), String(window.start), String(window.end),
                             String(window.peakTime), row.peak, NumberText.format(window.score), window.kind.rawValue,
                             String(window.points)].joined(separator: ","))
            }
        case .json:
            output.write("[")
            for (index, row) in rows.enumerated() {
                let window = row.window
                output.write(index == 0 ? "\n" : ",\n")
                output.write("{\"device\":\(JSONText.string(row.key.device)),\"metric\":\(JSONText.string(row.key.metric)),"
                             + "\"start_ms\":\(window.start),\"end_ms\":\(window.end),\"peak_ts_ms\":\(window.peakTime),"
                             + "\"peak\":\(row.jsonPeak),\"score\":\(JSONText.value(.float64(window.score))),"
                             + "\"kind\":\(JSONText.string(window.kind.rawValue)),\"points\":\(window.points),"
                             + "\"magnitude\":\(JSONText.value(.float64(window.magnitude)))}")
            }
            output.line("\n]")
        case .table:
            var table = TextTable(["device", "metric", "start (UTC)", "last point (UTC)", "duration", "peak at", "peak", "score", "kind", "points"],
                                  rightAligned: [4, 6, 7, 9])
            for row in rows {
                let window = row.window
                table.add([row.key.device, row.key.metric, TimeText.format(window.start), TimeText.format(row.lastPoint), row.duration,
                           TimeText.format(window.peakTime), row.peak, Format.fixed(window.score, 2), window.kind.rawValue, String(window.points)])
            }
            output.line(table.render())
            output.line("\(Format.count(rows.count)) window\(rows.count == 1 ? "" : "s") in \(seriesCount) series")
        }
    }

    /// Streams the score of every point of every series, in selection order then time order.
    static func writeScores(of keys: [SeriesKey], in store: Store, options: AnomalyOptions, json: Bool,
                            to output: inout StandardOutput) throws {
        if json { output.write("[") } else { output.line("device,metric,ts_ms,value,score") }
        var first = true
        for key in keys {
            let integer = store.valueType(device: key.device, metric: key.metric) == .int64
            let device = json ? JSONText.string(key.device) : CSVText.field(key.device)
            let metric = json ? JSONText.string(key.metric) : CSVText.field(key.metric)
            try store.anomalyScores(device: key.device, metric: key.metric, options: options) { point in
                let value = ValueText.number(point.value, integer: integer)
                if json {
                    output.write(first ? "\n" : ",\n")
                    first = false
                    let jsonValue = point.value.isFinite ? value : JSONText.string(value)
                    output.write("{\"device\":\(device),\"metric\":\(metric),\"ts_ms\":\(point.time),\"value\":\(jsonValue),"
                                 + "\"score\":\(JSONText.value(.float64(point.score)))}")
                } else {
                    output.line("\(device),\(metric),\(point.time),\(value),\(NumberText.format(point.score))")
                }
            }
        }
        if json { output.line(first ? "]" : "\n]") }
    }
}

/// One window as printed, with what its columns need from the store.
struct WindowRow {
    let key: SeriesKey
    let window: AnomalyWindow
    /// The peak at the series' own precision.
    let peak: String
    /// The peak as a JSON number (a string for NaN and infinities).
    let jsonPeak: String
    /// The time of the window's last point; for a window without points (a silence), its end.
    let lastPoint: Int64

    init(key: SeriesKey, window: AnomalyWindow, integer: Bool, options: AnomalyOptions, store: Store) throws {
        self.key = key
        self.window = window
        if integer {
            // The window holds the peak as a Double, exact within ±2^53; beyond, the point itself is read back.
            let exact = try Int64(exactly: window.peak).flatMap { $0.magnitude < 1 << 53 ? $0 : nil }
                ?? Self.integerValue(at: window.peakTime, of: key, in: store)
            peak = exact.map(String.init) ?? NumberText.format(window.peak)
            jsonPeak = exact.map(String.init) ?? JSONText.value(.float64(window.peak))
        } else {
            peak = NumberText.format(window.peak)
            jsonPeak = JSONText.value(.float64(window.peak))
        }
        lastPoint = try Self.lastPoint(of: window, key: key, options: options, store: store)
    }

    /// "1 point" for a window of one point, otherwise from its start to its last point.
    var duration: String {
        if window.points == 1 { return "1 point" }
        // A window over most of time lasts longer than an Int64 counts: shown as the longest.
        let (length, overflow) = lastPoint.subtractingReportingOverflow(window.start)
        return DurationText.describe(overflow ? .max : length)
    }

    private static func integerValue(at time: Int64, of key: SeriesKey, in store: Store) throws -> Int64? {
        let points = try store.query(device: key.device, metric: key.metric, from: time, to: time == .max ? .max : time + 1)
        guard let point = points.first, point.timestamp == time, case .int64(let value) = point.value else { return nil }
        return value
    }

    /// The window's last point: 1 ms before its end, except for a window without
    /// points (a silence ends at the point after the gap) and for a window that
    /// ends at `Int64.max`, which ends there whether its last point is at
    /// `Int64.max` or just before; the point at `Int64.max` is then judged again.
    private static func lastPoint(of window: AnomalyWindow, key: SeriesKey, options: AnomalyOptions, store: Store) throws -> Int64 {
        if window.points == 0 { return window.end }
        if window.end != .max { return window.end - 1 }
        if window.peakTime == .max { return .max }
        var last = Int64.max - 1
        var late = options
        late.from = .max
        late.to = .max
        try store.anomalyScores(device: key.device, metric: key.metric, options: late) { point in
            if point.time == .max && point.kind != nil { last = .max }
        }
        return last
    }
}

extension ValueText {
    /// An integer series' value as an integer when the Double holds one exactly;
    /// otherwise the shortest text that reads back as the same Double.
    static func number(_ value: Double, integer: Bool) -> String {
        if integer, let exact = Int64(exactly: value) { return String(exact) }
        return NumberText.format(value)
    }
}

enum DetectorArgument: String, ExpressibleByArgument, CaseIterable {
    case above, below, zscore, robust, rate, flatline, silence
}

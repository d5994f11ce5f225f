import ArgumentParser
import Strata

struct AnomaliesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies",
        abstract: "Find the windows of time in which series misbehave.",
        discussion: """
            Without --detector, the automatic detector runs: it learns each series' level,
            spread, sampling interval and repetition from the series itself and needs no
            --threshold or --window.

            Detectors (--detector):
              above, below   values beyond --threshold (the limit itself)
              zscore         more than --threshold standard deviations from the mean of the
                             trailing --window (default 1d, threshold 4)
              robust         more than --threshold robust deviations (IQR / 1.349) from the
                             median of the trailing --window (default 6h, threshold 6)

            The defaults were chosen on the labelled NAB data (tools/nab-eval --sweep):
            with them zscore hits 76% of the labelled windows and robust 89%, the same
            settings for every series.
              rate           changes faster than --threshold units per second
              flatline       the value unchanged for at least --window (a stuck sensor)
              silence        no point for longer than --window (the device went offline)

            Consecutive anomalous points form one window; --merge-gap also joins windows
            that close; --min-duration drops shorter blips. The series is streamed, so
            memory does not grow with the range.

            CSV columns: device,metric,start_ms,end_ms,peak_ts_ms,peak,score,points, with the
            window [start_ms, end_ms). JSON carries the same fields.
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

    @Option(help: "Join windows at most this far apart (default 0).")
    var mergeGap: String?

    @Option(help: "Drop windows shorter than this (default 0).")
    var minDuration: String?

    @OptionGroup var range: TimeRangeOptions

    @Option(help: "Output format: table, csv or json.")
    var format: OutputFormat = .table

    @Option(help: ArgumentHelp("Also draw the series with its anomaly windows shaded into this SVG file.", valueName: "file.svg"))
    var plot: String?

    mutating func validate() throws {
        for (name, value) in [("--window", window), ("--merge-gap", mergeGap), ("--min-duration", minDuration)] {
            if let value, DurationText.parseMilliseconds(value) == nil {
                throw ValidationError("\(name) \(value.debugDescription) is not a duration such as 30s, 15m, 1h or 1d")
            }
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
            return
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

    var options: AnomalyOptions {
        let windowLength = window.flatMap(DurationText.parseMilliseconds)
        let chosen: AnomalyDetector
        switch detector {
        case nil: chosen = .automatic(.standard)
        case .above: chosen = .above(threshold!)
        case .below: chosen = .below(threshold!)
        case .zscore: chosen = .zScore(window: windowLength ?? 86_400_000, threshold: threshold ?? 4)
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
            let options = self.options
            // Many series are scanned on every core; the result keeps the selection's order.
            let keys = try DeviceSelection.series(in: database, devices: selection.device, metric: selection.metric)
            let found = Array(zip(keys, try database.anomalies(in: keys, options: options)))
            var output = StandardOutput()
            switch format {
            case .csv:
                output.line("device,metric,start_ms,end_ms,peak_ts_ms,peak,score,points")
                for (key, windows) in found {
                    for window in windows {
                        output.line([CSVText.field(key.device), CSVText.field(key.metric), String(window.start), String(window.end),
                                     String(window.peakTime), NumberText.format(window.peak), NumberText.format(window.magnitude), String(window.points)].joined(separator: ","))
                    }
                }
            case .json:
                output.write("[")
                var first = true
                for (key, windows) in found {
                    for window in windows {
                        output.write(first ? "\n" : ",\n")
                        first = false
                        output.write("{\"device\":\(JSONText.string(key.device)),\"metric\":\(JSONText.string(key.metric)),\"start_ms\":\(window.start),\"end_ms\":\(window.end),\"peak_ts_ms\":\(window.peakTime),\"peak\":\(JSONText.value(.float64(window.peak))),\"score\":\(JSONText.value(.float64(window.magnitude))),\"points\":\(window.points)}")
                    }
                }
                output.line("\n]")
            case .table:
                var table = TextTable(["device", "metric", "start (UTC)", "end (UTC)", "duration", "peak at", "peak", "score", "points"], rightAligned: [4, 6, 7, 8])
                for (key, windows) in found {
                    for window in windows {
                        // A window over most of time lasts longer than an Int64 counts: shown as the longest.
                        let (duration, overflow) = window.end.subtractingReportingOverflow(window.start)
                        table.add([key.device, key.metric, TimeText.format(window.start), TimeText.format(window.end),
                                   DurationText.describe(overflow ? .max : duration), TimeText.format(window.peakTime),
                                   NumberText.format(window.peak), Format.fixed(window.magnitude, 2), String(window.points)])
                    }
                }
                output.line(table.render())
                let total = found.reduce(0) { $0 + $1.1.count }
                output.line("\(Format.count(total)) window\(total == 1 ? "" : "s") in \(found.count) series")
            }
            output.flush()
            if let plot {
                guard let (key, windows) = found.first else { return }
                if found.count > 1 { printError("note: --plot draws the first series, \(key)") }
                try SeriesPlot.write(store: database, series: key, from: options.from, to: options.to, anomalies: windows, to: plot)
            }
        }
    }
}

enum DetectorArgument: String, ExpressibleByArgument, CaseIterable {
    case above, below, zscore, robust, rate, flatline, silence
}

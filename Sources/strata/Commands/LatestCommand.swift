import ArgumentParser
import Strata

/// `strata latest`: the newest point of each selected series.
struct LatestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latest",
        abstract: "Print the newest point of each selected series.",
        discussion: """
            --device takes a name, a comma-separated list, or shell-style patterns \
            (`pump-*`, `pump-0[1-3]?`); without --metric every metric of each device is \
            printed. Series come in the order `strata downsample` lists them: the devices \
            as --device chose them, each device's metrics by name.

            The newest point is the last one `strata query` prints for the series over all \
            time: of several writes to one timestamp the last wins, deleted and expired \
            points are hidden, and points not yet flushed count. It is read from the \
            segment index (each chunk records its last timestamp and value) without \
            decoding, for any number of series at once. A series whose every point is \
            deleted or expired is left out.

            Values are printed exactly, as `strata query` prints them. CSV columns: \
            device,metric,ts_ms,value. --format json prints an array of objects; NaN and \
            infinities, which JSON cannot hold, appear as strings ("nan", "inf", "-inf", \
            "nan(0x…)").
            """
    )

    @Argument(help: "The store directory.")
    var store: String

    @OptionGroup var selection: SeriesSelectionOptions

    @Option(help: "Output format: table, csv or json.")
    var format: OutputFormat = .table

    func run() throws {
        try runReportingErrors {
            let database = try Store(at: store, mode: .readOnly)
            reportOpeningProblems(of: database)
            let series = try DeviceSelection.series(in: database, devices: selection.device, metric: selection.metric)
            let points = try database.latest(of: series).compactMap { $0 }
            var output = StandardOutput()
            write(points, to: &output)
            output.flush()
        }
    }

    private func write(_ points: [LatestPoint], to output: inout StandardOutput) {
        switch format {
        case .csv:
            output.line("device,metric,ts_ms,value")
            for point in points {
                output.line(CSVText.field(point.series.device) + "," + CSVText.field(point.series.metric) + ","
                    + String(point.timestamp) + "," + ValueText.exact(point.value))
            }
        case .json:
            output.write("[")
            for (index, point) in points.enumerated() {
                output.write(index == 0 ? "\n" : ",\n")
                output.write("{\"device\":\(JSONText.string(point.series.device)),\"metric\":\(JSONText.string(point.series.metric)),")
                output.write("\"type\":\"\(point.value.type)\",\"ts_ms\":\(point.timestamp),\"value\":\(JSONText.value(point.value))}")
            }
            output.line(points.isEmpty ? "]" : "\n]")
        case .table:
            var table = TextTable(["device", "metric", "ts_ms", "time (UTC)", "value"], rightAligned: [2, 4])
            for point in points {
                table.add([point.series.device, point.series.metric, String(point.timestamp), TimeText.format(point.timestamp), ValueText.exact(point.value)])
            }
            output.line(table.render())
            output.line("\(Format.count(points.count)) series")
        }
    }
}

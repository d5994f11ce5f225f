import ArgumentParser
import Strata

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Print the points of one series over a time range.",
        discussion: """
            Times (--from, --to) are epoch milliseconds (`1425168000000`) or RFC 3339 \
            (`2015-03-01T00:00:00Z`, `2015-03-01 08:00:00+08:00`, `2015-03-01`). The range is \
            [from, to): from included, to excluded; both default to everything. Write negative \
            milliseconds with an equals sign (`--from=-86400000`) so they are not read as an option.

            --format csv prints the same header as `strata ingest` reads, with values \
            written so that they parse back to the same bits, so `ingest` then \
            `query --format csv` gives back the input's points exactly. --format json \
            prints one object; NaN and infinities, which JSON cannot hold, appear as \
            strings ("nan", "inf", "-inf", "nan(0x…)").
            """
    )

    @Argument(help: "The store directory.")
    var store: String

    @Option(help: "The device, exactly as stored (no lists, patterns or escapes).")
    var device: String

    @Option(help: "The metric.")
    var metric: String

    @OptionGroup var range: TimeRangeOptions

    @Option(help: "Output format: table, csv or json.")
    var format: OutputFormat = .table

    mutating func validate() throws {
        try DeviceSelector.requireName(device, option: "--device")
        try DeviceSelector.requireName(metric, option: "--metric")
    }

    func run() throws {
        try runReportingErrors {
            let start = range.start, end = range.end
            let database = try Store(at: store, mode: .readOnly)
            reportOpeningProblems(of: database)
            guard database.valueType(device: device, metric: metric) != nil else {
                throw CommandError(message: "\(store): no series \(device)/\(metric); `strata inspect \(store)` lists the devices")
            }
            let points = try database.query(device: device, metric: metric, from: start, to: end)
            var output = StandardOutput()
            switch format {
            case .csv:
                output.line(LongCSVParser.header)
                let text = TextBuffer()
                ExportCommand.csvLayout(SeriesKey(device: device, metric: metric)).append(points, to: text)
                output.write(text.bytes)
            case .json:
                output.write("{\"device\":\(JSONText.string(device)),\"metric\":\(JSONText.string(metric)),\"type\":\"\(points.type?.description ?? "float64")\",\"points\":[")
                for (index, point) in points.enumerated() {
                    output.write(index == 0 ? "" : ",")
                    output.write("{\"ts_ms\":\(point.timestamp),\"value\":\(JSONText.value(point.value))}")
                }
                output.line("]}")
            case .table:
                var table = TextTable(["ts_ms", "time (UTC)", "value"], rightAligned: [0, 2])
                for point in points {
                    table.add([String(point.timestamp), TimeText.format(point.timestamp), ValueText.exact(point.value)])
                }
                output.line(table.render())
                output.line("\(Format.count(points.count)) point\(points.count == 1 ? "" : "s")")
            }
            output.flush()
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

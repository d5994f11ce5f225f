import ArgumentParser
import Foundation
import Strata

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write points to CSV, JSON Lines or Parquet for other tools.",
        discussion: """
            Every point of the selected series in [--from, --to) becomes one row \
            (device, metric, timestamp in ms, value), device by device, series by series, \
            in time order. DEST is a file; `-` writes CSV or JSON Lines to standard output.

            csv: the header device,metric,ts_ms,value that `strata ingest` reads, values \
            written so they parse back to the same bits (shortest round-trip decimal; \
            nan, inf, -inf, nan(0x…) for NaN payloads); Int64 series print as integers. \
            `strata export S out.csv --format csv` then `strata ingest T out.csv` copies a store's \
            Float64 series exactly; export Int64 series on their own (--metric) and ingest them \
            with --value-type int64.

            jsonl: one object a line, {"device":…,"metric":…,"ts":…,"value":…}. A finite \
            value is a JSON number (an Int64 series' value an integer, which JavaScript \
            reads exactly only up to 2^53); NaN and infinities, which JSON cannot hold, are \
            the strings "nan", "inf", "-inf" or "nan(0x…)" (as `strata query --format json`).

            parquet: columns device and metric (strings, dictionary-encoded), ts \
            (INT64 TIMESTAMP(MILLIS, UTC)), value (DOUBLE: Int64 points as the nearest \
            Double) and value_int (nullable INT64: the exact value of Int64 points, null \
            for Float64 points); zstd pages, row groups of up to 1,048,576 rows, column \
            statistics. --partition makes DEST a directory laid out as Hive does: \
            DEST/device=NAME/date=YYYY-MM-DD/part-0.parquet, one file per device and UTC \
            day (read it with DuckDB's read_parquet('DEST/**/*.parquet', \
            hive_partitioning=true)). In NAME, bytes other than ASCII letters, digits, \
            '-' and '_' (and '.' after the first character) are written %XX (uppercase \
            hex of each UTF-8 byte), so any name is one safe path component; a name too \
            long for one becomes a prefix, '~' and a hash. The file's own device column \
            and its strata.device metadata keep the exact name. Dates outside years \
            0000-9999 are ISO 8601 expanded: +10000-01-01, -0001-12-31. A symbolic link \
            found in DEST is an error: nothing is written outside it.

            Each file appears whole or not at all (written under a hidden temporary name \
            beside it, then renamed); a failed export leaves DEST as it was. A device or a \
            pipe (/dev/null, a named pipe) is written as a stream. A DEST inside the store \
            is refused (exit 2).

            --device takes a name, a comma-separated list, or patterns such as pump-* \
            (default: every device); --metric one metric (default: every metric).
            """
    )

    @Argument(help: "The store directory.")
    var store: String

    @Argument(help: "The output file, `-` for standard output (csv, jsonl), or a directory with --partition.")
    var destination: String

    @Option(help: "Output format: csv, jsonl or parquet.")
    var format: ExportFormat

    @Option(help: "\(DeviceSelector.help.abstract) Default: every device.")
    var device: String?

    @Option(help: "One metric (default: every metric of each device).")
    var metric: String?

    @OptionGroup var range: TimeRangeOptions

    @Flag(help: "Parquet only: write DEST/device=NAME/date=YYYY-MM-DD/part-0.parquet files.")
    var partition = false

    // Lets tests produce several row groups from a small store.
    @Option(help: .hidden)
    var rowsPerRowGroup: Int?

    mutating func validate() throws {
        try DeviceSelector.validate(devices: device, metric: metric)
        if partition && format != .parquet { throw ValidationError("--partition applies to --format parquet only") }
        if format == .parquet && destination == "-" { throw ValidationError("Parquet needs a file (or a directory with --partition), not standard output") }
        if let rowsPerRowGroup, rowsPerRowGroup <= 0 { throw ValidationError("--rows-per-row-group must be positive") }
    }

    func run() throws {
        try runReportingErrors {
            let started = Date()
            if destination != "-" {
                // Before anything is opened for writing: a segment or the manifest must never be truncated.
                do throws(StrataError) {
                    try ExportDestination.refuseInside(store: store, destination: destination)
                } catch {
                    throw CommandError(message: error.description, status: ExitStatus.badInput)
                }
            }
            let database = try Store(at: store, mode: .readOnly, create: false)
            reportOpeningProblems(of: database)
            let selected = try selectedSeries(in: database)
            let progress = ProgressBar(label: "export", unit: "series")
            var rows = 0, files = 0, bytes = 0
            switch format {
            case .csv, .jsonl:
                var sink = try ByteSink(path: destination)
                if format == .csv { try sink.write(LongCSVParser.header + "\n") }
                let layouts = selected.map(format == .csv ? Self.csvLayout : Self.jsonLinesLayout)
                // Series are read and formatted on every core, and written here in order.
                try database.writeTextRows(layouts, from: range.start, to: range.end) { done, text, count in
                    try sink.write(text)
                    rows += count
                    progress.update(done: done + 1, total: selected.count)
                }
                try sink.close()
                files = 1
                bytes = sink.byteCount
            case .parquet:
                var options = ParquetFileWriter.Options()
                if let rowsPerRowGroup { options.rowGroupRowLimit = rowsPerRowGroup }
                if partition {
                    (rows, files, bytes) = try writePartitions(selected, of: database, options: options, progress: progress)
                } else {
                    let writer = try ParquetFileWriter(path: destination, options: options)
                    for (done, key) in selected.enumerated() {
                        let points = try database.query(device: key.device, metric: key.metric, from: range.start, to: range.end)
                        try writer.append(points)
                        progress.update(done: done + 1, total: selected.count)
                    }
                    let summary = try writer.close()
                    (rows, files, bytes) = (summary.rowCount, 1, summary.byteCount)
                }
            }
            progress.finish()
            let seconds = Date().timeIntervalSince(started)
            let line = "exported \(Format.count(rows)) row\(rows == 1 ? "" : "s") of \(Format.count(selected.count)) series to "
                + "\(Format.count(files)) file\(files == 1 ? "" : "s"), \(Format.count(bytes)) bytes (\(Format.bytes(bytes))) in "
                + "\(Format.fixed(seconds, 3)) s, \(Format.count(Int(Double(rows) / max(seconds, 1e-9)))) rows/s"
            // Standard output may be the export itself; the summary then goes to standard error.
            if destination == "-" {
                _ = try? StandardStream.error.write(Array((line + "\n").utf8))
            } else {
                var output = StandardOutput()
                output.line(line)
                output.flush()
            }
        }
    }

    /// The series to export, device by device and metric by metric.
    private func selectedSeries(in database: Store) throws -> [SeriesKey] {
        var devices = database.devices()
        if let device {
            let (matched, unmatched) = try DeviceSelection.matching(device, in: database)
            for pattern in unmatched { printError("\(store): no device matches \(pattern.debugDescription); skipped") }
            devices = matched
        }
        // The catalog is read once and grouped by the device's bytes: asking per device
        // would read every segment's index once per device.
        let metricsByDevice = Dictionary(grouping: database.series().map(\.key), by: { Array($0.device.utf8) })
        var keys: [SeriesKey] = []
        for name in devices {
            for key in metricsByDevice[Array(name.utf8)] ?? [] where metric == nil || key.metric.utf8.elementsEqual(metric!.utf8) {
                keys.append(SeriesKey(device: name, metric: key.metric))
            }
        }
        if let metric, keys.isEmpty {
            throw CommandError(message: "\(store): no selected device has the metric \(metric.debugDescription)")
        }
        return keys
    }

    /// CSV rows `device,metric,ts_ms,value`: the names quoted when they hold a comma, a quote or a line break.
    static func csvLayout(_ key: SeriesKey) -> TextRowLayout {
        let prefix = CSVText.field(key.device) + "," + CSVText.field(key.metric) + ","
        return TextRowLayout(series: key, prefix: Array(prefix.utf8), separator: Array(",".utf8), suffix: Array("\n".utf8))
    }

    /// JSON Lines objects `{"device":…,"metric":…,"ts":…,"value":…}`; NaNs and infinities as strings.
    static func jsonLinesLayout(_ key: SeriesKey) -> TextRowLayout {
        let prefix = "{\"device\":" + JSONText.string(key.device) + ",\"metric\":" + JSONText.string(key.metric) + ",\"ts\":"
        return TextRowLayout(series: key, prefix: Array(prefix.utf8), separator: Array(",\"value\":".utf8),
                             suffix: Array("}\n".utf8), quotesNonFiniteValues: true)
    }

    /// Writes one Parquet file per device and UTC day under the destination
    /// directory; returns rows, files and bytes written.
    private func writePartitions(_ selected: [SeriesKey], of database: Store, options: ParquetFileWriter.Options,
                                 progress: ProgressBar) throws -> (Int, Int, Int) {
        let export = try PartitionedParquetExport(directory: destination, options: options, protectedDirectory: store)
        defer { export.close() }
        var index = 0
        while index < selected.count {
            // One device at a time: its series are read whole, then cut by day.
            let name = selected[index].device
            var series: [SeriesPoints] = []
            while index < selected.count && selected[index].device.utf8.elementsEqual(name.utf8) {
                series.append(try database.query(device: name, metric: selected[index].metric, from: range.start, to: range.end))
                index += 1
            }
            try export.write(device: name, series: series)
            progress.update(done: index, total: selected.count)
        }
        return (export.summary.rowCount, export.summary.fileCount, export.summary.byteCount)
    }
}

enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, jsonl, parquet
}

import ArgumentParser
import Foundation
import Strata

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load long CSV, wide CSV or InfluxDB line protocol files into a store.",
        discussion: """
            Each FILE is read in the --format given (long CSV by default); `-` reads \
            standard input, and files ending in `.zst` (or starting with a zstd frame) are \
            decompressed on the fly. The store is created when it does not exist.

            LONG CSV (--format long): one point a row, with the header \
            `device,metric,ts_ms,value`. Values are float64 unless --value-type int64.

            WIDE CSV (--format wide): one row per time, one column per metric, as \
            spreadsheets and loggers write it:
              timestamp,temperature,humidity
              2024-03-01T12:00:00Z,21.5,40
              2024-03-01T12:01:00Z,21.6,
            The time column is `timestamp` (--time-column to change it). The device is \
            --device NAME for the whole file, or the value of the column --device-column \
            NAME on each row. An empty cell means no reading and is skipped.

            In both CSV forms a time is epoch milliseconds (1709294400000) or RFC 3339 \
            (2024-03-01T12:00:00Z, 2024-03-01T14:00:00.250+02:00; a space may replace the \
            T; a zone-less time is UTC; digits beyond milliseconds are dropped). Records \
            follow RFC 4180: fields (the header's too) may be quoted with ", a "" inside \
            standing for one ", and a quoted field may hold commas and line breaks; an \
            error names the line where its record starts.

            NUMBERS, in every format: decimal only (no hexadecimal), an optional leading \
            + or -, an optional fraction and exponent (1, +1.5, .5, 2., -3e-2). A value \
            that would round to infinity (1e999) or, from non-zero digits, to zero \
            (1e-400) is malformed; subnormals (5e-324) are kept. CSV also takes inf, \
            -inf, nan and nan(0x...) (a NaN's 64 bits, as export writes it). Integers \
            and timestamps outside the Int64 range are malformed, never clamped.

            TEXT: input is UTF-8; a byte-order mark at the start is skipped. A device, \
            metric, measurement, field or tag name that is not valid UTF-8 makes its row \
            malformed. A line (a CSV record) longer than --max-line-bytes (64 MiB by \
            default) is malformed; reading stops there, so such a line never costs more \
            memory than the limit.

            LINE PROTOCOL (--format lp): InfluxDB line protocol as Telegraf and the \
            InfluxDB client libraries write it:
              weather,host=st7,site=n temp=21.5,rain=0i,door=f 1709294400000000000
            The device is the value of the tag --device-tag (default `host`); a line \
            without it, or with it twice, is an error. Each field is the metric `measurement.field` \
            (`weather.temp`), or the field key alone with --metric-name field. Other \
            tags are ignored, so lines that differ only in them (Telegraf's per-CPU \
            `cpu=cpu0`, `cpu=cpu1` lines) write to one series and overwrite each other; \
            --tags-in-metric keeps them apart by appending them to the metric name, \
            sorted by key: `cpu.usage_idle{cpu=cpu0}`. \
            Floats (1.5, -2, 1e3) are stored as float64, exactly as written; integers \
            (42i) and unsigned integers (42u, up to 9223372036854775807) as int64; \
            booleans (t, T, true, True, TRUE, f, F, false, False, FALSE) as int64 1 and \
            0. String fields ("text") are rejected, naming the field. Escapes follow \
            InfluxDB: `\\,` and `\\ ` in measurements; `\\,`, `\\=` and `\\ ` in tag keys, \
            tag values and field keys. Lines starting with # are comments, blank lines \
            are skipped. Timestamps are integers in --precision units (ns by default, as \
            InfluxDB) and are stored as milliseconds, rounded toward the past (two \
            points of a series in one millisecond: the later line wins). A line without \
            a timestamp is an error, unless --default-time now gives it the time the \
            command started. A field that is an integer on one line and a float on \
            another is an error naming both lines: a series has one value type.

            Every file is parsed before anything is stored. A malformed row is reported \
            as FILE:LINE: reason (line protocol: FILE:LINE:COLUMN: reason) and by \
            default nothing of any file is stored (exit status 2). With --skip-bad-rows \
            the good rows are stored and the bad ones are counted and the first few \
            listed.

            The points of all the files are then loaded into the store as one new \
            segment, sorted and encoded on every core, without the write-ahead log, and \
            are durable (fsynced) when the command reports them. Nothing is stored before \
            that: a failure or a crash stores none of the input, and ingesting it again \
            is safe. History that fits one compacted file goes straight to the \
            compaction windows it belongs in, so `strata compact` has nothing left to do. Long CSV is \
            read a 64 MiB window at a time; memory holds about 16 bytes a point for the \
            points being loaded. A store that another process is writing is refused \
            with that process's id.
            """
    )

    @Argument(help: "The store directory.")
    var store: String

    @Argument(help: "Files to load; `-` for standard input.")
    var files: [String]

    @Option(help: "The input format: long (device,metric,ts_ms,value CSV), wide (one CSV column per metric) or lp (InfluxDB line protocol).")
    var format: IngestFormat = .long

    @Flag(help: "Store the good rows of a file that has malformed ones, and report the bad ones.")
    var skipBadRows = false

    @Option(help: "Value type of the series in CSV files: float64 or int64 (line protocol values carry their own type).")
    var valueType: ValueTypeArgument = .float64

    @Option(help: ArgumentHelp("Wide CSV: the device of every row.", valueName: "name"))
    var device: String?

    @Option(help: ArgumentHelp("Wide CSV: the column that names each row's device.", valueName: "column"))
    var deviceColumn: String?

    @Option(help: ArgumentHelp("Wide CSV: the column that holds the time.", valueName: "column"))
    var timeColumn = "timestamp"

    @Option(help: "Line protocol: the unit of the timestamps, ns, us, ms or s.")
    var precision: PrecisionArgument = .ns

    @Option(help: ArgumentHelp("Line protocol: the tag whose value is the device.", valueName: "tag"))
    var deviceTag = "host"

    @Option(help: "Line protocol: metric names are measurement-field (`cpu.usage_idle`) or field (`usage_idle`).")
    var metricName: MetricNameArgument = .measurementField

    @Flag(help: "Line protocol: put the tags other than the device's into the metric name, sorted by key: `cpu.usage_idle{cpu=cpu0}`.")
    var tagsInMetric = false

    @Option(help: ArgumentHelp("Line protocol: the time of lines without a timestamp; only `now` (when the command started).", valueName: "now"))
    var defaultTime: String?

    @Option(help: ArgumentHelp("The most points a chunk holds in the segments this run writes (16...65536).", valueName: "n"))
    var pointsPerChunk = Configuration().pointsPerChunk

    @Option(help: ArgumentHelp("The longest line (CSV record) accepted, in bytes; 64 MiB by default. Reading stops at a longer one, so memory stays bounded.", valueName: "bytes"))
    var maxLineBytes = ImportLimits.defaultMaximumRecordBytes

    mutating func validate() throws {
        guard !files.isEmpty else { throw ValidationError("Give at least one FILE to ingest (or `-` for standard input).") }
        guard (16...65_536).contains(pointsPerChunk) else { throw ValidationError("--points-per-chunk must be in 16...65536") }
        guard maxLineBytes >= 1 else { throw ValidationError("--max-line-bytes must be at least 1") }
        // An empty name matches nothing: every row would be malformed for a reason far from the cause.
        let names: [(option: String, value: String?)] = [("--device-tag", deviceTag), ("--time-column", timeColumn), ("--device", device), ("--device-column", deviceColumn)]
        for (option, value) in names {
            if value?.isEmpty == true { throw ValidationError("\(option) must not be empty") }
        }
        if let defaultTime, defaultTime != "now" {
            throw ValidationError("--default-time takes only `now`; line protocol timestamps are otherwise required")
        }
        switch format {
        case .wide:
            guard (device == nil) != (deviceColumn == nil) else {
                throw ValidationError("--format wide needs the device: --device NAME for the whole file or --device-column NAME")
            }
        case .long, .lp:
            if device != nil || deviceColumn != nil {
                throw ValidationError("--device and --device-column are for --format wide; \(format == .lp ? "line protocol names the device with --device-tag" : "long CSV has a device column")")
            }
        }
    }

    /// Parses a long CSV file a window at a time (the input never whole in memory), adding its rows to `stage`.
    func parseStreamed(_ file: String, into stage: inout ImportStage) throws -> ImportResult {
        var input = try StreamedInput(file)
        defer { input.close() }
        var parser = LongCSVParser(valueType: valueType.type, skipsBadRows: skipBadRows)
        parser.maximumReportedErrors = 10
        parser.maximumRecordBytes = maxLineBytes
        // Decompressing a regular file costs a core: it runs beside the parse.
        parser.readsAhead = input.isCompressed && input.sizeHint != nil
        do {
            return try parser.parse(reading: &input, file: file, into: &stage)
        } catch let error as RowError where [ImportLimits.runawayLine(limit: maxLineBytes), ImportLimits.runawayLine(limit: maxLineBytes, what: "record")].contains(error.reason) {
            // The engine's words, with the option that raises the limit.
            let what = error.reason.hasPrefix("the line") ? "line" : "record"
            throw RowError(file: error.file, line: error.line,
                           reason: "the \(what) is longer than \(maxLineBytes) bytes, the limit (--max-line-bytes raises it); reading stopped there")
        }
    }

    /// Parses one file's bytes in the chosen format, adding its rows to `stage`.
    func parse(_ contents: [UInt8], file: String, now: Int64, into stage: inout ImportStage) throws -> ImportResult {
        let outcome = contents.withUnsafeBytes { bytes -> Result<ImportResult, RowError> in
            do throws(RowError) { return .success(try parse(bytes, file: file, now: now, into: &stage)) } catch { return .failure(error) }
        }
        let result = try outcome.get()
        // Rows the parser left to add: an input it had to parse in one piece.
        do throws(StrataError) { try stage.add(result.batch) } catch {
            throw StrataError(error.code, "\(file): \(error.message) (in an earlier input); nothing was stored")
        }
        return result
    }

    private func parse(_ bytes: UnsafeRawBufferPointer, file: String, now: Int64, into stage: inout ImportStage) throws(RowError) -> ImportResult {
        switch format {
        case .long:
            var parser = LongCSVParser(valueType: valueType.type, skipsBadRows: skipBadRows)
            parser.maximumReportedErrors = 10
            parser.maximumRecordBytes = maxLineBytes
            return try parser.parse(bytes, file: file, into: &stage)
        case .wide:
            var parser = WideCSVParser(device: device.map { .fixed($0) } ?? .column(deviceColumn!), timeColumn: timeColumn,
                                       valueType: valueType.type, skipsBadRows: skipBadRows)
            parser.maximumReportedErrors = 10
            parser.maximumRecordBytes = maxLineBytes
            return try parser.parse(bytes, file: file, into: &stage)
        case .lp:
            var parser = LineProtocolParser(precision: precision.precision, deviceTag: deviceTag, metricNaming: metricName.naming,
                                            skipsBadRows: skipBadRows)
            parser.defaultTimestamp = defaultTime == nil ? nil : now
            parser.tagsInMetric = tagsInMetric
            parser.maximumReportedErrors = 10
            parser.maximumLineBytes = maxLineBytes
            return try parser.parse(bytes, file: file, into: &stage)
        }
    }

    func run() throws {
        try runReportingErrors {
            let started = Date()
            let now = Int64((started.timeIntervalSince1970 * 1000).rounded(.down))
            // Every file is parsed into one stage before the store is touched: a bad row
            // anywhere stores nothing. The stage then goes into the store as one segment.
            var stage = ImportStage()
            var skipped = 0
            // At a terminal: a bar over the files while parsing.
            let parsing = ProgressBar(label: "parsing", unit: "files")
            for (index, file) in files.enumerated() {
                let result: ImportResult
                if format == .long {
                    result = try parseStreamed(file, into: &stage)
                } else {
                    let bytes = try InputReader.read(file, maximumLineBytes: maxLineBytes)
                    result = try parse(bytes, file: file, now: now, into: &stage)
                }
                parsing.update(done: index + 1, total: files.count, detail: "\(Format.count(stage.pointCount)) points")
                for error in result.errors { printError("skipped \(error)") }
                if result.badRowCount > result.errors.count {
                    printError("skipped \(result.badRowCount - result.errors.count) more bad rows in \(file)")
                }
                skipped += result.badRowCount
            }
            parsing.finish()
            let parsed = Date()
            var configuration = Configuration()
            configuration.pointsPerChunk = pointsPerChunk
            let database = try Store(at: store, configuration: configuration)
            reportOpeningProblems(of: database)
            let points = stage.pointCount
            do throws(StrataError) { try database.load(stage) } catch {
                // A failure before the segment is published stores nothing; one after it
                // (the manifest not durable) may keep it. Loading again overwrites with the same values.
                throw StrataError(error.code, error.message + "; the input's points may not be stored: ingesting it again is safe",
                                  path: error.path, offset: error.offset)
            }
            try database.close()
            let seconds = Date().timeIntervalSince(started)
            var output = StandardOutput()
            let rate = seconds > 0 ? Double(points) / seconds : 0
            output.line("ingested \(Format.count(points)) points from \(files.count) file\(files.count == 1 ? "" : "s") in \(Format.seconds(seconds)) (\(Format.rate(rate)) points/s; parsing \(Format.seconds(parsed.timeIntervalSince(started))))")
            if skipped > 0 { output.line("skipped \(Format.count(skipped)) bad row\(skipped == 1 ? "" : "s")") }
            output.flush()
        }
    }
}

/// A value type named on the command line.
enum ValueTypeArgument: String, ExpressibleByArgument, CaseIterable {
    case float64, int64
    var type: ValueType { self == .float64 ? .float64 : .int64 }
}

/// The input formats `ingest` reads.
enum IngestFormat: String, ExpressibleByArgument, CaseIterable {
    case long, wide, lp
}

/// A line protocol timestamp unit named on the command line.
enum PrecisionArgument: String, ExpressibleByArgument, CaseIterable {
    case ns, us, ms, s
    var precision: LineProtocolParser.Precision { LineProtocolParser.Precision(rawValue: rawValue)! }
}

/// How line protocol metrics are named, on the command line.
enum MetricNameArgument: String, ExpressibleByArgument, CaseIterable {
    case measurementField = "measurement-field", field
    var naming: LineProtocolParser.MetricNaming { LineProtocolParser.MetricNaming(rawValue: rawValue)! }
}

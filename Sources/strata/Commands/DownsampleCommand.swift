import ArgumentParser
import Strata

import Glibc

struct DownsampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "downsample",
        abstract: "Summarize series in time buckets: min, max, mean, sum, count, first, last, stddev, percentiles, counters.",
        discussion: """
            --device takes a name, a comma-separated list, or shell-style patterns \
            (`pump-*`, `pump-0[1-3]?`); without --metric every metric of each device is \
            summarized. Buckets are [start, start + step) and aligned to the Unix epoch \
            (a 1d step starts at midnight UTC) unless --align from is given. Empty buckets \
            are left out unless --empty is given; then they are printed as they are made, \
            at most 10,000,000 buckets (more is refused with exit status 2), and --fill \
            says what they hold: nothing (none), the previous bucket's values (previous), \
            values interpolated between the buckets around them (linear), or a number. \
            Their count stays 0. Without --to the range has no end: a point at the largest \
            timestamp is included.

            --group-by series (the default) summarizes each series on its own; metric \
            merges every selected device into one series per metric, and all merges \
            everything selected into one. A merged row names the --device argument as its \
            device and the metric (or `*` for all) as its metric. Merging Int64 with \
            Float64 series makes the group Float64 (each integer as the nearest double).

            Chunks that lie wholly inside one bucket are answered from the statistics \
            stored in the segment index, without decoding; --decode-all turns that off \
            (for verification and measurement). NaN values count in `count` and may be \
            `first` or `last`; the other aggregates ignore them. stddev is the population \
            standard deviation. The sum of an Int64 series is exact (128-bit) and printed \
            as an integer; its mean is computed from that exact sum.

            Percentiles (p50, p90, p95, p99, any pNN or pNN.N) are exact: the values of a \
            bucket sorted, linearly interpolated between the two closest ranks (DuckDB's \
            quantile_cont, NumPy's default). They need every value of a bucket in memory at \
            once, so memory grows with the largest bucket (8 bytes a value), never with the \
            range; chunks are then decoded instead of answered from statistics. increase is \
            how much a counter rose in the bucket, each point counted from the point before \
            it (the previous bucket's last point included), a drop read as a counter reset \
            as Prometheus reads it; nothing is extrapolated, so the increases of a range's \
            buckets add up to its total. rate is increase per second of bucket width.

            CSV columns: device,metric,ts_ms and one column per aggregate, in the order \
            given, with ts_ms the bucket start. An aggregate with no value (the mean of a \
            bucket of NaNs, or an empty bucket) is an empty field in CSV and null in JSON.
            """
    )

    @Argument(help: "The store directory.")
    var store: String

    @OptionGroup var selection: SeriesSelectionOptions

    @Option(help: "Bucket width: 500ms, 30s, 15m, 1h, 1d, 1w ...")
    var step: String

    @Option(help: "Aggregates, comma-separated: min,max,mean,sum,count,first,last,stddev,increase,rate and percentiles pNN or pNN.N (p50, p95, p99.9).")
    var agg = "min,max,mean,count"

    @OptionGroup var range: TimeRangeOptions

    @Option(help: "Bucket alignment: epoch or from.")
    var align: AlignmentArgument = .epoch

    @Option(help: ArgumentHelp("Begin buckets of whole days at local midnight in this IANA zone (Europe/Berlin), from the system's tz database.", valueName: "Area/City"))
    var tz: String?

    @Option(help: "What each output row summarizes: series, metric (every selected device merged per metric) or all.")
    var groupBy: GroupingArgument = .series

    @Flag(help: "Also print buckets without points (count 0).")
    var empty = false

    @Option(help: ArgumentHelp("With --empty, what empty buckets hold: none, previous, linear or a number.", valueName: "fill"))
    var fill = "none"

    @Flag(help: "Decode every chunk instead of using chunk statistics.")
    var decodeAll = false

    @Option(help: "Output format: table, csv or json.")
    var format: OutputFormat = .table

    @Option(help: ArgumentHelp("Also draw the first series into this SVG file.", valueName: "file.svg"))
    var plot: String?

    var aggregates: [Aggregate] { agg.split(separator: ",").compactMap { Aggregate(rawValue: String($0)) } }

    /// `--fill` as the library takes it; nil when it is not a fill.
    var bucketFill: BucketFill? {
        switch fill {
        case "none": return BucketFill.none
        case "previous": return .previous
        case "linear": return .linear
        default:
            guard let number = Double(fill), !number.isNaN else { return nil }
            return .value(number)
        }
    }

    mutating func validate() throws {
        guard DurationText.parseMilliseconds(step) != nil else {
            throw ValidationError("--step \(step.debugDescription) is not a duration such as 30s, 15m, 1h or 1d")
        }
        let names = Aggregate.namedCases.map(\.rawValue).joined(separator: ",") + ",pNN"
        guard !agg.isEmpty else { throw ValidationError("--agg is empty; choose from \(names)") }
        for name in agg.split(separator: ",", omittingEmptySubsequences: false) where name.isEmpty {
            throw ValidationError("--agg \(agg.debugDescription) has an empty name (two commas in a row, or a comma at an end)")
        }
        for name in agg.split(separator: ",") where Aggregate(rawValue: String(name)) == nil {
            let hint = name.hasPrefix("p") ? " (a percentile is p and a level from 0 to 100 with at most 3 decimals: p95, p99.9)" : ""
            throw ValidationError("unknown aggregate \(String(name).debugDescription)\(hint); choose from \(names)")
        }
        if align == .from && range.from == nil { throw ValidationError("--align from needs --from") }
        guard bucketFill != nil else {
            throw ValidationError("--fill \(fill.debugDescription) is not none, previous, linear or a number")
        }
        if fill != "none" && !empty { throw ValidationError("--fill fills empty buckets: it needs --empty") }
        if let tz {
            do {
                _ = try TimeZoneRules(identifier: tz)
            } catch {
                throw ValidationError("--tz: \(error.message)")
            }
            if DurationText.parseMilliseconds(step)! % Milliseconds.day != 0 {
                throw ValidationError("--tz begins buckets at local midnight: --step must be whole days (1d, 7d, 1w), not \(step)")
            }
            if align == .from { throw ValidationError("--tz begins buckets at local midnight: it cannot be used with --align from") }
        }
    }

    func run() throws {
        try runReportingErrors {
            let database = try Store(at: store, mode: .readOnly)
            reportOpeningProblems(of: database)
            var options = DownsampleOptions(step: DurationText.parseMilliseconds(step)!,
                                            from: range.start, to: range.end)
            options.alignment = align == .epoch ? .epoch : .from
            options.includesEmptyBuckets = empty
            options.usesChunkStatistics = !decodeAll
            options.aggregates = aggregates
            // The command prints the aggregates listed and nothing else.
            options.computesOnlyListedAggregates = true
            options.fill = bucketFill ?? .none
            options.timeZone = try tz.map { try TimeZoneRules(identifier: $0) }
            let series = try DeviceSelection.series(in: database, devices: selection.device, metric: selection.metric)
            let requests = self.requests(for: series)
            var output = StandardOutput()
            do {
                if format == .csv {
                    // Every core summarizes and formats; rows are written here in request order.
                    output.line((["device", "metric", "ts_ms"] + aggregates.map(\.rawValue)).joined(separator: ","))
                    let rows = DownsampleCSVRows(aggregates: aggregates)
                    try database.downsample(requests, options: options, transform: rows.format) { _, text in
                        output.write(text.bytes)
                    }
                } else {
                    var results: [DownsampleResult] = []
                    try database.downsample(requests, options: options, transform: { $0 }) { _, result in results.append(result) }
                    write(results, to: &output)
                }
            } catch let error as StrataError where error.code == .invalidArgument {
                // Too many empty buckets for the range and step: the request, not the store, is at fault.
                throw CommandError(message: error.description, status: ExitStatus.badInput)
            }
            output.flush()
            if let plot, let first = series.first {
                if series.count > 1 { printError("note: --plot draws the first series, \(first)") }
                try SeriesPlot.write(store: database, series: first, from: options.from, to: options.to, anomalies: [], to: plot)
            }
        }
    }

    /// One request per series, or per group of series with --group-by.
    private func requests(for series: [SeriesKey]) -> [DownsampleRequest] {
        switch groupBy {
        case .series:
            return series.map(DownsampleRequest.series)
        case .all:
            return [.group(series, as: SeriesKey(device: selection.device, metric: "*"))]
        case .metric:
            var metrics: [String] = []
            var members: [String: [SeriesKey]] = [:]
            for key in series {
                if members[key.metric] == nil { metrics.append(key.metric) }
                members[key.metric, default: []].append(key)
            }
            metrics.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return metrics.map { .group(members[$0]!, as: SeriesKey(device: selection.device, metric: $0)) }
        }
    }

    private func write(_ results: [DownsampleResult], to output: inout StandardOutput) {
        let aggregates = self.aggregates
        func text(_ bucket: Bucket, _ aggregate: Aggregate) -> String? {
            bucket.value(aggregate)?.description
        }
        // For people: computed numbers (mean, Float64 sum, deviation, interpolated percentiles, rates)
        // to seven significant digits; stored values and exact integers in full. CSV and JSON keep every bit.
        func tableText(_ bucket: Bucket, _ aggregate: Aggregate) -> String? {
            switch (aggregate, bucket.value(aggregate)) {
            case (_, nil): nil
            case (_, .integer(let value)?): AggregateValue.integer(value).description
            case (.min, _), (.max, _), (.first, _), (.last, _): text(bucket, aggregate)
            case (_, .float(let value)?): Format.readable(value)
            }
        }
        switch format {
        case .csv:
            break  // written in parallel by run()
        case .json:
            output.write("[")
            var firstRow = true
            for result in results {
                for bucket in result.buckets {
                    output.write(firstRow ? "\n" : ",\n")
                    firstRow = false
                    var fields = ["\"device\":\(JSONText.string(result.series.device))", "\"metric\":\(JSONText.string(result.series.metric))", "\"ts_ms\":\(bucket.start)"]
                    for aggregate in aggregates {
                        let value: String
                        switch bucket.value(aggregate) {
                        case nil: value = "null"
                        case .integer(let number)?: value = AggregateValue.integer(number).description
                        case .float(let number)?: value = JSONText.value(.float64(number))
                        }
                        fields.append("\"\(aggregate.rawValue)\":\(value)")
                    }
                    output.write("{" + fields.joined(separator: ",") + "}")
                }
            }
            output.line("\n]")
        case .table:
            // Streamed: with --empty the rows may number millions, made as they are printed.
            let table = StreamedTable(headers: ["device", "metric", "bucket (UTC)"] + aggregates.map(\.rawValue), rightAligned: Set(3..<(3 + aggregates.count)))
            table.write(to: &output) { emit in
                for result in results {
                    for bucket in result.buckets {
                        emit([result.series.device, result.series.metric, TimeText.format(bucket.start)] + aggregates.map { tableText(bucket, $0) ?? "-" })
                    }
                }
            }
            var buckets = 0, statistics = 0, decoded = 0
            for result in results {
                buckets += result.buckets.count
                statistics += result.chunksFromStatistics
                decoded += result.chunksDecoded
            }
            output.line("\(Format.count(buckets)) bucket\(buckets == 1 ? "" : "s") from \(results.count) series; \(Format.count(statistics)) chunk\(statistics == 1 ? "" : "s") answered from statistics, \(Format.count(decoded)) decoded")
            // At a terminal, each series' bucket means as a sparkline, with its range.
            if standardOutputIsTerminal {
                let names = results.map { $0.series.description }
                let nameWidth = names.map(\.count).max() ?? 0
                for (result, name) in zip(results, names) where result.buckets.count > 1 {
                    let means = result.buckets.map(\.mean)
                    let line = Sparkline.draw(means)
                    guard !line.isEmpty else { continue }
                    let finite = means.compactMap { $0 }.filter(\.isFinite)
                    let range = "\(Format.readable(finite.min() ?? .nan)) … \(Format.readable(finite.max() ?? .nan))"
                    output.line(name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  " + line + "  " + range)
                }
            }
        }
    }
}

enum AlignmentArgument: String, ExpressibleByArgument, CaseIterable {
    case epoch, from
}

/// The CSV rows of one downsampling result, formatted into bytes on a worker
/// thread: `device,metric,ts_ms` and each aggregate, an undefined one empty.
struct DownsampleCSVRows: Sendable {
    let aggregates: [Aggregate]

    /// The result's rows as one block of text.
    func format(_ result: DownsampleResult) -> TextBuffer {
        let prefix = Array((CSVText.field(result.series.device) + "," + CSVText.field(result.series.metric) + ",").utf8)
        // Room for every row at a guess of 24 bytes an aggregate, so the buffer rarely grows (and copies) on the way.
        let text = TextBuffer(capacity: min(result.buckets.count * (prefix.count + 22 + 24 * aggregates.count), 1 << 24))
        let buckets = result.buckets
        for position in buckets.indices {
            text.append(prefix)
            text.append(buckets.start(at: position))
            for aggregate in aggregates {
                text.append(UInt8(ascii: ","))
                switch buckets.value(aggregate, at: position) {
                case nil: break
                case .float(let number)?: text.append(number)
                case .integer(let number)?:
                    if let small = Int64(exactly: number) { text.append(small) } else { text.append(number) }
                }
            }
            text.append(UInt8(ascii: "\n"))
        }
        return text
    }
}

/// `--group-by`: what one output row summarizes.
enum GroupingArgument: String, ExpressibleByArgument, CaseIterable {
    case series, metric, all
}

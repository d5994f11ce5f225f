import ArgumentParser
import Strata

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a store holds and where its bytes go.",
        discussion: """
            Without --segment: the store's segments, devices, series and points, the bytes \
            on disk and bytes per point, and how they split between timestamps, values \
            (per encoding), index and headers. Bits per timestamp count each stored time \
            column once: metrics of a device that share timestamps share one column.

            With --segment FILE (a path, or a file name inside the store's segments \
            folder): the segment chunk by chunk, with time range, point count, encoding, \
            size and the statistics kept for each value chunk.
            """
    )

    @Argument(help: "The store directory.")
    var store: String

    @Option(help: "Show this segment chunk by chunk.")
    var segment: String?

    func run() throws {
        try runReportingErrors {
            let database = try Store(at: store, mode: .readOnly)
            var output = StandardOutput()
            reportOpeningProblems(of: database)
            if let segment {
                let path = segment.contains("/") ? segment : database.directory + "/segments/" + segment
                try describe(segment: SegmentFile(path: path), to: &output)
            } else {
                describe(store: database, to: &output)
            }
            output.flush()
        }
    }

    private func describe(store database: Store, to output: inout StandardOutput) {
        let segments = database.segments()
        var usage = ByteUsage()
        var rows = TextTable(["segment", "level", "rank", "devices", "series", "points", "bytes", "bytes/point", "from", "to"], rightAligned: [2, 3, 4, 5, 6, 7])
        for segment in segments {
            var segmentUsage = ByteUsage()
            segmentUsage.add(segment)
            usage.add(segment)
            let name = segment.path.split(separator: "/").last.map(String.init) ?? segment.path
            rows.add([
                name, segment.window.description, String(segment.rank), Format.count(segment.deviceCount), Format.count(segment.seriesCount),
                Format.count(segmentUsage.points), Format.count(segment.byteCount),
                segmentUsage.points > 0 ? Format.fixed(Double(segment.byteCount) / Double(segmentUsage.points)) : "-",
                segmentUsage.minTime.map(TimeText.format) ?? "-", segmentUsage.maxTime.map(TimeText.format) ?? "-",
            ])
        }
        let series = database.series()
        let devices = Set(series.map(\.key.device))
        output.line("Store \(database.directory)")
        output.line("  segments  \(Format.count(segments.count))")
        output.line("  devices   \(Format.count(devices.count))")
        output.line("  series    \(Format.count(series.count))")
        output.line("  points    \(Format.count(usage.points)) in segments")
        let total = usage.totalBytes
        output.line("  on disk   \(Format.bytes(total)) in segments" + (usage.points > 0 ? ", \(Format.fixed(Double(total) / Double(usage.points), 3)) bytes/point (raw: 16)" : ""))
        let log = database.recovery
        let deletions = database.pendingDeletions
        if !deletions.isEmpty {
            output.line("  deletions \(Format.count(deletions.count)) pending (applied by the next `strata compact`)")
        }
        output.line("  log       \(Format.count(log.files)) write-ahead log file\(log.files == 1 ? "" : "s"), \(Format.count(log.records)) records, \(Format.count(log.points)) points not yet in a segment, \(Format.bytes(log.bytes))"
            + (log.points > 0 ? " (\(Format.fixed(Double(log.bytes) / Double(log.points), 1)) bytes/point)" : ""))
        guard usage.points > 0 else { return }
        output.line()
        output.line("Where the bytes go")
        var split = TextTable(["part", "chunks", "values", "bytes", "share", "bits/value", "bits/point"], rightAligned: [1, 2, 3, 4, 5, 6])
        let points = Double(usage.points)
        for (name, part) in usage.parts.sorted(by: { $0.key < $1.key }) {
            split.add([
                name, Format.count(part.chunks), Format.count(part.values), Format.count(part.bytes),
                Format.fixed(100 * Double(part.bytes) / Double(total), 1) + "%",
                Format.fixed(Double(part.bytes * 8) / Double(max(1, part.values))),
                Format.fixed(Double(part.bytes * 8) / points, 3),
            ])
        }
        split.add(["index (chunk entries, statistics)", "", "", Format.count(usage.indexBytes),
                   Format.fixed(100 * Double(usage.indexBytes) / Double(total), 1) + "%", "", Format.fixed(Double(usage.indexBytes * 8) / points, 3)])
        split.add(["headers and footers", "", "", Format.count(usage.frameBytes),
                   Format.fixed(100 * Double(usage.frameBytes) / Double(total), 1) + "%", "", Format.fixed(Double(usage.frameBytes * 8) / points, 3)])
        split.add(["total", "", "", Format.count(total), "100.0%", "", Format.fixed(Double(total * 8) / points, 3)])
        output.line(split.render(indent: "  "))
        output.line()
        output.line("  bits per timestamp: \(Format.fixed(Double(usage.timeBytes * 8) / Double(max(1, usage.storedTimestamps)), 3)) per stored timestamp, \(Format.fixed(Double(usage.timeBytes * 8) / points, 3)) per point (\(Format.count(usage.storedTimestamps)) timestamps stored for \(Format.count(usage.points)) points)")
        output.line("  bits per value:     \(Format.fixed(Double(usage.valueBytes * 8) / points, 3))")
        output.line()
        output.line("Segments")
        output.line(rows.render(indent: "  "))
    }

    private func describe(segment: SegmentFile, to output: inout StandardOutput) throws {
        let chunks = segment.chunkDescriptions()
        var usage = ByteUsage()
        usage.add(segment)
        output.line("Segment \(segment.path)")
        output.line("  format version  \(segment.version)")
        output.line("  bytes           \(Format.count(segment.byteCount)) (index \(Format.count(segment.indexByteCount)))")
        output.line("  devices         \(Format.count(segment.deviceCount))")
        output.line("  series          \(Format.count(segment.seriesCount))")
        output.line("  points          \(Format.count(usage.points))")
        if usage.points > 0 {
            output.line("  bytes/point     \(Format.fixed(Double(segment.byteCount) / Double(usage.points), 3))")
        }
        output.line()
        var table = TextTable(
            ["device", "column", "grp", "offset", "bytes", "codec", "points", "bits/pt", "from", "to", "min", "max", "mean", "first", "last"],
            rightAligned: [2, 3, 4, 6, 7, 10, 11, 12, 13, 14])
        for chunk in chunks {
            let column: String
            switch chunk.column {
            case .time: column = "(time)"
            case .value(let metric, let type): column = "\(metric) [\(type)]"
            }
            var mean = ""
            if let sum = chunk.sum, chunk.pointCount > 0 {
                mean = NumberText.format(sum / Double(chunk.pointCount))
            }
            table.add([
                chunk.device, column, String(chunk.group), String(chunk.offset), Format.count(chunk.byteCount), chunk.codec,
                Format.count(chunk.pointCount), Format.fixed(Double(chunk.byteCount * 8) / Double(chunk.pointCount)),
                TimeText.format(chunk.minTime), TimeText.format(chunk.maxTime),
                chunk.minimum.map(ValueText.exact) ?? "", chunk.maximum.map(ValueText.exact) ?? "", mean,
                chunk.first.map(ValueText.exact) ?? "", chunk.last.map(ValueText.exact) ?? "",
            ])
        }
        output.line(table.render())
        let problems = segment.verifyChunks()
        output.line()
        if problems.isEmpty {
            output.line("All \(Format.count(chunks.count)) chunks pass their checksums and decode.")
        } else {
            for problem in problems { output.line("DAMAGED \(segment.path) \(problem)") }
            // The table and the problems are printed before the failure is reported.
            output.flush()
            throw CommandError(message: "\(segment.path): \(problems.count) damaged chunk\(problems.count == 1 ? "" : "s") or index entr\(problems.count == 1 ? "y" : "ies"), first at offset \(problems[0].offset)")
        }
    }
}

/// Bytes of segments by part, for the inspect summary.
struct ByteUsage {
    struct Part { var chunks = 0; var values = 0; var bytes = 0 }
    var parts: [String: Part] = [:]
    var points = 0
    var storedTimestamps = 0
    var timeBytes = 0
    var valueBytes = 0
    var indexBytes = 0
    var frameBytes = 0
    var minTime: Int64?
    var maxTime: Int64?

    var totalBytes: Int { timeBytes + valueBytes + indexBytes + frameBytes }

    mutating func add(_ segment: SegmentFile) {
        var chunkBytes = 0
        for chunk in segment.chunkDescriptions() {
            let name: String
            switch chunk.column {
            case .time:
                name = "timestamps: \(chunk.codec)"
                storedTimestamps += chunk.pointCount
                timeBytes += chunk.byteCount
                minTime = min(minTime ?? chunk.minTime, chunk.minTime)
                maxTime = max(maxTime ?? chunk.maxTime, chunk.maxTime)
            case .value(_, let type):
                name = "values \(type): \(chunk.codec)"
                points += chunk.pointCount
                valueBytes += chunk.byteCount
            }
            chunkBytes += chunk.byteCount
            parts[name, default: Part()].chunks += 1
            parts[name, default: Part()].values += chunk.pointCount
            parts[name, default: Part()].bytes += chunk.byteCount
        }
        indexBytes += segment.indexByteCount
        frameBytes += segment.byteCount - segment.indexByteCount - chunkBytes
    }
}

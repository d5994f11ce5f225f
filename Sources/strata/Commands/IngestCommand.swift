import ArgumentParser
import Foundation
import Strata

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load long CSV files (device,metric,ts_ms,value) into a store.",
        discussion: """
            Each FILE is long CSV with the header `device,metric,ts_ms,value`; `-` reads \
            standard input, and files ending in `.zst` (or starting with a zstd frame) are \
            decompressed on the fly. The store is created when it does not exist.

            Every file is parsed before anything is stored. A malformed row is reported \
            with its file, line and reason, and by default nothing of any file is stored \
            (exit status 2). With --skip-bad-rows the good rows are stored and the bad \
            ones are counted and the first few listed.

            Each file's points go through the write-ahead log as one batch and are \
            durable (fsynced) when the command reports them; they are flushed into a \
            segment before it returns. A store that another process is writing is \
            refused with that process's id.
            """
    )

    @Argument(help: "The store directory.")
    var store: String

    @Argument(help: "CSV files to load; `-` for standard input.")
    var files: [String]

    @Flag(help: "Store the good rows of a file that has malformed ones, and report the bad ones.")
    var skipBadRows = false

    @Option(help: "Value type of the series in these files: float64 or int64.")
    var valueType: ValueTypeArgument = .float64

    @Option(help: ArgumentHelp("The most points a chunk holds in the segments this run writes (16...65536).", valueName: "n"))
    var pointsPerChunk = Configuration().pointsPerChunk

    mutating func validate() throws {
        guard !files.isEmpty else { throw ValidationError("Give at least one FILE to ingest (or `-` for standard input).") }
        guard (16...65_536).contains(pointsPerChunk) else { throw ValidationError("--points-per-chunk must be in 16...65536") }
    }

    func run() throws {
        try runReportingErrors {
            let started = Date()
            var parser = LongCSVParser(valueType: valueType.type, skipsBadRows: skipBadRows)
            parser.maximumReportedErrors = 10
            var batches: [WriteBatch] = []
            var skipped = 0
            for file in files {
                let bytes = try InputReader.read(file)
                let result = try parser.parse(bytes, file: file)
                for error in result.errors { printError("skipped \(error)") }
                if result.badRowCount > result.errors.count {
                    printError("skipped \(result.badRowCount - result.errors.count) more bad rows in \(file)")
                }
                skipped += result.badRowCount
                batches.append(result.batch)
            }
            let parsed = Date()
            var configuration = Configuration()
            configuration.pointsPerChunk = pointsPerChunk
            let database = try Store(at: store, configuration: configuration)
            reportOpeningProblems(of: database)
            // Refuse before storing anything if a series exists with the other value type.
            for batch in batches { try database.checkTypes(of: batch) }
            var points = 0
            for batch in batches {
                try database.append(batch)
                points += batch.count
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

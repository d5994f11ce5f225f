import ArgumentParser
import Foundation
import Strata

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Keep a Parquet lake in step with a store, rewriting only the partitions that changed.",
        discussion: """
            DEST is laid out as Hive partitions, one file per store in each: \
            DEST/device=NAME/date=YYYY-MM-DD/part-ID.parquet, where ID is the store's identity \
            (the STRATA.id file; `month=YYYY-MM` or `year=YYYY` with --granularity). Spark, \
            DuckDB (read_parquet('DEST/*/*/*.parquet', hive_partitioning=true)) and Trino read \
            it as one table with the columns of `strata export --format parquet` and the \
            partition columns. Device names are escaped as `export --partition` escapes them.

            The first sync writes every partition. Each later one finds, from the store's \
            index and its own state, the partitions whose points may have changed (new or \
            late points, deletions, retention) and rewrites those whose rows did change: \
            its cost grows with what changed, not with the store. A partition's new file is \
            written under a hidden name and renamed over the old one, so a reader sees the \
            old day or the new, never half; a partition left without points loses its file.

            Several stores (the shards of a fleet) may sync into one lake: each writes and \
            removes only its own part-ID.parquet files, and the lake is the union of their \
            points. The sync state lives in DEST/_strata_sync/ (names starting with _ or . \
            are skipped by Spark, DuckDB and Trino). A sync may be stopped at any moment \
            (Ctrl-C, a crash, a full disk): run it again and the lake equals a full export. \
            The store is opened read-only: a sync runs beside a writer.

            --device takes a name, a comma-separated list or patterns such as pump-* \
            (default: every device); the lake remembers it and the granularity, and refuses \
            a later sync of the same store with others (use another DEST). DEST inside the \
            store, or a DEST holding files no sync wrote (an `export --partition`'s \
            part-0.parquet among them: a partition would count points twice), is refused \
            (exit 2).
            """
    )

    @Argument(help: "The store directory.")
    var store: String

    @Argument(help: "The lake directory (created if missing).")
    var destination: String

    @Option(help: "\(DeviceSelector.help.abstract) Default: every device.")
    var device: String?

    @Option(help: ArgumentHelp("How much time one partition holds: day, month or year.", valueName: "granularity"))
    var granularity: LakeGranularity = .day

    // Lets tests produce several row groups from a small store.
    @Option(help: .hidden)
    var rowsPerRowGroup: Int?

    mutating func validate() throws {
        if store.isEmpty || destination.isEmpty { throw ValidationError("STORE and DEST must not be empty") }
        if let device { _ = try DeviceSelector(parsing: device) }
        if let rowsPerRowGroup, rowsPerRowGroup <= 0 { throw ValidationError("--rows-per-row-group must be positive") }
    }

    func run() throws {
        try runReportingErrors {
            let started = Date()
            let database = try Store(at: store, mode: .readOnly, create: false)
            reportOpeningProblems(of: database)
            var options = LakeSync.Options()
            options.granularity = granularity
            if let rowsPerRowGroup { options.parquet.rowGroupRowLimit = rowsPerRowGroup }
            if let device {
                let selector = try DeviceSelector(parsing: device)
                options.devices = LakeSync.DeviceFilter(description: device) { name in selector.matches(name) }
            }
            let bar = ProgressBar(label: "sync", unit: "devices")
            let summary = try Self.sync(database, into: destination, options: options, bar: bar)
            bar.finish()
            var output = StandardOutput()
            output.line(Self.describe(summary, seconds: Date().timeIntervalSince(started)))
            output.flush()
        }
    }

    /// Runs the sync; a refusal of the destination or of the options is bad input (exit 2).
    private static func sync(_ database: Store, into destination: String, options: LakeSync.Options, bar: ProgressBar) throws -> LakeSync.Summary {
        do {
            return try LakeSync(destination: destination, options: options).sync(database) { progress in
                bar.update(done: progress.devicesDone, total: progress.devicesTotal)
            }
        } catch where error.code == .invalidArgument {
            bar.finish()
            throw CommandError(message: error.description, status: ExitStatus.badInput)
        }
    }

    /// The one-line summary: what was written, rewritten, deleted, rows and bytes.
    static func describe(_ summary: LakeSync.Summary, seconds: Double) -> String {
        func plural(_ count: Int, _ noun: String) -> String { "\(Format.count(count)) \(noun)\(count == 1 ? "" : "s")" }
        return "synced\(summary.wasFullPass ? " (full pass)" : ""): \(plural(summary.written, "partition")) written, "
            + "\(Format.count(summary.rewritten)) rewritten, \(Format.count(summary.deleted)) deleted, "
            + "\(Format.count(summary.unchanged)) unchanged; \(plural(summary.rows, "row")), \(Format.count(summary.bytes)) bytes "
            + "(\(Format.bytes(summary.bytes))) written; \(plural(summary.devicesRead, "device")) read, "
            + "\(plural(summary.partitions, "partition")) in the lake, in \(Format.fixed(seconds, 3)) s"
    }
}

extension LakeGranularity: ExpressibleByArgument {}

extension DeviceSelector {
    /// Whether `device` is one of the names or matches one of the patterns.
    func matches(_ device: String) -> Bool {
        terms.contains { $0.matches(device) }
    }
}

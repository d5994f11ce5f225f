import ArgumentParser
import Foundation
import Strata

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete the points of devices, or of one metric, optionally in a time range.",
        discussion: """
            Queries stop returning the points at once; the disk space comes back at the \
            next `strata compact`. The deletion is recorded durably before the command \
            returns, and points written afterwards are kept, even inside the range.

            --device takes a name, a comma-separated list, or patterns such as pump-*. \
            Without --from and --to every point of the selection is deleted. With --dry-run \
            nothing changes: the points that would go are counted and listed.

            A pattern that matches no device is reported on standard error and skipped, so \
            running the same deletion twice (from cron, say) succeeds both times.

            Exit status: 0 on success (also when nothing matched), 1 on failure (nothing is \
            deleted), 64 for a usage error.
            """
    )

    @Argument(help: "The store.")
    var store: String

    @Option(help: DeviceSelector.help)
    var device: String

    @Option(help: "One metric (default: every metric of each device).")
    var metric: String?

    @OptionGroup var range: TimeRangeOptions

    @Flag(help: "Count and list what would be deleted; change nothing.")
    var dryRun = false

    mutating func validate() throws {
        try DeviceSelector.validate(devices: device, metric: metric)
    }

    func run() throws {
        try runReportingErrors {
            var configuration = Configuration()
            configuration.compaction.runsInBackground = false
            let database = dryRun
                ? try Store(at: store, configuration: configuration, mode: .readOnly, create: false)
                : try Store(at: store, configuration: configuration, create: false)
            let (devices, unmatched) = try DeviceSelection.matching(device, in: database)
            for pattern in unmatched { printError("\(store): no device matches \(pattern.debugDescription); skipped") }

            var tombstones: [Tombstone] = []
            var table = TextTable(["device", "metric", "points"], rightAligned: [2])
            var total = 0
            for name in devices {
                let metrics = database.metrics(of: name).map(\.name).filter { metric == nil || $0.utf8.elementsEqual(metric!.utf8) }
                for metricName in metrics {
                    let count = try database.countPoints(matching: Tombstone(device: name, metric: metricName, from: range.start, to: range.end))
                    table.add([name, metricName, Format.count(count)])
                    total += count
                }
                if !metrics.isEmpty { tombstones.append(Tombstone(device: name, metric: metric, from: range.start, to: range.end)) }
            }
            var output = StandardOutput()
            if !table.rows.isEmpty { output.line(table.render()) }
            let span = range.from == nil && range.to == nil ? "" : " from \(range.from ?? "the start") to \(range.to ?? "the end")"
            if dryRun {
                output.line("dry run: would delete \(Format.count(total)) point\(total == 1 ? "" : "s") of \(Format.count(table.rows.count)) series\(span); nothing changed")
            } else {
                try database.delete(tombstones)
                try database.close()
                output.line("deleted \(Format.count(total)) point\(total == 1 ? "" : "s") of \(Format.count(table.rows.count)) series\(span); `strata compact \(store)` gives the space back")
            }
            output.flush()
        }
    }
}

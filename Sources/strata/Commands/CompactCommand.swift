import ArgumentParser
import Foundation
import Strata

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Merge a store's segments into time-window segments, applying deletions and retention.",
        discussion: """
            Flushed segments are rewritten into one segment per time window: a UTC day \
            while its week is recent, a week (from Monday) once the week has been over for \
            a day. Points written twice keep their last value; points hidden by `strata \
            delete` or by the retention given here leave the disk. Segments whose every \
            point has expired are removed without being read.

            Safe at any moment: new segments are written and fsynced, then published by \
            replacing the manifest atomically, and only then are the old files removed. \
            A crash (or a full disk) at any step leaves a store that opens with every \
            point exactly once. The writer lock is taken, so the store must not be open \
            for writing elsewhere; readers may go on.

            Prints a summary: segments, bytes and bytes per point before and after, points \
            read and written, time. With a terminal, a progress bar runs on standard error.

            Exit status: 0 on success, 1 on failure (the store is left as it was).
            """
    )

    @Argument(help: "The store to compact.")
    var store: String

    @Option(name: .customLong("retention"), help: ArgumentHelp("Drop points older than this (30d, 12h, 2w...).", valueName: "age"))
    var retention: String?

    @Option(name: .customLong("retention-rule"), help: ArgumentHelp(
        "A retention age for devices whose names start with a prefix, as PREFIX=AGE (test-=7d); repeatable. The longest matching prefix wins over --retention.",
        valueName: "prefix=age"))
    var retentionRules: [String] = []

    mutating func validate() throws {
        _ = try retentionPolicy()
    }

    func retentionPolicy() throws -> RetentionPolicy {
        var policy = RetentionPolicy()
        if let retention {
            guard let age = DurationText.parseMilliseconds(retention) else {
                throw ValidationError("--retention \(retention.debugDescription) is not a duration such as 30d, 12h or 2w")
            }
            policy.maximumAgeMilliseconds = age
        }
        for rule in retentionRules {
            guard let equals = rule.lastIndex(of: "="), let age = DurationText.parseMilliseconds(String(rule[rule.index(after: equals)...])) else {
                throw ValidationError("--retention-rule \(rule.debugDescription) is not PREFIX=AGE, such as sensor-test-=7d")
            }
            // An empty prefix matches every device: that is --retention, and a slip here would expire everything.
            guard equals > rule.startIndex else {
                throw ValidationError("--retention-rule \(rule.debugDescription) has no device prefix before `=`; to expire every device's points use --retention \(rule.dropFirst())")
            }
            policy.rules.append(.init(devicePrefix: String(rule[..<equals]), maximumAgeMilliseconds: age))
        }
        return policy
    }

    func run() throws {
        try runReportingErrors {
            var configuration = Configuration()
            configuration.compaction.runsInBackground = false
            configuration.retention = try retentionPolicy()
            let database = try Store(at: store, configuration: configuration, create: false)
            let before = StoreTotals(database.segments())
            let bar = ProgressBar(label: "compacting", unit: "devices")
            let report: CompactionReport
            do {
                report = try database.compact { progress in
                    bar.update(done: progress.devicesDone, total: progress.devicesTotal, detail: "step \(progress.step): \(progress.description)")
                }
                bar.finish()
            } catch {
                bar.finish()
                try? database.close()
                throw error
            }
            try database.close()
            let after = StoreTotals(database.segments())

            var output = StandardOutput()
            let seconds = Double(report.milliseconds) / 1000
            output.line("compacted \(store) in \(Format.seconds(seconds)): \(report.steps) step\(report.steps == 1 ? "" : "s")")
            var table = TextTable(["", "before", "after"], rightAligned: [1, 2])
            table.add(["segments", Format.count(before.segments), Format.count(after.segments)])
            table.add(["bytes", Format.bytes(before.bytes), Format.bytes(after.bytes)])
            table.add(["points stored", Format.count(before.points), Format.count(after.points)])
            table.add(["bytes per point", before.bytesPerPoint, after.bytesPerPoint])
            output.line(table.render(indent: "  "))
            output.line("  read \(Format.count(report.segmentsIn)) segment\(report.segmentsIn == 1 ? "" : "s") (\(Format.bytes(report.bytesIn))), wrote \(Format.count(report.segmentsOut)) (\(Format.bytes(report.bytesOut))), removed \(Format.count(report.segmentsExpired)) expired")
            output.line("  points read \(Format.count(report.pointsIn)), written \(Format.count(report.pointsOut)), dropped \(Format.count(report.pointsDropped)) (deleted or expired); \(Format.count(report.deletionsCleared)) deletion\(report.deletionsCleared == 1 ? "" : "s") done")
            if seconds > 0 && report.steps > 0 && after.points > 0 {
                output.line("  \(Format.rate(Double(after.points) / seconds)) points/s (points stored over wall time)")
            }
            output.flush()
        }
    }
}

/// Segments, bytes and stored points of a store, from its segment indexes.
struct StoreTotals {
    var segments = 0
    var bytes = 0
    var points = 0

    init(_ files: [SegmentFile]) {
        segments = files.count
        for file in files {
            bytes += file.byteCount
            points += file.pointCount
        }
    }

    var bytesPerPoint: String { points > 0 ? Format.fixed(Double(bytes) / Double(points), 3) : "-" }
}

import ArgumentParser
import Foundation
import Strata

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a store consistently, even while a writer is appending to it.",
        discussion: """
            DEST must not exist (or be an empty directory). Segment files are immutable, so \
            they are hard-linked when DEST is on the same file system (costing no space) and \
            copied otherwise; the write-ahead log is copied first, so every point the writer \
            had acknowledged when the backup started is in the copy. DEST opens as a store; \
            it becomes one only when the backup completes (its STRATA marker is written last).
            """
    )

    @Argument(help: "The store to back up.")
    var store: String

    @Argument(help: "The new directory to write the copy into.")
    var destination: String

    func run() throws {
        try runReportingErrors {
            let started = Date()
            // A bar at a terminal (copies across file systems take a while); the summary line either way.
            let bar = ProgressBar(label: "backing up", unit: "files")
            let report = try StoreBackup.copy(from: store, to: destination) { progress in
                bar.update(done: progress.filesDone, total: progress.filesTotal, detail: Format.bytes(progress.bytesCopied) + " written")
            }
            bar.finish()
            var output = StandardOutput()
            output.line("backed up \(store) to \(destination) in \(Format.seconds(Date().timeIntervalSince(started))): \(report.segmentsLinked) segment\(report.segmentsLinked == 1 ? "" : "s") linked, \(report.segmentsCopied) copied, \(report.logFilesCopied) log file\(report.logFilesCopied == 1 ? "" : "s") copied, \(Format.bytes(report.bytesCopied)) written")
            output.flush()
        }
    }
}

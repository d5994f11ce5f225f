import ArgumentParser
import Strata

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every checksum, index and invariant of a store.",
        discussion: """
            Reads every segment (header, footer and index checksums; every chunk's \
            checksum, decoding, time order and statistics) and every write-ahead log \
            record, and reports each problem with its file and byte offset. Changes \
            nothing and takes no lock, so it may run beside a writer.

            Exit status: 0 when the store is clean (notes, such as a torn log tail left by \
            a crash, do not count), 3 when damage is found, 1 when the store cannot be \
            read at all.
            """
    )

    /// The exit status for a store with damage: distinct from generic failure (1) and bad input (2).
    static let damageFound: Int32 = 3

    @Argument(help: "The store directory.")
    var store: String

    func run() throws {
        try runReportingErrors {
            let report = try StoreVerifier.verify(at: store)
            var output = StandardOutput()
            for problem in report.problems { output.line("DAMAGED \(problem)") }
            for note in report.notes { output.line("note    \(note)") }
            output.line("checked \(Format.count(report.segmentsChecked)) segment\(report.segmentsChecked == 1 ? "" : "s") (\(Format.count(report.chunksChecked)) chunks) and \(Format.count(report.logFilesChecked)) log file\(report.logFilesChecked == 1 ? "" : "s") (\(Format.count(report.logRecordsChecked)) records): "
                + (report.isClean ? "clean" : "\(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")"))
            output.flush()
            if !report.isClean {
                printError("\(store): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found, first: \(report.problems[0])")
                throw ExitCode(Self.damageFound)
            }
        }
    }
}

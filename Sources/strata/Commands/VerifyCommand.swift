import ArgumentParser
import Strata

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every checksum, index and invariant of a store.",
        discussion: """
            Reads the manifest (checksum, and the ordering invariants last-write-wins \
            relies on), every segment it lists (header, footer and index checksums; every \
            chunk's checksum, decoding, time order and statistics) and every write-ahead \
            log record, and reports each problem with its file and byte offset. Changes \
            nothing and takes no lock, so it may run beside a writer.

            With --repair, a missing STRATA marker is written again, and a damaged or \
            missing MANIFEST is restored from its mirror (MANIFEST.mirror, written beside \
            it with every change); when both are unreadable, a manifest is rebuilt from the \
            segment files and what that cannot restore is listed. Then each damaged segment is \
            moved into segments/damaged/ (never deleted), the points of its intact chunks \
            (checksums hold, decoding agrees with the index) are written into a new segment \
            in its place, and every series and time range lost with the damaged chunks is \
            listed; a segment with nothing intact leaves the manifest. The store then opens \
            clean. Repair takes the writer lock. \
            Damage in the write-ahead log is handled by the next writer's recovery, which \
            keeps everything readable and sets the damaged file aside.

            Exit status: 0 when the store is clean (notes, such as a torn log tail left by \
            a crash, do not count), 3 when damage is found (with --repair: when damage was \
            found and moved aside), 1 when the store cannot be read at all.
            """
    )

    /// The exit status for a store with damage: distinct from generic failure (1) and bad input (2).
    static let damageFound: Int32 = 3

    @Argument(help: "The store directory.")
    var store: String

    @Flag(help: "Move damaged segments aside and list the series and time ranges lost.")
    var repair = false

    func run() throws {
        try runReportingErrors {
            let report = try StoreVerifier.verify(at: store)
            var output = StandardOutput()
            for problem in report.problems { output.line("DAMAGED \(problem)") }
            for note in report.notes { output.line("note    \(note)") }
            output.line("checked \(Format.count(report.segmentsChecked)) segment\(report.segmentsChecked == 1 ? "" : "s") (\(Format.count(report.chunksChecked)) chunks) and \(Format.count(report.logFilesChecked)) log file\(report.logFilesChecked == 1 ? "" : "s") (\(Format.count(report.logRecordsChecked)) records): "
                + (report.isClean ? "clean" : "\(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")"))
            output.flush()
            if !report.isClean && repair {
                let repaired = try StoreVerifier.repair(at: store)
                printManifestRepair(repaired.manifest, to: &output)
                for moved in repaired.moved {
                    output.line("moved   \(moved.originalPath) -> \(moved.newPath)")
                    if moved.salvagedPoints > 0 {
                        output.line("        salvaged \(Format.count(moved.salvagedPoints)) point\(moved.salvagedPoints == 1 ? "" : "s") of its intact chunks into a new \(moved.originalPath)")
                    }
                    if moved.lost.isEmpty && moved.salvagedPoints == 0 {
                        output.line("        its index is unreadable: the series and times it held cannot be listed")
                    }
                    if moved.unreadableEntries > 0 {
                        output.line("        \(moved.unreadableEntries) device entr\(moved.unreadableEntries == 1 ? "y is" : "ies are") unreadable: the series \(moved.unreadableEntries == 1 ? "it" : "they") held cannot be listed")
                    }
                    for entry in moved.lost {
                        output.line("        lost \(entry.series.device)/\(entry.series.metric) from \(TimeText.format(entry.first)) to \(TimeText.format(entry.last))")
                    }
                }
                for missing in repaired.missing {
                    output.line("unlisted \(missing): the file was missing; the manifest no longer lists it (the series and times it held cannot be listed)")
                }
                output.flush()
            }
            if !report.isClean {
                printError("\(store): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found, first: \(report.problems[0])")
                throw ExitCode(Self.damageFound)
            }
        }
    }

    private func printManifestRepair(_ repair: ManifestRepair, to output: inout StandardOutput) {
        switch repair.restoration {
        case .fromMirror(let generation)?:
            output.line("restored MANIFEST from MANIFEST.mirror (generation \(generation)); the damaged file is kept as MANIFEST.damaged if it was readable")
        case .rebuiltFromSegments(let segments)?:
            output.line("rebuilt MANIFEST from \(Format.count(segments)) segment file\(segments == 1 ? "" : "s") (neither MANIFEST nor its mirror was readable)")
            for item in repair.notRestored { output.line("        not restored: \(item)") }
        case nil:
            break
        }
        if repair.mirrorRewritten { output.line("rewrote MANIFEST.mirror from MANIFEST") }
        if repair.markerRestored { output.line("restored the STRATA marker") }
    }
}

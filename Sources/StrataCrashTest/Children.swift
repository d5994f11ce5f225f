// The children `run` starts: the writer, which appends batches until it is
// killed (with --faults, after installing an injected fault), and the backup
// child, which copies the live store on the parent's command.
import Foundation
import Strata

import Glibc

/// Installs one fault on the store at `path`, drawn from `faultSeed`.
func installFault(store path: String, faultSeed: UInt64) {
    var random = SplitMix64(seed: faultSeed)
    let operations: [FaultInjection.Operation] = [.write, .sync, .open, .rename, .link, .unlink, .directorySync]
    let operation = operations[Int(random.next() % UInt64(operations.count))]
    // Writes and syncs come with every append; the others with flushes and compactions.
    // Drawn small enough that most writers reach the fault before their kill.
    let reach: UInt64 = operation == .write || operation == .sync ? 60 : operation == .open ? 30 : 10
    let skip = Int(random.next() % reach)
    let code = random.next() % 2 == 0 ? ENOSPC : EIO
    FaultInjection.install(.init(pathPrefix: path, operation: operation, effect: .fail(code), skip: skip))
    standardOutput("FAULT \(operation) skip \(skip) errno \(code)\n")
}

/// The writer: opens the store (the recovery), then appends batch after batch
/// from `firstBatch` on, saying "ACK b" after each, until it is killed (at
/// `Layout.batchLimit` it says "LIMIT" and waits for the kill).
func runChild(store path: String, firstBatch: Int, layout: Layout, faultSeed: UInt64?) -> Never {
    if let faultSeed { installFault(store: path, faultSeed: faultSeed) }
    do {
        let store = try Store(at: path, configuration: writerConfiguration())
        let torn = store.recovery.problems.filter { $0.message.contains("torn tail") }.count
        standardOutput("OPENED \(torn) \(store.recovery.problems.count - torn)\n")
        for problem in store.recovery.problems where !problem.message.contains("torn tail") {
            standardOutput("PROBLEM \(problem)\n")
        }
        var reportedBackgroundError = false
        var batch = firstBatch
        while batch < Layout.batchLimit {
            let size = layout.size(batch)
            var writeBatch = WriteBatch(capacity: size)
            let series = try writeBatch.series(device: "dev-\(batch % devices)", metric: "m", type: .float64)
            for index in 0..<size {
                writeBatch.append(series: series, timestamp: layout.timestamp(batch: batch, index: index), value: value(batch: batch, index: index))
            }
            try store.append(writeBatch)
            standardOutput("ACK \(batch)\n")
            if batch % 37 == 0 { try store.flush() }
            if batch % 16 == 11 {
                standardOutput("COMPACT-START \(batch)\n")
                let started = monotonicNanoseconds()
                let report = try store.compact()
                standardOutput("COMPACT-END \(batch) \((monotonicNanoseconds() - started) / 1000) \(report.steps)\n")
            }
            if let error = store.backgroundError, !reportedBackgroundError {
                standardOutput(faultSeed == nil ? "BACKGROUND-ERROR \(error)\n" : "FAULTED-BACKGROUND \(error)\n")
                reportedBackgroundError = true
            }
            batch += 1
        }
        standardOutput("LIMIT\n")
        while true { pause() }
    } catch {
        // With an injected fault, stopping at the failure is the expected outcome.
        standardOutput(faultSeed == nil ? "ERROR \(error)\n" : "FAULTED \(error)\n")
        exit(3)
    }
}

/// Reads "NUMBER DESTINATION" lines and backs the store up to each destination in turn.
func runBackupChild(source: String) -> Never {
    while let line = readLine() {
        let parts = line.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let number = Int(parts[0]) else { continue }
        standardOutput("BACKUP-START \(number) \(monotonicNanoseconds())\n")
        do {
            let report = try StoreBackup.copy(from: source, to: String(parts[1]))
            standardOutput("BACKUP-DONE \(number) \(monotonicNanoseconds()) \(report.segmentsLinked + report.segmentsCopied) \(report.logFilesCopied)\n")
        } catch {
            standardOutput("BACKUP-ERROR \(number) \(error)\n")
        }
    }
    exit(0)
}

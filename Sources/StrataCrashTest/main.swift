// strata-crash-test: kills a writer at random moments (while it appends,
// flushes, compacts, and while a backup of its store is being taken) and
// checks after every kill that every acknowledged point survives exactly once.
//
//   strata-crash-test run --store DIR [--kills N] [--seed S] [--recent-base MS] [--no-clean-close] [--faults]
//   strata-crash-test child DIR FIRST_BATCH SEED RECENT_BASE [FAULT_SEED]   (started by `run`)
//   strata-crash-test backup-child SOURCE                       (started by `run`)
//   strata-crash-test sync [--work DIR] [--kills N] [--seed S]   (the lake sync's: SyncCrashTest.swift)
//   strata-crash-test sync-child STORE LAKE                      (started by `sync`)
//
// The child appends deterministic batches with small flush thresholds and an
// eager, unthrottled background compaction, prints "ACK b" after each append
// returns, and calls `Store.compact()` itself every 16th batch between
// "COMPACT-START" and "COMPACT-END" lines. Batch b holds points of series
// dev-(b % 5)/m whose timestamps and values follow from b and the point's
// index alone (see `Layout`): batches are six hours apart from 2023-01-02 on,
// every seventh batch is 120 days late (it lands in a window that compaction
// already merged), and every eleventh lands in the last three days (open days
// and weeks), so compaction makes and merges windows of every level from days
// to 16 and 256 weeks.
//
// Each round the parent starts a child and kills it (SIGKILL) in one of four
// ways, chosen from the seed: at a random moment; just after the child starts
// a compaction; or while a backup child copies the live store with
// `StoreBackup.copy` on the parent's command, killing both processes, or only
// the writer and letting the copy finish. After every kill the parent checks
// the store as the kill left it with `StoreVerifier` (no problems allowed),
// opens it for writing (the recovery), and checks every acknowledged batch
// point by point: present once, with its value; the batch in flight may be
// present (whole) or absent; nothing else. A quarter of the rounds (chosen
// from the seed; none with --no-clean-close) then close the store cleanly;
// the others drop it as a crash right after recovery would. Every backup the
// parent asked for must either have left no store (an interrupted copy: the
// marker comes last) or open, verify clean and hold every batch acknowledged
// before the parent asked for it. A failing round's store, as the kill left
// it, is kept in DIR.failures (the first five).
//
// With --faults each writer child also installs a FaultInjection rule drawn
// from the seed and the round: ENOSPC or EIO on a write, fsync, open, rename,
// link, unlink or directory sync of its store, after a drawn number of such
// calls. A writer whose append, flush, compaction or opening fails says
// "FAULTED" and stops (a failed append is not acknowledged); one whose
// background compaction fails goes on. The checks are the same: every
// acknowledged point, exactly once.
//
// This is a test harness, not library code: it keeps its own direct OS calls
// (kill, pipe reads and writes) rather than going through Strata's System/.
//
// The files: Layout.swift (the batches' points), Children.swift (the writer
// and backup children), ChildProcess.swift (pipes and kills), CrashTest.swift
// with CrashTest+Round.swift, CrashTest+Checks.swift, RoundPlan.swift,
// LiveRound.swift, StoreChecks.swift and Totals.swift (the parent),
// SyncCrashTest.swift (`sync`), Arguments.swift (the options).
import Foundation

import Glibc

let arguments = CommandLine.arguments
if arguments.count >= 6, arguments[1] == "child", let first = Int(arguments[3]), let seed = UInt64(arguments[4]), let base = Int64(arguments[5]) {
    let faultSeed = arguments.count >= 7 ? UInt64(arguments[6]) : nil
    runChild(store: arguments[2], firstBatch: first, layout: Layout(seed: seed, recentBase: base), faultSeed: faultSeed)
}
if arguments.count >= 3, arguments[1] == "backup-child" {
    runBackupChild(source: arguments[2])
}
if arguments.count >= 4, arguments[1] == "sync-child" {
    runSyncChild(store: arguments[2], lake: arguments[3])
}
if arguments.count >= 2, arguments[1] == "sync" {
    guard let options = SyncOptions(Array(arguments.dropFirst(2))) else {
        print(SyncOptions.usage)
        exit(64)
    }
    do {
        exit(try SyncCrashTest(work: options.work, seed: options.seed).run(kills: options.kills))
    } catch {
        print("could not set up the store: \(error)")
        exit(1)
    }
}
guard arguments.count >= 2, arguments[1] == "run", let options = RunOptions(Array(arguments.dropFirst(2))) else {
    print(RunOptions.usage)
    exit(64)
}
let test = CrashTest(store: options.store, seed: options.seed, recentBase: options.recentBase, cleanCloses: options.cleanCloses, faults: options.faults)
exit(test.run(kills: options.kills))

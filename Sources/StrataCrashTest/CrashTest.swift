// The parent of `run`: one store after another, round after round of kills
// and checks (CrashTest+Round.swift, CrashTest+Checks.swift), and the summary.
import Foundation
import Strata

import Glibc

/// The parent of `strata-crash-test run` (see main.swift).
final class CrashTest {
    let path: String
    let seed: UInt64
    let layout: Layout
    let workFolder: String
    var totals = Totals()
    var acknowledged = -1
    /// Whether the checker closes the store (cleanly) in some rounds.
    let cleanCloses: Bool
    /// Whether each writer installs an injected fault (--faults).
    let faults: Bool
    /// The last round whose check closed the current store cleanly.
    var lastCleanClose: Int?
    /// Points the last check of the current store found lost.
    var lostAtLastCheck = 0
    /// Draws each round's plan.
    var random: SplitMix64

    init(store path: String, seed: UInt64, recentBase: Int64, cleanCloses: Bool, faults: Bool) {
        self.path = path
        self.cleanCloses = cleanCloses
        self.faults = faults
        self.seed = seed
        self.layout = Layout(seed: seed, recentBase: recentBase)
        self.workFolder = path + ".work"
        random = SplitMix64(seed: seed)
    }

    var failureFolder: String { path + ".failures" }

    /// Failures reported so far (one round may report several).
    var failureCount = 0
    /// The failing rounds whose stores are kept and listed (the first few).
    let roundsKept = 5

    func fail(_ round: Int, _ message: String) {
        print("round \(round) (seed \(seed)): \(message)")
        failureCount += 1
        if totals.failedRounds.last != round { totals.failedRounds.append(round) }
    }

    /// True while a failure's store should still be kept and listed.
    var keepsFailures: Bool { totals.failedRounds.count <= roundsKept }

    /// Runs `kills` rounds and prints the summary; the exit status: 0 when every check passed.
    func run(kills: Int) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let files = FileManager.default
        try? files.removeItem(atPath: path)
        try? files.removeItem(atPath: failureFolder)
        try? files.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        print("strata-crash-test: \(kills) kills, seed \(seed), recent batches from \(layout.recentBase) (--recent-base \(layout.recentBase))")
        fflush(nil)
        let started = Date()
        for round in 0..<kills {
            // A fresh store every 250 kills keeps each check's cost bounded, and the
            // batches' times years before the recent ones.
            if round > 0 && (round % 250 == 0 || acknowledged >= 2_500) {
                finalCheck(round)
                try? files.removeItem(atPath: path)
                acknowledged = -1
                lostAtLastCheck = 0
                lastCleanClose = nil
                totals.stores += 1
            }
            runRound(round)
        }
        finalCheck(kills)
        try? files.removeItem(atPath: workFolder)
        if (try? files.contentsOfDirectory(atPath: failureFolder))?.isEmpty ?? false { try? files.removeItem(atPath: failureFolder) }
        printSummary(seconds: Date().timeIntervalSince(started))
        return totals.isClean ? 0 : 1
    }

    /// Prints what the run did and found, then PASS or FAIL.
    func printSummary(seconds: Double) {
        let t = totals
        let meanCompact = t.compactsFinished == 0 ? 0 : Double(t.compactMicroseconds) / Double(t.compactsFinished) / 1000
        let meanBackup = t.backupsTimed == 0 ? 0 : Double(t.backupMicroseconds) / Double(t.backupsTimed) / 1000
        let pointsChecked = t.store.pointsChecked + t.backup.pointsChecked
        let lost = t.store.lost + t.backup.lost
        print("""
            kills: \(t.kills) (over \(t.stores) store\(t.stores == 1 ? "" : "s"); seed \(seed))
              by plan: \(RoundKind.allCases.map { "\(t.roundsByKind[$0.rawValue]) \($0.name)" }.joined(separator: ", "))
            kills during compaction: \(t.killsDuringCompact) inside the writer's compact(); \(t.killsLeavingCompactionFiles) left a compaction's files behind (unremoved inputs or several unpublished outputs; background or explicit)
            kills that left unlisted or unfinished segment files (flush or compaction): \(t.killsLeavingSegmentFiles)
            kills during backup: \(t.killsDuringBackup) (backup process killed mid-copy: \(t.backupProcessesKilledMidCopy))
            compact() calls by the writers: \(t.compactCalls), \(t.compactsFinished) finished, mean \(String(format: "%.1f", meanCompact)) ms, longest \(String(format: "%.1f", Double(t.compactMaximumMicroseconds) / 1000)) ms
            backups asked for: \(t.backupsRequested); checked (opened, verified, every point acknowledged before it): \(t.backupsChecked), of them finished after the marker when the kill came: \(t.backupsFinishedAfterMarker); interrupted leaving no store: \(t.backupsInterruptedNoStore); mean copy \(String(format: "%.1f", meanBackup)) ms
            batches acknowledged: \(t.acknowledgedBatches)
            segments listed after the kills (summed over rounds): \(t.segmentsByLevel[0]) flushed, \(t.segmentsByLevel[1]) day, \(t.segmentsByLevel[2]) week, \(t.segmentsByLevel[3]) 16-week, \(t.segmentsByLevel[4]) 256-week, \(t.segmentsByLevel[5]) 4,096-week\(t.segmentsByLevel[6] > 0 ? ", \(t.segmentsByLevel[6]) of another level" : "")
            stores verified after a kill: \(t.verifications), problems: \(t.verificationProblems)
            recoveries (read-write opens after a kill): \(t.recoveries), torn log tails cut: \(t.tornTails), other recovery problems: \(t.recoveryProblems); closed cleanly after the check: \(t.cleanCloses)\(cleanCloses ? "" : " (--no-clean-close)")
            store checks: \(t.store.checks), acknowledged points checked: \(t.store.pointsChecked), lost \(t.store.lost), wrong \(t.store.wrong), duplicated \(t.store.duplicates), unexpected \(t.store.unexpected)
            backup checks: \(t.backup.checks), acknowledged points checked: \(t.backup.pointsChecked), lost \(t.backup.lost), wrong \(t.backup.wrong), duplicated \(t.backup.duplicates), unexpected \(t.backup.unexpected)
            writer or backup failures: \(t.childFailures + t.backupFailures), open failures: \(t.openFailures)\(faults ? "\nwriters stopped by an injected fault: \(t.faultedWriters), background compactions failed by one: \(t.backgroundFaults) (--faults)" : "")
            acknowledged points missing at the end of a store's life (each counted once): \(t.lostAtStoreEnds)\(t.firstLoss.map { "; first loss found after \($0)" } ?? "")
            failed rounds: \(t.failedRounds.isEmpty ? "none" : t.failedRounds.prefix(20).map(String.init).joined(separator: ", ") + (t.failedRounds.count > 20 ? ", ..." : ""))
            time: \(String(format: "%.1f", seconds)) s
            summary: kills \(t.kills), during compaction \(t.killsDuringCompact) (+\(t.killsLeavingCompactionFiles) with compaction leftovers), during backup \(t.killsDuringBackup),\(faults ? " writers faulted \(t.faultedWriters)," : "") backups checked \(t.backupsChecked), points checked \(pointsChecked), lost: \(lost)
            """)
        print(t.isClean ? "PASS" : "FAIL")
    }
}

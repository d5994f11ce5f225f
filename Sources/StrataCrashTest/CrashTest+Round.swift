// One round of `run`, step by step: draw the plan, start the children, run
// them until the kill, read what they did, check the store and the backups.
import Foundation
import Strata

extension CrashTest {
    /// One round: start a writer (and a backup child), kill, check.
    func runRound(_ round: Int) {
        let plan = RoundPlan(cleanCloses: cleanCloses, using: &random)
        totals.roundsByKind[plan.kind.rawValue] += 1
        let before = acknowledged
        var live = startChildren(round, plan)
        live.runUntilKill()
        let killTime = live.killChildren()
        totals.kills += 1

        let compactOpen = readWriterOutput(round, live.writer)
        totals.acknowledgedBatches += acknowledged - before
        if compactOpen { totals.killsDuringCompact += 1 }
        let backups = readBackupOutput(round, plan.kind, live.backupChild, killTime: killTime)

        let context = "plan: \(plan.kind.name); kill inside compact(): \(compactOpen ? "yes" : "no"); during a backup: \(backups.inProgressAtKill ? "yes" : "no"); the checker last closed this store cleanly \(lastCleanClose.map { "after round \($0)" } ?? "never")"
        checkStore(round, context: context, cleanClose: plan.cleanClose)
        for backup in live.requested {
            checkBackup(round, backup, reportedDone: backups.finished.contains(backup.number))
        }
        try? FileManager.default.removeItem(atPath: workFolder)
        if (round + 1) % 100 == 0 { printProgress(kills: round + 1) }
    }

    /// Starts the writer at the batch after the last acknowledged one, and the
    /// backup child when the plan has backups; exits when one cannot start.
    func startChildren(_ round: Int, _ plan: RoundPlan) -> LiveRound {
        let writer: Child
        do {
            // The fault's seed follows from the seed and the round, without a draw, so rounds stay comparable with and without --faults.
            let faultSeed = faults ? [String(seed &* 0x2545_F491_4F6C_DD1D ^ UInt64(round))] : []
            writer = try Child(["child", path, String(acknowledged + 1), String(seed), String(layout.recentBase)] + faultSeed)
        } catch {
            print("cannot start the child: \(error)")
            exit(2)
        }
        var backupChild: Child?
        if plan.backsUp {
            do { backupChild = try Child(["backup-child", path], withInput: true) } catch {
                print("cannot start the backup child: \(error)")
                exit(2)
            }
            try? FileManager.default.createDirectory(atPath: workFolder, withIntermediateDirectories: true)
        }
        return LiveRound(round: round, plan: plan, writer: writer, backupChild: backupChild, workFolder: workFolder, acknowledged: acknowledged)
    }

    /// What the writer did, from its whole output: the batches it acknowledged,
    /// its compactions, its faults and the failures it reported. True when the
    /// kill came inside a `compact()`.
    func readWriterOutput(_ round: Int, _ writer: Child) -> Bool {
        var compactOpen = false
        for line in writer.lines {
            if line.hasPrefix("ACK "), let batch = Int(line.dropFirst(4)) {
                acknowledged = max(acknowledged, batch)
            } else if line.hasPrefix("COMPACT-START ") {
                compactOpen = true
                totals.compactCalls += 1
            } else if line.hasPrefix("COMPACT-END ") {
                compactOpen = false
                let fields = line.split(separator: " ")
                if fields.count >= 3, let micros = Int(fields[2]) {
                    totals.compactsFinished += 1
                    totals.compactMicroseconds += micros
                    totals.compactMaximumMicroseconds = max(totals.compactMaximumMicroseconds, micros)
                }
            } else if line.hasPrefix("FAULTED") {
                if line.hasPrefix("FAULTED-BACKGROUND") { totals.backgroundFaults += 1 } else { totals.faultedWriters += 1 }
            } else if line.hasPrefix("ERROR") || line.hasPrefix("BACKGROUND-ERROR") || line.hasPrefix("PROBLEM") || line == "LIMIT" {
                fail(round, "the writer reported: \(line)")
                totals.childFailures += 1
            }
        }
        return compactOpen
    }

    /// Which backups were running when the writer was killed, and which finished.
    func readBackupOutput(_ round: Int, _ kind: RoundKind, _ backupChild: Child?, killTime: UInt64) -> (finished: Set<Int>, inProgressAtKill: Bool) {
        var finished = Set<Int>()
        var inProgressAtKill = false
        var startedAt: [Int: UInt64] = [:]
        for line in backupChild?.lines ?? [] {
            let fields = line.split(separator: " ")
            guard fields.count >= 3, let number = Int(fields[1]) else { continue }
            switch fields[0] {
            case "BACKUP-START":
                startedAt[number] = UInt64(fields[2])
            case "BACKUP-DONE":
                finished.insert(number)
                if let begin = startedAt[number], let end = UInt64(fields[2]) {
                    totals.backupsTimed += 1
                    totals.backupMicroseconds += Int((end - begin) / 1_000)
                    if begin <= killTime && end >= killTime { inProgressAtKill = true }
                }
            case "BACKUP-ERROR":
                finished.insert(number)
                fail(round, "the backup failed: \(line)")
                totals.backupFailures += 1
            default: break
            }
        }
        for (number, begin) in startedAt where !finished.contains(number) && begin <= killTime {
            inProgressAtKill = true
            if kind == .backupKillBoth { totals.backupProcessesKilledMidCopy += 1 }
        }
        if inProgressAtKill { totals.killsDuringBackup += 1 }
        return (finished, inProgressAtKill)
    }

    /// A line of progress every hundred kills.
    func printProgress(kills: Int) {
        print("after \(kills) kills: \(totals.acknowledgedBatches) batches acknowledged, \(totals.store.pointsChecked + totals.backup.pointsChecked) point checks, lost \(totals.store.lost + totals.backup.lost), \(totals.killsDuringCompact) kills in compact(), \(totals.killsDuringBackup) during a backup, \(totals.backupsChecked) backups checked")
        fflush(nil)
    }
}

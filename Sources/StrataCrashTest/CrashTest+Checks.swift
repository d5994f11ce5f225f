// The parent's checks: the store as each kill left it (verified, recovered,
// checked point by point), each backup asked for during a round, and a
// store at the end of its life.
import Foundation
import Strata

extension CrashTest {
    /// The store as the kill left it: verified, then opened for writing (the
    /// recovery) and checked point by point, then closed.
    func checkStore(_ round: Int, context: String, cleanClose: Bool) {
        let markerExists = FileManager.default.fileExists(atPath: path + "/STRATA")
        guard markerExists else {
            // Killed before the store was created: nothing can have been acknowledged.
            if acknowledged >= 0 { fail(round, "the store has no STRATA marker after batches were acknowledged\n\(listing(path))"); totals.openFailures += 1 }
            return
        }
        let kept = failureFolder + "/round-\(round)"
        snapshot(path, to: kept)
        let failuresBefore = failureCount
        defer {
            if failureCount != failuresBefore && keepsFailures {
                print("  \(context)\n  the store as the kill left it, kept in \(kept):\n\(listing(kept))")
            } else {
                try? FileManager.default.removeItem(atPath: kept)
            }
        }
        verifyAfterKill(round)
        countSegments(round)
        recoverAndCheck(round, context: context, cleanClose: cleanClose)
        if cleanClose { lastCleanClose = round }
        if !waitUntilUnlocked(path) {
            fail(round, "the checker's store still holds the writer lock")
            totals.openFailures += 1
        }
    }

    /// `StoreVerifier` on the store as the kill left it: no problems allowed.
    func verifyAfterKill(_ round: Int) {
        do {
            let report = try StoreVerifier.verify(at: path)
            totals.verifications += 1
            for problem in report.problems {
                fail(round, "verify: \(problem)")
                totals.verificationProblems += 1
            }
        } catch {
            fail(round, "verify failed: \(error)")
            totals.openFailures += 1
        }
    }

    /// The segments the manifest lists, by level, and the files the kill left beside them.
    func countSegments(_ round: Int) {
        do {
            let reader = try Store(at: path, configuration: checkerConfiguration(), mode: .readOnly)
            let listed = reader.segments()
            for segment in listed { totals.segmentsByLevel[min(Int(segment.level), 6)] += 1 }
            let leftovers = Leftovers(path, listed: listed)
            if leftovers.showCompaction { totals.killsLeavingCompactionFiles += 1 }
            if !leftovers.isEmpty { totals.killsLeavingSegmentFiles += 1 }
        } catch {
            fail(round, "the store did not open read-only: \(error)")
            totals.openFailures += 1
        }
    }

    /// Opens the store for writing (the recovery) and checks every acknowledged
    /// batch point by point; then closes it cleanly, or drops it as a crash would.
    func recoverAndCheck(_ round: Int, context: String, cleanClose: Bool) {
        do {
            let store = try Store(at: path, configuration: checkerConfiguration(), create: false)
            totals.recoveries += 1
            reportRecoveryProblems(round, store)
            let tally = try check(store, layout: layout, acknowledged: acknowledged, allowed: acknowledged + 1)
            totals.store += tally
            if !tally.isClean {
                fail(round, "store check: lost \(tally.lost) (\(tally.lost - lostAtLastCheck) more than at the previous check), wrong \(tally.wrong), duplicated \(tally.duplicates), unexpected \(tally.unexpected) (acknowledged through batch \(acknowledged))")
            }
            lostAtLastCheck = tally.lost
            if tally.lost > 0 && totals.firstLoss == nil {
                totals.firstLoss = "round \(round), \(context)"
            }
            // Most rounds leave the store as a crash right after recovery would (the
            // next writer replays the log again); some close it cleanly (a flush, and
            // no log left behind) before the next writer opens it.
            if cleanClose {
                try store.close()
                totals.cleanCloses += 1
            }
        } catch {
            fail(round, "the store did not open for writing, read or close: \(error)")
            totals.openFailures += 1
        }
    }

    /// Torn log tails are counted (a kill leaves them); any other recovery
    /// problem, and any unreadable segment, fails the round.
    func reportRecoveryProblems(_ round: Int, _ store: Store) {
        for problem in store.recovery.problems {
            if problem.message.contains("torn tail") {
                totals.tornTails += 1
            } else {
                fail(round, "recovery reported: \(problem)")
                totals.recoveryProblems += 1
            }
        }
        for problem in store.unreadableSegments {
            fail(round, "unreadable segment: \(problem)")
            totals.recoveryProblems += 1
        }
    }

    /// A backup: no store at all when the copy was cut short before its marker;
    /// otherwise a store that verifies clean and holds every batch acknowledged
    /// before the parent asked for it.
    func checkBackup(_ round: Int, _ backup: RequestedBackup, reportedDone: Bool) {
        totals.backupsRequested += 1
        let destination = backup.destination
        guard FileManager.default.fileExists(atPath: destination + "/STRATA") else {
            checkBackupWithoutMarker(round, backup, reportedDone: reportedDone)
            return
        }
        if !reportedDone { totals.backupsFinishedAfterMarker += 1 }
        let failuresBefore = failureCount
        defer {
            if failureCount != failuresBefore && keepsFailures {
                let kept = failureFolder + "/round-\(round)-backup-\(backup.number)"
                try? FileManager.default.createDirectory(atPath: failureFolder, withIntermediateDirectories: true)
                try? FileManager.default.removeItem(atPath: kept)
                try? FileManager.default.moveItem(atPath: destination, toPath: kept)
                print("  backup \(backup.number) (asked for after batch \(backup.acknowledgedBefore) was acknowledged), kept in \(kept):\n\(listing(kept))")
            }
        }
        do {
            let report = try StoreVerifier.verify(at: destination)
            for problem in report.problems {
                fail(round, "verify of backup \(backup.number): \(problem)")
                totals.verificationProblems += 1
            }
            let store = try Store(at: destination, configuration: checkerConfiguration(), create: false)
            for problem in store.recovery.problems where !problem.message.contains("torn tail") {
                fail(round, "backup \(backup.number) recovery reported: \(problem)")
                totals.recoveryProblems += 1
            }
            let tally = try check(store, layout: layout, acknowledged: backup.acknowledgedBefore, allowed: acknowledged + 1)
            totals.backup += tally
            totals.backupsChecked += 1
            if !tally.isClean {
                fail(round, "backup \(backup.number) check: lost \(tally.lost), wrong \(tally.wrong), duplicated \(tally.duplicates), unexpected \(tally.unexpected) (acknowledged through batch \(backup.acknowledgedBefore) before it was asked for)")
            }
            try store.close()
        } catch {
            fail(round, "backup \(backup.number) did not open, read or close: \(error)")
            totals.backupFailures += 1
        }
    }

    /// A backup with no marker: the copy must have been cut short (the backup
    /// child did not say it was done), and the folder must not open as a store.
    func checkBackupWithoutMarker(_ round: Int, _ backup: RequestedBackup, reportedDone: Bool) {
        let destination = backup.destination
        if reportedDone {
            fail(round, "backup \(backup.number) reported done but left no STRATA marker\n\(listing(destination))")
            totals.backupFailures += 1
            return
        }
        do throws(StrataError) {
            _ = try Store(at: destination, configuration: checkerConfiguration(), mode: .readOnly)
            fail(round, "an interrupted backup without a marker opened as a store")
            totals.backupFailures += 1
        } catch where error.code == .invalidArgument {
            totals.backupsInterruptedNoStore += 1
        } catch {
            fail(round, "an interrupted backup failed to open the wrong way: \(error)")
            totals.backupFailures += 1
        }
    }

    /// The end of a store's life: a writer's open, a check, a full compaction,
    /// verify, a check, a clean close, and a check after reopening read-only.
    func finalCheck(_ round: Int) {
        guard acknowledged >= 0 else { return }
        func checked(_ store: Store, _ moment: String) throws {
            let tally = try check(store, layout: layout, acknowledged: acknowledged, allowed: acknowledged + 1)
            totals.store += tally
            if !tally.isClean {
                fail(round, "final check \(moment): lost \(tally.lost), wrong \(tally.wrong), duplicated \(tally.duplicates), unexpected \(tally.unexpected) (acknowledged through batch \(acknowledged))")
            }
        }
        do {
            let store = try Store(at: path, configuration: checkerConfiguration(), create: false)
            let lostBefore = totals.store.lost
            try checked(store, "after opening")
            totals.lostAtStoreEnds += totals.store.lost - lostBefore
            try store.compact()
            let report = try StoreVerifier.verify(at: path)
            for problem in report.problems {
                fail(round, "verify after the final compaction: \(problem)")
                totals.verificationProblems += 1
            }
            try checked(store, "after a full compaction")
            try store.close()
            let reopened = try Store(at: path, configuration: checkerConfiguration(), mode: .readOnly)
            try checked(reopened, "after closing and reopening read-only")
        } catch {
            fail(round, "final open, check, compaction and close failed: \(error)")
            totals.openFailures += 1
        }
    }
}

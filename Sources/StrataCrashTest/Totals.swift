// What the parent counts over a run, for its summary and its verdict.

struct Totals {
    var kills = 0
    var roundsByKind = [Int](repeating: 0, count: RoundKind.allCases.count)
    var killsDuringCompact = 0
    var killsLeavingCompactionFiles = 0
    var killsLeavingSegmentFiles = 0
    var killsDuringBackup = 0
    var backupProcessesKilledMidCopy = 0
    /// Writers that stopped at an injected fault (--faults).
    var faultedWriters = 0
    /// Background compactions an injected fault made fail (--faults).
    var backgroundFaults = 0
    var stores = 1
    var acknowledgedBatches = 0
    var store = Tally()
    var backup = Tally()
    var verifications = 0
    var verificationProblems = 0
    var recoveries = 0
    var tornTails = 0
    var recoveryProblems = 0
    var childFailures = 0
    var openFailures = 0
    var compactCalls = 0
    var compactsFinished = 0
    var compactMicroseconds = 0
    var compactMaximumMicroseconds = 0
    var backupsRequested = 0
    var backupsChecked = 0
    var backupsFinishedAfterMarker = 0
    var backupsInterruptedNoStore = 0
    var backupMicroseconds = 0
    var backupsTimed = 0
    var backupFailures = 0
    var cleanCloses = 0
    /// Segments listed after the kills, summed over rounds, by level (0 flushed,
    /// 1 day, 2 week, 3 16 weeks, 4 256 weeks, 5 4,096 weeks; 6 any other).
    var segmentsByLevel = [0, 0, 0, 0, 0, 0, 0]
    var failedRounds: [Int] = []
    var firstLoss: String?
    /// Acknowledged points missing at the end of each store's life (each counted once).
    var lostAtStoreEnds = 0

    var failures: Int { verificationProblems + recoveryProblems + childFailures + openFailures + backupFailures }
    var isClean: Bool { store.isClean && backup.isClean && failures == 0 }
}

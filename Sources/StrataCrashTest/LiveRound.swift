// A round while its children run: the parent reads their lines, asks the
// backup child for backups as the plan says, and kills when the moment comes.

/// A backup the parent asked for: where, and what was acknowledged before it asked.
struct RequestedBackup {
    let number: Int
    let destination: String
    let acknowledgedBefore: Int
}

/// What the parent knows and has arranged while a round's children run.
struct LiveRound {
    let round: Int
    let plan: RoundPlan
    let writer: Child
    let backupChild: Child?
    /// Where the backups go.
    let workFolder: String
    /// When the parent kills if nothing else has made it kill by then.
    let giveUp: UInt64
    /// When the parent kills: set at the start for a random moment, else once
    /// the compaction or the backup the plan waits for has begun.
    var killAt: UInt64?
    /// The last batch the parent has seen acknowledged.
    var seen: Int
    var compactStarts = 0
    var requested: [RequestedBackup] = []
    /// True from asking for a backup until the backup child says it is done or failed.
    var backupBusy = false
    var nextBackupAt: UInt64?

    /// Starts the round's clock; the children are running. `acknowledged` is
    /// the last batch acknowledged before the round.
    init(round: Int, plan: RoundPlan, writer: Child, backupChild: Child?, workFolder: String, acknowledged: Int) {
        self.round = round
        self.plan = plan
        self.writer = writer
        self.backupChild = backupChild
        self.workFolder = workFolder
        let started = monotonicNanoseconds()
        giveUp = started + 5_000_000_000
        killAt = plan.kind == .anyMoment ? started + plan.killDelay * 1_000 : nil
        seen = acknowledged
    }

    var children: [Child] { [writer] + (backupChild.map { [$0] } ?? []) }

    /// Acts on the lines the children wrote since the last call.
    mutating func handleLines(_ now: UInt64) {
        while writer.handled < writer.lines.count {
            let line = writer.lines[writer.handled]
            writer.handled += 1
            if line.hasPrefix("ACK "), let batch = Int(line.dropFirst(4)) {
                seen = max(seen, batch)
            } else if line.hasPrefix("OPENED ") {
                if plan.backsUp { nextBackupAt = now + plan.backupGap(0) }
            } else if line.hasPrefix("COMPACT-START ") {
                compactStarts += 1
                if plan.kind == .compaction && compactStarts == plan.compactTarget { killAt = now + plan.compactDelay * 1_000 }
            }
        }
        guard let backupChild else { return }
        while backupChild.handled < backupChild.lines.count {
            let line = backupChild.lines[backupChild.handled]
            backupChild.handled += 1
            if line.hasPrefix("BACKUP-DONE ") || line.hasPrefix("BACKUP-ERROR ") {
                backupBusy = false
                nextBackupAt = now + plan.backupGap(requested.count)
            }
        }
    }

    /// Reads the children's lines and asks for backups until the kill is due,
    /// the writer has ended, or five seconds have passed.
    mutating func runUntilKill() {
        while true {
            let now = monotonicNanoseconds()
            handleLines(now)
            if let killAt, now >= killAt { break }
            if now >= giveUp || writer.isAtEnd { break }
            if let backupChild, !backupBusy, let at = nextBackupAt, now >= at, requested.count < plan.backupTarget {
                askForBackup(backupChild, now)
                continue
            }
            var wait: UInt64 = 2_000_000
            if let killAt { wait = min(wait, killAt > now ? killAt - now : 0) }
            if let at = nextBackupAt, !backupBusy { wait = min(wait, at > now ? at - now : 0) }
            pump(children, microseconds: wait / 1_000)
        }
    }

    /// Asks the backup child for the next backup; the kill comes after the one the plan names.
    private mutating func askForBackup(_ backupChild: Child, _ now: UInt64) {
        // What the parent has seen acknowledged before it asks is in the backup.
        pump([writer], microseconds: 0)
        handleLines(now)
        let number = requested.count + 1
        let destination = workFolder + "/backup-\(round)-\(number)"
        if backupChild.send("\(number) \(destination)") {
            requested.append(RequestedBackup(number: number, destination: destination, acknowledgedBefore: seen))
            backupBusy = true
            nextBackupAt = nil
            if number == plan.backupTarget { killAt = monotonicNanoseconds() + plan.backupDelay * 1_000 }
        }
    }

    /// Kills the writer, and the backup child with it when the plan says so,
    /// or else lets a copy in progress finish; then reads the rest of their
    /// output. Returns the moment of the kill.
    mutating func killChildren() -> UInt64 {
        let killTime = monotonicNanoseconds()
        if plan.kind == .backupKillBoth { backupChild?.kill() }
        writer.kill()
        if plan.kind == .backupKillWriter, let backupChild {
            // The copy in progress goes on against the crashed store; let it finish.
            let deadline = monotonicNanoseconds() + 20_000_000_000
            while backupBusy && !backupChild.isAtEnd && monotonicNanoseconds() < deadline {
                pump([backupChild], microseconds: 5_000)
                handleLines(monotonicNanoseconds())
            }
            if backupBusy { backupChild.kill() }
        }
        backupChild?.finish()
        writer.finish()
        return killTime
    }
}

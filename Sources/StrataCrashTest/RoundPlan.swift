// What a round does, drawn from the seed as it begins: how the writer is
// killed, when, and whether the checker closes the store afterwards.
import Strata

/// How a round's writer is killed.
enum RoundKind: Int, CaseIterable {
    /// The writer is killed at a random moment.
    case anyMoment
    /// The writer is killed just after it starts a `compact()`.
    case compaction
    /// The writer and a backup child are killed together, just after a backup starts.
    case backupKillBoth
    /// The writer is killed just after a backup starts; the backup finishes.
    case backupKillWriter

    var name: String {
        switch self {
        case .anyMoment: "at a random moment"
        case .compaction: "just after compact() began"
        case .backupKillBoth: "writer and backup killed together"
        case .backupKillWriter: "writer killed mid-backup, backup finishes"
        }
    }

    /// 40% random moments, 25% compactions, 20% and 15% the two backup kinds.
    init(draw: UInt64) {
        switch draw % 20 {
        case 0..<8: self = .anyMoment
        case 8..<13: self = .compaction
        case 13..<17: self = .backupKillBoth
        default: self = .backupKillWriter
        }
    }
}

/// A round's choices. The same number of draws every round, so each round's
/// choices depend only on the seed and its number.
struct RoundPlan {
    let kind: RoundKind
    /// µs after the start, for a kill at a random moment.
    let killDelay: UInt64
    /// The COMPACT-START to kill after.
    let compactTarget: Int
    /// µs after it (a compact() takes tens of ms).
    let compactDelay: UInt64
    /// The backup to kill during.
    let backupTarget: Int
    /// µs after asking for it (a copy takes about 10 ms).
    let backupDelay: UInt64
    /// The waits before the backups, a byte each (see `backupGap`).
    let backupGapDraw: UInt64
    /// Whether the checker closes the store after its check.
    let cleanClose: Bool

    /// Draws a plan; `cleanCloses` false (--no-clean-close) leaves out the last draw.
    init(cleanCloses: Bool, using random: inout SplitMix64) {
        kind = RoundKind(draw: random.next())
        killDelay = 5_000 + random.next() % 120_000
        compactTarget = 1 + Int(random.next() % 2)
        compactDelay = random.next() % 30_000
        backupTarget = 1 + Int(random.next() % 3)
        backupDelay = random.next() % 15_000
        backupGapDraw = random.next()
        cleanClose = cleanCloses && random.next() % 4 == 0
    }

    /// Whether a backup child copies the store during the round.
    var backsUp: Bool { kind == .backupKillBoth || kind == .backupKillWriter }

    /// Nanoseconds to wait before asking for backup `n + 1`: after the writer
    /// has opened the store (n = 0), or after the previous backup ended.
    func backupGap(_ n: Int) -> UInt64 { (backupGapDraw >> UInt64(8 * (n % 4))) % 8_000 * 1_000 }
}

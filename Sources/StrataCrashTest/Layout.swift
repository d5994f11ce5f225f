// The data the writers append and the checkers expect: which batch holds
// which points, at what times and with what values, and the stores'
// configurations.
import Strata

let devices = 5
let maximumBatchSize = 400

/// Where each batch's points lie in time. Everything follows from the batch
/// number, the seed (batch sizes) and `recentBase`, so a point's timestamp
/// tells which batch and index it is.
struct Layout {
    /// 2023-01-02 00:00 UTC, a Monday: batch 0's time.
    static let epoch: Int64 = 1_672_617_600_000
    /// Consecutive batches are six hours apart: a store's batches span many
    /// weeks and several 16-week windows, all long over.
    static let step: Int64 = 21_600_000
    /// A late batch (b % 7 == 3) lies 480 steps (120 days) back, 500 ms into
    /// its step, so it never shares a timestamp with an on-time batch.
    static let lateSteps = 480
    static let lateOffset: Int64 = 500
    /// A recent batch (b % 11 == 5) lies `recentBase + (b / 11) * 10 min`.
    static let recentStep: Int64 = 600_000
    static let day = Milliseconds.day
    /// The child appends no batch from here on, so the main span ends years
    /// before the recent days (the parent starts a fresh store long before).
    static let batchLimit = 4_000

    let seed: UInt64
    /// Three days before today (UTC) when the run began; 0 when the clock is
    /// too early for recent batches (then b % 11 == 5 is an ordinary batch).
    let recentBase: Int64

    enum Kind { case onTime, late, recent }

    func kind(_ batch: Int) -> Kind {
        if recentBase != 0 && batch % 11 == 5 { return .recent }
        return batch % 7 == 3 ? .late : .onTime
    }

    func size(_ batch: Int) -> Int {
        var z = (UInt64(batch) ^ seed) &* 0xD6E8_FEB8_6659_FD93
        z ^= z >> 32
        return 1 + Int(z % UInt64(maximumBatchSize))
    }

    func timestamp(batch: Int, index: Int) -> Int64 {
        switch kind(batch) {
        case .onTime: Self.epoch + Int64(batch) * Self.step + Int64(index)
        case .late: Self.epoch + Int64(batch - Self.lateSteps) * Self.step + Self.lateOffset + Int64(index)
        case .recent: recentBase + Int64(batch / 11) * Self.recentStep + Int64(index)
        }
    }

    /// The batch and index a timestamp belongs to; nil when no batch has a point there.
    func locate(_ time: Int64) -> (batch: Int, index: Int)? {
        if recentBase != 0 && time >= recentBase {
            guard time < recentBase + Int64(Self.batchLimit / 11 + 1) * Self.recentStep else { return nil }
            let offset = time - recentBase
            let batch = Int(offset / Self.recentStep) * 11 + 5, index = Int(offset % Self.recentStep)
            return index < maximumBatchSize && kind(batch) == .recent ? (batch, index) : nil
        }
        let first = Self.epoch - Int64(Self.lateSteps) * Self.step
        guard time >= first, time < Self.epoch + Int64(Self.batchLimit) * Self.step else { return nil }
        let offset = time - first
        let slot = Int(offset / Self.step) - Self.lateSteps, rest = offset % Self.step
        if rest < Int64(maximumBatchSize) {
            return slot >= 0 && kind(slot) == .onTime ? (slot, Int(rest)) : nil
        }
        if rest >= Self.lateOffset && rest < Self.lateOffset + Int64(maximumBatchSize) {
            let batch = slot + Self.lateSteps
            return kind(batch) == .late ? (batch, Int(rest - Self.lateOffset)) : nil
        }
        return nil
    }

    /// Three days before today (UTC), or 0 when that is not well after the main span.
    static func recentBase(now: Int64) -> Int64 {
        let base = now / day * day - 3 * day
        let mainEnd = epoch + Int64(batchLimit) * step + 30 * day
        return base > mainEnd ? base : 0
    }
}

/// The value of point `index` of `batch`: a hash, so a wrong or shifted value is caught.
func value(batch: Int, index: Int) -> Double {
    var z = UInt64(batch) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return Double(z >> 11) * 0x1p-53 * 1000
}

/// The writer's configuration: small flushes, and a background compaction that
/// starts after every second flush and is never throttled.
func writerConfiguration() -> Configuration {
    var configuration = Configuration()
    configuration.headFlushThreshold = 2_000
    configuration.pointsPerChunk = 256
    configuration.compaction.runsInBackground = true
    configuration.compaction.flushedSegmentTrigger = 2
    configuration.compaction.backgroundBytesPerSecond = 0
    configuration.compaction.openDaySegmentLimit = 2
    return configuration
}

/// The checker's: the same, without a background compaction of its own.
func checkerConfiguration() -> Configuration {
    var configuration = writerConfiguration()
    configuration.compaction.runsInBackground = false
    return configuration
}

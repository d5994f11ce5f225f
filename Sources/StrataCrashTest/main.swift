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
import Foundation
import Strata

#if canImport(Glibc)
import Glibc
#endif

// MARK: - The data: batches, timestamps and values

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
    static let day: Int64 = 86_400_000
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

func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

/// One unbuffered write, so a line is either wholly in the pipe or not at all when the kill comes.
func standardOutput(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { _ = write(1, $0.baseAddress, $0.count) }
}

// MARK: - The children

/// Installs one fault on the store at `path`, drawn from `faultSeed`.
func installFault(store path: String, faultSeed: UInt64) {
    var state = faultSeed
    func draw() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let operations: [FaultInjection.Operation] = [.write, .sync, .open, .rename, .link, .unlink, .directorySync]
    let operation = operations[Int(draw() % UInt64(operations.count))]
    // Writes and syncs come with every append; the others with flushes and compactions.
    // Drawn small enough that most writers reach the fault before their kill.
    let reach: UInt64 = operation == .write || operation == .sync ? 60 : operation == .open ? 30 : 10
    let skip = Int(draw() % reach)
    let code = draw() % 2 == 0 ? ENOSPC : EIO
    FaultInjection.install(.init(pathPrefix: path, operation: operation, effect: .fail(code), skip: skip))
    standardOutput("FAULT \(operation) skip \(skip) errno \(code)\n")
}

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

// MARK: - Checking a store

/// What point checks found.
struct Tally {
    var checks = 0
    var pointsChecked = 0
    var lost = 0
    /// Wrong values, and batches after the acknowledged ones that are present only in part.
    var wrong = 0
    var duplicates = 0
    /// Points no allowed batch has.
    var unexpected = 0

    var isClean: Bool { lost == 0 && wrong == 0 && duplicates == 0 && unexpected == 0 }

    static func += (a: inout Tally, b: Tally) {
        a.checks += b.checks
        a.pointsChecked += b.pointsChecked
        a.lost += b.lost
        a.wrong += b.wrong
        a.duplicates += b.duplicates
        a.unexpected += b.unexpected
    }
}

/// Checks every batch through `acknowledged` (whole, once, with its values);
/// a batch after it, through `allowed`, may be present (whole) or absent;
/// any other point is unexpected.
func check(_ store: Store, layout: Layout, acknowledged: Int, allowed: Int) throws -> Tally {
    var tally = Tally()
    tally.checks = 1
    for device in 0..<devices {
        let points = try store.query(device: "dev-\(device)", metric: "m")
        if points.type != nil && points.type != .float64 { tally.wrong += points.count; continue }
        var found: [Int: Int] = [:]
        var previous: Int64?
        for (time, bits) in zip(points.timestamps, points.valueBitPatterns) {
            defer { previous = time }
            if time == previous { tally.duplicates += 1; continue }
            guard let (batch, index) = layout.locate(time), batch % devices == device, batch <= allowed, index < layout.size(batch) else {
                tally.unexpected += 1
                continue
            }
            guard bits == value(batch: batch, index: index).bitPattern else { tally.wrong += 1; continue }
            found[batch, default: 0] += 1
        }
        for (batch, count) in found where batch > acknowledged && count != layout.size(batch) {
            tally.wrong += 1
        }
        for batch in stride(from: device, through: acknowledged, by: devices) {
            let size = layout.size(batch)
            tally.lost += max(0, size - (found[batch] ?? 0))
            tally.pointsChecked += size
        }
    }
    return tally
}

/// Every file under `path` with its size, for a failure report.
func listing(_ path: String) -> String {
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return "  (cannot list \(path))" }
    var lines: [String] = []
    while let name = enumerator.nextObject() as? String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
        if attributes?[.type] as? FileAttributeType == .typeDirectory { lines.append("  \(name)/"); continue }
        lines.append("  \(name)  \(attributes?[.size] as? Int ?? -1) bytes")
    }
    return lines.sorted().joined(separator: "\n")
}

/// Waits until no process or object holds the store's writer lock (a store
/// dropped without `close()` releases it when it is deallocated).
func waitUntilUnlocked(_ path: String) -> Bool {
    let descriptor = open(path + "/STRATA.lock", O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return true }
    defer { close(descriptor) }
    let deadline = monotonicNanoseconds() + 10_000_000_000
    while monotonicNanoseconds() < deadline {
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return true
        }
        usleep(1_000)
    }
    return false
}

/// A copy of the store as the kill left it (segments hard-linked: they are
/// immutable), kept when a check fails.
func snapshot(_ path: String, to target: String) {
    let files = FileManager.default
    try? files.removeItem(atPath: target)
    guard let names = try? files.contentsOfDirectory(atPath: path) else { return }
    try? files.createDirectory(atPath: target, withIntermediateDirectories: true)
    for name in names {
        let from = path + "/" + name, to = target + "/" + name
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: from, isDirectory: &isDirectory) else { continue }
        if isDirectory.boolValue {
            try? files.createDirectory(atPath: to, withIntermediateDirectories: true)
            for inner in (try? files.contentsOfDirectory(atPath: from)) ?? [] {
                if name == "segments" && link(from + "/" + inner, to + "/" + inner) == 0 { continue }
                try? files.copyItem(atPath: from + "/" + inner, toPath: to + "/" + inner)
            }
        } else {
            try? files.copyItem(atPath: from, toPath: to)
        }
    }
}

/// What a kill left in `segments/` beside the segments the manifest lists.
struct Leftovers {
    /// Unlisted segments older than a listed compacted one: inputs of a
    /// compaction that was published, whose removal the kill cut short.
    var compactionInputs = 0
    /// Finished segments no manifest lists yet, and unfinished (.tmp) ones.
    var unpublished = 0
    var temporary = 0

    /// True when only a compaction leaves this: inputs not yet removed, or
    /// more unpublished files than the one a flush writes at a time.
    var showCompaction: Bool { compactionInputs > 0 || unpublished + temporary >= 2 }
    var isEmpty: Bool { compactionInputs == 0 && unpublished == 0 && temporary == 0 }

    init(_ path: String, listed: [SegmentFile]) {
        let live = Set(listed.map(\.sequence))
        let newestCompacted = listed.filter { $0.level != 0 }.map(\.sequence).max() ?? 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path + "/segments")) ?? [] {
            if name.hasSuffix(".seg.tmp") {
                temporary += 1
            } else if name.hasSuffix(".seg"), let sequence = UInt64(name.dropLast(4)), !live.contains(sequence) {
                if sequence < newestCompacted { compactionInputs += 1 } else { unpublished += 1 }
            }
        }
    }
}

// MARK: - Running children from the parent

/// A child process whose standard output the parent reads line by line as it comes.
final class Child {
    let process = Process()
    private let output = Pipe()
    private let input: Pipe?
    private var pending: [UInt8] = []
    private(set) var lines: [Substring] = []
    private(set) var isAtEnd = false
    /// How many of `lines` the parent has acted on.
    var handled = 0

    init(_ arguments: [String], withInput: Bool = false) throws {
        input = withInput ? Pipe() : nil
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        process.standardOutput = output
        if let input { process.standardInput = input }
        try process.run()
    }

    var descriptor: Int32 { output.fileHandleForReading.fileDescriptor }

    func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            pending += chunk[0..<count]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(Substring(String(decoding: pending[..<newline], as: UTF8.self)))
                pending.removeSubrange(...newline)
            }
        } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
            isAtEnd = true
        }
    }

    /// Sends one line to the child's standard input; false when it is gone.
    func send(_ line: String) -> Bool {
        guard let input else { return false }
        var bytes = Array((line + "\n").utf8)
        let fd = input.fileHandleForWriting.fileDescriptor
        return bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    func closeInput() { try? input?.fileHandleForWriting.close() }

    func kill() { killProcess(process.processIdentifier) }

    /// Waits for the process to end and reads the rest of its output.
    func finish() {
        closeInput()
        process.waitUntilExit()
        while !isAtEnd { readAvailable() }
    }

    var text: String { lines.joined(separator: "\n") }
}

/// Sends SIGKILL to `pid` (a free function: inside `Child`, `kill` names its method).
func killProcess(_ pid: Int32) {
    _ = kill(pid, SIGKILL)
}

/// Reads what the children wrote, waiting at most `microseconds` for something.
func pump(_ children: [Child], microseconds: UInt64) {
    let open = children.filter { !$0.isAtEnd }
    if microseconds < 1_000 {
        if microseconds > 0 { usleep(useconds_t(microseconds)) }
        guard !open.isEmpty else { return }
    } else if open.isEmpty {
        usleep(useconds_t(min(microseconds, 5_000)))
        return
    }
    var descriptors = open.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
    let timeout = microseconds < 1_000 ? Int32(0) : Int32(min(microseconds / 1_000, 5))
    guard poll(&descriptors, nfds_t(descriptors.count), timeout) > 0 else { return }
    for (child, descriptor) in zip(open, descriptors) where descriptor.revents != 0 {
        child.readAvailable()
    }
}

// MARK: - The parent

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

/// A backup the parent asked for: where, and what was acknowledged before it asked.
struct RequestedBackup {
    let number: Int
    let destination: String
    let acknowledgedBefore: Int
}

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
    private var random: UInt64

    init(store path: String, seed: UInt64, recentBase: Int64, cleanCloses: Bool, faults: Bool) {
        self.path = path
        self.cleanCloses = cleanCloses
        self.faults = faults
        self.seed = seed
        self.layout = Layout(seed: seed, recentBase: recentBase)
        self.workFolder = path + ".work"
        random = seed
    }

    func nextRandom() -> UInt64 {
        random &+= 0x9E37_79B9_7F4A_7C15
        var z = random
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        return z ^ (z >> 27)
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

    // One round: start a writer (and a backup child), kill, check.
    func runRound(_ round: Int) {
        let kind = RoundKind(draw: nextRandom())
        // The same number of draws every round, so each round's choices depend only on the seed and its number.
        let killDelay = 5_000 + nextRandom() % 120_000  // µs, random moments
        let compactTarget = 1 + Int(nextRandom() % 2)  // the COMPACT-START to kill after
        let compactDelay = nextRandom() % 30_000  // µs after it (a compact() takes tens of ms)
        let backupTarget = 1 + Int(nextRandom() % 3)  // the backup to kill during
        let backupDelay = nextRandom() % 15_000  // µs after asking for it (a copy takes about 10 ms)
        let backupGapDraw = nextRandom()
        let cleanClose = cleanCloses && nextRandom() % 4 == 0  // the checker closes the store after its check
        totals.roundsByKind[kind.rawValue] += 1
        let before = acknowledged

        let writer: Child
        do {
            // The fault's seed follows from the seed and the round, without a draw, so rounds stay comparable with and without --faults.
            let faultSeed = faults ? [String(seed &* 0x2545_F491_4F6C_DD1D ^ UInt64(round))] : []
            writer = try Child(["child", path, String(acknowledged + 1), String(seed), String(layout.recentBase)] + faultSeed)
        } catch {
            print("cannot start the child: \(error)")
            exit(2)
        }
        let backing = kind == .backupKillBoth || kind == .backupKillWriter
        var backupChild: Child?
        if backing {
            do { backupChild = try Child(["backup-child", path], withInput: true) } catch {
                print("cannot start the backup child: \(error)")
                exit(2)
            }
        }
        let children = [writer] + (backupChild.map { [$0] } ?? [])
        if backing { try? FileManager.default.createDirectory(atPath: workFolder, withIntermediateDirectories: true) }

        let started = monotonicNanoseconds()
        let giveUp = started + 5_000_000_000
        var killAt: UInt64? = kind == .anyMoment ? started + killDelay * 1_000 : nil
        var seen = acknowledged
        var compactStarts = 0
        var requested: [RequestedBackup] = []
        var backupBusy = false
        var nextBackupAt: UInt64?
        func backupGap(_ n: Int) -> UInt64 { (backupGapDraw >> UInt64(8 * (n % 4))) % 8_000 * 1_000 }

        func handleLines(_ now: UInt64) {
            while writer.handled < writer.lines.count {
                let line = writer.lines[writer.handled]
                writer.handled += 1
                if line.hasPrefix("ACK "), let batch = Int(line.dropFirst(4)) {
                    seen = max(seen, batch)
                } else if line.hasPrefix("OPENED ") {
                    if backing { nextBackupAt = now + backupGap(0) }
                } else if line.hasPrefix("COMPACT-START ") {
                    compactStarts += 1
                    if kind == .compaction && compactStarts == compactTarget { killAt = now + compactDelay * 1_000 }
                }
            }
            guard let backupChild else { return }
            while backupChild.handled < backupChild.lines.count {
                let line = backupChild.lines[backupChild.handled]
                backupChild.handled += 1
                if line.hasPrefix("BACKUP-DONE ") || line.hasPrefix("BACKUP-ERROR ") {
                    backupBusy = false
                    nextBackupAt = now + backupGap(requested.count)
                }
            }
        }

        while true {
            let now = monotonicNanoseconds()
            handleLines(now)
            if let killAt, now >= killAt { break }
            if now >= giveUp || writer.isAtEnd { break }
            if let backupChild, !backupBusy, let at = nextBackupAt, now >= at, requested.count < backupTarget {
                // What the parent has seen acknowledged before it asks is in the backup.
                pump([writer], microseconds: 0)
                handleLines(now)
                let number = requested.count + 1
                let destination = workFolder + "/backup-\(round)-\(number)"
                if backupChild.send("\(number) \(destination)") {
                    requested.append(RequestedBackup(number: number, destination: destination, acknowledgedBefore: seen))
                    backupBusy = true
                    nextBackupAt = nil
                    if number == backupTarget { killAt = monotonicNanoseconds() + backupDelay * 1_000 }
                }
                continue
            }
            var wait: UInt64 = 2_000_000
            if let killAt { wait = min(wait, killAt > now ? killAt - now : 0) }
            if let at = nextBackupAt, !backupBusy { wait = min(wait, at > now ? at - now : 0) }
            pump(children, microseconds: wait / 1_000)
        }
        let killTime = monotonicNanoseconds()
        if kind == .backupKillBoth { backupChild?.kill() }
        writer.kill()
        if kind == .backupKillWriter, let backupChild {
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
        totals.kills += 1

        // What the writer did, from its whole output.
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
        totals.acknowledgedBatches += acknowledged - before
        if compactOpen { totals.killsDuringCompact += 1 }

        // Which backups were running when the writer was killed, and which finished.
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

        let context = "plan: \(kind.name); kill inside compact(): \(compactOpen ? "yes" : "no"); during a backup: \(inProgressAtKill ? "yes" : "no"); the checker last closed this store cleanly \(lastCleanClose.map { "after round \($0)" } ?? "never")"
        checkStore(round, context: context, cleanClose: cleanClose)
        for backup in requested {
            checkBackup(round, backup, reportedDone: finished.contains(backup.number))
        }
        try? FileManager.default.removeItem(atPath: workFolder)
        if (round + 1) % 100 == 0 {
            print("after \(round + 1) kills: \(totals.acknowledgedBatches) batches acknowledged, \(totals.store.pointsChecked + totals.backup.pointsChecked) point checks, lost \(totals.store.lost + totals.backup.lost), \(totals.killsDuringCompact) kills in compact(), \(totals.killsDuringBackup) during a backup, \(totals.backupsChecked) backups checked")
            fflush(nil)
        }
    }

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
        do {
            let store = try Store(at: path, configuration: checkerConfiguration(), create: false)
            totals.recoveries += 1
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
        if cleanClose { lastCleanClose = round }
        if !waitUntilUnlocked(path) {
            fail(round, "the checker's store still holds the writer lock")
            totals.openFailures += 1
        }
    }

    /// A backup: no store at all when the copy was cut short before its marker;
    /// otherwise a store that verifies clean and holds every batch acknowledged
    /// before the parent asked for it.
    func checkBackup(_ round: Int, _ backup: RequestedBackup, reportedDone: Bool) {
        totals.backupsRequested += 1
        let destination = backup.destination
        guard FileManager.default.fileExists(atPath: destination + "/STRATA") else {
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
        let seconds = Date().timeIntervalSince(started)
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
        return t.isClean ? 0 : 1
    }
}

// MARK: - Arguments

let arguments = CommandLine.arguments
let usage = "usage: strata-crash-test run [--store DIR] [--kills N] [--seed S] [--recent-base MS] [--no-clean-close] [--faults]"
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
    // strata-crash-test sync --work DIR [--kills N] [--seed S]: see SyncCrashTest.swift.
    var work = NSTemporaryDirectory() + "strata-sync-crash-test"
    var kills = 200
    var seed: UInt64 = 1
    var index = 2
    while index + 1 < arguments.count {
        switch arguments[index] {
        case "--work": work = arguments[index + 1]
        case "--kills": kills = Int(arguments[index + 1]) ?? kills
        case "--seed": seed = UInt64(arguments[index + 1]) ?? seed
        default:
            print("usage: strata-crash-test sync [--work DIR] [--kills N] [--seed S]")
            exit(64)
        }
        index += 2
    }
    do {
        exit(try SyncCrashTest(work: work, seed: seed).run(kills: kills))
    } catch {
        print("could not set up the store: \(error)")
        exit(1)
    }
}
guard arguments.count >= 2, arguments[1] == "run" else {
    print(usage)
    exit(64)
}
var store = NSTemporaryDirectory() + "strata-crash-test/store"
var kills = 100
var seed: UInt64 = 1
var recentBase = Layout.recentBase(now: Int64(Date().timeIntervalSince1970 * 1000))
var cleanCloses = true
var faults = false
var index = 2
while index < arguments.count {
    if arguments[index] == "--no-clean-close" || arguments[index] == "--faults" {
        if arguments[index] == "--faults" { faults = true } else { cleanCloses = false }
        index += 1
        continue
    }
    guard index + 1 < arguments.count else {
        print(usage)
        exit(64)
    }
    switch arguments[index] {
    case "--store": store = arguments[index + 1]
    case "--kills": kills = Int(arguments[index + 1]) ?? kills
    case "--seed": seed = UInt64(arguments[index + 1]) ?? seed
    case "--recent-base": recentBase = Int64(arguments[index + 1]) ?? recentBase
    default:
        print(usage)
        exit(64)
    }
    index += 2
}
exit(CrashTest(store: store, seed: seed, recentBase: recentBase, cleanCloses: cleanCloses, faults: faults).run(kills: kills))

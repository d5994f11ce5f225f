// The lake sync's crash test (`strata-crash-test sync`, `tools/sync-crash-test`):
// a parent keeps a store and changes it between rounds (new points, late
// points, overwrites, deletions, compactions, retention); each round a child
// process syncs the store into one lake and is killed (SIGKILL) at a random
// moment drawn over the length of the children's syncs so far. After every
// kill no visible file of the lake may be partial or temporary. Every third
// round, and at the end, the parent itself syncs to completion and the lake
// must then equal, file for file and byte for byte, a first sync of the
// store into an empty directory: every point of the store, checked.
import Foundation
import Strata

import Glibc

/// The child: syncs STORE (opened read-only, beside the parent's writer) into LAKE, then says so.
func runSyncChild(store path: String, lake: String) -> Never {
    do {
        let store = try Store(at: path, mode: .readOnly, create: false)
        let summary = try LakeSync(destination: lake).sync(store)
        standardOutput("SYNCED \(summary.written) \(summary.rewritten) \(summary.deleted)\n")
        exit(0)
    } catch {
        standardOutput("SYNC-ERROR \(error)\n")
        exit(1)
    }
}

final class SyncCrashTest {
    static let day = Milliseconds.day
    static let metrics = ["temperature", "power"]
    let storePath: String
    let lake: String
    let scratch: String
    var random: SplitMix64
    let devices = (0..<30).map { "meter-\($0)" }
    /// The first day of the data: twelve days ago, so that retention of 8 to 11 days expires some of it.
    let firstDay: Int64
    var store: Store
    /// The next day a "new day" change appends.
    var nextDay: Int64

    var kills = 0, completedChildren = 0, rounds = 0, comparisons = 0, pointsChecked = 0, partitionsChecked = 0
    var partialFiles = 0, mismatches = 0, childErrors = 0
    /// Kills that left the pending runs recorded (the sync was changing the lake), and a temporary partition file.
    var killsMidWork = 0, killsMidFile = 0
    var pendingPath: String {
        let identity = (try? String(contentsOfFile: storePath + "/STRATA.id", encoding: .utf8)) ?? ""
        return lake + "/_strata_sync/" + identity.trimmingCharacters(in: .newlines) + ".pending"
    }
    var changesByKind = [Int](repeating: 0, count: 8)
    /// Microseconds the children took to sync, for drawing the next kill's moment.
    var childDurations: [UInt64] = []
    var failures: [String] = []

    init(work: String, seed: UInt64) throws {
        storePath = work + "/store"
        lake = work + "/lake"
        scratch = work + "/fresh"
        random = SplitMix64(seed: seed)
        let today = Int64(Date().timeIntervalSince1970 * 1000) / Self.day
        firstDay = today - 12
        nextDay = firstDay + 8
        store = try Store(at: storePath, configuration: Self.configuration(retentionDays: nil))
        for day in firstDay..<nextDay { try appendDay(day, devices: devices) }
    }

    static func configuration(retentionDays: Int64?) -> Configuration {
        var configuration = Configuration()
        configuration.pointsPerChunk = 256
        configuration.headFlushThreshold = 200_000
        if let retentionDays { configuration.retention = RetentionPolicy(maximumAgeMilliseconds: retentionDays * day) }
        return configuration
    }

    func appendDay(_ day: Int64, devices chosen: [String]) throws {
        for device in chosen {
            try append(device: device, from: day * Self.day, count: 1440, step: 60_000)
        }
    }

    func append(device: String, from start: Int64, count: Int, step: Int64) throws {
        var batch = WriteBatch()
        for metric in Self.metrics {
            for index in 0..<count {
                let value = Double(Int.random(in: -20_000...20_000, using: &random)) / 100
                try batch.append(device: device, metric: metric, timestamp: start + Int64(index) * step, value: value)
            }
        }
        try store.append(batch)
    }

    /// One random change of the store between syncs.
    func change() throws {
        let kind = Int.random(in: 0..<8, using: &random)
        changesByKind[kind] += 1
        let device = devices.randomElement(using: &random)!
        let day = Int64.random(in: firstDay..<nextDay, using: &random)
        switch kind {
        case 0:  // late points into an old day, off the minute grid
            try append(device: device, from: day * Self.day + 7_777, count: 30, step: 61_000)
        case 1:  // overwrites of existing timestamps
            try append(device: device, from: day * Self.day, count: 60, step: 60_000)
        case 2:  // a deleted range, of one metric or all
            try store.delete(device: device, metric: Bool.random(using: &random) ? "power" : nil,
                             from: day * Self.day + 3_600_000, to: (day + Int64.random(in: 1...2, using: &random)) * Self.day)
        case 3:
            try store.delete(device: device)
        case 4:
            try store.flush()
            try store.compact()
        case 5:  // retention as `strata compact --retention` applies it: reopened with an age limit, compacted, reopened without
            // (a store kept open with one hides points as the clock moves: two syncs a moment apart may then differ).
            try store.close()
            store = try Store(at: storePath, configuration: Self.configuration(retentionDays: Int64.random(in: 8...11, using: &random)))
            try store.compact()
            try store.close()
            store = try Store(at: storePath, configuration: Self.configuration(retentionDays: nil))
        case 6:  // a new day for a third of the fleet
            try appendDay(nextDay, devices: devices.filter { _ in Int.random(in: 0..<3, using: &random) == 0 })
            nextDay += 1
        default:  // a new day for the whole fleet: a long sync, to be killed half way
            try appendDay(nextDay, devices: devices)
            nextDay += 1
        }
    }

    func fail(_ message: String) {
        failures.append("round \(rounds): \(message)")
        print("FAIL round \(rounds): \(message)")
    }

    /// Starts a child sync and kills it at a random moment, unless it finishes first.
    func killedSync() throws {
        // Over the longest of the recent completed syncs and then some, so kills land in every phase
        // (process start, store open, pending record, partition writes, state replacement).
        let recent = childDurations.suffix(20)
        let span = max(recent.max().map { $0 + $0 / 2 } ?? 500_000, 20_000)
        let delay = UInt64.random(in: 0...span, using: &random)
        let child = try Child(["sync-child", storePath, lake])
        let started = monotonicNanoseconds()
        while !child.isAtEnd && (monotonicNanoseconds() - started) / 1_000 < delay {
            pump([child], microseconds: 500)
        }
        let finishedFirst = child.text.contains("SYNCED") || child.text.contains("SYNC-ERROR")
        if !finishedFirst { child.kill() }
        child.finish()
        let text = child.text
        if text.contains("SYNC-ERROR") {
            childErrors += 1
            fail("the child's sync failed: \(text)")
        } else if text.contains("SYNCED") {
            completedChildren += 1
            childDurations.append((monotonicNanoseconds() - started) / 1_000)
        } else {
            kills += 1
            let hidden = Self.files(under: lake).keys.filter { ($0.split(separator: "/").last ?? "").hasPrefix(".") }
            if !hidden.isEmpty { killsMidFile += 1 }
            if FileManager.default.fileExists(atPath: pendingPath) { killsMidWork += 1 }
        }
        checkNoPartialFiles()
    }

    /// Every visible file of the lake is a whole Parquet file; nothing visible is temporary.
    func checkNoPartialFiles() {
        for (path, bytes) in Self.files(under: lake) {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            if name.hasPrefix(".") { continue }  // hidden: readers skip it
            if !name.hasSuffix(".parquet") || bytes.count < 8 || bytes.prefix(4) != Data("PAR1".utf8) || bytes.suffix(4) != Data("PAR1".utf8) {
                partialFiles += 1
                fail("\(path) is visible and not a whole Parquet file")
            }
        }
    }

    /// Syncs to completion here, then compares the lake with a first sync into an empty directory.
    func compareWithFreshSync() throws {
        _ = try LakeSync(destination: lake).sync(store)
        try? FileManager.default.removeItem(atPath: scratch)
        let fresh = try LakeSync(destination: scratch).sync(store)
        let expected = Self.files(under: scratch), found = Self.files(under: lake)
        comparisons += 1
        pointsChecked += fresh.rows
        partitionsChecked += expected.count
        let visibleFound = found.filter { !($0.key.split(separator: "/").last ?? "").hasPrefix(".") }
        if Set(visibleFound.keys) != Set(expected.keys) {
            mismatches += 1
            fail("files differ from a fresh sync: extra \(Set(visibleFound.keys).subtracting(expected.keys).sorted().prefix(3)), missing \(Set(expected.keys).subtracting(visibleFound.keys).sorted().prefix(3))")
        }
        let differing = expected.filter { found[$0.key] != nil && found[$0.key] != $0.value }.map(\.key)
        if !differing.isEmpty {
            mismatches += 1
            fail("\(differing.count) files differ from a fresh sync's, first \(differing.sorted().first!)")
        }
        let hidden = found.keys.filter { ($0.split(separator: "/").last ?? "").hasPrefix(".") }
        if !hidden.isEmpty { fail("temporary files left after a completed sync: \(hidden.sorted().prefix(3))") }
    }

    /// Files below `root` but the sync state, by relative path.
    static func files(under root: String) -> [String: Data] {
        var result: [String: Data] = [:]
        let manager = FileManager.default
        for relative in manager.subpaths(atPath: root) ?? [] where !relative.hasPrefix("_strata_sync") {
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue { result[relative] = manager.contents(atPath: root + "/" + relative) ?? Data() }
        }
        return result
    }

    func run(kills wanted: Int) -> Int32 {
        let started = Date()
        do {
            while kills < wanted {
                rounds += 1
                if rounds > 1 { try change() }
                try killedSync()
                if rounds % 3 == 0 { try compareWithFreshSync() }
                if rounds > wanted * 10 {
                    fail("only \(kills) kills in \(rounds) rounds: the children finish before the kill")
                    break
                }
            }
            try change()
            try compareWithFreshSync()
        } catch {
            fail("the parent failed: \(error)")
        }
        let seconds = Date().timeIntervalSince(started)
        let durations = childDurations.sorted()
        print("""
            lake sync crash test: \(rounds) rounds, \(kills) children killed mid-sync, \(completedChildren) finished before their kill \
            (median sync \(durations.isEmpty ? 0 : durations[durations.count / 2] / 1_000) ms with process start)
            changes between syncs: \(changesByKind[0]) late-point batches, \(changesByKind[1]) overwrites, \(changesByKind[2]) range deletions, \
            \(changesByKind[3]) device deletions, \(changesByKind[4]) compactions, \(changesByKind[5]) retention passes, \
            \(changesByKind[6] + changesByKind[7]) new days
            kills that left the sync's pending runs recorded (mid-work): \(killsMidWork), of them leaving a temporary partition file (mid-write): \(killsMidFile)
            after every kill: visible partial or temporary files: \(partialFiles)
            completed syncs compared with a fresh sync: \(comparisons), partitions compared byte for byte: \(partitionsChecked), points checked: \(pointsChecked), mismatches: \(mismatches)
            child sync errors: \(childErrors)
            time: \(String(format: "%.1f", seconds)) s
            """)
        print(failures.isEmpty ? "PASS" : "FAIL")
        return failures.isEmpty ? 0 : 1
    }
}

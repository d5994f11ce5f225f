// Checking a store after a kill: point by point against the layout, and the
// files the kill left behind; the helpers that keep and list a failing store.
import Foundation
import Strata

import Glibc

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

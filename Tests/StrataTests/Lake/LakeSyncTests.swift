import Foundation
import Testing
@testable import Strata

import Glibc
import StrataTestSupport

/// A lake kept by `LakeSync` must equal, file for file and byte for byte, a
/// first sync of the same store into an empty directory, after any sequence
/// of appends, late points, overwrites, deletions, compactions, retention
/// and interrupted syncs; and a sync must rewrite only what changed.
@Suite("Lake sync: incremental, exact, crash-safe, several stores in one lake")
struct LakeSyncTests {
    static let day = Milliseconds.day
    static let devices = ["pump-1", "pompe/é", "valve 7", "x"]
    static let metrics = ["temperature", "power"]

    /// Every file below `root` but the sync state, by relative path, with its bytes.
    static func files(under root: String) -> [String: Data] {
        var result: [String: Data] = [:]
        let manager = FileManager.default
        for relative in manager.subpaths(atPath: root) ?? [] where !relative.hasPrefix(LakeDirectory.stateFolderName) {
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue { result[relative] = manager.contents(atPath: root + "/" + relative) }
        }
        return result
    }

    /// Directories below `root` (but the state folder) that hold nothing.
    static func emptyDirectories(under root: String) -> [String] {
        let manager = FileManager.default
        return (manager.subpaths(atPath: root) ?? []).filter { relative in
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            return isDirectory.boolValue && ((try? manager.contentsOfDirectory(atPath: root + "/" + relative))?.isEmpty ?? false)
        }
    }

    /// Fails unless `lake` equals a first sync of `store` into an empty directory.
    static func expectEqualsFreshSync(_ lake: String, _ store: Store, options: LakeSync.Options = .init(), in directory: borrowing TemporaryDirectory,
                                      _ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fresh = directory.appending("fresh-\(UInt32.random(in: 0 ... .max))")
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        let summary = try LakeSync(destination: fresh, options: options).sync(store)
        #expect(summary.wasFullPass, sourceLocation: sourceLocation)
        let expected = files(under: fresh), found = files(under: lake)
        #expect(Set(found.keys) == Set(expected.keys), "\(context): files differ: extra \(Set(found.keys).subtracting(expected.keys).sorted()), missing \(Set(expected.keys).subtracting(found.keys).sorted())", sourceLocation: sourceLocation)
        for (path, bytes) in expected where found[path] != nil && found[path] != bytes {
            Issue.record("\(context): \(path) differs from a fresh sync", sourceLocation: sourceLocation)
        }
        #expect(emptyDirectories(under: lake).isEmpty, "\(context): empty directories left: \(emptyDirectories(under: lake))", sourceLocation: sourceLocation)
    }

    static func configuration(retentionDays: Int64? = nil) -> Configuration {
        var configuration = Configuration()
        configuration.pointsPerChunk = 64
        configuration.durability = .none
        if let retentionDays { configuration.retention = RetentionPolicy(maximumAgeMilliseconds: retentionDays * day) }
        return configuration
    }

    /// Appends `count` points a minute apart from `start` to every metric of `device`.
    static func append(_ store: Store, device: String, from start: Int64, count: Int, seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var batch = WriteBatch()
        for metric in metrics {
            for index in 0..<count {
                let value = Double(Int.random(in: -5000...5000, using: &random)) / 10
                try batch.append(device: device, metric: metric, timestamp: start + Int64(index) * 60_000, value: value)
            }
        }
        try store.append(batch)
    }

    @Test("granularity: names round-trip for days across the whole Int64 range; months and years start on their first day")
    func granularityNames() {
        var random = SeededGenerator(seed: 7)
        let extremes: [Int64] = [.min, .max, 0, -1, 1, 951_782_400_000, -62_135_596_800_001, 253_402_300_800_000]
        let timestamps = extremes + (0..<2_000).map { _ in Int64(bitPattern: random.next()) }
        for granularity in LakeGranularity.allCases {
            for timestamp in timestamps {
                let first = granularity.partition(of: timestamp)
                let (from, to) = granularity.timeRange(ofPartition: first)
                #expect(from <= timestamp && (timestamp < to || to == .max), "\(granularity) \(timestamp): [\(from), \(to))")
                #expect(granularity.partition(of: from) == first)
                let name = granularity.directoryName(ofPartition: first)
                #expect(granularity.partition(ofDirectoryName: name) == first, "\(granularity): \(name)")
                #expect(!name.hasPrefix("_") && !name.hasPrefix("."))
            }
        }
        #expect(LakeGranularity.month.directoryName(ofPartition: LakeGranularity.month.partition(of: 951_782_400_000)) == "month=2000-02")
        #expect(LakeGranularity.year.directoryName(ofPartition: LakeGranularity.year.partition(of: -1)) == "year=1969")
        #expect(LakeGranularity.day.directoryName(ofPartition: 11_016) == "date=2000-02-29")
        for name in ["date=2000-02-30", "date=2000-2-01", "month=2000-02-01", "date=", "date=+2000-01-01", "year=02000", "device=x", "date=2000-01-01x"] {
            #expect(LakeGranularity.day.partition(ofDirectoryName: name) == nil && LakeGranularity.year.partition(ofDirectoryName: name) == nil
                        && LakeGranularity.month.partition(ofDirectoryName: name) == nil, "\(name)")
        }
    }

    @Test("state and pending files round-trip; any changed or missing byte is a corrupt-file error naming the file, never a trap")
    func stateCodec() throws {
        let state = LakeSyncState(
            identity: StoreIdentity.random(), granularity: .month, selection: "pump-*,x", watermark: 1 << 40, headSpan: -5...Int64.max,
            segments: [.init(sequence: 3, first: .min, last: 7, points: 2), .init(sequence: 9, first: 0, last: 0, points: .max)],
            partitions: [.init(partition: LakePartition(device: "é", first: -3), digest: PartitionDigest(rows: 12, hash: .max)),
                         .init(partition: LakePartition(device: "pump-1", first: 19_000), digest: PartitionDigest(rows: 1, hash: 0))])
        let bytes = state.encoded()
        #expect(try LakeSyncState.decode(bytes, path: "s") == state)
        let pending = LakeSyncPending(identity: state.identity, runs: [.init(device: "a", first: .min, last: .max), .init(device: "", first: 0, last: 0)])
        #expect(try LakeSyncPending.decode(pending.encoded(), path: "p") == pending)
        for position in bytes.indices {
            var damaged = bytes
            damaged[position] ^= 0x5A
            #expect(throws: StrataError.self) { try LakeSyncState.decode(damaged, path: "s") }
        }
        for length in 0..<bytes.count {
            #expect(throws: StrataError.self) { try LakeSyncState.decode(Array(bytes.prefix(length)), path: "s") }
        }
        #expect(throws: StrataError.self) { try LakeSyncState.decode(pending.encoded(), path: "s") }
    }

    @Test("a store has one identity from creation; an old store without one gets one on first ask; a backup keeps it")
    func identity() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.appending("s"), configuration: Self.configuration())
        let first = try store.identity()
        #expect(try store.identity() == first)
        try FileManager.default.removeItem(atPath: directory.appending("s/STRATA.id"))
        let second = try store.identity()
        let third = try store.identity()
        #expect(second != first && third == second)
        try Self.append(store, device: "a", from: 0, count: 3, seed: 1)
        _ = try StoreBackup.copy(from: directory.appending("s"), to: directory.appending("copy"))
        #expect(try Store(at: directory.appending("copy"), mode: .readOnly, create: false).identity() == second)
        try Data("not an identity\n".utf8).write(to: URL(fileURLWithPath: directory.appending("s/STRATA.id")))
        #expect(throws: StrataError.self) { try store.identity() }
    }

    @Test("a second sync writes nothing; one late point rewrites exactly its partition; a compaction that changes no point rewrites nothing")
    func rewritesOnlyWhatChanged() throws {
        let directory = TemporaryDirectory()
        let base = 20_000 * Self.day
        let store = try Store(at: directory.appending("s"), configuration: Self.configuration())
        for (position, device) in Self.devices.enumerated() {
            try Self.append(store, device: device, from: base, count: 4 * 1440, seed: UInt64(position))
        }
        // Flushed: points still in the head at a sync are checked again at the next.
        try store.flush()
        let lake = directory.appending("lake")
        let first = try LakeSync(destination: lake).sync(store)
        #expect(first.wasFullPass && first.written == Self.devices.count * 4 && first.rewritten == 0 && first.deleted == 0)
        #expect(first.rows == Self.devices.count * Self.metrics.count * 4 * 1440)
        let again = try LakeSync(destination: lake).sync(store)
        #expect(!again.wasFullPass && again.written == 0 && again.rewritten == 0 && again.deleted == 0 && again.devicesRead <= Self.devices.count)

        try store.append(device: "x", metric: "power", timestamp: base + Self.day + 30_001, value: 1.5)
        let late = try LakeSync(destination: lake).sync(store)
        #expect(late.written == 0 && late.rewritten == 1 && late.deleted == 0 && late.devicesRead == 1, "\(late)")
        try Self.expectEqualsFreshSync(lake, store, in: directory, "after a late point")

        try store.flush()
        try store.compact()
        let compacted = try LakeSync(destination: lake).sync(store)
        #expect(compacted.written == 0 && compacted.rewritten == 0 && compacted.deleted == 0, "\(compacted)")
        try Self.expectEqualsFreshSync(lake, store, in: directory, "after a compaction")
    }

    @Test("random appends, late points, overwrites, deletions, compactions and retention: after each sync the lake equals a fresh one",
          arguments: [LakeGranularity.day, .month], [UInt64(1), 2, 3])
    func randomHistory(granularity: LakeGranularity, seed: UInt64) throws {
        let directory = TemporaryDirectory()
        var random = SeededGenerator(seed: seed)
        // Points near the wall clock, so that retention expires some of them.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let base = (now / Self.day - 40) * Self.day
        var options = LakeSync.Options()
        options.granularity = granularity
        let path = directory.appending("s")
        var store = try Store(at: path, configuration: Self.configuration())
        let lake = directory.appending("lake")
        for round in 0..<14 {
            let device = Self.devices.randomElement(using: &random)!
            let dayOffset = Int64.random(in: 0..<40, using: &random)
            switch Int.random(in: 0..<8, using: &random) {
            case 0, 1:
                try Self.append(store, device: device, from: base + dayOffset * Self.day + Int64.random(in: 0..<Self.day, using: &random),
                                count: Int.random(in: 1...300, using: &random), seed: random.next())
            case 2:
                try store.delete(device: device, metric: Bool.random(using: &random) ? "power" : nil,
                                 from: base + dayOffset * Self.day, to: base + (dayOffset + Int64.random(in: 1...3, using: &random)) * Self.day)
            case 3:
                try store.delete(device: device)
            case 4:
                try store.flush()
                try store.compact()
            case 5:
                // Retention as `strata compact --retention` applies it. (Kept open with it, the store would hide
                // points as the clock moves, and a fresh sync a moment later could differ: see retentionByTheClock.)
                try store.close()
                store = try Store(at: path, configuration: Self.configuration(retentionDays: Int64.random(in: 20...45, using: &random)))
                try store.compact()
                try store.close()
                store = try Store(at: path, configuration: Self.configuration())
            case 6:
                try store.flush()
            default:
                break
            }
            if round % 3 != 2 || round == 13 {
                _ = try LakeSync(destination: lake, options: options).sync(store)
                try Self.expectEqualsFreshSync(lake, store, options: options, in: directory, "seed \(seed) \(granularity) round \(round)")
            }
        }
    }

    @Test("a store opened with retention hides old points by the clock, without a compaction: the next sync removes them")
    func retentionByTheClock() throws {
        let directory = TemporaryDirectory()
        let today = Int64(Date().timeIntervalSince1970 * 1000) / Self.day
        let path = directory.appending("s")
        var store = try Store(at: path, configuration: Self.configuration())
        // Points 40 and 20 days old; the cutoff (30 days) is far from every point.
        for start in [today - 40, today - 20] {
            try Self.append(store, device: "a", from: start * Self.day, count: 2 * 1440, seed: UInt64(start))
        }
        try store.flush()
        let lake = directory.appending("lake")
        #expect(try LakeSync(destination: lake).sync(store).written == 4)
        try store.close()
        store = try Store(at: path, configuration: Self.configuration(retentionDays: 30))
        let summary = try LakeSync(destination: lake).sync(store)
        #expect(summary.deleted == 2 && summary.written == 0 && summary.rewritten == 0, "\(summary)")
        try Self.expectEqualsFreshSync(lake, store, in: directory, "after retention by the clock")
    }

    @Test("compactions between syncs: one that only moves synced points rewrites nothing; one that trims by retention or applies a deletion is seen")
    func compactionsBetweenSyncs() throws {
        let directory = TemporaryDirectory()
        let today = Int64(Date().timeIntervalSince1970 * 1000) / Self.day
        let path = directory.appending("s")
        var store = try Store(at: path, configuration: Self.configuration())
        for device in ["a", "b"] {
            try Self.append(store, device: device, from: (today - 40) * Self.day, count: 10 * 1440, seed: 1)
        }
        try store.flush()
        let lake = directory.appending("lake")
        _ = try LakeSync(destination: lake).sync(store)
        // New points in a new segment, then one compaction of it with the synced one.
        try Self.append(store, device: "a", from: (today - 30) * Self.day, count: 100, seed: 2)
        try store.flush()
        let added = try LakeSync(destination: lake).sync(store)
        #expect(added.written == 1 && added.rewritten == 0 && added.devicesRead == 1, "\(added)")
        try store.compact()
        let moved = try LakeSync(destination: lake).sync(store)
        #expect(moved.written + moved.rewritten + moved.deleted + moved.unchanged == 0 && moved.devicesRead == 0, "\(moved)")
        try Self.expectEqualsFreshSync(lake, store, in: directory, "after a compaction of synced points")

        // Retention trims the synced segments in a compaction; the store is then reopened without it.
        try store.close()
        store = try Store(at: path, configuration: Self.configuration(retentionDays: 35))
        try store.compact()
        try store.close()
        store = try Store(at: path, configuration: Self.configuration())
        let trimmed = try LakeSync(destination: lake).sync(store)
        #expect(trimmed.deleted >= 8, "\(trimmed)")
        try Self.expectEqualsFreshSync(lake, store, in: directory, "after retention in a compaction")

        // A deletion recorded and applied by compaction between two syncs.
        try store.delete(device: "b", from: (today - 33) * Self.day, to: (today - 32) * Self.day)
        try store.compact()
        #expect(store.pendingDeletions.isEmpty)
        let deleted = try LakeSync(destination: lake).sync(store)
        #expect(deleted.deleted == 1, "\(deleted)")
        try Self.expectEqualsFreshSync(lake, store, in: directory, "after a deletion applied by compaction")
    }

    @Test("two stores sync into one lake: each owns its own files; the lake holds the union")
    func twoStores() throws {
        let directory = TemporaryDirectory()
        let base = 20_000 * Self.day
        let map = try ShardMap(shardCount: 2)
        let stores = try (0..<2).map { try Store(at: directory.appending("shard\($0)"), configuration: Self.configuration()) }
        let fleet = (0..<12).map { "meter-\($0)" }
        for (position, device) in fleet.enumerated() {
            try Self.append(stores[map.shard(of: device)], device: device, from: base + Int64(position) * 3_600_000, count: 2000, seed: UInt64(position))
        }
        let lake = directory.appending("lake")
        for store in stores { _ = try LakeSync(destination: lake).sync(store) }
        let ids = try stores.map { try $0.identity().hex }
        let all = Self.files(under: lake)
        for (shard, store) in stores.enumerated() {
            let mine = all.keys.filter { $0.hasSuffix("part-\(ids[shard]).parquet") }
            #expect(!mine.isEmpty)
            for file in mine {
                let device = fleet.first { file.hasPrefix("device=\($0)/") }!
                #expect(map.shard(of: device) == shard, "\(file)")
            }
            _ = store
        }
        #expect(all.count == Set(all.keys.map { $0.split(separator: "/").dropLast().joined(separator: "/") }).count)
        // A deletion in one store touches its files only.
        let victim = fleet.first { map.shard(of: $0) == 0 }!
        try stores[0].delete(device: victim)
        let before = Self.files(under: lake)
        let summary = try LakeSync(destination: lake).sync(stores[0])
        #expect(summary.deleted > 0 && summary.written == 0 && summary.rewritten == 0)
        let after = Self.files(under: lake)
        for (path, bytes) in before where path.contains(ids[1]) { #expect(after[path] == bytes) }
        #expect(!after.keys.contains { $0.hasPrefix("device=\(victim)/") })
        let other = try LakeSync(destination: lake).sync(stores[1])
        #expect(other.written + other.rewritten + other.deleted == 0)
    }

    @Test("a sync that fails at any file operation leaves whole files only; the next sync makes the lake equal a fresh one",
          arguments: [FaultInjection.Operation.open, .makeDirectory, .write, .sync, .rename, .directorySync, .unlink], [0, 2, 7])
    func interrupted(operation: FaultInjection.Operation, skip: Int) throws {
        let directory = TemporaryDirectory()
        let base = 20_000 * Self.day
        let store = try Store(at: directory.appending("s"), configuration: Self.configuration())
        for (position, device) in Self.devices.enumerated() {
            try Self.append(store, device: device, from: base, count: 3 * 1440 / 10, seed: UInt64(position))
        }
        let lake = directory.appending("lake")
        _ = try LakeSync(destination: lake).sync(store)
        // Changes of every kind: a new day, a late point, a deleted day, a deleted device.
        try Self.append(store, device: "x", from: base + 5 * Self.day, count: 50, seed: 9)
        try store.append(device: "pump-1", metric: "power", timestamp: base + 1, value: 7.0)
        try store.delete(device: "valve 7", from: base + Self.day, to: base + 2 * Self.day)
        try store.delete(device: "pompe/é")
        // A write fails as a full disk does; the others with an I/O error.
        FaultInjection.install(.init(pathPrefix: lake, operation: operation, effect: .fail(operation == .write ? ENOSPC : EIO), skip: skip))
        var failure: StrataError?
        do throws(StrataError) {
            _ = try LakeSync(destination: lake).sync(store)
        } catch {
            failure = error
        }
        FaultInjection.removeRules(under: directory.path)
        if let failure { #expect(failure.code == .io, "\(failure)") }
        for (path, bytes) in Self.files(under: lake) {
            #expect(!path.split(separator: "/").last!.hasPrefix("."), "\(operation) \(skip): temporary file \(path) left")
            #expect(bytes.prefix(4) == Data("PAR1".utf8) && bytes.suffix(4) == Data("PAR1".utf8), "\(path) is partial")
        }
        let summary = try LakeSync(destination: lake).sync(store)
        try Self.expectEqualsFreshSync(lake, store, in: directory, "\(operation) skip \(skip), after \(String(describing: failure))")
        let quiet = try LakeSync(destination: lake).sync(store)
        #expect(quiet.written + quiet.rewritten + quiet.deleted == 0, "\(summary) then \(quiet)")
    }

    @Test("a sync stopped after its files and before its state: the next one redoes the pending partitions, even when the store changed back meanwhile")
    func stoppedBeforeTheState() throws {
        let directory = TemporaryDirectory()
        let base = 20_000 * Self.day
        let store = try Store(at: directory.appending("s"), configuration: Self.configuration())
        try Self.append(store, device: "a", from: base, count: 2 * 1440, seed: 1)
        try store.flush()
        let lake = directory.appending("lake")
        _ = try LakeSync(destination: lake).sync(store)
        let statePath = lake + "/_strata_sync/" + (try store.identity().hex) + ".state"
        func syncStoppingAtTheState() {
            FaultInjection.install(.init(pathPrefix: statePath, operation: .rename, effect: .fail(EIO)))
            defer { FaultInjection.removeRules(under: directory.path) }
            #expect(throws: StrataError.self) { try LakeSync(destination: lake).sync(store) }
        }
        // A new day written, the state not replaced; then the day deleted: its file must go.
        try Self.append(store, device: "a", from: base + 5 * Self.day, count: 10, seed: 2)
        syncStoppingAtTheState()
        #expect(Self.files(under: lake).keys.contains { $0.contains("date=2024-10-09") })
        try store.delete(device: "a", from: base + 5 * Self.day)
        _ = try LakeSync(destination: lake).sync(store)
        try Self.expectEqualsFreshSync(lake, store, in: directory, "a new day deleted after a stopped sync")
        // A value changed and synced up to the state; then changed back: the file must follow it back.
        let time = base + 60_000
        guard case .float64(let original) = try store.query(device: "a", metric: "power", from: time, to: time + 1)[0].value else {
            Issue.record("the series is Float64")
            return
        }
        try store.append(device: "a", metric: "power", timestamp: time, value: 12_345.5)
        syncStoppingAtTheState()
        try store.append(device: "a", metric: "power", timestamp: time, value: original)
        _ = try LakeSync(destination: lake).sync(store)
        try Self.expectEqualsFreshSync(lake, store, in: directory, "a value changed back after a stopped sync")
    }

    @Test("refused: another granularity or selection than the lake's, a directory no sync wrote, a lake inside the store, a linked partition")
    func refusals() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.appending("s"), configuration: Self.configuration())
        try Self.append(store, device: "a", from: 0, count: 10, seed: 1)
        let lake = directory.appending("lake")
        _ = try LakeSync(destination: lake).sync(store)
        var monthly = LakeSync.Options()
        monthly.granularity = .month
        #expect { try LakeSync(destination: lake, options: monthly).sync(store) } throws: { ($0 as? StrataError)?.code == .invalidArgument }
        var some = LakeSync.Options()
        some.devices = LakeSync.DeviceFilter(description: "a*") { $0.hasPrefix("a") }
        #expect { try LakeSync(destination: lake, options: some).sync(store) } throws: { ($0 as? StrataError)?.code == .invalidArgument }

        let foreign = directory.appending("foreign")
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: foreign + "/notes.txt", contents: Data("mine".utf8))
        #expect { try LakeSync(destination: foreign).sync(store) } throws: { ($0 as? StrataError)?.code == .invalidArgument }
        #expect(FileManager.default.contents(atPath: foreign + "/notes.txt") == Data("mine".utf8))
        #expect { try LakeSync(destination: directory.appending("s/segments/lake")).sync(store) } throws: { ($0 as? StrataError)?.code == .invalidArgument }

        // A partitioned export's files are not a sync's: mixing both would count points twice.
        let exported = directory.appending("exported")
        let export = try PartitionedParquetExport(directory: exported)
        try export.write(device: "a", series: [try store.query(device: "a", metric: "temperature")])
        export.close()
        #expect { try LakeSync(destination: exported).sync(store) } throws: { ($0 as? StrataError)?.message.contains("part-0.parquet") == true }

        // A damaged state names itself and the way back; following it, the store syncs from scratch.
        let statePath = lake + "/_strata_sync/" + (try store.identity().hex) + ".state"
        var state = try Data(contentsOf: URL(fileURLWithPath: statePath))
        state[20] ^= 0xFF
        try state.write(to: URL(fileURLWithPath: statePath))
        #expect { try LakeSync(destination: lake).sync(store) } throws: { ($0 as? StrataError)?.message.contains("-delete; rm ") == true }
        for (file, _) in Self.files(under: lake) { try FileManager.default.removeItem(atPath: lake + "/" + file) }
        try FileManager.default.removeItem(atPath: statePath)
        #expect(try LakeSync(destination: lake).sync(store).wasFullPass)
        try Self.expectEqualsFreshSync(lake, store, in: directory, "after a damaged state was removed")

        // A partition directory replaced by a link to elsewhere is never written through.
        let elsewhere = directory.appending("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try Self.append(store, device: "b", from: 0, count: 10, seed: 2)
        try FileManager.default.createDirectory(atPath: lake + "/device=b", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: lake + "/device=b/date=1970-01-01", withDestinationPath: elsewhere)
        #expect { try LakeSync(destination: lake).sync(store) } throws: { ($0 as? StrataError)?.code == .invalidArgument }
        #expect((try FileManager.default.contentsOfDirectory(atPath: elsewhere)).isEmpty)
    }
}

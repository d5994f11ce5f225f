import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// A store is created only where nothing is in the way, and its manifest can
/// always be brought back: the data-loss cases of a hostile session, each of
/// which lost points before.
@Suite("Store creation and manifest recovery never lose data")
struct StoreManifestSafetyTests {
    static func writeCSV(_ path: String, _ rows: [String]) throws {
        try (["device,metric,ts_ms,value"] + rows).joined(separator: "\n").appending("\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A store holding `a` (d1: 2 points) and `b` (d2: 1 point), one segment each.
    static func twoFileStore(_ directory: borrowing TemporaryDirectory) throws -> String {
        let store = directory.appending("store")
        try writeCSV(directory.appending("a.csv"), ["d1,m,1000,1.5", "d1,m,2000,2.5"])
        try writeCSV(directory.appending("b.csv"), ["d2,m,1000,3.5"])
        for file in ["a.csv", "b.csv"] {
            let run = try CommandRunner.run(["ingest", store, directory.appending(file)])
            #expect(run.status == 0, "\(run.standardError)")
        }
        return store
    }

    static func points(_ store: String, _ device: String) throws -> [Int64] {
        let opened = try Store(at: store, mode: .readOnly)
        return try opened.query(device: device, metric: "m").timestamps
    }

    static func segmentFiles(_ store: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store + "/segments").filter { $0.hasSuffix(".seg") }.sorted()
    }

    @Test("ingest into a store whose marker was removed refuses, removes nothing, and names the repair")
    func markerRemoved() throws {
        let directory = TemporaryDirectory()
        let store = try Self.twoFileStore(directory)
        let segments = try Self.segmentFiles(store)
        try FileManager.default.removeItem(atPath: store + "/STRATA")
        let again = try CommandRunner.run(["ingest", store, directory.appending("b.csv")])
        #expect(again.status != 0)
        #expect(again.standardError.contains("marker is missing"), "\(again.standardError)")
        #expect(again.standardError.contains("verify --repair"))
        #expect(try Self.segmentFiles(store) == segments)
        #expect(!FileManager.default.fileExists(atPath: store + "/STRATA"))

        let verify = try CommandRunner.run(["verify", store])
        #expect(verify.status == 3, "\(verify.standardOutput)")
        let repair = try CommandRunner.run(["verify", store, "--repair"])
        #expect(repair.standardOutput.contains("restored the STRATA marker"), "\(repair.standardOutput)")
        #expect(try Self.points(store, "d1") == [1000, 2000])
        #expect(try CommandRunner.run(["verify", store]).status == 0)
    }

    @Test("a store is never created over a directory that holds anything but an interrupted creation", arguments: [
        "MANIFEST", "segments/0000000001.seg", "wal/0000000001.wal", "notes.txt",
    ])
    func foreignDirectory(entry: String) throws {
        let directory = TemporaryDirectory()
        let target = directory.appending("target")
        let file = target + "/" + entry
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // A manifest that lists a segment: someone's store without its marker.
        let contents = entry == "MANIFEST"
            ? Data(ManifestFile.encode(Manifest(generation: 4, nextSequence: 2, segments: [.init(sequence: 1, rank: 1, level: 0)])))
            : Data("keep me".utf8)
        try contents.write(to: URL(fileURLWithPath: file))
        let before = try FileManager.default.subpathsOfDirectory(atPath: target).sorted()
        #expect(throws: StrataError.self) { try Store(at: target) }
        #expect(try FileManager.default.subpathsOfDirectory(atPath: target).sorted() == before, "nothing added or removed")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == contents)
    }

    @Test("a creation interrupted after its manifest is completed by the next open")
    func interruptedCreation() throws {
        let directory = TemporaryDirectory()
        let target = directory.appending("store")
        try FileManager.default.createDirectory(atPath: target + "/segments", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: target + "/STRATA.lock", contents: nil)
        try Data(ManifestFile.encode(Manifest())).write(to: URL(fileURLWithPath: target + "/MANIFEST"))
        let store = try Store(at: target)
        try store.append(device: "d", metric: "m", timestamp: 1, value: 1.0)
        try store.close()
        #expect(FileManager.default.fileExists(atPath: target + "/STRATA"))
        #expect(try Self.points(target, "d") == [1])
    }

    @Test("a removed MANIFEST is damage: the store does not open, verify says so, repair restores it and deleted points stay deleted")
    func manifestRemoved() throws {
        let directory = TemporaryDirectory()
        let store = try Self.twoFileStore(directory)
        let delete = try CommandRunner.run(["delete", store, "--device", "d1"])
        #expect(delete.status == 0, "\(delete.standardError)")
        try FileManager.default.removeItem(atPath: store + "/MANIFEST")

        let verify = try CommandRunner.run(["verify", store])
        #expect(verify.status == 3)
        #expect(verify.standardOutput.contains("MANIFEST is missing"), "\(verify.standardOutput)")
        let query = try CommandRunner.run(["query", store, "--device", "d1", "--metric", "m"])
        #expect(query.status != 0)
        #expect(query.standardError.contains("MANIFEST is missing"))

        let repair = try CommandRunner.run(["verify", store, "--repair"])
        #expect(repair.standardOutput.contains("restored MANIFEST from MANIFEST.mirror"), "\(repair.standardOutput)")
        #expect(try Self.points(store, "d1") == [], "the deletion survived")
        #expect(try Self.points(store, "d2") == [1000])
        #expect(try CommandRunner.run(["verify", store]).status == 0)
    }

    @Test("one damaged byte in MANIFEST: every command names it, and repair restores it exactly from the mirror")
    func manifestByteFlipped() throws {
        let directory = TemporaryDirectory()
        let store = try Self.twoFileStore(directory)
        let intact = try Data(contentsOf: URL(fileURLWithPath: store + "/MANIFEST"))
        var damaged = intact
        damaged[20] ^= 0x55
        try damaged.write(to: URL(fileURLWithPath: store + "/MANIFEST"))
        let query = try CommandRunner.run(["query", store, "--device", "d1", "--metric", "m"])
        #expect(query.status != 0)
        #expect(query.standardError.contains("MANIFEST at offset"), "\(query.standardError)")

        let repair = try CommandRunner.run(["verify", store, "--repair"])
        #expect(repair.standardOutput.contains("restored MANIFEST from MANIFEST.mirror"), "\(repair.standardOutput)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: store + "/MANIFEST")) == intact)
        #expect(try Data(contentsOf: URL(fileURLWithPath: store + "/MANIFEST.damaged")) == damaged, "the damaged bytes are kept")
        #expect(try Self.points(store, "d1") == [1000, 2000])
        #expect(try CommandRunner.run(["verify", store]).status == 0)
    }

    @Test("with the manifest and its mirror both damaged, repair rebuilds from the segments and says what it could not restore")
    func bothCopiesDamaged() throws {
        let directory = TemporaryDirectory()
        let store = try Self.twoFileStore(directory)
        for name in ["MANIFEST", "MANIFEST.mirror"] {
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: store + "/" + name))
        }
        let report = try StoreVerifier.repair(at: store)
        #expect(report.manifest.restoration == .rebuiltFromSegments(segments: 2))
        #expect(report.manifest.notRestored.contains { $0.hasPrefix("pending deletions") })
        #expect(report.manifest.mirrorRewritten)
        #expect(try Self.points(store, "d1") == [1000, 2000])
        #expect(try Self.points(store, "d2") == [1000])
        #expect(try StoreVerifier.verify(at: store).isClean)
    }

    @Test("the writer rewrites a missing or stale mirror when it opens the store; verify reports a stale one")
    func mirrorHealed() throws {
        let directory = TemporaryDirectory()
        let store = try Self.twoFileStore(directory)
        let mirror = store + "/MANIFEST.mirror"
        let manifest = try Data(contentsOf: URL(fileURLWithPath: store + "/MANIFEST"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: mirror)) == manifest)
        try Data(ManifestFile.encode(Manifest(generation: 0, nextSequence: 7))).write(to: URL(fileURLWithPath: mirror))
        #expect(try StoreVerifier.verify(at: store).problems.contains { $0.path == mirror })
        try Store(at: store).close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: mirror)) == Data(contentsOf: URL(fileURLWithPath: store + "/MANIFEST")))
        try FileManager.default.removeItem(atPath: mirror)
        try Store(at: store).close()
        #expect(FileManager.default.fileExists(atPath: mirror))
        #expect(try StoreVerifier.verify(at: store).isClean)
    }

    @Test("rebuilt from format 7 segments, the manifest lists exactly the live segments with their ranks, levels and applied deletions, beside a compaction's leftover input")
    func rebuildFromProvenance() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("store")
        var configuration = Configuration()
        configuration.compaction.runsInBackground = false
        let day: Int64 = Milliseconds.day
        var inputCopy: (name: String, bytes: Data)?
        do {
            let store = try Store(at: path, configuration: configuration)
            for round in 0..<3 {
                let times = (0..<50).map { Int64(round) * day + Int64($0) * 60_000 }
                try store.append(device: "pump", metric: "m", timestamps: times, values: times.map { Double($0) / 7 })
                try store.append(device: "gone", metric: "m", timestamps: times, values: times.map { _ in 1.0 })
                try store.flush()
            }
            // A late correction, then a deletion that compaction applies.
            try store.append(device: "pump", metric: "m", timestamp: 60_000, value: -1.0)
            try store.flush()
            try store.delete(device: "gone")
            let first = try #require(try Self.segmentFiles(path).first)
            inputCopy = (first, try Data(contentsOf: URL(fileURLWithPath: path + "/segments/" + first)))
            _ = try store.compact()
            // A correction after the compaction: it must keep winning over the compacted value.
            try store.append(device: "pump", metric: "m", timestamp: 120_000, value: -2.0)
            try store.flush()
            try store.close()
        }
        let before = try Store(at: path, mode: .readOnly).query(device: "pump", metric: "m")
        let original = try #require(try ManifestFile.read(in: path))
        #expect(original.segments.contains { $0.level > 0 }, "the compaction wrote windowed segments")
        // A crash between publishing the compaction and removing its inputs leaves one behind.
        let (name, bytes) = try #require(inputCopy)
        try bytes.write(to: URL(fileURLWithPath: path + "/segments/" + name))
        for file in ["MANIFEST", "MANIFEST.mirror"] {
            try Data("lost".utf8).write(to: URL(fileURLWithPath: path + "/" + file))
        }

        let report = try StoreVerifier.repair(at: path)
        #expect(report.manifest.restoration == .rebuiltFromSegments(segments: original.segments.count))
        #expect(report.manifest.notRestored.count == 1, "only pending deletions: \(report.manifest.notRestored)")
        let rebuilt = try #require(try ManifestFile.read(in: path))
        func entries(_ manifest: Manifest) -> [String] {
            manifest.segments.map { "\($0.sequence) rank \($0.rank) level \($0.level) applied \($0.deletionsApplied)" }.sorted()
        }
        #expect(entries(rebuilt) == entries(original))
        #expect(rebuilt.nextSequence >= original.nextSequence)
        let after = try Store(at: path, mode: .readOnly).query(device: "pump", metric: "m")
        #expect(after.timestamps == before.timestamps)
        #expect(after.valueBitPatterns == before.valueBitPatterns)
        #expect(try Self.points(path, "gone") == [], "the leftover input's deleted points stay out")
        #expect(try StoreVerifier.verify(at: path).isClean)
    }

    @Test("a store is never created inside another store, over a file, or at an empty path")
    func creationPlaces() throws {
        let directory = TemporaryDirectory()
        let outer = directory.appending("outer")
        try Store(at: outer).close()
        for inside in [outer + "/wal", outer + "/wal/deeper/still", outer + "/segments/new"] {
            let error = #expect(throws: StrataError.self) { try Store(at: inside) }
            #expect(error?.message.contains("inside the store") == true, "\(inside): \(String(describing: error))")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outer + "/wal").isEmpty, "nothing was written into the outer store")
        let file = directory.appending("file")
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        #expect(throws: StrataError.self) { try Store(at: file) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data("x".utf8))
        let empty = #expect(throws: StrataError.self) { try Store(at: "") }
        #expect(empty?.message.contains("empty") == true)
    }
}

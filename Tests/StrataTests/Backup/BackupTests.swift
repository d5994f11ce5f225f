import Testing
import Foundation
@testable import Strata
import StrataTestSupport

@Suite("Backup")
struct BackupTests {
    @Test("A backup taken during ingest holds every point acknowledged before it began")
    func backupUnderIngest() async throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.headFlushThreshold = 2_000  // flushes (and log deletions) race with the backup
        let store = try Store(at: directory.appending("live"), configuration: configuration)
        let acknowledged = Acknowledged()
        let writer = Task.detached {
            for batch in 0..<400 {
                let times = (0..<50).map { Int64(batch * 50 + $0) }
                try store.append(device: "d", metric: "m", timestamps: times, values: times.map { Double($0) })
                acknowledged.set(batch * 50 + 50)
            }
        }
        var backups: [(path: String, acknowledged: Int)] = []
        for index in 0..<5 {
            try await Task.sleep(nanoseconds: 20_000_000)
            let before = acknowledged.value
            let path = directory.appending("backup-\(index)")
            _ = try StoreBackup.copy(from: directory.appending("live"), to: path)
            backups.append((path, before))
        }
        try await writer.value
        for backup in backups {
            let copy = try Store(at: backup.path, mode: .readOnly)
            let times = try copy.query(device: "d", metric: "m").timestamps
            #expect(times.count >= backup.acknowledged, "\(backup.path)")
            #expect(times == (0..<times.count).map(Int64.init))
            // The copy opens as a writable store too.
            try Store(at: backup.path).close()
        }
        try store.close()
    }

    @Test("Backups taken while compactions and a deletion run hold every acknowledged point, and the deletion stays done")
    func backupUnderCompactionAndDeletion() async throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.headFlushThreshold = 1_500
        configuration.compaction.flushedSegmentTrigger = 2  // compactions replace and remove files during the backups
        configuration.compaction.backgroundBytesPerSecond = 0
        let live = directory.appending("live")
        let store = try Store(at: live, configuration: configuration)
        // Timestamps a minute apart, spread over past weeks, so compactions write several windows.
        let day: Int64 = Milliseconds.day
        let base = (wallClockMilliseconds() / day - 30) * day
        func time(_ index: Int) -> Int64 { base + Int64(index) * 60_000 }
        // A device deleted before any backup: its points must not come back from a copied log.
        try store.append(device: "gone", metric: "m", timestamps: (0..<500).map(time), values: (0..<500).map(Double.init))
        try store.delete(device: "gone")
        let acknowledged = Acknowledged()
        let writer = Task.detached {
            for batch in 0..<300 {
                let indices = (batch * 50)..<(batch * 50 + 50)
                try store.append(device: "d", metric: "m", timestamps: indices.map(time), values: indices.map(Double.init))
                acknowledged.set(indices.upperBound)
            }
        }
        var backups: [(path: String, acknowledged: Int)] = []
        for index in 0..<6 {
            try await Task.sleep(nanoseconds: 15_000_000)
            let before = acknowledged.value
            let path = directory.appending("backup-\(index)")
            _ = try StoreBackup.copy(from: live, to: path)
            backups.append((path, before))
        }
        try await writer.value
        // Compactions did run beside the backups.
        #expect(store.segments().contains { $0.level != 0 })
        for backup in backups {
            let report = try StoreVerifier.verify(at: backup.path)
            #expect(report.isClean, "\(report.problems)")
            let copy = try Store(at: backup.path, mode: .readOnly)
            let times = try copy.query(device: "d", metric: "m").timestamps
            #expect(times.count >= backup.acknowledged, "\(backup.path)")
            #expect(times == (0..<times.count).map(time))
            #expect(try copy.query(device: "gone", metric: "m").timestamps.isEmpty)
        }
        try store.close()
    }

    @Test("The CLI refuses a non-empty destination and reports what it did")
    func command() throws {
        let directory = TemporaryDirectory()
        let source = directory.appending("store")
        try Store(at: source).append(device: "d", metric: "m", timestamp: 1, value: 1.0)
        let run = try CommandRunner.run(["backup", source, directory.appending("copy")])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("backed up"))
        let again = try CommandRunner.run(["backup", source, directory.appending("copy")])
        #expect(again.status == 1)
        #expect(again.standardError.contains("not empty"))
        let query = try CommandRunner.run(["query", directory.appending("copy"), "--device", "d", "--metric", "m", "--format", "csv"])
        #expect(query.standardOutput == "device,metric,ts_ms,value\nd,m,1,1.0\n")
    }
}

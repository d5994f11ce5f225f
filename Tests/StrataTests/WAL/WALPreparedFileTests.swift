import Testing
import Foundation
@testable import Strata
import StrataTestSupport

/// Every `*.prepared` name that shows up in `folder` during the next `seconds`.
private func preparedFilesAppearing(in folder: String, during seconds: Double) -> Set<String> {
    var seen: Set<String> = []
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        seen.formUnion(names.filter { $0.hasSuffix(WALFormat.preparedSuffix) })
        usleep(500)
    } while Date() < deadline
    return seen
}

/// A batch of `count` points of d/m from timestamp 0.
private func largeBatch(count: Int) throws -> WriteBatch {
    var batch = WriteBatch(capacity: count)
    for time in 0..<count { try batch.append(device: "d", metric: "m", timestamp: Int64(time), value: Double(time)) }
    return batch
}

@Suite("Write-ahead log: prepared files")
struct WALPreparedFileTests {
    @Test("Closing the log while a file is being prepared removes it before close returns, and none appears later")
    func closeDuringPreparation() throws {
        let directory = TemporaryDirectory()
        let folder = directory.appending("wal")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let log = try WriteAheadLog(directory: folder, number: 1, existing: [])
        // 6 MB in the first file: the rotation prepares file 3 with 7.5 MB of zeros, which takes a while.
        var record = WALRecord(batch: try largeBatch(count: 300_000))
        try log.waitUntilDurable(try log.append(&record))
        _ = try log.rotate()
        try log.close()
        #expect(preparedFilesAppearing(in: folder, during: 0.5).isEmpty)
        // The first file waits for its segment; the second is sealed because of it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [WALFormat.fileName(1), WALFormat.fileName(2)])
    }

    @Test("A store's closing flush prepares no log file; a closed store's log folder is empty")
    func closingFlushPreparesNothing() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        // A small head, as in the ingest that left one behind: its segment is written before the 1 MiB of a prepared file.
        let times = (0..<1_000).map(Int64.init)
        try store.append(device: "d", metric: "m", timestamps: times, values: times.map(Double.init))
        try store.close()
        // The only rotation was the closing one.
        #expect(store.log?.preparationsStarted == 0)
        let folder = directory.appending("wal")
        #expect(preparedFilesAppearing(in: folder, during: 0.5).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        #expect(try Store(at: directory.path, mode: .readOnly).query(device: "d", metric: "m").count == times.count)
    }
}

@Suite("Backup: preallocated log files")
struct WALBackupTests {
    @Test("A backup copies a preallocated log file up to its last record, never its zero-filled room")
    func backupSkipsZeroTail() throws {
        let directory = TemporaryDirectory()
        let source = directory.appending("store")
        try Store(at: source).close()
        // The writer's last file as a crash leaves it: a preallocated header, two records, then 1 MiB of zeros.
        var bytes = WALFormat.fileHeader(flags: WALFormat.preallocatedFlag)
        for first in [0, 10] {
            var batch = WriteBatch()
            for time in first..<(first + 10) { try batch.append(device: "d", metric: "m", timestamp: Int64(time), value: Double(time) / 8) }
            var record = WALRecord(batch: batch)
            record.seal()
            bytes += record.bytes
        }
        let used = bytes.count
        bytes += [UInt8](repeating: 0, count: 1 << 20)
        let name = WALFormat.fileName(1)
        try Data(bytes).write(to: URL(fileURLWithPath: source + "/wal/" + name))
        // A prepared file beside it is not copied either.
        try Data(WALFormat.fileHeader(flags: WALFormat.preallocatedFlag) + [UInt8](repeating: 0, count: 4096))
            .write(to: URL(fileURLWithPath: source + "/wal/" + WALFormat.fileName(2) + WALFormat.preparedSuffix))

        let copy = directory.appending("copy")
        let report = try StoreBackup.copy(from: source, to: copy)
        #expect(report.logFilesCopied == 1)
        #expect(report.bytesCopied == used)
        #expect(try FileManager.default.contentsOfDirectory(atPath: copy + "/wal") == [name])
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: copy + "/wal/" + name))) == Array(bytes[..<used]))
        #expect(try StoreVerifier.verify(at: copy).isClean)
        let reader = try Store(at: copy, mode: .readOnly)
        #expect(try reader.query(device: "d", metric: "m").timestamps == (0..<20).map(Int64.init))
    }
}

import Testing
import Foundation
@testable import Strata
import StrataCodecs
import StrataTestSupport

/// Opens a store, retrying briefly while a dropped store's background thread
/// still holds the last reference (and so the writer lock).
func reopen(_ path: String, configuration: Configuration = Configuration()) throws -> Store {
    let deadline = Date().addingTimeInterval(3)
    while true {
        do {
            return try Store(at: path, configuration: configuration)
        } catch {
            guard error.code == .locked, Date() < deadline else { throw error }
            usleep(10_000)
        }
    }
}

/// Appends `count` batches of `size` points to series d/m (timestamps 0, 1, 2, ...) and
/// returns the store without closing it, as a crash would leave it.
func appendWithoutClosing(_ path: String, batches count: Int, size: Int, configuration: Configuration = Configuration()) throws {
    let store = try Store(at: path, configuration: configuration)
    for batch in 0..<count {
        let times = (0..<size).map { Int64(batch * size + $0) }
        try store.append(device: "d", metric: "m", timestamps: times, values: times.map { Double($0) / 4 })
    }
}

func walFiles(_ path: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path + "/wal").filter { $0.hasSuffix(".wal") }.sorted().map { path + "/wal/" + $0 }
}

@Suite("Write-ahead log and recovery")
struct WriteAheadLogTests {
    @Test("Acknowledged appends survive a store that was never closed or flushed")
    func replayAfterDrop() throws {
        let directory = TemporaryDirectory()
        try appendWithoutClosing(directory.path, batches: 20, size: 50)
        let store = try reopen(directory.path)
        #expect(store.recovery.points == 1000)
        #expect(store.recovery.records == 20)
        #expect(store.recovery.problems.isEmpty)
        let points = try store.query(device: "d", metric: "m")
        #expect(points.timestamps == (0..<1000).map(Int64.init))
        #expect(points.floatValues == (0..<1000).map { Double($0) / 4 })
        // After a flush the log files it covered are gone; a clean close leaves no log at all.
        try store.close()
        #expect(try walFiles(directory.path).isEmpty)
        let again = try reopen(directory.path)
        #expect(again.recovery.records == 0)
        #expect(try again.query(device: "d", metric: "m").count == 1000)
    }

    @Test("A log file prepared full of zeros takes the next rotation; its zero tail is unused room, a torn record before it a torn tail")
    func preallocatedFile() throws {
        let directory = TemporaryDirectory()
        let folder = directory.appending("wal")
        func append(_ store: Store, from first: Int, count: Int) throws {
            let times = (first..<(first + count)).map(Int64.init)
            try store.append(device: "d", metric: "m", timestamps: times, values: times.map { Double($0) / 4 })
        }
        do {
            let store = try Store(at: directory.path)
            try append(store, from: 0, count: 50)
            // The first rotation prepares the file the second one moves into.
            try store.flush()
            // Ready, not merely created: a file still being filled is not taken (and the test would race).
            let deadline = Date().addingTimeInterval(5)
            while store.log?.hasPreparedFile != true, Date() < deadline { usleep(5_000) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).contains { $0.hasSuffix(".wal.prepared") })
            try append(store, from: 50, count: 50)
            try store.flush()
            for batch in 0..<5 { try append(store, from: 100 + batch * 20, count: 20) }
            // Dropped without closing, as a crash would leave it.
        }
        let file = try #require(try walFiles(directory.path).last)
        var bytes = try fileBytes(file)
        #expect(bytes[10] == UInt8(WALFormat.preallocatedFlag), "the log moved into the prepared file")
        let records = rowsRecords(bytes)
        #expect(records.count == 5)
        let used = try #require(records.last).upperBound
        #expect(bytes.count > used && bytes[used...].allSatisfy { $0 == 0 }, "zeros after the last record")

        // The same log with a record torn by the crash: its header and part of its payload written.
        let torn = TemporaryDirectory()
        try FileManager.default.removeItem(atPath: torn.path)
        try FileManager.default.copyItem(atPath: directory.path, toPath: torn.path)
        let length: UInt32 = 120
        var header = ByteWriter()
        header.writeUInt32(length)
        header.writeUInt32(~length)
        header.writeUInt32(0xDEAD_BEEF)
        header.writeUInt8(WALFormat.RecordType.rows.rawValue)
        bytes.replaceSubrange(used..<(used + header.count + 40), with: header.bytes + [UInt8](repeating: 0xA5, count: 40))
        try writeFileBytes(torn.appending("wal/" + URL(fileURLWithPath: file).lastPathComponent), bytes)

        let store = try reopen(directory.path)
        #expect(store.recovery.problems.isEmpty, "\(store.recovery.problems)")
        #expect(try store.query(device: "d", metric: "m").timestamps == (0..<200).map(Int64.init))
        try store.close()

        let tornStore = try reopen(torn.path)
        let problem = try #require(tornStore.recovery.problems.first)
        #expect(problem.message.contains("torn tail"))
        #expect(problem.offset == used)
        #expect(try tornStore.query(device: "d", metric: "m").timestamps == (0..<200).map(Int64.init))
        try tornStore.close()
    }

    @Test("Fleet batches are logged LZ4-compressed and replay bit for bit; a compressed record that passes its checksum but does not expand is named and skipped")
    func compressedRows() throws {
        let directory = TemporaryDirectory()
        // Two metrics of 300 devices at three steps, sensor resolution, with special values among them.
        let specials: [Double] = [.nan, -0.0, .infinity, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]
        var random = SeededGenerator(seed: 5)
        var expected: [SeriesKey: [(Int64, UInt64)]] = [:]
        do {
            let store = try Store(at: directory.path)
            for step in 0..<3 {
                var batch = WriteBatch()
                for device in 0..<300 {
                    for metric in ["temperature", "humidity"] {
                        let time = Int64(step) * 60_000 + (device % 10 == 0 ? Int64(random.next() % 41) - 20 : 0)
                        var value = Double(Int64(random.next() % 80) + (metric == "humidity" ? 500 : 180)) / 10
                        if device % 97 == 3 { value = specials[(device + step) % specials.count] }
                        try batch.append(device: "pump-\(device)", metric: metric, timestamp: time, value: value)
                        expected[SeriesKey(device: "pump-\(device)", metric: metric), default: []].append((time, value.bitPattern))
                    }
                }
                try store.append(batch)
            }
            // Dropped without closing, as a crash would leave it.
        }
        let file = try #require(try walFiles(directory.path).last)
        var bytes = try fileBytes(file)
        let records = rowsRecords(bytes)
        #expect(records.count == 3)
        for record in records {
            #expect(bytes[record.lowerBound + WALFormat.recordHeaderSize - 1] == WALFormat.RecordType.compressedRows.rawValue)
            // Uncompressed, 600 rows take about 10 bytes each.
            #expect(record.count < 600 * 10 / 2, "\(record.count) bytes for 600 rows")
        }
        func check(_ store: Store, skipping skipped: Range<Int64>?) throws {
            for (key, points) in expected {
                let kept = points.filter { skipped?.contains($0.0) != true }
                let read = try store.query(device: key.device, metric: key.metric)
                #expect(read.timestamps == kept.map(\.0), "\(key)")
                #expect(read.floatValues.map(\.bitPattern) == kept.map(\.1), "\(key)")
            }
        }

        // The second record, its uncompressed length raised by one and its checksum made to match.
        let damaged = TemporaryDirectory()
        try FileManager.default.removeItem(atPath: damaged.path)
        try FileManager.default.copyItem(atPath: directory.path, toPath: damaged.path)
        let second = records[1]
        let lengthByte = second.lowerBound + WALFormat.recordHeaderSize
        #expect(bytes[lengthByte] & 0x7F != 0x7F)
        bytes[lengthByte] += 1
        let checksum = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(second.lowerBound + 12)..<second.upperBound])) }
        withUnsafeBytes(of: checksum.littleEndian) { for i in 0..<4 { bytes[second.lowerBound + 8 + i] = $0[i] } }
        try writeFileBytes(damaged.appending("wal/" + URL(fileURLWithPath: file).lastPathComponent), bytes)

        let store = try reopen(directory.path)
        #expect(store.recovery.problems.isEmpty, "\(store.recovery.problems)")
        #expect(store.recovery.points == 1_800)
        try check(store, skipping: nil)
        try store.close()

        let damagedStore = try reopen(damaged.path)
        let problem = try #require(damagedStore.recovery.problems.first)
        #expect(problem.message.contains("does not decode") && problem.message.contains("expected"), "\(problem.message)")
        #expect(problem.offset == second.lowerBound && problem.path?.hasSuffix(URL(fileURLWithPath: file).lastPathComponent) == true)
        #expect(damagedStore.recovery.points == 1_200)
        try check(damagedStore, skipping: 40_000..<80_000)
        try damagedStore.close()
    }

    @Test("A torn tail is cut off and reported with file, offset and bytes dropped")
    func tornTail() throws {
        let directory = TemporaryDirectory()
        try appendWithoutClosing(directory.path, batches: 3, size: 10)
        let file = try #require(try walFiles(directory.path).last)
        let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
        let original = try fileBytes(file)
        // Cut the last record in half, as a crash in the middle of a write would.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.truncate(atOffset: UInt64(size - 100))
        try handle.close()

        let store = try reopen(directory.path)
        #expect(store.recovery.points == 20)
        let problem = try #require(store.recovery.problems.first)
        #expect(problem.path == file)
        #expect(problem.message.contains("torn tail"))
        #expect(problem.message.contains("bytes"))
        let records = rowsRecords(original)
        #expect(records.count == 3)
        #expect(problem.offset == records[2].lowerBound)
        #expect(try store.query(device: "d", metric: "m").count == 20)
        // The tail is gone from the file, which is sealed there, so the next open is clean.
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int) == records[2].lowerBound + WALFormat.endRecordSize)
        _ = consume store
        #expect(try reopen(directory.path).recovery.problems.isEmpty)
    }

    @Test("Corruption with no valid record after it is reported; what comes before is kept; the file is moved aside")
    func middleCorruption() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.headFlushThreshold = 1_000_000
        try appendWithoutClosing(directory.path, batches: 4, size: 10, configuration: configuration)
        let file = try #require(try walFiles(directory.path).last)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let records = rowsRecords(bytes)
        let damagedOffset = records[1].lowerBound  // the second batch
        // Every record from the second on is damaged: replay finds nothing to resynchronise on
        // (WALResynchronisationTests covers the records after damage).
        for record in records[1...] { bytes[record.lowerBound + 20] ^= 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let appendedAfter = try Store(at: directory.path, mode: .readOnly)  // a reader changes nothing
        #expect(appendedAfter.recovery.points == 10)

        let store = try reopen(directory.path)
        #expect(store.recovery.points == 10)
        let problem = try #require(store.recovery.problems.first)
        #expect(problem.path == file)
        #expect(problem.offset == damagedOffset)
        #expect(problem.message.contains("damaged"))
        #expect(problem.message.contains("\(bytes.count - damagedOffset) bytes"))
        #expect(try store.query(device: "d", metric: "m").timestamps == (0..<10).map(Int64.init))
        // The readable part is already in a segment; the damaged file is kept aside, never replayed again.
        #expect(store.segments().count == 1)
        #expect(FileManager.default.fileExists(atPath: file + ".damaged"))
        try store.close()
        #expect(try reopen(directory.path).recovery.problems.isEmpty)
    }

    @Test("A full disk during an append is reported, undone, and loses nothing acknowledged")
    func fullDiskOnAppend() throws {
        let directory = TemporaryDirectory()
        defer { FaultInjection.removeRules(under: directory.path) }
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamp: 1, value: 1.0)
        FaultInjection.install(.init(pathPrefix: directory.path + "/wal", operation: .write, effect: .shortWrite(7)))
        FaultInjection.install(.init(pathPrefix: directory.path + "/wal", operation: .write, effect: .fail(ENOSPC)))
        let error = #expect(throws: StrataError.self) { try store.append(device: "d", metric: "m", timestamp: 2, value: 2.0) }
        #expect(error?.code == .io)
        #expect(error?.message.contains("No space left on device") == true, "\(error?.message ?? "")")
        #expect(try store.query(device: "d", metric: "m").count == 1)  // the failed append is not visible
        // The disk has room again: appends go on, and the log holds no torn record.
        try store.append(device: "d", metric: "m", timestamp: 3, value: 3.0)
        // Short writes alone are completed by the write loop.
        FaultInjection.install(.init(pathPrefix: directory.path + "/wal", operation: .write, effect: .shortWrite(5), times: 3))
        try store.append(device: "d", metric: "m", timestamp: 4, value: 4.0)
        _ = consume store
        let reopened = try reopen(directory.path)
        #expect(reopened.recovery.problems.isEmpty)
        #expect(try reopened.query(device: "d", metric: "m").timestamps == [1, 3, 4])
    }

    @Test("A failed fsync stops writes until the store is reopened; acknowledged points survive")
    func failedFsync() throws {
        let directory = TemporaryDirectory()
        defer { FaultInjection.removeRules(under: directory.path) }
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamp: 1, value: 1.0)
        FaultInjection.install(.init(pathPrefix: directory.path + "/wal", operation: .sync, effect: .fail(EIO)))
        let error = #expect(throws: StrataError.self) { try store.append(device: "d", metric: "m", timestamp: 2, value: 2.0) }
        #expect(error?.message.contains("fsync") == true)
        // The sync is not retried as if nothing happened: every later write is refused.
        let refused = #expect(throws: StrataError.self) { try store.append(device: "d", metric: "m", timestamp: 3, value: 3.0) }
        #expect(refused?.message.contains("reopened") == true)
        #expect(throws: StrataError.self) { try store.flush() }
        _ = consume store
        let reopened = try reopen(directory.path)
        let times = try reopened.query(device: "d", metric: "m").timestamps
        // Point 1 was acknowledged; point 2 was not (it may or may not have reached the disk).
        #expect(times.first == 1)
        #expect(!times.contains(3))
    }

    @Test("A full disk during a flush keeps every point in the head and the log")
    func fullDiskOnFlush() throws {
        let directory = TemporaryDirectory()
        defer { FaultInjection.removeRules(under: directory.path) }
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamps: [1, 2, 3], values: [1.0, 2.0, 3.0])
        FaultInjection.install(.init(pathPrefix: directory.path + "/segments", operation: .write, effect: .fail(ENOSPC)))
        let error = #expect(throws: StrataError.self) { try store.flush() }
        #expect(error?.code == .io)
        #expect(error?.path?.hasPrefix(directory.path + "/segments/") == true)
        try store.append(device: "d", metric: "m", timestamps: [4], values: [4.0])
        #expect(try store.query(device: "d", metric: "m").count == 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appending("segments")).isEmpty)
        _ = consume store
        let reopened = try reopen(directory.path)
        #expect(try reopened.query(device: "d", metric: "m").timestamps == [1, 2, 3, 4])
        try reopened.flush()
        try reopened.close()
        #expect(try reopen(directory.path).query(device: "d", metric: "m").count == 4)
    }

    @Test("Appenders waiting at once share fsyncs (group commit)")
    func groupCommit() async throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for index in 0..<100 {
                        try store.append(device: "d\(writer)", metric: "m", timestamp: Int64(index), value: Double(index))
                    }
                }
            }
            try await group.waitForAll()
        }
        let syncs = try #require(store.log?.syncs)
        #expect(syncs <= 400)
        for writer in 0..<4 { #expect(try store.query(device: "d\(writer)", metric: "m").count == 100) }
        _ = consume store
        let reopened = try reopen(directory.path)
        #expect(reopened.recovery.points == 400)
    }

    @Test("Every durability policy recovers what it acknowledged after a process-level drop", arguments: [
        Configuration.Durability.everyBatch, .interval(milliseconds: 5), .none,
    ])
    func policies(durability: Configuration.Durability) throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.durability = durability
        try appendWithoutClosing(directory.path, batches: 10, size: 10, configuration: configuration)
        // Without a power loss the page cache holds the log even unsynced.
        let store = try reopen(directory.path, configuration: configuration)
        #expect(try store.query(device: "d", metric: "m").count == 100)
    }

    @Test("The head is flushed in the background when it reaches its size")
    func backgroundFlush() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.headFlushThreshold = 500
        let store = try Store(at: directory.path, configuration: configuration)
        for batch in 0..<10 {
            let times = (0..<100).map { Int64(batch * 100 + $0) }
            try store.append(device: "d", metric: "m", timestamps: times, values: times.map(Double.init))
        }
        let deadline = Date().addingTimeInterval(5)
        while store.segments().isEmpty && Date() < deadline { usleep(5_000) }
        #expect(!store.segments().isEmpty)
        #expect(try store.query(device: "d", metric: "m").count == 1000)
        try store.close()
    }

    @Test("A small head is flushed in the background once it is old enough")
    func backgroundFlushByAge() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.headFlushAgeMilliseconds = 100
        let store = try Store(at: directory.path, configuration: configuration)
        try store.append(device: "d", metric: "m", timestamp: 1, value: 1.0)
        let deadline = Date().addingTimeInterval(5)
        while store.segments().isEmpty && Date() < deadline { usleep(10_000) }
        #expect(store.segments().count == 1)
        #expect(store.unflushedPointCount == 0)
        // The log files the segment covers go just after it is published; only the current (empty) file remains.
        while try walFiles(directory.path).count != 1 && Date() < deadline { usleep(10_000) }
        #expect(try walFiles(directory.path).count == 1)
        try store.close()
    }

    @Test("Another process reading the store sees points the writer has not flushed")
    func readersSeeTheLog() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamps: [10, 20], values: [1.5, 2.5])
        let query = try CommandRunner.run(["query", directory.path, "--device", "d", "--metric", "m", "--format", "csv"])
        #expect(query.status == 0, "\(query.standardError)")
        #expect(query.standardOutput == "device,metric,ts_ms,value\nd,m,10,1.5\nd,m,20,2.5\n")
        try store.close()
    }
}

/// A batch of `count` points of d/m from timestamp `first`.
private func logBatch(first: Int, count: Int) throws -> WriteBatch {
    var batch = WriteBatch()
    for time in first..<(first + count) { try batch.append(device: "d", metric: "m", timestamp: Int64(time), value: Double(time) / 4) }
    return batch
}

/// The bytes of a version 1 log file holding `batches`: the old framing,
/// length(4) crc32c(4) type(1), and no end record.
private func version1LogFile(_ batches: [WriteBatch]) -> [UInt8] {
    var bytes = WALFormat.fileHeader(version: 1)
    for batch in batches {
        var payload = ByteWriter()
        WALBatchEncoding.encode(batch, into: &payload)
        let covered = [WALFormat.RecordType.batch.rawValue] + payload.bytes
        var header = ByteWriter()
        header.writeUInt32(UInt32(payload.bytes.count))
        header.writeUInt32(covered.withUnsafeBytes { CRC32C.checksum($0) })
        bytes += header.bytes + covered
    }
    return bytes
}

private func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// The `rows` and `compressedRows` records of a version 3 or 4 log file's bytes, framed: where each starts and ends.
func rowsRecords(_ bytes: [UInt8]) -> [Range<Int>] {
    var offset = WALFormat.headerSize
    var found: [Range<Int>] = []
    while offset + WALFormat.recordHeaderSize <= bytes.count {
        let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
        let end = offset + WALFormat.recordHeaderSize + length
        guard end <= bytes.count else { break }
        let type = bytes[offset + WALFormat.recordHeaderSize - 1]
        if type == WALFormat.RecordType.rows.rawValue || type == WALFormat.RecordType.compressedRows.rawValue {
            found.append(offset..<end)
        }
        offset = end
    }
    return found
}
private func writeFileBytes(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

@Suite("Write-ahead log format version 2")
struct WriteAheadLogFormatTests {
    @Test("Every file closed for good ends with its end record; a sealed file cut at a record boundary is damage")
    func endRecords() throws {
        let directory = TemporaryDirectory()
        let folder = directory.appending("wal")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let log = try WriteAheadLog(directory: folder, number: 1, existing: [])
        for index in 0..<3 {
            var record = WALRecord(batch: try logBatch(first: index * 10, count: 10))
            try log.waitUntilDurable(try log.append(&record))
        }
        let first = folder + "/" + WALFormat.fileName(1), second = folder + "/" + WALFormat.fileName(2)
        #expect(try log.rotate() == [first])
        var record = WALRecord(batch: try logBatch(first: 30, count: 5))
        try log.waitUntilDurable(try log.append(&record))

        // The rotated file is sealed: its end record counts its 3 records and names its own offset.
        let sealed = try fileBytes(first)
        let endOffset = sealed.count - WALFormat.endRecordSize
        #expect(sealed[endOffset + WALFormat.recordHeaderSize - 1] == WALFormat.RecordType.end.rawValue)
        let mark = sealed.withUnsafeBytes { WALRecord.decodeEnd(UnsafeRawBufferPointer(rebasing: $0[(endOffset + WALFormat.recordHeaderSize)...])) }
        #expect(mark?.records == 3)
        #expect(mark?.offset == UInt64(endOffset))
        // A reader beside the writer: the open last file is not damage.
        let live = try WALReplay(directory: folder, repairs: false).run { _, _, _ in }
        #expect(live.problems.isEmpty, "\(live.problems)")
        #expect(live.records == 4)
        #expect(live.sealedFiles == [first])

        // close() keeps the current file (an earlier one is still listed), so it seals it; closing again adds nothing.
        try log.close()
        let closedSize = try fileBytes(second).count
        try log.close()
        #expect(try fileBytes(second).count == closedSize)
        let closed = try WALReplay(directory: folder, repairs: false).run { _, _, _ in }
        #expect(closed.problems.isEmpty, "\(closed.problems)")
        #expect(closed.sealedFiles == [first, second])
        #expect(closed.points == 35)

        // The first file without its end record: cut at a record boundary, and seen.
        try writeFileBytes(first, Array(sealed[..<endOffset]))
        let cut = try WALReplay(directory: folder, repairs: false).run { _, _, _ in }
        #expect(cut.records == 4)
        #expect(cut.damagedFiles == [first])
        let problem = try #require(cut.problems.first)
        #expect(cut.problems.count == 1)
        #expect(problem.path == first)
        #expect(problem.offset == endOffset)
        #expect(problem.message.contains("no end record"), "\(problem.message)")
    }

    @Test("A writer seals the last file a crashed writer left open, after cutting its torn tail, before starting its own")
    func sealingAfterCrash() throws {
        let directory = TemporaryDirectory()
        try appendWithoutClosing(directory.path, batches: 3, size: 10)
        let file = try #require(try walFiles(directory.path).last)
        let size = try fileBytes(file).count
        let store = try reopen(directory.path)
        #expect(store.recovery.problems.isEmpty, "\(store.recovery.problems)")
        let bytes = try fileBytes(file)
        #expect(bytes.count == size + WALFormat.endRecordSize)
        #expect(bytes[size + WALFormat.recordHeaderSize - 1] == WALFormat.RecordType.end.rawValue)
        // The file the writer appends to now comes after it.
        #expect(try walFiles(directory.path).last != file)
        let report = try StoreVerifier.verify(at: directory.path)
        #expect(report.isClean && report.notes.isEmpty, "\(report.problems) \(report.notes)")
        _ = consume store
        let again = try reopen(directory.path)
        #expect(again.recovery.problems.isEmpty, "\(again.recovery.problems)")
        #expect(try again.query(device: "d", metric: "m").count == 30)
    }

    @Test("A reader beside a writer that appends and rotates never sees damage in the log")
    func readerBesideRotatingWriter() throws {
        final class Progress: @unchecked Sendable {
            private let lock = NSLock()
            private var batches = 0
            private var finished = false
            private var error: (any Error)?
            var state: (batches: Int, finished: Bool, error: (any Error)?) { lock.withLock { (batches, finished, error) } }
            func advance() { lock.withLock { batches += 1 } }
            func finish(_ error: (any Error)?) { lock.withLock { finished = true; self.error = error } }
        }
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.headFlushThreshold = 300
        let store = try Store(at: directory.path, configuration: configuration)
        let folder = directory.appending("wal")
        let progress = Progress()
        let total = 300
        // A thread of its own: the writer must run while this test replays, whatever the test pool does.
        let writer = Thread {
            do {
                for batch in 0..<total {
                    try store.append(try logBatch(first: batch * 20, count: 20))
                    if batch % 7 == 0 { try store.flush() }
                    progress.advance()
                }
                progress.finish(nil)
            } catch {
                progress.finish(error)
            }
        }
        writer.start()
        var replays = 0
        while !progress.state.finished || replays == 0 {
            let outcome = try WALReplay(directory: folder, repairs: false).run { _, _, _ in }
            #expect(outcome.problems.isEmpty, "\(outcome.problems)")
            #expect(outcome.damagedFiles.isEmpty)
            replays += 1
        }
        #expect(progress.state.error == nil, "\(String(describing: progress.state.error))")
        #expect(progress.state.batches == total)
        #expect(replays > 1)
        #expect(try store.query(device: "d", metric: "m").count == total * 20)
        try store.close()
        #expect(try walFiles(directory.path).isEmpty)
    }

    @Test("A length that disagrees with its complement is damage at the record, even in the last file's last record")
    func lengthComplement() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.headFlushThreshold = 1_000_000
        try appendWithoutClosing(directory.path, batches: 3, size: 10, configuration: configuration)
        let file = try #require(try walFiles(directory.path).last)
        var bytes = try fileBytes(file)
        let lastRecord = rowsRecords(bytes)[2].lowerBound
        bytes[lastRecord + 1] ^= 0x01  // the length now runs past the end of the file
        try writeFileBytes(file, bytes)

        let report = try StoreVerifier.verify(at: directory.path)
        #expect(!report.isClean)
        #expect(report.problems.map(\.offset) == [lastRecord], "\(report.problems)")
        #expect(report.problems.first?.message.contains("complement") == true)
        let store = try reopen(directory.path, configuration: configuration)
        #expect(store.recovery.points == 20)
        #expect(store.recovery.problems.contains { $0.offset == lastRecord && !$0.message.contains("torn tail") })
        #expect(FileManager.default.fileExists(atPath: file + WALFormat.damagedSuffix))
    }

    @Test("A last file ending in zero bytes (space allocated for an interrupted append) is a torn tail")
    func zeroFilledTail() throws {
        let directory = TemporaryDirectory()
        try appendWithoutClosing(directory.path, batches: 2, size: 10)
        let file = try #require(try walFiles(directory.path).last)
        let bytes = try fileBytes(file)
        try writeFileBytes(file, bytes + [UInt8](repeating: 0, count: 300))
        let report = try StoreVerifier.verify(at: directory.path)
        #expect(report.isClean, "\(report.problems)")
        #expect(report.notes.contains { $0.offset == bytes.count && $0.message.contains("torn tail") }, "\(report.notes)")
        let store = try reopen(directory.path)
        #expect(store.recovery.points == 20)
        #expect(try fileBytes(file).count == bytes.count + WALFormat.endRecordSize)
    }

    @Test("Version 1 log files still replay, with their old framing and torn tails, and are not sealed")
    func version1Files() throws {
        let directory = TemporaryDirectory()
        try Store(at: directory.path).close()
        let older = directory.appending("wal/" + WALFormat.fileName(5))
        let newer = directory.appending("wal/" + WALFormat.fileName(6))
        // Two version 1 files; the last one ends in half a record (a torn tail).
        let torn = version1LogFile([try logBatch(first: 20, count: 10), try logBatch(first: 30, count: 10)])
        let tornAt = version1LogFile([try logBatch(first: 20, count: 10)]).count
        try writeFileBytes(older, version1LogFile([try logBatch(first: 0, count: 10), try logBatch(first: 10, count: 10)]))
        try writeFileBytes(newer, Array(torn[..<(torn.count - 40)]))

        let report = try StoreVerifier.verify(at: directory.path)
        #expect(report.isClean, "\(report.problems)")
        #expect(report.logRecordsChecked == 3)
        #expect(report.notes.map(\.offset) == [tornAt], "\(report.notes)")
        let reader = try Store(at: directory.path, mode: .readOnly)
        #expect(try reader.query(device: "d", metric: "m").timestamps == (0..<30).map(Int64.init))

        var configuration = Configuration()
        configuration.headFlushThreshold = 1_000_000
        let store = try reopen(directory.path, configuration: configuration)
        #expect(store.recovery.records == 3)
        #expect(store.recovery.points == 30)
        #expect(store.recovery.problems.count == 1)
        #expect(store.recovery.problems.first?.offset == tornAt)
        #expect(store.recovery.problems.first?.message.contains("torn tail") == true)
        // The torn tail is cut off; a version 1 file gets no (version 2) end record.
        #expect(try fileBytes(newer) == Array(torn[..<tornAt]))
        try store.append(device: "d", metric: "m", timestamp: 100, value: 25.0)
        _ = consume store

        // Version 1 files that are not the last one need no end record.
        let again = try reopen(directory.path, configuration: configuration)
        #expect(again.recovery.problems.isEmpty, "\(again.recovery.problems)")
        #expect(try again.query(device: "d", metric: "m").timestamps == (0..<30).map(Int64.init) + [100])
        #expect(try StoreVerifier.verify(at: directory.path).isClean)
        try again.close()
        #expect(try walFiles(directory.path).isEmpty)
    }
}

@Suite("Crash test, short")
struct CrashTestTests {
    /// Runs `strata-crash-test run` in a fresh directory with `arguments`.
    private func runCrashTest(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let directory = TemporaryDirectory()
        let process = Process()
        process.executableURL = CommandRunner.executable.deletingLastPathComponent().appendingPathComponent("strata-crash-test")
        process.arguments = ["run", "--store", directory.appending("store")] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    private func line(_ prefix: String, in output: String) -> Substring? {
        output.split(separator: "\n").last { $0.hasPrefix(prefix) }
    }

    @Test("A writer killed at random moments, inside compactions and beside backups loses no acknowledged point (10 kills; tools/crash-test runs 1,000)")
    func shortCrashTest() throws {
        let (status, output) = try runCrashTest(["--kills", "10", "--seed", "3", "--no-clean-close"])
        #expect(status == 0, "\(output)")
        let summary = line("summary: ", in: output)
        #expect(summary?.contains("kills 10,") == true, "\(output)")
        #expect(summary?.contains("backups checked") == true, "\(output)")
        #expect(summary?.hasSuffix("lost: 0") == true, "\(output)")
        #expect(output.hasSuffix("PASS\n"))
    }

    @Test("Also when the checker sometimes closes the store cleanly between kills (12 kills)")
    func shortCrashTestWithCleanCloses() throws {
        let (status, output) = try runCrashTest(["--kills", "12", "--seed", "3"])
        // Stores and backups verify and open, nothing is lost, wrong or extra.
        #expect(line("stores verified after a kill: ", in: output)?.hasSuffix("problems: 0") == true, "\(output)")
        #expect(line("writer or backup failures: ", in: output) == "writer or backup failures: 0, open failures: 0", "\(output)")
        #expect(line("store checks: ", in: output)?.hasSuffix("wrong 0, duplicated 0, unexpected 0") == true, "\(output)")
        #expect(line("backup checks: ", in: output)?.hasSuffix("wrong 0, duplicated 0, unexpected 0") == true, "\(output)")
        // A clean close used to let the next writer reuse log numbers the manifest covered (fixed in Store.init).
        #expect(status == 0, "\(output)")
        #expect(line("summary: ", in: output)?.hasSuffix("lost: 0") == true, "\(output)")
    }
}

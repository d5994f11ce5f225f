import Testing
import Foundation
@testable import Strata

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

    @Test("A torn tail is cut off and reported with file, offset and bytes dropped")
    func tornTail() throws {
        let directory = TemporaryDirectory()
        try appendWithoutClosing(directory.path, batches: 3, size: 10)
        let file = try #require(try walFiles(directory.path).last)
        let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
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
        let recordSize = (size - 16) / 3
        #expect(problem.offset == 16 + 2 * recordSize)
        #expect(try store.query(device: "d", metric: "m").count == 20)
        // The tail is gone from the file, so the next open is clean.
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int) == 16 + 2 * recordSize)
    }

    @Test("Corruption in the middle is reported; what comes before is kept; the file is moved aside")
    func middleCorruption() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.headFlushThreshold = 1_000_000
        try appendWithoutClosing(directory.path, batches: 4, size: 10, configuration: configuration)
        let file = try #require(try walFiles(directory.path).last)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let recordSize = (bytes.count - 16) / 4
        let damagedOffset = 16 + recordSize  // the second record
        bytes[damagedOffset + 20] ^= 0xFF
        // Appending a record's worth of garbage keeps the damage away from the tail.
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
        // The log files the segment covers are gone; only the current (empty) file remains.
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

@Suite("Crash test, short")
struct CrashTestTests {
    @Test("A writer killed at random moments loses no acknowledged point (10 kills; tools/crash-test runs 1,000)")
    func shortCrashTest() throws {
        let directory = TemporaryDirectory()
        let binary = CommandRunner.executable.deletingLastPathComponent().appendingPathComponent("strata-crash-test")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["run", "--store", directory.appending("store"), "--kills", "10", "--seed", "3"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("lost: 0"))
        #expect(output.contains("PASS"))
    }
}

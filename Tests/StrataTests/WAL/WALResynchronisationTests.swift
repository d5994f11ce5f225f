import Testing
import Foundation
@testable import Strata
import StrataCodecs
import StrataTestSupport

private func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
private func writeFileBytes(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

/// The timestamps `appendWithoutClosing` writes in `batches` batches of `size`, without the batches in `lost`.
private func timestamps(batches: Int, size: Int, losing lost: Set<Int>) -> [Int64] {
    (0..<batches).filter { !lost.contains($0) }.flatMap { batch in (0..<size).map { Int64(batch * size + $0) } }
}

@Suite("Write-ahead log: resynchronising after damage")
struct WALResynchronisationTests {
    static var unflushed: Configuration {
        var configuration = Configuration()
        configuration.headFlushThreshold = 1_000_000
        return configuration
    }

    @Test("A flipped byte in an early record loses that record only: every later intact record is replayed, the bytes skipped are reported")
    func flippedPayloadByte() throws {
        let directory = TemporaryDirectory()
        try appendWithoutClosing(directory.path, batches: 10, size: 10, configuration: Self.unflushed)
        let file = try #require(try walFiles(directory.path).last)
        var bytes = try fileBytes(file)
        let damaged = rowsRecords(bytes)[1]
        bytes[damaged.lowerBound + WALFormat.recordHeaderSize + 3] ^= 0x10
        try writeFileBytes(file, bytes)

        // A reader changes nothing and already sees every intact record.
        let reader = try Store(at: directory.path, mode: .readOnly)
        #expect(reader.recovery.points == 90)
        let store = try reopen(directory.path, configuration: Self.unflushed)
        #expect(store.recovery.points == 90)
        #expect(try store.query(device: "d", metric: "m").timestamps == timestamps(batches: 10, size: 10, losing: [1]))
        let problem = try #require(store.recovery.problems.first)
        #expect(store.recovery.problems.count == 1, "\(store.recovery.problems)")
        #expect(problem.path == file && problem.offset == damaged.lowerBound)
        #expect(problem.message.contains("checksum") && problem.message.contains("\(damaged.count) bytes skipped"), "\(problem.message)")
        #expect(!problem.message.contains("torn tail"))
        // What was read went into a segment, and the damaged file was set aside.
        #expect(store.segments().count == 1)
        #expect(FileManager.default.fileExists(atPath: file + WALFormat.damagedSuffix))
        try store.close()
        let again = try reopen(directory.path)
        #expect(again.recovery.problems.isEmpty)
        #expect(try again.query(device: "d", metric: "m").count == 90)
    }

    @Test("A length that disagrees with its complement is skipped by scanning for the next valid record")
    func damagedLength() throws {
        let directory = TemporaryDirectory()
        try appendWithoutClosing(directory.path, batches: 6, size: 10, configuration: Self.unflushed)
        let file = try #require(try walFiles(directory.path).last)
        var bytes = try fileBytes(file)
        let damaged = rowsRecords(bytes)[2]
        bytes[damaged.lowerBound + 2] ^= 0x01
        try writeFileBytes(file, bytes)

        let report = try StoreVerifier.verify(at: directory.path)
        #expect(report.problems.map(\.offset) == [damaged.lowerBound], "\(report.problems)")
        #expect(report.problems.first?.message.contains("complement") == true)
        #expect(report.problems.first?.message.contains("\(damaged.count) bytes skipped") == true, "\(report.problems)")
        let store = try reopen(directory.path, configuration: Self.unflushed)
        #expect(try store.query(device: "d", metric: "m").timestamps == timestamps(batches: 6, size: 10, losing: [2]))
    }

    @Test("Garbage between two records is skipped; the records after it are found at their shifted offset")
    func insertedGarbage() throws {
        let directory = TemporaryDirectory()
        try appendWithoutClosing(directory.path, batches: 5, size: 10, configuration: Self.unflushed)
        let file = try #require(try walFiles(directory.path).last)
        var bytes = try fileBytes(file)
        let at = rowsRecords(bytes)[2].lowerBound
        bytes.insert(contentsOf: (0..<37).map { UInt8(truncatingIfNeeded: $0 &* 73 &+ 11) }, at: at)
        try writeFileBytes(file, bytes)

        let store = try reopen(directory.path, configuration: Self.unflushed)
        #expect(try store.query(device: "d", metric: "m").timestamps == timestamps(batches: 5, size: 10, losing: []))
        #expect(store.recovery.problems.map(\.offset) == [at], "\(store.recovery.problems)")
        #expect(store.recovery.problems.first?.message.contains("37 bytes skipped") == true, "\(store.recovery.problems)")
    }

    @Test("Damage in the middle and a torn tail at the end: the intact records between them are kept; the tail is a note, the damage a problem")
    func damageAndTornTail() throws {
        let directory = TemporaryDirectory()
        try appendWithoutClosing(directory.path, batches: 5, size: 10, configuration: Self.unflushed)
        let file = try #require(try walFiles(directory.path).last)
        var bytes = try fileBytes(file)
        let records = rowsRecords(bytes)
        bytes[records[1].lowerBound + WALFormat.recordHeaderSize + 1] ^= 0x40
        bytes.removeLast(5)  // the last record torn
        try writeFileBytes(file, bytes)

        let report = try StoreVerifier.verify(at: directory.path)
        #expect(report.problems.map(\.offset) == [records[1].lowerBound], "\(report.problems)")
        #expect(report.notes.map(\.offset) == [records[4].lowerBound], "\(report.notes)")
        let store = try reopen(directory.path, configuration: Self.unflushed)
        #expect(try store.query(device: "d", metric: "m").timestamps == timestamps(batches: 5, size: 10, losing: [1, 4]))
        // The damaged file is kept as it was found, torn tail included, for inspection.
        #expect(try fileBytes(file + WALFormat.damagedSuffix) == bytes)
    }

    @Test("A sealed file damaged in the middle: its end record tells how many records were lost; later files still replay")
    func sealedFileCountsLostRecords() throws {
        let directory = TemporaryDirectory()
        let folder = directory.appending("wal")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let log = try WriteAheadLog(directory: folder, number: 1, existing: [])
        for index in 0..<4 {
            var batch = WriteBatch()
            for time in (index * 10)..<(index * 10 + 10) { try batch.append(device: "d", metric: "m", timestamp: Int64(time), value: Double(time)) }
            var record = WALRecord(batch: batch)
            try log.waitUntilDurable(try log.append(&record))
            if index == 2 { _ = try log.rotate() }
        }
        try log.close()
        let first = folder + "/" + WALFormat.fileName(1)
        var bytes = try fileBytes(first)
        // The second record of the first file: the header, then the first record's 10 points.
        let firstLength = Int(bytes[16]) | Int(bytes[17]) << 8
        let second = WALFormat.headerSize + WALFormat.recordHeaderSize + firstLength
        bytes[second + WALFormat.recordHeaderSize + 5] ^= 0x02
        try writeFileBytes(first, bytes)

        var times: [Int64] = []
        let outcome = try WALReplay(directory: folder, repairs: false).run { batch, _, _ in times += batch.timestamps }
        #expect(times == (0..<10).map(Int64.init) + (20..<40).map(Int64.init))
        #expect(outcome.damagedFiles == [first])
        #expect(outcome.problems.map(\.offset) == [second, bytes.count - WALFormat.endRecordSize], "\(outcome.problems)")
        #expect(outcome.problems.last?.message.contains("3 records") == true, "\(outcome.problems)")
        #expect(outcome.problems.last?.message.contains("1 lost") == true, "\(outcome.problems)")
    }

    @Test("A damaged series record loses the rows that name its series, reported once for all of them; series defined after it still replay")
    func damagedSeriesRecord() throws {
        let directory = TemporaryDirectory()
        do {
            let store = try Store(at: directory.path, configuration: Self.unflushed)
            for batch in 0..<4 { try store.append(device: "d", metric: "m", timestamps: [Int64(batch)], values: [Double(batch)]) }
            try store.append(device: "e", metric: "m", timestamps: [10, 11], values: [1.5, 2.5])
        }
        let file = try #require(try walFiles(directory.path).last)
        var bytes = try fileBytes(file)
        let rows = rowsRecords(bytes)
        #expect(rows.count == 5)
        // The first record defines d/m: a flipped byte in its payload.
        bytes[WALFormat.headerSize + WALFormat.recordHeaderSize + 2] ^= 0x04
        try writeFileBytes(file, bytes)

        let store = try reopen(directory.path, configuration: Self.unflushed)
        #expect(try store.query(device: "d", metric: "m").timestamps.isEmpty)
        #expect(try store.query(device: "e", metric: "m").timestamps == [10, 11])
        let problems = store.recovery.problems
        #expect(problems.map(\.offset) == [WALFormat.headerSize, rows[0].lowerBound, rows[1].lowerBound], "\(problems)")
        #expect(problems[1].message.contains("does not define"), "\(problems[1].message)")
        #expect(problems[2].message.contains("3 more") && problems[2].message.contains("do not decode"), "\(problems[2].message)")
    }

    @Test("No false resynchronisation inside a damaged record: a valid frame hidden in its values is not replayed")
    func hiddenFrameIsNotReplayed() throws {
        let directory = TemporaryDirectory()
        // A complete rows record naming series 0 at timestamp 666, padded to four values.
        var inner = ByteWriter()
        inner.writeVarUInt(1)
        inner.writeVarUInt(ZigZag.encode(0))
        inner.writeVarUInt(ZigZag.encode(666))
        inner.writeUInt64((6.66).bitPattern)
        let frame = GoldenLogBuilder.frame(type: WALFormat.RecordType.rows.rawValue, payload: inner.bytes, version: 4)
        let padded = frame + [UInt8](repeating: 0, count: 32 - frame.count)
        let hidden = (0..<4).map { index in
            padded[(index * 8)..<(index * 8 + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        do {
            let store = try Store(at: directory.path, configuration: Self.unflushed)
            try store.append(device: "d", metric: "m", timestamps: [1, 2, 3, 4, 5, 6],
                             values: [1.5] + hidden.map { Double(bitPattern: $0) } + [2.5])
            try store.append(device: "d", metric: "m", timestamps: [7, 8], values: [7.5, 8.5])
        }
        let file = try #require(try walFiles(directory.path).last)
        var bytes = try fileBytes(file)
        let outer = rowsRecords(bytes)[0]
        #expect(bytes[outer].starts(with: frame) == false)
        #expect(bytes.indices.contains { bytes[$0...].starts(with: frame) }, "the frame sits inside the record")
        bytes[outer.upperBound - 1] ^= 0x01  // the last value's byte, after the hidden frame
        try writeFileBytes(file, bytes)

        let store = try reopen(directory.path, configuration: Self.unflushed)
        #expect(try store.query(device: "d", metric: "m").timestamps == [7, 8])
        #expect(store.recovery.problems.map(\.offset) == [outer.lowerBound], "\(store.recovery.problems)")
    }
}

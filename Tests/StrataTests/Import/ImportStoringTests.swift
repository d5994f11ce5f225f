import Testing
import Foundation
@testable import Strata
import StrataTestSupport

/// A full disk part-way through an import: the error must say what the store keeps.
@Suite("Import storing: what a part-way failure keeps", .serialized)
struct ImportStoringTests {
    func input(_ name: String, timestamps: [Int64]) throws -> ImportStoring.Input {
        var batch = WriteBatch()
        for timestamp in timestamps {
            try batch.append(device: "d", metric: name, timestamp: timestamp, value: Double(timestamp))
        }
        return ImportStoring.Input(name: name, batch: batch)
    }

    @Test("Two files, the log full at the second: the first is stored, the second is not, and the message says so")
    func secondFileFails() throws {
        let directory = TemporaryDirectory()
        defer { FaultInjection.removeRules(under: directory.path) }
        let inputs = [try input("a.csv", timestamps: [1, 2, 3]), try input("b.csv", timestamps: [4, 5])]
        let store = try Store(at: directory.path)
        let error = #expect(throws: StrataError.self) {
            try ImportStoring.store(inputs, in: store) { done in
                // The disk fills up once the first file is in.
                if done == 1 {
                    FaultInjection.install(.init(pathPrefix: directory.path + "/wal", operation: .write, effect: .fail(ENOSPC), times: .max))
                }
            }
        }
        #expect(error?.code == .io)
        #expect(error?.message.contains("a.csv stored (3 points, durable in the write-ahead log; in the store's segments once it is next opened)") == true,
                "\(error?.message ?? "")")
        #expect(error?.message.contains("; b.csv not stored; ingesting those again is safe") == true, "\(error?.message ?? "")")
        FaultInjection.removeRules(under: directory.path)
        _ = consume store
        let reopened = try reopen(directory.path)
        #expect(try reopened.query(device: "d", metric: "a.csv").timestamps == [1, 2, 3])
        #expect(try reopened.query(device: "d", metric: "b.csv").timestamps.isEmpty)
    }

    @Test("One file, the segment flush fails at close: its points are in the log, and the message says so")
    func flushFails() throws {
        let directory = TemporaryDirectory()
        defer { FaultInjection.removeRules(under: directory.path) }
        let inputs = [try input("one.csv", timestamps: [10, 20])]
        let store = try Store(at: directory.path)
        FaultInjection.install(.init(pathPrefix: directory.path + "/segments", operation: .write, effect: .fail(ENOSPC), times: .max))
        let error = #expect(throws: StrataError.self) { try ImportStoring.store(inputs, in: store) }
        #expect(error?.code == .io)
        #expect(error?.path?.hasPrefix(directory.path + "/segments/") == true)
        #expect(error?.message.hasSuffix("; one.csv stored (2 points, durable in the write-ahead log; in the store's segments once it is next opened)") == true,
                "\(error?.message ?? "")")
        FaultInjection.removeRules(under: directory.path)
        _ = consume store
        let reopened = try reopen(directory.path)
        #expect(try reopened.query(device: "d", metric: "one.csv").timestamps == [10, 20])
    }

    @Test("A failed sync leaves the batch uncertain, and the message says that too")
    func syncFails() throws {
        let directory = TemporaryDirectory()
        defer { FaultInjection.removeRules(under: directory.path) }
        let inputs = [try input("a.csv", timestamps: [1]), try input("b.csv", timestamps: [2]), try input("c.csv", timestamps: [3])]
        let store = try Store(at: directory.path)
        let error = #expect(throws: StrataError.self) {
            try ImportStoring.store(inputs, in: store) { done in
                if done == 1 {
                    FaultInjection.install(.init(pathPrefix: directory.path + "/wal", operation: .sync, effect: .fail(EIO), times: .max))
                }
            }
        }
        #expect(error?.message.contains("; a.csv stored (1 point, ") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("; b.csv may or may not be stored (written to the write-ahead log but not synced); c.csv not stored;") == true,
                "\(error?.message ?? "")")
    }
}

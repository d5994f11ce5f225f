import Testing
import Foundation
@testable import Strata
import StrataTestSupport

@Suite("Store errors")
struct StoreErrorTests {
    @Test("Bad names are rejected with the reason", arguments: [
        ("", "empty"), (String(repeating: "x", count: 256), "256 bytes"), ("a\u{0}b", "control character"),
        ("tab\there", "control character"), ("del\u{7F}", "control character"), ("c1\u{85}", "control character"),
    ])
    func badNames(name: String, reason: String) throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        for (device, metric) in [(name, "ok"), ("ok", name)] {
            let error = #expect(throws: StrataError.self) {
                try store.append(device: device, metric: metric, timestamp: 0, value: 1.0)
            }
            #expect(error?.code == .invalidName)
            #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
        }
        #expect(store.series().isEmpty)
    }

    @Test("Longest allowed and non-ASCII names work")
    func goodNames() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        let long = String(repeating: "é", count: 127) + "x"  // 255 bytes
        try store.append(device: long, metric: "température °C", timestamp: -5, value: 1.0)
        try store.close()
        let reopened = try Store(at: directory.path)
        #expect(reopened.devices() == [long])
        #expect(try reopened.query(device: long, metric: "température °C").count == 1)
    }

    @Test("A batch with a type mismatch stores nothing")
    func typeMismatch() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamp: 0, value: 1.5)
        try store.flush()
        var batch = WriteBatch()
        try batch.append(device: "d", metric: "other", timestamp: 1, value: 2.0)
        try batch.append(device: "d", metric: "m", timestamp: 1, value: Int64(2))
        let error = #expect(throws: StrataError.self) { try store.append(batch) }
        #expect(error?.code == .typeMismatch)
        #expect(store.metrics(of: "d").map(\.name) == ["m"])
        // The type survives reopening: it comes from the segment.
        try store.close()
        let reopened = try Store(at: directory.path)
        #expect(throws: StrataError.self) { try reopened.append(device: "d", metric: "m", timestamp: 1, value: Int64(3)) }
    }

    @Test("Opening a directory that is not a store without create fails clearly")
    func notAStore() throws {
        let directory = TemporaryDirectory()
        let error = #expect(throws: StrataError.self) { try Store(at: directory.appending("nothing"), create: false) }
        #expect(error?.description.contains("not a Strata store") == true)
    }

    @Test("A closed store refuses appends")
    func closed() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamp: 0, value: 1.0)
        try store.close()
        try store.close()
        let error = #expect(throws: StrataError.self) { try store.append(device: "d", metric: "m", timestamp: 1, value: 1.0) }
        #expect(error?.code == .closed)
        #expect(try Store(at: directory.path).query(device: "d", metric: "m").count == 1)
    }
}

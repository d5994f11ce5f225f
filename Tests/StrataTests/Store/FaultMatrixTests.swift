import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// Every operation `System/` performs on a file, failed at each of its first
/// calls during a workload of appends, flushes, a compaction and a deletion:
/// whatever the workload reports, the store opens afterwards with every
/// acknowledged point and verifies clean.
@Suite("A failure at any file operation loses no acknowledged point")
struct FaultMatrixTests {
    /// What a workload had acknowledged when it stopped.
    struct Acknowledged {
        var points: [SeriesKey: [Int64: UInt64]] = [:]
        /// True once the deletion of device "gone" returned.
        var goneDeleted = false
        var failures: [String] = []
    }

    static var configuration: Configuration {
        var configuration = Configuration()
        configuration.compaction.runsInBackground = false
        configuration.pointsPerChunk = 16
        return configuration
    }

    /// Appends six batches (two days apart, so compaction has windows to
    /// merge), flushing after some, compacting, deleting; stops at the first
    /// failure, as a careful caller would.
    static func workload(_ path: String) -> Acknowledged {
        var acknowledged = Acknowledged()
        do throws(StrataError) {
            let store = try Store(at: path, configuration: configuration)
            for round in 0..<6 {
                var batch = WriteBatch()
                var added: [(SeriesKey, Int64, UInt64)] = []
                for device in ["a", "b", round == 0 ? "gone" : "c"] {
                    for step in 0..<40 {
                        let time = Int64(round) * 172_800_000 + Int64(step) * 60_000
                        let value = Double(round * 1000 + step) / 8
                        try batch.append(device: device, metric: "m", timestamp: time, value: value)
                        added.append((SeriesKey(device: device, metric: "m"), time, value.bitPattern))
                    }
                }
                try store.append(batch)
                for (key, time, bits) in added { acknowledged.points[key, default: [:]][time] = bits }
                if round % 2 == 1 { try store.flush() }
                if round == 3 { _ = try store.compact() }
            }
            try store.delete(device: "gone")
            acknowledged.goneDeleted = true
            _ = try store.compact()
            try store.close()
        } catch {
            acknowledged.failures.append(error.description)
        }
        return acknowledged
    }

    static let operations = FaultInjection.Operation.allCases

    @Test("each operation failed at each of its first calls", arguments: FaultInjection.Operation.allCases, [0, 1, 2, 3, 5, 8, 13])
    func failOnce(operation: FaultInjection.Operation, skip: Int) throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("store")
        defer { FaultInjection.removeRules(under: directory.path) }
        let errno = operation == .write ? ENOSPC : EIO
        FaultInjection.install(.init(pathPrefix: directory.path, operation: operation, effect: .fail(errno), skip: skip))
        let acknowledged = Self.workload(path)
        FaultInjection.removeRules(under: directory.path)
        guard FileManager.default.fileExists(atPath: path + "/STRATA") else {
            // The creation itself failed: nothing was acknowledged, and a new creation must succeed.
            #expect(acknowledged.points.isEmpty)
            try Store(at: path).close()
            return
        }

        let store = try Store(at: path, configuration: Self.configuration)
        for (key, points) in acknowledged.points {
            if key.device == "gone" && acknowledged.goneDeleted { continue }
            let read = try store.query(device: key.device, metric: key.metric)
            var found: [Int64: UInt64] = [:]
            for (time, bits) in zip(read.timestamps, read.valueBitPatterns) { found[time] = bits }
            for (time, bits) in points {
                #expect(found[time] == bits, "\(operation) skip \(skip): \(key.device)/\(key.metric) at \(time); failures: \(acknowledged.failures)")
            }
        }
        if acknowledged.goneDeleted {
            #expect(try store.query(device: "gone", metric: "m").isEmpty, "\(operation) skip \(skip)")
        }
        try store.close()
        let report = try StoreVerifier.verify(at: path)
        #expect(report.isClean, "\(operation) skip \(skip): \(report.problems)")
    }

    @Test("a listed segment that fails to open pauses compaction, which would otherwise rank compacted segments above it")
    func unreadableSegmentPausesCompaction() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("store")
        do {
            let store = try Store(at: path, configuration: Self.configuration)
            for round in 0..<3 {
                try store.append(device: "d", metric: "m", timestamp: Int64(round) * 172_800_000, value: Double(round))
                try store.flush()
            }
            try store.close()
        }
        defer { FaultInjection.removeRules(under: directory.path) }
        // The first flushed segment cannot be mapped when the store opens (a passing I/O error).
        FaultInjection.install(.init(pathPrefix: path + "/segments/0000000001.seg", operation: .mmap, effect: .fail(EIO)))
        do {
            let store = try Store(at: path, configuration: Self.configuration)
            #expect(store.unreadableSegments.count == 1)
            let error = #expect(throws: StrataError.self) { try store.compact() }
            #expect(error?.message.contains("compaction is paused") == true, "\(String(describing: error))")
            try store.close()
        }
        FaultInjection.removeRules(under: directory.path)
        #expect(try StoreVerifier.verify(at: path).isClean)
        let store = try Store(at: path, configuration: Self.configuration)
        _ = try store.compact()
        #expect(try store.query(device: "d", metric: "m").timestamps == [0, 172_800_000, 345_600_000])
        try store.close()
        #expect(try StoreVerifier.verify(at: path).isClean)
    }
}

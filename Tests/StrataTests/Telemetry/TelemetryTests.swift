import Foundation
import Logging
import MetricsTestKit
import Synchronization
import Testing
@testable import Strata
import StrataTestSupport

/// Log records kept in memory, shared by the handler's copies.
final class CapturedLog: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    private let entries = Mutex<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }

    func entries(containing text: String) -> [Entry] { all.filter { $0.message.contains(text) } }

    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    /// A logger that records everything from `trace` up into this log.
    func logger() -> Logger {
        var logger = Logger(label: "strata-test") { _ in CapturingHandler(log: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        log.append(.init(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}

@Suite("Logging and metrics")
struct TelemetryTests {
    private static let hour: Int64 = 3_600_000
    private static let day: Int64 = 24 * hour

    @Test("Appends, flushes, compactions and queries are counted and timed, and flushes and compactions are logged")
    func storeReportsItsWork() throws {
        let directory = TemporaryDirectory()
        let log = CapturedLog()
        let metrics = TestMetrics()
        let dimensions = [("store", "test")]
        let telemetry = Telemetry(logger: log.logger(), metricsFactory: metrics, dimensions: dimensions)
        let store = try Store(at: directory.appending("store"), telemetry: telemetry)
        // Two days of minutes in two flushes, so compaction has work.
        var appended: Int64 = 0
        for day in 0..<2 {
            let times = (0..<1440).map { Int64(day) * Self.day + Int64($0) * 60_000 }
            try store.append(device: "pump-1", metric: "temperature", timestamps: times, values: times.map { Double($0 % 997) / 10 })
            try store.append(device: "pump-1", metric: "cycles", timestamps: times, values: times.map { $0 / 60_000 })
            appended += 2 * 1440
            try store.flush()
        }
        let report = try store.compact()
        #expect(report.steps >= 1)
        let points = try store.query(device: "pump-1", metric: "temperature")
        #expect(points.count == 2880)
        _ = try store.downsample(device: "pump-1", metric: "temperature", options: DownsampleOptions(step: Self.hour))

        #expect(metrics.counterTotal(label: "strata_points_appended_total", dimensions: dimensions) == appended)
        #expect(metrics.counterTotal(label: "strata_flushes_total", dimensions: dimensions) == 2)
        #expect(metrics.counterTotal(label: "strata_wal_syncs_total", dimensions: dimensions) >= 4, "one sync a batch under everyBatch")
        // Regular minutes and repeating values: the rows records compress well below their
        // uncompressed 10 bytes a point, but never to nothing.
        let logBytes = metrics.counterTotal(label: "strata_wal_bytes_written_total", dimensions: dimensions)
        #expect(logBytes > appended && logBytes < appended * 10, "\(logBytes) log bytes for \(appended) points")
        let segmentBytes = metrics.counterTotal(label: "strata_segment_bytes_written_total", dimensions: dimensions)
        let flushedAndCompacted = store.segments().reduce(0) { $0 + $1.byteCount }
        #expect(segmentBytes > Int64(flushedAndCompacted), "the flushed segments were written too")
        let flushTimer = try metrics.expectTimer("strata_flush_duration", dimensions)
        #expect(flushTimer.values.count == 2 && flushTimer.values.allSatisfy { $0 > 0 })
        let compactionTimer = try metrics.expectTimer("strata_compaction_duration", dimensions)
        #expect(compactionTimer.values.count == report.steps)
        let queryTimer = try metrics.expectTimer("strata_query_duration", dimensions)
        #expect(queryTimer.values.count == 2)
        let segmentGauge = try metrics.expectGauge("strata_segments", dimensions)
        #expect(segmentGauge.lastValue == Double(store.segments().count))

        let flushes = log.entries(containing: "flushed the head")
        #expect(flushes.count == 2)
        #expect(flushes.allSatisfy { $0.level == .info && $0.metadata["points"] == "2880" && $0.metadata["store"] == .string(directory.appending("store")) })
        #expect(log.entries(containing: "compaction step").count == report.steps)
        #expect(log.entries(containing: "opened").count == 1)
        // Routine work logs nothing above info.
        #expect(log.all.allSatisfy { $0.level <= .info })
        try store.close()
    }

    @Test("Opening after a crash logs the recovery; a damaged segment is logged as an error with its file")
    func recoveryAndDamageAreLogged() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("store")
        do {
            let store = try Store(at: path)
            try store.append(device: "a", metric: "t", timestamps: [1_000, 2_000], values: [1.5, 2.5])
            try store.flush()
            try store.close()
        }
        do {
            // Appended and never flushed or closed: the points live in the log only.
            let store = try Store(at: path)
            try store.append(device: "a", metric: "t", timestamps: [3_000], values: [3.5])
        }
        // Damage the flushed segment's footer, where opening reads it.
        let segments = try FileManager.default.contentsOfDirectory(atPath: path + "/segments").filter { $0.hasSuffix(".seg") }
        let segment = path + "/segments/" + (try #require(segments.first))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[bytes.count - 12] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: segment))

        let log = CapturedLog()
        let store = try Store(at: path, mode: .readOnly, telemetry: Telemetry(logger: log.logger()))
        let recovered = log.entries(containing: "recovered points from the write-ahead log")
        #expect(recovered.count == 1)
        #expect(recovered.first?.level == .notice)
        #expect(recovered.first?.metadata["points"] == "1")
        let damaged = log.entries(containing: "segment is unreadable")
        #expect(damaged.count == 1)
        #expect(damaged.first?.level == .error)
        #expect(damaged.first?.metadata["file"] == .string(segment))
        #expect(try store.query(device: "a", metric: "t").count == 1, "the log's point is still served")
    }
}

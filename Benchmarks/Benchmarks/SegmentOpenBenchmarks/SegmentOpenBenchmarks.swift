import Benchmark
import Foundation
import Strata

// Opening one large segment: 1,000,000 devices × 4 metrics, 3 readings a
// series (12 M points), written once through a store into a temporary folder
// (STRATA_BENCH_DIR, default the system's) the first time a benchmark of this
// target runs, and removed when the process ends. The fleet issue asks for a
// store of this size to open in at most a second.

let directory = ProcessInfo.processInfo.environment["STRATA_BENCH_DIR"] ?? NSTemporaryDirectory()
let deviceCount = 1_000_000
let metricNames = ["humidity", "power", "temperature", "vibration"]
let readings = 3
let start: Int64 = 1_735_689_600_000  // 2025-01-01T00:00:00Z

func deviceName(_ index: Int) -> String {
    let digits = String(index)
    return "device-" + String(repeating: "0", count: 7 - digits.count) + digits
}

/// The store holding the segment, and the segment's path.
struct Fixture {
    let storePath: String
    let segmentPath: String

    init() {
        storePath = directory + "/strata-segment-open-\(UUID().uuidString)"
        var configuration = Configuration()
        configuration.headFlushThreshold = 100_000_000
        configuration.durability = .none
        configuration.compaction.runsInBackground = false
        let started = Date()
        let store = try! Store(at: storePath, configuration: configuration)
        let perBatch = 10_000
        for first in stride(from: 0, to: deviceCount, by: perBatch) {
            var batch = WriteBatch(capacity: perBatch * metricNames.count * readings)
            for device in first..<(first + perBatch) {
                let name = deviceName(device)
                for (position, metric) in metricNames.enumerated() {
                    let series = try! batch.series(device: name, metric: metric, type: .float64)
                    for reading in 0..<readings {
                        batch.append(series: series, timestamp: start + Int64(reading) * 60_000, value: Double((device + position * 7 + reading) % 500) / 10)
                    }
                }
            }
            try! store.append(batch)
        }
        try! store.flush()
        let segments = store.segments()
        precondition(segments.count == 1, "expected one segment, found \(segments.count)")
        segmentPath = segments[0].path
        try! store.close()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: segmentPath)[.size] as? Int) ?? 0
        print("wrote \(segmentPath): \(bytes) bytes in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        fixtureStorePath = storePath
        atexit { if let path = fixtureStorePath { try? FileManager.default.removeItem(atPath: path) } }
    }
}

/// Built on first use, so listing the benchmarks writes nothing.
nonisolated(unsafe) var fixture: Fixture?
/// Removed when the process exits.
nonisolated(unsafe) var fixtureStorePath: String?

func segmentPath() -> String {
    if fixture == nil { fixture = Fixture() }
    return fixture!.segmentPath
}

/// Opened once for the lookup benchmark.
nonisolated(unsafe) var openedSegment: SegmentFile?

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "open a segment of 1,000,000 devices × 4 metrics",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .peakMemoryResidentDelta], warmupIterations: 1, scalingFactor: .one,
            maxDuration: .seconds(30), maxIterations: 10, setup: { _ = segmentPath() })
    ) { _ in
        let segment = try SegmentFile(path: segmentPath())
        blackHole(segment.byteCount)
    }

    Benchmark(
        "open a segment of 1,000,000 devices × 4 metrics and look up one device",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .peakMemoryResidentDelta], warmupIterations: 1, scalingFactor: .one,
            maxDuration: .seconds(30), maxIterations: 10, setup: { _ = segmentPath() })
    ) { _ in
        let segment = try SegmentFile(path: segmentPath())
        let series = try segment.series(ofDevice: deviceName(765_432))
        precondition(series.count == metricNames.count && series.allSatisfy { $0.pointCount == readings })
        blackHole(series)
    }

    // Devices spread over the whole directory, more than the segment's entry
    // cache holds, so every lookup searches the directory and checks and
    // parses an entry.
    var next = 0
    Benchmark(
        "look up one device in an open segment of 1,000,000 devices (not cached)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(5),
            setup: { openedSegment = try SegmentFile(path: segmentPath()) })
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            next = (next + 7_919) % deviceCount
            blackHole(try openedSegment!.series(ofDevice: deviceName(next)))
        }
    }
}

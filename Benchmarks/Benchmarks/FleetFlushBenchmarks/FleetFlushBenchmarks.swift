import Benchmark
import Foundation
import Strata

// The background work behind a wide fleet's ingest: flushing a head that holds
// a few points of each of 400,000 series (100,000 devices x 4 metrics, 20
// readings a minute apart each: 8 M points, the default flush threshold), and
// compacting four such flushed segments. Readings are at sensor resolution
// (0.1 degree, 0.1 %, 0.001 g, whole watts) with a daily cycle, as in
// `strata bench fleet`, generated here so the benchmark needs no data file.

let devices = 100_000
let stepsPerFlush = 20
let start: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

func temporaryStorePath() -> String {
    NSTemporaryDirectory() + "strata-fleet-bench-\(UUID().uuidString)"
}

/// A store that never flushes or compacts on its own, with a reference for every series.
func fleetStore(at path: String) throws -> (Store, [SeriesReference]) {
    var configuration = Configuration()
    configuration.headFlushThreshold = 1 << 30
    configuration.durability = .none
    configuration.compaction.runsInBackground = false
    let store = try Store(at: path, configuration: configuration)
    var references: [SeriesReference] = []
    references.reserveCapacity(devices * 4)
    for device in 0..<devices {
        for metric in ["temperature", "humidity", "vibration", "power_w"] {
            references.append(try store.reference(device: "pump-\(100_000 + device)", metric: metric, type: .float64))
        }
    }
    return (store, references)
}

/// Appends `stepsPerFlush` readings of every series, in fleet order, starting at step `first`.
func appendSteps(_ store: Store, _ references: [SeriesReference], first: Int) throws {
    var batch = WriteBatch(capacity: 10_000)
    for step in first..<(first + stepsPerFlush) {
        let time = start + Int64(step) * 60_000
        let cycle = sin(2 * Double.pi * Double(step) / 1440)
        for device in 0..<devices {
            let wobble = Double((device &* 7919 &+ step &* 104_729) % 21 - 10)
            let readings = [
                ((20 + 4 * cycle + Double(device % 8)) * 10 + wobble).rounded() / 10,
                ((55 - 12 * cycle) * 10 + wobble).rounded() / 10,
                ((0.05 + 0.01 * cycle) * 1000 + wobble).rounded() / 1000,
                (1200 + 400 * cycle + 3 * wobble).rounded(),
            ]
            for metric in 0..<4 {
                batch.append(references[device * 4 + metric], timestamp: time, value: readings[metric])
                if batch.count == 10_000 {
                    try store.append(batch)
                    batch = WriteBatch(capacity: 10_000)
                }
            }
        }
    }
    if !batch.isEmpty { try store.append(batch) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "Fleet: flush 400,000 series x 20 points, 8 M points per op",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident], scalingFactor: .one, maxDuration: .seconds(120), maxIterations: 5)
    ) { benchmark in
        let path = temporaryStorePath()
        let (store, references) = try fleetStore(at: path)
        try appendSteps(store, references, first: 0)
        benchmark.startMeasurement()
        try store.flush()
        benchmark.stopMeasurement()
        try store.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    Benchmark(
        "Fleet: compact four flushed segments of 400,000 series, 32 M points per op",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident], scalingFactor: .one, maxDuration: .seconds(120), maxIterations: 3)
    ) { benchmark in
        let path = temporaryStorePath()
        let (store, references) = try fleetStore(at: path)
        for flush in 0..<4 {
            try appendSteps(store, references, first: flush * stepsPerFlush)
            try store.flush()
        }
        benchmark.startMeasurement()
        try store.compact()
        benchmark.stopMeasurement()
        try store.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

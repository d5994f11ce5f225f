import Benchmark
import Foundation
import Strata

// LakeSync on a fleet of 200 devices × 2 metrics, one reading a minute for 10
// days (5.76 M points, 2,000 day partitions), synced once before measuring:
// - a sync with nothing changed (the index and the state read, nothing written);
// - a sync after 1 % new points (each iteration appends 144 minutes of every
//   series, then syncs: the last day's 200 partitions are rewritten);
// - a sync after a late point into an old day of one device (one partition).
// Only the sync is measured. The store and the lake live in $STRATA_BENCH_DIR or
// the temporary directory: each rewritten file is fsynced, so the file system matters.

let benchDirectory = ProcessInfo.processInfo.environment["STRATA_BENCH_DIR"] ?? NSTemporaryDirectory()
let day: Int64 = Milliseconds.day
let devices = (0..<200).map { "meter-\($0)" }
let start: Int64 = 20_000 * day

/// Appends `minutes` readings a minute apart from `first` to both metrics of every device.
func appendFleet(_ store: Store, from first: Int64, minutes: Int) throws {
    var batch = WriteBatch(capacity: devices.count * 2 * minutes)
    for (position, device) in devices.enumerated() {
        for metric in ["temperature", "power"] {
            let series = try batch.series(device: device, metric: metric, type: .float64)
            for minute in 0..<minutes {
                let time = first + Int64(minute) * 60_000
                batch.append(series: series, timestamp: time, value: Double((Int(time / 60_000) &+ position * 7) % 400) / 10)
            }
        }
    }
    try store.append(batch)
}

/// A synced fleet: the store, the lake, and where new points go next.
final class SyncedFleet {
    let store: Store
    let lake: String
    let directory: String
    var next: Int64

    init() throws {
        directory = benchDirectory + "/strata-lake-sync-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try Store(at: directory + "/store")
        for dayIndex in 0..<10 { try appendFleet(store, from: start + Int64(dayIndex) * day, minutes: 1440) }
        try store.flush()
        try store.compact()
        lake = directory + "/lake"
        _ = try LakeSync(destination: lake).sync(store)
        next = start + 10 * day - 6 * 3_600_000  // the last day's final hours are still to come
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

/// One fleet per benchmark, built at its first iteration and kept for the next ones.
nonisolated(unsafe) var fleets: [String: SyncedFleet] = [:]

func fleet(for name: String) throws -> SyncedFleet {
    if let built = fleets[name] { return built }
    let built = try SyncedFleet()
    fleets[name] = built
    return built
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .cpuTotal], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 20)
    Benchmark("sync, nothing changed (5.76 M points, 2,000 partitions)", configuration: configuration) { benchmark in
        let fleet = try fleet(for: benchmark.name)
        benchmark.startMeasurement()
        blackHole(try LakeSync(destination: fleet.lake).sync(fleet.store))
        benchmark.stopMeasurement()
    }
    Benchmark("sync after 1 % new points (57,600 points; 200 partitions rewritten)", configuration: configuration) { benchmark in
        let fleet = try fleet(for: benchmark.name)
        // 144 minutes of every series: 1 % of the store; it runs into the next day when it comes.
        try appendFleet(fleet.store, from: fleet.next, minutes: 144)
        fleet.next += 144 * 60_000
        try fleet.store.flush()
        benchmark.startMeasurement()
        blackHole(try LakeSync(destination: fleet.lake).sync(fleet.store))
        benchmark.stopMeasurement()
    }
    Benchmark("sync after one late point (1 partition rewritten)", configuration: configuration) { benchmark in
        let fleet = try fleet(for: benchmark.name)
        fleet.next += 1
        try fleet.store.append(device: "meter-7", metric: "power", timestamp: start + 3 * day + 17 + fleet.next % 1_000, value: 1.0)
        try fleet.store.flush()
        benchmark.startMeasurement()
        blackHole(try LakeSync(destination: fleet.lake).sync(fleet.store))
        benchmark.stopMeasurement()
    }
}

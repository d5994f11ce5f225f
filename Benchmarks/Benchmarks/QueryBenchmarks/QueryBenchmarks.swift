import Benchmark
import Foundation
import Strata
import StrataTestSupport

// Query-layer benchmarks on generated data (built once in a temporary store):
// - a year of 1-second readings of one series (31,536,000 points) downsampled
//   into 1-hour buckets, from chunk statistics and by decoding every chunk;
// - the last hour of each of 10,000 devices (one reading a minute for a day);
// - the analyst's queries over that fleet (14.4 M points): p95 per device per
//   hour, the fleet-wide hourly mean (one group), and the latest value of every
//   series, each on one thread and, where the library offers it, on every core.

let directory = ProcessInfo.processInfo.environment["STRATA_BENCH_DIR"] ?? NSTemporaryDirectory()
let year: Int64 = 365 * Milliseconds.day
let start: Int64 = 1_735_689_600_000  // 2025-01-01T00:00:00Z

/// A temperature at 0.1 °C resolution: a daily cycle plus a slow random walk.
func buildYearStore() -> Store {
    let path = directory + "/strata-query-year-\(UUID().uuidString)"
    let store = try! Store(at: path)
    var walk: Int64 = 0
    var random = SeededGenerator(seed: 1)
    for day in 0..<365 {
        var batch = WriteBatch(capacity: 86_400)
        let series = try! batch.series(device: "sensor", metric: "temperature", type: .float64)
        for second in 0..<86_400 {
            walk += Int64(random.next() >> 62) - 1
            let cycle = sin(Double(second) / 86_400 * 2 * .pi) * 40
            let tenths = 200 + Int64(cycle) + walk % 30
            batch.append(series: series, timestamp: start + Int64(day) * Milliseconds.day + Int64(second) * 1000, value: Double(tenths) / 10)
        }
        try! store.append(batch)
    }
    try! store.flush()
    return store
}

func buildFleetStore() -> Store {
    let path = directory + "/strata-query-fleet-\(UUID().uuidString)"
    let store = try! Store(at: path)
    for group in 0..<100 {
        var batch = WriteBatch(capacity: 100 * 1440)
        for device in (group * 100)..<(group * 100 + 100) {
            let series = try! batch.series(device: "pump-\(device)", metric: "temperature", type: .float64)
            for minute in 0..<1440 {
                batch.append(series: series, timestamp: start + Int64(minute) * 60_000, value: Double(200 + (device + minute) % 50) / 10)
            }
        }
        try! store.append(batch)
    }
    try! store.flush()
    return store
}

let benchmarks: @Sendable () -> Void = {
    let yearStore = buildYearStore()
    let hourly = DownsampleOptions(step: 3_600_000)
    var decodeAll = hourly
    decodeAll.usesChunkStatistics = false
    let check = try! yearStore.downsample(device: "sensor", metric: "temperature", options: hourly)
    print("year of 1 s readings: \(check.buckets.count) hourly buckets, \(check.chunksFromStatistics) chunks from statistics, \(check.chunksDecoded) decoded")

    Benchmark(
        "downsample a year of 1 s readings to 1 h, from statistics (31.5 M points per op)",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(5))
    ) { _ in
        blackHole(try yearStore.downsample(device: "sensor", metric: "temperature", options: hourly))
    }

    Benchmark(
        "downsample a year of 1 s readings to 1 h, decoding every chunk (31.5 M points per op)",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 10)
    ) { _ in
        blackHole(try yearStore.downsample(device: "sensor", metric: "temperature", options: decodeAll))
    }

    Benchmark(
        "anomaly scan, rolling z-score over 1 h, a year of 1 s readings (31.5 M points per op)",
        configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 5)
    ) { _ in
        blackHole(try yearStore.anomalies(device: "sensor", metric: "temperature", options: AnomalyOptions(detector: .zScore(window: 3_600_000, threshold: 6))))
    }

    Benchmark(
        "anomaly scan, robust (median and IQR) over 10 min, a year of 1 s readings (31.5 M points per op)",
        configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 3)
    ) { _ in
        blackHole(try yearStore.anomalies(device: "sensor", metric: "temperature", options: AnomalyOptions(detector: .robust(window: 600_000, threshold: 8))))
    }

    let fleet = buildFleetStore()
    let end = start + Milliseconds.day
    Benchmark(
        "last hour of each of 10,000 devices (10,000 queries per op)",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(5))
    ) { _ in
        var total = 0
        for device in 0..<10_000 {
            total += try fleet.query(device: "pump-\(device)", metric: "temperature", from: end - 3_600_000, to: end).count
        }
        precondition(total == 600_000)
    }

    let keys = (0..<10_000).map { SeriesKey(device: "pump-\($0)", metric: "temperature") }
    var p95 = DownsampleOptions(step: 3_600_000)
    p95.aggregates = [.percentile(95)]
    Benchmark(
        "p95 per device per hour, 10,000 devices, one thread (14.4 M points per op)",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 5)
    ) { _ in
        var buckets = 0
        for key in keys { buckets += try fleet.downsample(device: key.device, metric: key.metric, options: p95).buckets.count }
        precondition(buckets == 240_000)
    }
    Benchmark(
        "p95 per device per hour, 10,000 devices, every core (14.4 M points per op)",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 5)
    ) { _ in
        var buckets = 0
        try fleet.downsample(keys.map(DownsampleRequest.series), options: p95, transform: { $0.buckets.count }) { _, count in buckets += count }
        precondition(buckets == 240_000)
    }
    Benchmark(
        "fleet-wide hourly mean of 10,000 devices, one group (14.4 M points per op)",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 5)
    ) { _ in
        let result = try fleet.downsample(merging: keys, as: SeriesKey(device: "*", metric: "temperature"), options: DownsampleOptions(step: 3_600_000))
        precondition(result.buckets.count == 24)
    }
    Benchmark(
        "latest value of each of 10,000 series, from the index (10,000 series per op)",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(5))
    ) { _ in
        let answers = try fleet.latest(of: keys)
        precondition(answers.allSatisfy { $0?.timestamp == end - 60_000 })
    }
}

import Benchmark
import Foundation
import Strata
import StrataTestSupport

// Anomaly-detection throughput, in points judged per second:
// - the default (automatic) detector scanning the 31 NAB series (realKnownCause,
//   realAWSCloudwatch, realTraffic: 152,965 points), one thread and all cores;
//   the explicit z-score detector on the same store for comparison;
// - the same over a generated fleet of 500 series × 10,000 points (5 M points);
// - AnomalyMonitor.observe fed batches of 100 points across 1,000 series.
//
// Each benchmark's store is built in its setup (not timed) and closed and deleted in
// its teardown; package-benchmark runs each benchmark in a process of its own. The
// NAB files are read from ../../shared/data seen from this package (set STRATA_DATA
// to use another folder); without them the NAB benchmarks are skipped.
//
// package-benchmark's throughput column counts operations per second (its scaling
// factors are powers of 1,000 and an operation here is a whole scan), so every
// benchmark also records a custom metric, "points/s", measured around the work.

let dataFolder = ProcessInfo.processInfo.environment["STRATA_DATA"] ?? "../../shared/data"
let nabFiles = ["nab_realKnownCause.csv", "nab_realAWSCloudwatch.csv", "nab_realTraffic.csv"]
let directory = ProcessInfo.processInfo.environment["STRATA_BENCH_DIR"] ?? NSTemporaryDirectory()

let pointsPerSecond = BenchmarkMetric.custom("points/s", polarity: .prefersLarger, useScalingFactor: false)
let defaultMetrics: [BenchmarkMetric] = [.wallClock, .throughput, .peakMemoryResident, pointsPerSecond]

/// Runs `work` (which judges `points` points) and records its rate as "points/s".
@inline(__always)
func timed(_ benchmark: Benchmark, points: Int, _ work: () throws -> Void) rethrows {
    let start = ContinuousClock.now
    try work()
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    if seconds > 0 { benchmark.measurement(pointsPerSecond, Int((Double(points) / seconds).rounded())) }
}

/// A store built by a benchmark's setup, with the series to scan and their points.
struct Fixture: Sendable {
    let store: Store
    let series: [SeriesKey]
    let points: Int

    /// Closes the store and deletes its directory.
    func remove() {
        try? store.close()
        try? FileManager.default.removeItem(atPath: store.directory)
    }
}

/// The fixture of the benchmark running in this process, set by its setup.
final class FixtureSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var fixture: Fixture?
    var value: Fixture {
        get { lock.withLock { fixture! } }
        set { lock.withLock { fixture = newValue } }
    }
    func setUp(_ build: () -> Fixture) { value = build() }
    func tearDown() { lock.withLock { fixture?.remove(); fixture = nil } }
}

let nabAvailable = nabFiles.allSatisfy { FileManager.default.fileExists(atPath: dataFolder + "/" + $0) }

/// The NAB files ingested into a new store.
func buildNABStore() -> Fixture {
    var batches: [WriteBatch] = []
    for name in nabFiles {
        let data = FileManager.default.contents(atPath: dataFolder + "/" + name)!
        batches.append(try! Array(data).withUnsafeBytes { try LongCSVParser().parse($0, file: name).batch })
    }
    let store = try! Store(at: directory + "/strata-anomaly-nab-\(UUID().uuidString)")
    for batch in batches { try! store.append(batch) }
    try! store.flush()
    let series = store.series().map(\.key)
    let points = batches.reduce(0) { $0 + $1.count }
    let windows = try! store.anomalies(in: series, options: AnomalyOptions()).reduce(0) { $0 + $1.count }
    print("NAB: \(series.count) series, \(points) points, \(windows) windows by the automatic detector")
    return Fixture(store: store, series: series, points: points)
}

/// One series of the generated fleet: a reading a minute at 0.01 resolution, a
/// level of its own, noise, a slow wave (a day long), and a spike about every
/// 2,000 points.
func fleetValues(series: Int, count: Int, seed: UInt64 = 7) -> [Double] {
    var random = SeededGenerator(seed: seed &* 1_000_003 &+ UInt64(series))
    let level = 20 + random.unit() * 60
    let amplitude = 2 + random.unit() * 8
    let phase = random.unit() * 2 * .pi
    var values: [Double] = []
    values.reserveCapacity(count)
    for index in 0..<count {
        var value = level + amplitude * sin(phase + Double(index) / 1440 * 2 * .pi) + random.noise() * 0.5
        if random.next() % 2_000 == 0 { value += (random.unit() < 0.5 ? -1 : 1) * (10 + random.unit() * 20) }
        values.append((value * 100).rounded() / 100)
    }
    return values
}

let fleetStart: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
let fleetSeries = 500
let fleetPointsPerSeries = 10_000

func buildFleetStore() -> Fixture {
    let store = try! Store(at: directory + "/strata-anomaly-fleet-\(UUID().uuidString)")
    var keys: [SeriesKey] = []
    for group in stride(from: 0, to: fleetSeries, by: 50) {
        var batch = WriteBatch(capacity: 50 * fleetPointsPerSeries)
        for index in group..<(group + 50) {
            let key = SeriesKey(device: "pump-\(index)", metric: "temperature")
            keys.append(key)
            let series = try! batch.series(device: key.device, metric: key.metric, type: .float64)
            for (minute, value) in fleetValues(series: index, count: fleetPointsPerSeries).enumerated() {
                batch.append(series: series, timestamp: fleetStart + Int64(minute) * 60_000, value: value)
            }
        }
        try! store.append(batch)
    }
    try! store.flush()
    let windows = try! store.anomalies(in: keys, options: AnomalyOptions()).reduce(0) { $0 + $1.count }
    print("fleet: \(keys.count) series, \(fleetSeries * fleetPointsPerSeries) points, \(windows) windows by the automatic detector")
    return Fixture(store: store, series: keys, points: fleetSeries * fleetPointsPerSeries)
}

/// Feeds an ``AnomalyMonitor`` round after round: each round is one batch of
/// 100 points for each of 1,000 series, the clock moving on by 100 minutes.
final class MonitorFeed: @unchecked Sendable {
    static let series = 1_000
    static let batch = 100
    static let pooledPoints = 10_000
    let monitor = try! AnomalyMonitor()
    let names = (0..<MonitorFeed.series).map { "device-\($0)" }
    /// Each series' values, reused cyclically (the clock never repeats, so no point is late).
    /// Made by the benchmark's setup, not at registration.
    lazy var values = (0..<MonitorFeed.series).map { fleetValues(series: $0, count: MonitorFeed.pooledPoints, seed: 11) }
    var round = 0
    var events = 0

    func feedOneRound() {
        let offset = (round * Self.batch) % Self.pooledPoints
        let firstMinute = Int64(round * Self.batch)
        let timestamps = (0..<Int64(Self.batch)).map { fleetStart + (firstMinute + $0) * 60_000 }
        for index in 0..<Self.series {
            let batchValues = Array(values[index][offset..<(offset + Self.batch)])
            events += monitor.observe(device: names[index], metric: "temperature", timestamps: timestamps, values: batchValues).count
        }
        round += 1
    }
}

let nabPoints = 152_965

let benchmarks: @Sendable () -> Void = {
    print("AnomalyMonitor.bytesPerSeries = \(AnomalyMonitor.bytesPerSeries)")
    let automatic = AnomalyOptions()
    let zScore = AnomalyOptions(detector: .zScore(window: Milliseconds.day, threshold: 4))
    let nab = FixtureSlot()
    let fleet = FixtureSlot()

    /// Scans every series of the fixture with `options`, one after the other on this thread.
    func scanOneByOne(_ fixture: Fixture, _ options: AnomalyOptions, _ benchmark: Benchmark) throws {
        try timed(benchmark, points: fixture.points) {
            for key in fixture.series {
                blackHole(try fixture.store.anomalies(device: key.device, metric: key.metric, options: options))
            }
        }
    }

    if nabAvailable {
        let setUp: @Sendable () async throws -> Void = { nab.setUp(buildNABStore) }
        let tearDown: @Sendable () async throws -> Void = { nab.tearDown() }
        Benchmark(
            "NAB, automatic detector, one thread (\(nabPoints) points per op)",
            configuration: .init(metrics: defaultMetrics, scalingFactor: .one, maxDuration: .seconds(5), setup: setUp, teardown: tearDown)
        ) { benchmark in
            try scanOneByOne(nab.value, automatic, benchmark)
        }

        Benchmark(
            "NAB, automatic detector, anomalies(in:) on all cores (\(nabPoints) points per op)",
            configuration: .init(metrics: defaultMetrics, scalingFactor: .one, maxDuration: .seconds(5), setup: setUp, teardown: tearDown)
        ) { benchmark in
            let fixture = nab.value
            try timed(benchmark, points: fixture.points) {
                blackHole(try fixture.store.anomalies(in: fixture.series, options: automatic))
            }
        }

        Benchmark(
            "NAB, z-score (1 d window, threshold 4), one thread (\(nabPoints) points per op)",
            configuration: .init(metrics: defaultMetrics, scalingFactor: .one, maxDuration: .seconds(5), setup: setUp, teardown: tearDown)
        ) { benchmark in
            try scanOneByOne(nab.value, zScore, benchmark)
        }
    } else {
        print("skipping NAB anomaly benchmarks: \(nabFiles.joined(separator: ", ")) not all found in \(dataFolder) (set STRATA_DATA)")
    }

    let setUpFleet: @Sendable () async throws -> Void = { fleet.setUp(buildFleetStore) }
    let tearDownFleet: @Sendable () async throws -> Void = { fleet.tearDown() }
    Benchmark(
        "fleet 500 × 10,000, automatic detector, one thread (5 M points per op)",
        configuration: .init(metrics: defaultMetrics, scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 10,
                             setup: setUpFleet, teardown: tearDownFleet)
    ) { benchmark in
        try scanOneByOne(fleet.value, automatic, benchmark)
    }

    Benchmark(
        "fleet 500 × 10,000, automatic detector, anomalies(in:) on all cores (5 M points per op)",
        configuration: .init(metrics: defaultMetrics, scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 10,
                             setup: setUpFleet, teardown: tearDownFleet)
    ) { benchmark in
        let fixture = fleet.value
        try timed(benchmark, points: fixture.points) {
            blackHole(try fixture.store.anomalies(in: fixture.series, options: automatic))
        }
    }

    let feed = MonitorFeed()
    Benchmark(
        "AnomalyMonitor.observe, batches of 100 points × 1,000 series (100,000 points per op)",
        configuration: .init(metrics: defaultMetrics + [.mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(5),
                             setup: { _ = feed.values.count })
    ) { benchmark in
        timed(benchmark, points: MonitorFeed.series * MonitorFeed.batch) {
            feed.feedOneRound()
        }
        precondition(feed.monitor.latePointsIgnored == 0)
    }
}

import Benchmark
import Foundation
import Strata

// End-to-end benchmarks on the real Beijing air-quality data (2,266,896
// points, 132 series). The data folder defaults to ../../shared/data seen from
// this package; set STRATA_DATA to use another. Without the file these
// benchmarks are skipped.

let dataFolder = ProcessInfo.processInfo.environment["STRATA_DATA"] ?? "../../shared/data"
let beijingPath = dataFolder + "/beijing_air_quality_2013_2015.csv.zst"

/// The decompressed CSV, read once.
func beijingCSV() -> [UInt8]? {
    guard FileManager.default.fileExists(atPath: beijingPath) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["zstd", "-dc", beijingPath]
    let pipe = Pipe()
    process.standardOutput = pipe
    try? process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return process.terminationStatus == 0 ? Array(data) : nil
}

func temporaryStorePath() -> String {
    NSTemporaryDirectory() + "strata-bench-\(UUID().uuidString)"
}

let benchmarks: @Sendable () -> Void = {
    guard let csv = beijingCSV() else {
        print("skipping store benchmarks: \(beijingPath) not found (set STRATA_DATA)")
        return
    }
    let batch = try! csv.withUnsafeBytes { try LongCSVParser().parse($0, file: "beijing").batch }
    let points = batch.count

    Benchmark(
        "Beijing: parse CSV, 2.27 M points per op",
        configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxIterations: 5)
    ) { benchmark in
        let result = try csv.withUnsafeBytes { try LongCSVParser().parse($0, file: "beijing") }
        blackHole(result.batch.count)
    }

    Benchmark(
        "Beijing: append + flush, 2.27 M points per op",
        configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], scalingFactor: .one, maxIterations: 5)
    ) { benchmark in
        let path = temporaryStorePath()
        benchmark.startMeasurement()
        let store = try Store(at: path)
        try store.append(batch)
        try store.close()
        benchmark.stopMeasurement()
        try? FileManager.default.removeItem(atPath: path)
    }

    // What `strata ingest` does since the bulk load: stage the rows a series at a
    // time, then load them as segments straight into their compaction windows.
    Benchmark(
        "Beijing: stage + load, 2.27 M points per op",
        configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], scalingFactor: .one, maxIterations: 5)
    ) { benchmark in
        let path = temporaryStorePath()
        benchmark.startMeasurement()
        var stage = ImportStage()
        try stage.add(batch)
        let store = try Store(at: path)
        try store.load(stage)
        try store.close()
        benchmark.stopMeasurement()
        try? FileManager.default.removeItem(atPath: path)
    }

    let scanPath = temporaryStorePath()
    let scanStore = try! Store(at: scanPath)
    try! scanStore.append(batch)
    try! scanStore.flush()
    let series = scanStore.series().map(\.key)

    Benchmark(
        "Beijing: full scan of all 132 series, 2.27 M points per op",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(5))
    ) { benchmark in
        var total = 0
        for key in series {
            total += try scanStore.query(device: key.device, metric: key.metric).count
        }
        precondition(total == points)
        blackHole(total)
    }

    Benchmark(
        "Beijing: one series, one month",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(3))
    ) { benchmark in
        let result = try scanStore.query(device: "Dongsi", metric: "PM2.5", from: 1_388_534_400_000, to: 1_391_212_800_000)
        blackHole(result.count)
    }

    // Chunk compression: the same data scanned from flushed segments without
    // compression, with LZ4 (the flush default), and from compacted segments
    // with zstd at levels 3 and 9 (9 is the compaction default); and the cost
    // of compacting with each.
    let layouts: [(name: String, flush: ChunkCompression, compacted: ChunkCompression?)] = [
        ("flushed, no compression", .none, nil),
        ("flushed, lz4", .lz4, nil),
        ("compacted, no compression", .none, ChunkCompression.none),
        ("compacted, zstd 3", .none, .zstd(level: 3)),
        ("compacted, zstd 9", .none, .zstd(level: 9)),
    ]
    for layout in layouts {
        var configuration = Configuration()
        configuration.flushCompression = layout.flush
        configuration.compaction.runsInBackground = false
        if let compacted = layout.compacted { configuration.compaction.compression = compacted }
        let path = temporaryStorePath()
        let store = try! Store(at: path, configuration: configuration)
        try! store.append(batch)
        try! store.flush()
        if layout.compacted != nil { try! store.compact() }
        let bytes = store.segments().reduce(0) { $0 + $1.byteCount }
        print("layout \(layout.name): \(bytes) bytes, \(String(format: "%.3f", Double(bytes) / Double(points))) bytes/point, \(store.segments().count) segments")
        Benchmark(
            "Beijing: full scan, \(layout.name), 2.27 M points per op",
            configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(3))
        ) { benchmark in
            var total = 0
            for key in series {
                total += try store.query(device: key.device, metric: key.metric).count
            }
            precondition(total == points)
            blackHole(total)
        }
        guard let compacted = layout.compacted else { continue }
        Benchmark(
            "Beijing: compact one flushed segment, \(layout.name), 2.27 M points per op",
            configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], scalingFactor: .one, maxIterations: 5)
        ) { benchmark in
            var configuration = Configuration()
            configuration.flushCompression = .none
            configuration.compaction.runsInBackground = false
            configuration.compaction.compression = compacted
            let path = temporaryStorePath()
            let store = try Store(at: path, configuration: configuration)
            try store.append(batch)
            try store.flush()
            benchmark.startMeasurement()
            try store.compact()
            benchmark.stopMeasurement()
            try store.close()
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}

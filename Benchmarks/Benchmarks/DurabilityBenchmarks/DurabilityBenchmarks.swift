import Benchmark
import Foundation
import Strata

// Appends through the write-ahead log under each durability policy, with
// batches of 1, 100 and 10,000 points, from 1 and 2 threads; and the time to
// replay a log of 1,000,000 points. Each operation appends a fixed number of
// points into a fresh store (named in the benchmark), so points/s = points per
// operation × operations/s. The store lives in $STRATA_BENCH_DIR or the
// temporary directory: fsync costs depend on that file system.

let benchDirectory = ProcessInfo.processInfo.environment["STRATA_BENCH_DIR"] ?? NSTemporaryDirectory()

func freshStorePath() -> String { benchDirectory + "/strata-durability-\(UUID().uuidString)" }

/// `count` batches of `size` points, one series per batch rotating over 100 devices.
func makeBatches(count: Int, size: Int) -> [WriteBatch] {
    (0..<count).map { batchIndex in
        var batch = WriteBatch(capacity: size)
        let series = try! batch.series(device: "dev-\(batchIndex % 100)", metric: "temperature", type: .float64)
        for index in 0..<size {
            batch.append(series: series, timestamp: Int64(batchIndex * size + index) * 1000, value: 20 + Double(index % 50) / 10)
        }
        return batch
    }
}

func appendAll(_ batches: [WriteBatch], threads: Int, durability: Configuration.Durability) throws {
    var configuration = Configuration()
    configuration.durability = durability
    configuration.headFlushThreshold = 50_000_000  // measure the log, not flushes
    let path = freshStorePath()
    let store = try Store(at: path, configuration: configuration)
    if threads == 1 {
        for batch in batches { try store.append(batch) }
    } else {
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in stride(from: thread, to: batches.count, by: threads) { try! store.append(batches[index]) }
        }
    }
    try store.close()
    try? FileManager.default.removeItem(atPath: path)
}

let benchmarks: @Sendable () -> Void = {
    let policies: [(String, Configuration.Durability)] = [("everyBatch", .everyBatch), ("interval 10ms", .interval(milliseconds: 10)), ("none", .none)]
    // Points per operation: small for single-point batches under fsync, large otherwise.
    let shapes: [(size: Int, count: Int)] = [(1, 2_000), (100, 1_000), (10_000, 20)]
    for (name, policy) in policies {
        for shape in shapes {
            let batches = makeBatches(count: shape.count, size: shape.size)
            for threads in [1, 2] {
                Benchmark(
                    "append \(name), batch \(shape.size), \(threads) thread\(threads == 1 ? "" : "s") (\(shape.size * shape.count) points/op)",
                    configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 20)
                ) { _ in
                    try appendAll(batches, threads: threads, durability: policy)
                }
            }
        }
    }

    // Recovery: a log of 1,000,000 points in batches of 1,000, replayed by a read-only open.
    let recoveryPath = freshStorePath()
    do {
        var configuration = Configuration()
        configuration.headFlushThreshold = 50_000_000
        let store = try! Store(at: recoveryPath, configuration: configuration)
        for batch in makeBatches(count: 1_000, size: 1_000) { try! store.append(batch) }
        // Dropped without close: the log stays, as after a crash.
    }
    let walBytes = (try? FileManager.default.contentsOfDirectory(atPath: recoveryPath + "/wal"))?
        .compactMap { try? FileManager.default.attributesOfItem(atPath: recoveryPath + "/wal/" + $0)[.size] as? Int }
        .reduce(0, +) ?? 0
    print("write-ahead log: \(walBytes) bytes for 1,000,000 points = \(Double(walBytes) / 1_000_000) bytes/point")

    Benchmark(
        "recover 1,000,000 points from the log (read-only open)",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident], scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 10)
    ) { _ in
        let store = try Store(at: recoveryPath, mode: .readOnly)
        precondition(store.recovery.points == 1_000_000)
        blackHole(store)
    }
}

import Foundation
import Strata
import StrataTestSupport

// A small release executable to profile the automatic detector with perf or
// callgrind, without the benchmark harness:
//   swift build -c release --product AnomalyProfile
//   perf record -e cpu-clock -g .build/release/AnomalyProfile scan 5
//   valgrind --tool=callgrind .build/release/AnomalyProfile scan 1
// Modes: `scan ROUNDS` (the automatic detector over 200 series × 10,000
// generated points, one thread, ROUNDS times), `zscore ROUNDS` (the same with
// the z-score detector), `monitor ROUNDS` (AnomalyMonitor.observe, batches of
// 100 points across 1,000 series, ROUNDS rounds).

let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : "scan"
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3

/// Noise, a day-long wave and a spike about every 2,000 points, at 0.01 resolution.
func values(series: Int, count: Int) -> [Double] {
    var random = SeededGenerator(seed: 7 &* 1_000_003 &+ UInt64(series))
    let level = 20 + random.unit() * 60, amplitude = 2 + random.unit() * 8, phase = random.unit() * 2 * .pi
    return (0..<count).map { index in
        var value = level + amplitude * sin(phase + Double(index) / 1440 * 2 * .pi) + random.noise() * 0.5
        if random.next() % 2_000 == 0 { value += 20 }
        return (value * 100).rounded() / 100
    }
}

let start: Int64 = 1_767_225_600_000
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

switch mode {
case "scan", "zscore":
    let seriesCount = 200, perSeries = 10_000
    let store = try Store(at: NSTemporaryDirectory() + "strata-anomaly-profile-\(UUID().uuidString)")
    defer { try? store.close(); try? FileManager.default.removeItem(atPath: store.directory) }
    var batch = WriteBatch(capacity: seriesCount * perSeries)
    for index in 0..<seriesCount {
        let series = try batch.series(device: "pump-\(index)", metric: "temperature", type: .float64)
        for (minute, value) in values(series: index, count: perSeries).enumerated() {
            batch.append(series: series, timestamp: start + Int64(minute) * 60_000, value: value)
        }
    }
    try store.append(batch)
    try store.flush()
    let options = mode == "scan" ? AnomalyOptions() : AnomalyOptions(detector: .zScore(window: Milliseconds.day, threshold: 4))
    for round in 0..<rounds {
        var windows = 0
        let elapsed = try ContinuousClock().measure {
            for index in 0..<seriesCount {
                windows += try store.anomalies(device: "pump-\(index)", metric: "temperature", options: options).count
            }
        }
        let rate = Double(seriesCount * perSeries) / seconds(elapsed)
        print("round \(round): \(windows) windows, \(String(format: "%.2f", rate / 1e6)) M points/s")
    }
case "monitor":
    let seriesCount = 1_000, batchSize = 100
    let monitor = try AnomalyMonitor()
    let pool = (0..<seriesCount).map { values(series: $0, count: 10_000) }
    let names = (0..<seriesCount).map { "device-\($0)" }
    var events = 0
    let elapsed = ContinuousClock().measure {
        for round in 0..<rounds {
            let offset = (round * batchSize) % 10_000
            let timestamps = (0..<Int64(batchSize)).map { start + (Int64(round * batchSize) + $0) * 60_000 }
            for index in 0..<seriesCount {
                events += monitor.observe(device: names[index], metric: "temperature", timestamps: timestamps,
                                          values: Array(pool[index][offset..<(offset + batchSize)])).count
            }
        }
    }
    let rate = Double(rounds * seriesCount * batchSize) / seconds(elapsed)
    print("monitor: \(events) events, \(String(format: "%.2f", rate / 1e6)) M points/s, \(monitor.latePointsIgnored) late, bytesPerSeries \(AnomalyMonitor.bytesPerSeries)")
default:
    print("usage: AnomalyProfile scan|zscore|monitor [ROUNDS]")
}

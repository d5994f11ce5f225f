import Testing
import Foundation
@testable import Strata
import StrataTestSupport

@Suite("Anomaly windows")
struct AnomalyTests {
    /// A day of 1-minute readings around 20 with small noise, and four planted faults.
    static func makeStore(_ directory: borrowing TemporaryDirectory) throws -> Store {
        let store = try Store(at: directory.path)
        var random = SeededGenerator(seed: 9)
        var times: [Int64] = [], values: [Double] = []
        for minute in 0..<1440 {
            if (600..<720).contains(minute) { continue }                 // offline 10:00–12:00
            var value = 20 + Double(Int64(random.next() % 11) - 5) / 10
            if (300..<305).contains(minute) { value = 45 }                // a 5-minute spike at 05:00
            if (900..<960).contains(minute) { value = 21.3 }              // stuck for an hour at 15:00
            if minute == 1200 { value = 20 + 8 }                          // a one-point blip at 20:00
            times.append(Int64(minute) * 60_000)
            values.append(value)
        }
        try store.append(device: "d", metric: "t", timestamps: Array(times[..<700]), values: Array(values[..<700]))
        try store.flush()
        try store.append(device: "d", metric: "t", timestamps: Array(times[700...]), values: Array(values[700...]))
        return store
    }

    @Test("Thresholds find the spike and the blip; merging and minimum duration shape the windows")
    func thresholds() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        var options = AnomalyOptions(detector: .above(25))
        let windows = try store.anomalies(device: "d", metric: "t", options: options)
        #expect(windows.count == 2, "\(windows.map { ($0.start / 60_000, $0.end, $0.points, $0.peak) })")
        #expect(windows[0].start == 300 * 60_000 && windows[0].end == 304 * 60_000 + 1 && windows[0].points == 5)
        #expect(windows[0].peak == 45 && windows[0].magnitude == 20 && windows[0].kind == .outOfBounds)
        // m = 1 + 20 / 25: the score is 1 − 1/(1 + m), above 0.5 since the point is beyond the limit.
        let m: Double = 1 + 20.0 / 25
        #expect(windows[0].score == 1 - 1 / (1 + m))
        options.minimumDuration = 60_000  // the one-point blip lasts 1 ms
        #expect(try store.anomalies(device: "d", metric: "t", options: options).count == 1)
        options = AnomalyOptions(detector: .below(19.5))
        options.mergeGap = 1_440 * 60_000
        let merged = try store.anomalies(device: "d", metric: "t", options: options)
        #expect(merged.count <= 1)
    }

    @Test("Rolling z-score and robust detectors find the spike and nothing in the noise", arguments: ["z", "robust"])
    func statistical(kind: String) throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        let detector: AnomalyDetector = kind == "z" ? .zScore(window: 3_600_000, threshold: 6) : .robust(window: 3_600_000, threshold: 8)
        var options = AnomalyOptions(detector: detector)
        options.mergeGap = 10 * 60_000
        let windows = try store.anomalies(device: "d", metric: "t", options: options)
        #expect(windows.contains { $0.start == 300 * 60_000 }, "\(windows)")
        #expect(windows.contains { $0.start == 1200 * 60_000 }, "\(windows)")
        // The noise (±0.5 around 20) never scores that high; the end of the stuck hour may
        // (its window has almost no spread).
        #expect(windows.allSatisfy { [300, 1200, 900, 960, 961].contains($0.start / 60_000) }, "\(windows.map { ($0.start / 60_000, $0.points, $0.peak, $0.score) })")
        // Starting the range later still judges the first points, since the window is warmed from before `from`.
        options.from = 299 * 60_000
        options.to = 310 * 60_000
        #expect(try store.anomalies(device: "d", metric: "t", options: options).first?.start == 300 * 60_000)
    }

    @Test("Rate of change, flatline and silence")
    func changes() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        // Up and down at the spike; up and down at the blip (two consecutive points: one window).
        let jumps = try store.anomalies(device: "d", metric: "t", options: AnomalyOptions(detector: .rateOfChange(perSecond: 0.1)))
        #expect(jumps.map { $0.start / 60_000 } == [300, 305, 1200], "\(jumps)")
        #expect(jumps.last?.points == 2)
        let stuck = try store.anomalies(device: "d", metric: "t", options: AnomalyOptions(detector: .flatline(minimumDuration: 30 * 60_000)))
        #expect(stuck.count == 1)
        #expect(stuck.first?.start == 900 * 60_000 && stuck.first?.end == 959 * 60_000 + 1 && stuck.first?.points == 60)
        let offline = try store.anomalies(device: "d", metric: "t", options: AnomalyOptions(detector: .silence(maximumGap: 30 * 60_000)))
        #expect(offline == [AnomalyWindow(start: 599 * 60_000, end: 720 * 60_000, peakTime: 599 * 60_000,
                                          peak: offline.first?.peak ?? 0, score: 1 - 1 / (1 + Double(121) / 30),
                                          magnitude: Double(121) / 30, kind: .silence, points: 0)])
        #expect(jumps.allSatisfy { $0.kind == .fastChange && $0.score > 0.5 && $0.score < 1 })
        #expect(stuck.first?.kind == .stuck && stuck.first?.magnitude == Double(59) / 30)
    }

    @Test("Bad options are refused")
    func badOptions() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        #expect(throws: StrataError.self) { try store.anomalies(device: "d", metric: "t", options: AnomalyOptions(detector: .zScore(window: 0, threshold: 3))) }
        #expect(throws: StrataError.self) { try store.anomalies(device: "d", metric: "t", options: AnomalyOptions(detector: .silence(maximumGap: -1))) }
        #expect(try store.anomalies(device: "none", metric: "t", options: AnomalyOptions(detector: .above(1))).isEmpty)
    }
}

@Suite("Streaming scan")
struct ScanTests {
    struct Collector: PointConsumer {
        var timestamps: [Int64] = []
        var bits: [UInt64] = []
        mutating func consume(time: Int64, bits value: UInt64) {
            timestamps.append(time)
            bits.append(value)
        }
    }

    @Test("Streaming over overlapping segments and the head gives exactly the merged query", arguments: [1, 2, 3])
    func matchesQuery(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.pointsPerChunk = 32
        let store = try Store(at: directory.path, configuration: configuration)
        var random = SeededGenerator(seed: seed)
        for round in 0..<6 {
            // Each round writes a random stretch, overlapping earlier ones, with new values.
            let base = Int64(random.next() % 3000)
            let times = (0..<Int(200 + random.next() % 400)).map { base + Int64($0) * Int64(1 + random.next() % 3) }
            try store.append(device: "d", metric: "m", timestamps: times, values: times.map { _ in Double(round) + Double(random.next() % 100) / 100 })
            if round < 5 { try store.flush() }
        }
        for (start, end) in [(Int64.min, Int64.max), (500, 2500), (2999, 3001)] {
            var collector = Collector()
            _ = try store.scan(device: "d", metric: "m", from: start, to: end, into: &collector)
            let expected = try store.query(device: "d", metric: "m", from: start, to: end)
            #expect(collector.timestamps == expected.timestamps)
            #expect(collector.bits == expected.valueBitPatterns)
        }
    }
}

import Testing
import Foundation
@testable import Strata
import StrataTestSupport

/// A series of points for the anomaly tests: one device's metric, in time order.
struct GeneratedSeries {
    let key: SeriesKey
    let times: [Int64]
    let values: [Double]
}

/// The streaming side of anomaly detection: the monitor agrees with the scan,
/// the automatic detector is causal, per-point scores and the parallel entry
/// agree with the windows.
@Suite("Anomaly monitor and automatic detector")
struct AnomalyMonitorTests {
    /// A seeded fleet: four pumps reading a temperature about once a minute
    /// (jittered), with noise, a slow wave, and planted faults: spikes, a level
    /// shift, a stuck run and an outage.
    static func fleet(seed: UInt64) -> [GeneratedSeries] {
        var random = SeededGenerator(seed: seed)
        func uniform() -> Double { Double(random.next() % 1_000_000) / 1_000_000 }
        return (0..<4).map { device in
            let count = 2_500
            let spikes = Set((0..<5).map { _ in 100 + Int(random.next() % UInt64(count - 200)) })
            let shift = 800 + Int(random.next() % 800)
            let stuck = 300 + Int(random.next() % 400)
            let outage = 1_700 + Int(random.next() % 500)
            var times: [Int64] = [], values: [Double] = []
            var time: Int64 = 1_700_000_000_000 + Int64(device) * 7_000
            var value = 0.0
            for index in 0..<count {
                time += 60_000 + Int64(random.next() % 10_000) - 5_000
                if index == outage { time += 90 * 60_000 }
                if !(stuck..<stuck + 80).contains(index) || index == stuck {
                    value = 50 + 5 * sin(Double(index) / 200) + (uniform() - 0.5)
                    if index >= shift { value += 8 }
                    if spikes.contains(index) { value += 15 }
                }
                // Rounded to a tenth, as many sensors report: equal values occur by chance too.
                times.append(time)
                values.append((value * 10).rounded() / 10)
            }
            return GeneratedSeries(key: SeriesKey(device: "pump-\(device)", metric: "temperature"), times: times, values: values)
        }
    }

    /// The first 4,000 rows around the NAB machine temperature failure (see Resources/README.md).
    static func nabExcerpt() throws -> [GeneratedSeries] {
        let text = try String(contentsOfFile: TestResources.path("nab_machine_temperature_failure_excerpt.csv"), encoding: .utf8)
        var times: [Int64] = [], values: [Double] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            times.append(Int64(fields[2])!)
            values.append(Double(fields[3])!)
        }
        return [GeneratedSeries(key: SeriesKey(device: "machine_temperature_system_failure", metric: "value"), times: times, values: values)]
    }

    /// A store holding `series`, written in three batches each with flushes between,
    /// so scans merge segments and the head.
    static func makeStore(_ directory: borrowing TemporaryDirectory, _ series: [GeneratedSeries], before cut: Int64 = .max) throws -> Store {
        let store = try Store(at: directory.path)
        for part in 0..<3 {
            for one in series {
                let lower = one.times.count * part / 3, upper = one.times.count * (part + 1) / 3
                let chosen = (lower..<upper).filter { one.times[$0] < cut }
                guard !chosen.isEmpty else { continue }
                try store.append(device: one.key.device, metric: one.key.metric, timestamps: chosen.map { one.times[$0] }, values: chosen.map { one.values[$0] })
            }
            if part < 2 { try store.flush() }
        }
        return store
    }

    /// The option sets the equality tests run: every streaming detector, with and
    /// without a merge gap and a minimum duration.
    static let optionSets: [AnomalyOptions] = {
        func options(_ detector: AnomalyDetector, mergeGap: Int64 = 0, minimumDuration: Int64 = 0) -> AnomalyOptions {
            var options = AnomalyOptions(detector: detector)
            options.mergeGap = mergeGap
            options.minimumDuration = minimumDuration
            return options
        }
        return [
            AnomalyOptions(),
            options(.automatic(AutomaticSettings(sensitivity: 0.8)), mergeGap: 10 * 60_000, minimumDuration: 2 * 60_000),
            options(.zScore(window: 2 * 3_600_000, threshold: 5), mergeGap: 5 * 60_000),
            options(.robust(window: 2 * 3_600_000, threshold: 6)),
            options(.flatline(minimumDuration: 30 * 60_000), mergeGap: 3 * 60_000),
            options(.silence(maximumGap: 20 * 60_000)),
            options(.silence(maximumGap: 4 * 60_000), mergeGap: 60 * 60_000),
        ]
    }()

    /// Feeds `series` to a monitor, interleaving the series, in batches of
    /// `batchSize` points (random sizes up to 300 when nil), and returns each
    /// series' closed windows, checking that every window is opened once before
    /// it closes.
    static func monitor(_ series: [GeneratedSeries], options: AnomalyOptions, batchSize: Int?, seed: UInt64) throws -> [SeriesKey: [AnomalyWindow]] {
        let monitor = try AnomalyMonitor(options: options)
        var random = SeededGenerator(seed: seed)
        var closed: [SeriesKey: [AnomalyWindow]] = [:]
        var openStart: [SeriesKey: Int64] = [:]
        func record(_ events: [AnomalyEvent]) {
            for event in events {
                switch event {
                case .opened(let device, let metric, let window):
                    let key = SeriesKey(device: device, metric: metric)
                    #expect(openStart[key] == nil, "\(key): opened \(window.start) while \(openStart[key]!) is open")
                    openStart[key] = window.start
                case .closed(let device, let metric, let window):
                    let key = SeriesKey(device: device, metric: metric)
                    #expect(openStart[key] == window.start, "\(key): closed \(window.start) without opening it")
                    openStart[key] = nil
                    closed[key, default: []].append(window)
                }
            }
        }
        var positions = [Int](repeating: 0, count: series.count)
        while positions.indices.contains(where: { positions[$0] < series[$0].times.count }) {
            let index = Int(random.next() % UInt64(series.count))
            let one = series[index]
            let start = positions[index]
            guard start < one.times.count else { continue }
            let end = min(one.times.count, start + (batchSize ?? 1 + Int(random.next() % 300)))
            if end - start == 1 {
                record(monitor.observe(device: one.key.device, metric: one.key.metric, timestamp: one.times[start], value: one.values[start]))
            } else {
                record(monitor.observe(device: one.key.device, metric: one.key.metric,
                                       timestamps: Array(one.times[start..<end]), values: Array(one.values[start..<end])))
            }
            positions[index] = end
        }
        record(monitor.finish())
        #expect(openStart.isEmpty, "windows left open: \(openStart)")
        #expect(monitor.latePointsIgnored == 0 && monitor.pointsRefused == 0 && monitor.seriesCount == 0)
        return closed
    }

    /// Checks that the monitor, point by point and in random batches, closes exactly the windows the scan finds.
    static func checkMonitorMatchesScan(_ series: [GeneratedSeries], optionIndex: Int, expectWindows: Bool) throws {
        let options = optionSets[optionIndex]
        let directory = TemporaryDirectory()
        let store = try makeStore(directory, series)
        var scanned: [SeriesKey: [AnomalyWindow]] = [:]
        for one in series {
            let windows = try store.anomalies(device: one.key.device, metric: one.key.metric, options: options)
            if !windows.isEmpty { scanned[one.key] = windows }
        }
        if expectWindows { #expect(!scanned.isEmpty, "\(options.detector) found nothing") }
        let pointByPoint = try monitor(series, options: options, batchSize: 1, seed: 3)
        #expect(pointByPoint == scanned, "\(options.detector), point by point")
        for seed: UInt64 in [5, 6] {
            let batched = try monitor(series, options: options, batchSize: nil, seed: seed)
            #expect(batched == scanned, "\(options.detector), random batches (seed \(seed))")
        }
    }

    @Test("The monitor fed point by point or in random batches closes exactly the windows of the scan (generated fleet)",
          arguments: optionSets.indices)
    func monitorMatchesScanOnFleet(optionIndex: Int) throws {
        try Self.checkMonitorMatchesScan(Self.fleet(seed: 21), optionIndex: optionIndex, expectWindows: true)
    }

    @Test("The monitor closes exactly the windows of the scan on the NAB machine temperature excerpt",
          arguments: optionSets.indices)
    func monitorMatchesScanOnRealData(optionIndex: Int) throws {
        try Self.checkMonitorMatchesScan(Self.nabExcerpt(), optionIndex: optionIndex, expectWindows: false)
    }

    @Test("The automatic detector is causal: cutting the data at T keeps every window that starts before T; a later from keeps the full scan's windows from there")
    func automaticIsCausal() throws {
        let series = Self.fleet(seed: 33)
        let options = AnomalyOptions()
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory, series)
        var full: [SeriesKey: [AnomalyWindow]] = [:]
        for one in series { full[one.key] = try store.anomalies(device: one.key.device, metric: one.key.metric, options: options) }
        #expect(full.values.contains { !$0.isEmpty })
        let first = series.map { $0.times.first! }.min()!, last = series.map { $0.times.last! }.max()!
        var random = SeededGenerator(seed: 8)
        var cuts = 0
        while cuts < 8 {
            let cut = first + Int64(random.next() % UInt64(last - first))
            // Every kind is raised by the point that shows it (a silence by the point that ends
            // the gap), so no cut is special.
            cuts += 1
            let cutDirectory = TemporaryDirectory()
            let shortStore = try Self.makeStore(cutDirectory, series, before: cut)
            for one in series {
                let expected = full[one.key]!.filter { $0.start < cut }.map(\.start)
                let scannedToCut = try store.anomalies(device: one.key.device, metric: one.key.metric, options: AnomalyOptions(to: cut))
                #expect(scannedToCut.map(\.start) == expected, "\(one.key) cut at \(cut), scan to the cut")
                let shorter = try shortStore.anomalies(device: one.key.device, metric: one.key.metric, options: options)
                #expect(shorter.map(\.start) == expected, "\(one.key) cut at \(cut), store holding the points before it")
                // From the cut on, the windows are the full scan's, whole.
                let later = try store.anomalies(device: one.key.device, metric: one.key.metric, options: AnomalyOptions(from: cut))
                #expect(later == full[one.key]!.filter { $0.start >= cut }, "\(one.key) from \(cut)")
            }
        }
    }

    @Test("A fast series with a daily cycle: the first day only teaches, later days raise few alerts, a planted fault is found")
    func automaticLearnsADailyCycle() {
        // Three days of 10-second readings: a daily wave of ±5 around 20, noise of ±0.3, and on the
        // third day at 15:00 a half-hour excursion 4 degrees above the day's usual value.
        var random = SeededGenerator(seed: 33)
        var detector = AutomaticDetector(settings: .standard)
        let day: Int64 = Milliseconds.day, step: Int64 = 10_000
        var starts: [Int64] = []
        var since = Int.max
        for index in 0..<Int(3 * day / step) {
            let time = Int64(index) * step
            let phase = Double(time % day) / Double(day) * 2 * Double.pi
            var value = 20 + 5 * sin(phase) + Double(random.next() % 601) / 1000 - 0.3
            if time >= 2 * day + 15 * 3_600_000 && time < 2 * day + 15 * 3_600_000 + 1_800_000 { value += 4 }
            since = since == .max ? .max : since + 1
            if detector.observe(time: time, value: (value * 10).rounded() / 10).kind != nil {
                if since > AutomaticSettings.standard.holdPoints { starts.append(time) }
                since = 0
            }
        }
        #expect(!starts.contains { $0 < day }, "the first day only teaches: \(starts)")
        #expect(starts.count <= 12, "two days of a known cycle raise few alerts: \(starts.map { Double($0) / 3_600_000 })")
        #expect(starts.contains { $0 >= 2 * day + 15 * 3_600_000 && $0 < 2 * day + 15 * 3_600_000 + 1_800_000 }, "\(starts)")
    }

    @Test("Windows-only judging skips measuring features inside their range, and decides every point as the full judgement does", arguments: [0.3, 0.5])
    func automaticWindowsOnlyJudging(sensitivity: Double) {
        let settings = AutomaticSettings(sensitivity: sensitivity, learningSpan: 0)
        for series in Self.fleet(seed: 5) {
            var full = AutomaticDetector(settings: settings), fast = AutomaticDetector(settings: settings)
            var anomalous = 0
            for index in series.times.indices {
                let a = full.observe(time: series.times[index], value: series.values[index], scoresEveryPoint: true)
                let b = fast.observe(time: series.times[index], value: series.values[index], scoresEveryPoint: false)
                #expect(a.kind == b.kind)
                #expect(b.score <= a.score)
                if a.kind != nil {
                    anomalous += 1
                    #expect(a.score == b.score && a.magnitude == b.magnitude)
                }
            }
            #expect(anomalous > 0)
        }
    }

    @Test("A monitor fed the appended WriteBatch judges each named series as one fed the series' points")
    func monitorTakesWriteBatches() throws {
        let fleet = Self.fleet(seed: 12)
        let byBatch = try AnomalyMonitor(), bySeries = try AnomalyMonitor()
        var batchEvents: [AnomalyEvent] = [], seriesEvents: [AnomalyEvent] = []
        for part in 0..<5 {
            var batch = WriteBatch()
            for one in fleet {
                let lower = one.times.count * part / 5, upper = one.times.count * (part + 1) / 5
                for index in lower..<upper {
                    try batch.append(device: one.key.device, metric: one.key.metric, timestamp: one.times[index], value: one.values[index])
                }
                seriesEvents += bySeries.observe(device: one.key.device, metric: one.key.metric,
                                                 timestamps: Array(one.times[lower..<upper]), values: Array(one.values[lower..<upper]))
            }
            // An Int64 series is judged by its values as doubles.
            try batch.append(device: "counter", metric: "n", timestamp: Int64(part), value: Int64(part * 3))
            seriesEvents += bySeries.observe(device: "counter", metric: "n", timestamp: Int64(part), value: Double(part * 3))
            batchEvents += byBatch.observe(batch)
        }
        #expect(!batchEvents.isEmpty)
        #expect(batchEvents == seriesEvents)
        #expect(byBatch.seriesCount == fleet.count + 1)
    }

    @Test("An infinite reading is a spike and teaches the automatic detector nothing: every other point is judged as without it")
    func automaticSurvivesInfinity() {
        let series = Self.fleet(seed: 21)[0]
        func verdicts(inserting extra: Double?) -> [(time: Int64, score: Double, kind: AnomalyKind?)] {
            var detector = AutomaticDetector(settings: .standard)
            var out: [(time: Int64, score: Double, kind: AnomalyKind?)] = []
            for index in series.times.indices {
                if index == 1_000, let extra {
                    let verdict = detector.observe(time: series.times[index] - 1, value: extra)
                    #expect(verdict.kind == .spike && verdict.score == 1)
                }
                let verdict = detector.observe(time: series.times[index], value: series.values[index])
                #expect((0...1).contains(verdict.score))
                #expect((verdict.kind != nil) == (verdict.score > 0.5), "at sensitivity 0.5 a point is anomalous exactly above 0.5")
                out.append((series.times[index], verdict.score, verdict.kind))
            }
            return out
        }
        let plain = verdicts(inserting: nil)
        for extra in [Double.infinity, -Double.infinity] {
            let withExtra = verdicts(inserting: extra)
            #expect(withExtra.map(\.score) == plain.map(\.score))
            #expect(withExtra.map(\.kind) == plain.map(\.kind))
        }
        #expect(plain.contains { $0.kind != nil }, "the planted faults are found")
    }

    @Test("The automatic detector finds the planted spike, outage and stuck hour with their kinds; its state is a few words")
    func automaticFindsPlantedFaults() throws {
        let directory = TemporaryDirectory()
        let store = try AnomalyTests.makeStore(directory)
        // The store holds one day: the detector judges at once instead of learning it first.
        let windows = try store.anomalies(device: "d", metric: "t", options: AnomalyOptions(detector: .automatic(AutomaticSettings(learningSpan: 0))))
        let minute: Int64 = 60_000
        #expect(windows.contains { $0.start == 300 * minute && $0.kind == .spike }, "\(windows)")
        // A silence is raised by the point that ends it, the moment a watcher learns of it.
        #expect(windows.contains { $0.start == 720 * minute && $0.kind == .silence && $0.points == 1 }, "\(windows)")
        #expect(windows.contains { (900 * minute..<960 * minute).contains($0.start) && $0.kind == .stuck }, "\(windows)")
        #expect(windows.allSatisfy { $0.score > 0.5 && $0.score <= 1 && $0.magnitude > 1 && $0.magnitude <= AutomaticDetector.largestMagnitude })
        #expect(AutomaticDetector.stateBytes == MemoryLayout<AutomaticDetector>.size)
        #expect(AutomaticDetector.stateBytes <= 4096)
        #expect(AnomalyMonitor.bytesPerSeries <= 4608, "\(AnomalyMonitor.bytesPerSeries)")
    }

    @Test("Settings and options: the default is the automatic detector; sensitivity outside (0, 1) is refused")
    func settings() throws {
        #expect(AnomalyOptions().detector == .automatic(.standard))
        #expect(AutomaticSettings.standard.sensitivity == 0.5)
        let directory = TemporaryDirectory()
        let store = try AnomalyTests.makeStore(directory)
        for sensitivity in [0, 1, -0.5, 2, .nan] {
            let options = AnomalyOptions(detector: .automatic(AutomaticSettings(sensitivity: sensitivity)))
            #expect(throws: StrataError.self) { try store.anomalies(device: "d", metric: "t", options: options) }
            #expect(throws: StrataError.self) { try AnomalyMonitor(options: options) }
        }
        #expect(throws: StrataError.self) { try AnomalyMonitor(maximumSeries: 0) }
        // A higher sensitivity never alerts less.
        let low = try store.anomalies(device: "d", metric: "t", options: AnomalyOptions(detector: .automatic(AutomaticSettings(sensitivity: 0.2))))
        let high = try store.anomalies(device: "d", metric: "t", options: AnomalyOptions(detector: .automatic(AutomaticSettings(sensitivity: 0.9))))
        #expect(high.reduce(0) { $0 + $1.points } >= low.reduce(0) { $0 + $1.points })
    }

    @Test("Per-point scores: in [0, 1], every point in range, anomalous exactly above 0.5 and inside a window", arguments: [0, 2, 3])
    func pointScores(optionIndex: Int) throws {
        var options = Self.optionSets[optionIndex]
        options.mergeGap = 0
        options.minimumDuration = 0
        options.from = 400 * 60_000
        let directory = TemporaryDirectory()
        let store = try AnomalyTests.makeStore(directory)
        let windows = try store.anomalies(device: "d", metric: "t", options: options)
        var scores: [AnomalyPointScore] = []
        try store.anomalyScores(device: "d", metric: "t", options: options) { scores.append($0) }
        let points = try store.query(device: "d", metric: "t", from: options.from, to: options.to)
        #expect(scores.map(\.time) == points.timestamps)
        #expect(scores.allSatisfy { (0...1).contains($0.score) })
        let anomalous = scores.filter { $0.kind != nil }
        #expect(!anomalous.isEmpty)
        // The silence detector's points mark the gap before them (0 points); the automatic detector's mark themselves.
        var isAutomatic = false
        if case .automatic = options.detector { isAutomatic = true }
        let marksGap = { (point: AnomalyPointScore) in point.kind == .silence && !isAutomatic }
        #expect(anomalous.reduce(0) { $0 + (marksGap($1) ? 0 : 1) } == windows.reduce(0) { $0 + $1.points })
        for point in anomalous where !marksGap(point) {
            #expect(windows.contains { $0.start <= point.time && point.time < $0.end }, "\(point)")
        }
        if case .automatic = options.detector {} else {
            #expect(scores.allSatisfy { ($0.kind != nil) == ($0.score > 0.5) })
        }
        // A throwing body is not called again, and its error comes back.
        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) {
            try store.anomalyScores(device: "d", metric: "t", options: options) { _ in
                calls += 1
                throw Stop()
            }
        }
        #expect(calls == 1)
    }

    @Test("Many series on every core: the same windows as one series at a time, in the order asked")
    func parallelSeries() throws {
        let series = Self.fleet(seed: 44)
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory, series)
        let keys = series.map(\.key).reversed() + [SeriesKey(device: "none", metric: "temperature")] + series.map(\.key)
        for options in [AnomalyOptions(), Self.optionSets[3]] {
            let together = try store.anomalies(in: Array(keys), options: options)
            let alone = try keys.map { try store.anomalies(device: $0.device, metric: $0.metric, options: options) }
            #expect(together == alone)
        }
        #expect(try store.anomalies(in: [], options: AnomalyOptions()).isEmpty)
        #expect(throws: StrataError.self) { try store.anomalies(in: Array(keys), options: AnomalyOptions(from: 5, to: 5)) }
    }

    @Test("The monitor skips late points and counts them, refuses series beyond its limit, and flush closes and forgets a series")
    func monitorLimits() throws {
        var options = AnomalyOptions(detector: .above(10))
        options.mergeGap = 1_000
        let monitor = try AnomalyMonitor(options: options, maximumSeries: 2)
        #expect(monitor.observe(device: "a", metric: "m", timestamps: [0, 100], values: [1, 2]).isEmpty)
        let opened = monitor.observe(device: "a", metric: "m", timestamps: [200, 150, 200, 300], values: [20, 30, 30, 25])
        let window = AnomalyWindow(start: 200, end: 201, peakTime: 200, peak: 20, score: 1 - 1 / (1 + 2.0), magnitude: 10, kind: .outOfBounds, points: 1)
        #expect(opened == [.opened(device: "a", metric: "m", window: window)])
        #expect(monitor.latePointsIgnored == 2)
        // Within the merge gap of the window's end: not closed yet.
        #expect(monitor.observe(device: "a", metric: "m", timestamp: 1_300, value: 1).isEmpty)
        let closed = monitor.observe(device: "a", metric: "m", timestamp: 1_301, value: 1)
        #expect(closed.map(\.window.start) == [200] && closed.map(\.window.points) == [2] && closed.map(\.window.end) == [301])
        #expect(closed.first == .closed(device: "a", metric: "m", window: closed.first!.window))
        #expect(monitor.observe(device: "b", metric: "m", timestamp: 0, value: 50).map(\.series) == [SeriesKey(device: "b", metric: "m")])
        #expect(monitor.observe(device: "c", metric: "m", timestamps: [0, 1, 2], values: [50, 50, 50]).isEmpty)
        #expect(monitor.pointsRefused == 3 && monitor.seriesCount == 2)
        let flushed = monitor.flush(device: "b", metric: "m")
        #expect(flushed.map(\.window.start) == [0])
        #expect(monitor.seriesCount == 1)
        // The slot is free again, and "b" starts afresh: its old points do not count as late.
        #expect(monitor.observe(device: "c", metric: "m", timestamp: 0, value: 50).count == 1)
        #expect(monitor.observe(device: "b", metric: "m", timestamp: 0, value: 1).isEmpty && monitor.pointsRefused == 4)
        #expect(monitor.flush(device: "nobody", metric: "m").isEmpty)
        #expect(monitor.finish().map(\.series) == [SeriesKey(device: "c", metric: "m")])
    }
}

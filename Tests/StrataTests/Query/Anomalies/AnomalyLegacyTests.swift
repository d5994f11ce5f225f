import Testing
@testable import Strata
import StrataTestSupport

/// The anomaly scanner as it was before the per-point verdicts and the window
/// assembler (commit 651c3f1, its `score` being today's `magnitude`), kept as
/// the oracle that the explicit detectors' windows did not change.
struct LegacyWindow: Equatable {
    let start: Int64
    let end: Int64
    let peakTime: Int64
    let peak: Double
    let score: Double
    let points: Int

    /// Field for field, a NaN peak (the value before a silence may be NaN) equal to itself.
    static func == (a: LegacyWindow, b: LegacyWindow) -> Bool {
        (a.start, a.end, a.peakTime, a.points) == (b.start, b.end, b.peakTime, b.points)
            && a.peak.bitPattern == b.peak.bitPattern && a.score == b.score
    }
}

struct LegacyAnomalyScanner: PointConsumer {
    let options: AnomalyOptions
    let type: ValueType
    private(set) var windows: [LegacyWindow] = []

    // The window being built from anomalous points.
    private var open: (start: Int64, last: Int64, peakTime: Int64, peak: Double, score: Double, points: Int)?
    /// Whether the point before this one was anomalous: consecutive anomalous points always join.
    private var previousWasAnomalous = false
    private var currentIsAnomalous = false

    // State of the detectors that look back.
    private var trailing = TrailingWindow()
    private var previous: (time: Int64, value: Double)?
    private var run: (start: Int64, last: Int64, bits: UInt64, points: Int)?

    init(options: AnomalyOptions, type: ValueType) {
        self.options = options
        self.type = type
    }

    mutating func consume(time: Int64, bits: UInt64) {
        previousWasAnomalous = currentIsAnomalous
        currentIsAnomalous = false
        let value = type == .float64 ? Double(bitPattern: bits) : Double(Int64(bitPattern: bits))
        switch options.detector {
        case .automatic:
            // Not a detector of the old scanner.
            break
        case .above(let limit):
            if value > limit { mark(time, value, score: value - limit) }
        case .below(let limit):
            if value < limit { mark(time, value, score: limit - value) }
        case .zScore(let window, let threshold):
            trailing.evict(before: time.subtractingSaturated(window))
            if trailing.count >= options.minimumWindowPoints, let z = trailing.zScore(of: value), abs(z) > threshold {
                mark(time, value, score: abs(z))
            }
            if !value.isNaN { trailing.insert(time: time, value: value, keepsOrder: false) }
        case .robust(let window, let threshold):
            trailing.evict(before: time.subtractingSaturated(window))
            if trailing.count >= options.minimumWindowPoints, let z = trailing.robustScore(of: value), abs(z) > threshold {
                mark(time, value, score: abs(z))
            }
            if !value.isNaN { trailing.insert(time: time, value: value, keepsOrder: true) }
        case .rateOfChange(let limit):
            if let previous, time > previous.time {
                let rate = abs(value - previous.value) / (Double(AnomalyScanner.span(from: previous.time, to: time)) / 1000)
                if rate > limit { mark(time, value, score: rate / limit) }
            }
        case .flatline(let minimum):
            if let current = run, current.bits == bits {
                run = (current.start, time, bits, current.points + 1)
            } else {
                closeRun(minimum: minimum)
                run = (time, time, bits, 1)
            }
        case .silence(let maximum):
            if let previous, AnomalyScanner.span(from: previous.time, to: time) > UInt64(maximum), previous.time >= options.from {
                appendWindow(LegacyWindow(start: previous.time, end: time, peakTime: previous.time, peak: previous.value,
                                           score: Double(AnomalyScanner.span(from: previous.time, to: time)) / Double(maximum), points: 0))
            }
        }
        previous = (time, value)
    }

    /// Ends the scan: closes open windows.
    mutating func finish() {
        if case .flatline(let minimum) = options.detector { closeRun(minimum: minimum) }
        closeOpenWindow()
    }

    private mutating func closeRun(minimum: Int64) {
        let length = run.map { AnomalyScanner.span(from: $0.start, to: $0.last) }
        guard let current = run, let length, length >= UInt64(minimum) else { return }
        let value = type == .float64 ? Double(bitPattern: current.bits) : Double(Int64(bitPattern: current.bits))
        appendWindow(LegacyWindow(start: current.start, end: AnomalyScanner.end(after: current.last), peakTime: current.start, peak: value,
                                   score: Double(length) / Double(minimum), points: current.points))
        run = nil
    }

    /// Records an anomalous point, joining it to the open window when close enough.
    /// Points read only to warm a trailing window up (before `from`) are not reported.
    private mutating func mark(_ time: Int64, _ value: Double, score: Double) {
        guard time >= options.from else { return }
        currentIsAnomalous = true
        if var window = open, previousWasAnomalous || AnomalyScanner.span(from: window.last, to: time) <= UInt64(options.mergeGap) {
            window.last = time
            window.points += 1
            if score > window.score { window.score = score; window.peak = value; window.peakTime = time }
            open = window
            return
        }
        closeOpenWindow()
        open = (time, time, time, value, score, 1)
    }

    private mutating func closeOpenWindow() {
        guard let window = open else { return }
        open = nil
        appendWindow(LegacyWindow(start: window.start, end: AnomalyScanner.end(after: window.last), peakTime: window.peakTime, peak: window.peak,
                                   score: window.score, points: window.points))
    }

    private mutating func appendWindow(_ window: LegacyWindow) {
        // Windows from runs and gaps merge too when they come close together.
        if let last = windows.last, Int128(window.start) - Int128(last.end) <= Int128(options.mergeGap), window.start >= last.start {
            let better = window.score > last.score
            windows[windows.count - 1] = LegacyWindow(
                start: last.start, end: max(last.end, window.end),
                peakTime: better ? window.peakTime : last.peakTime, peak: better ? window.peak : last.peak,
                score: max(last.score, window.score), points: last.points + window.points)
        } else {
            windows.append(window)
        }
        // A window that has grown past the minimum duration is kept; the last one may still grow.
    }

    /// The windows that last at least the minimum duration.
    var result: [LegacyWindow] {
        windows.filter { AnomalyScanner.span(from: $0.start, to: $0.end) >= UInt64(options.minimumDuration) }
    }
}

@Suite("Anomaly scanner against the one before verdicts")
struct AnomalyLegacyTests {
    @Test("The explicit detectors give the old windows (with the old score as magnitude) on random series and options", arguments: 0..<4)
    func sameWindows(seed: UInt64) throws {
        var random = SeededGenerator(seed: 100 + seed)
        for trial in 0..<300 {
            var times: [Int64] = [], bits: [UInt64] = []
            var time = Int64(random.next() % 1_000) - 500
            var value = 0.0
            let type: ValueType = random.next() % 4 == 0 ? .int64 : .float64
            for _ in 0..<Int(1 + random.next() % 400) {
                time += random.next() % 10 == 0 ? Int64(random.next() % 5_000) : Int64(1 + random.next() % 60)
                switch random.next() % 20 {
                case 0: value = Double(Int64(random.next() % 200) - 100)  // a jump
                case 1, 2, 3, 4, 5: break                                   // repeats
                default: value += Double(Int64(random.next() % 5) - 2)
                }
                times.append(time)
                if type == .int64 {
                    bits.append(UInt64(bitPattern: Int64(value)))
                } else {
                    bits.append((random.next() % 50 == 0 ? Double.nan : value).bitPattern)
                }
            }
            let window = Int64(1 + random.next() % 2_000), threshold = 0.5 + Double(random.next() % 40) / 10
            let detectors: [AnomalyDetector] = [
                .above(Double(Int64(random.next() % 40) - 20)), .below(Double(Int64(random.next() % 40) - 20)),
                .zScore(window: window, threshold: threshold), .robust(window: window, threshold: threshold),
                .rateOfChange(perSecond: Double(1 + random.next() % 200)), .flatline(minimumDuration: Int64(1 + random.next() % 300)),
                .silence(maximumGap: Int64(1 + random.next() % 400)),
            ]
            var options = AnomalyOptions(detector: detectors[trial % detectors.count])
            options.mergeGap = random.next() % 3 == 0 ? 0 : Int64(random.next() % 500)
            options.minimumDuration = random.next() % 3 == 0 ? 0 : Int64(random.next() % 300)
            options.minimumWindowPoints = Int(1 + random.next() % 12)
            if random.next() % 2 == 0 { options.from = times[Int(random.next() % UInt64(times.count))] }
            var legacy = LegacyAnomalyScanner(options: options, type: type)
            var scanner = AnomalyScanner(options: options, type: type)
            // As the store does: a scan from `from`, or from a trailing window before it.
            for index in times.indices where times[index] >= options.scanStart {
                legacy.consume(time: times[index], bits: bits[index])
                scanner.consume(time: times[index], bits: bits[index])
            }
            legacy.finish()
            scanner.finish()
            let now = scanner.result.map {
                LegacyWindow(start: $0.start, end: $0.end, peakTime: $0.peakTime, peak: $0.peak, score: $0.magnitude, points: $0.points)
            }
            #expect(now == legacy.result, "trial \(trial): \(options)")
            #expect(scanner.result.allSatisfy { $0.score > 0.5 || ($0.score == 0.5 && $0.kind == .stuck) }, "trial \(trial)")
        }
    }
}

import Testing
import Foundation
@testable import Strata
import StrataTestSupport

@Suite("Downsampling")
struct DownsampleTests {
    /// The naive answer: every point of the merged series, bucket by bucket.
    static func naive(_ points: SeriesPoints, options: DownsampleOptions) -> [Int64: [(Int64, Value)]] {
        var buckets: [Int64: [(Int64, Value)]] = [:]
        for point in points where point.timestamp >= options.from && point.timestamp < options.to {
            buckets[options.bucketStart(point.timestamp), default: []].append((point.timestamp, point.value))
        }
        return buckets
    }

    /// A store in `directory` with chunks of 64 points, so that a few thousand points make many chunks.
    static func smallChunkStore(in directory: borrowing TemporaryDirectory) throws -> Store {
        var configuration = Configuration()
        configuration.pointsPerChunk = 64
        return try Store(at: directory.path, configuration: configuration)
    }

    static func check(_ result: DownsampleResult, against points: SeriesPoints, options: DownsampleOptions, _ context: String) {
        let expected = naive(points, options: options)
        let nonEmpty = result.buckets.filter { $0.count > 0 }
        #expect(nonEmpty.map(\.start) == expected.keys.sorted(), "\(context)")
        for bucket in nonEmpty {
            guard let entries = expected[bucket.start] else { continue }
            let numbers: [Double] = entries.compactMap {
                switch $0.1 {
                case .float64(let value): value.isNaN ? nil : value
                case .int64(let value): Double(value)
                }
            }
            #expect(bucket.count == entries.count, "\(context) count")
            #expect(bucket.valueCount == numbers.count, "\(context) valueCount")
            #expect(bucket.first == entries.first?.1 && bucket.last == entries.last?.1, "\(context) first/last")
            let values = entries.map(\.1).filter { if case .float64(let v) = $0 { !v.isNaN } else { true } }
            func precedes(_ a: Value, _ b: Value) -> Bool {
                switch (a, b) {
                case (.float64(let x), .float64(let y)): x < y || (x == y && x.sign == .minus && y.sign == .plus)
                case (.int64(let x), .int64(let y)): x < y
                default: false
                }
            }
            #expect(bucket.minimum == values.min(by: precedes), "\(context) min")
            #expect(bucket.maximum == values.max(by: precedes), "\(context) max")
            guard !numbers.isEmpty else { continue }
            let sum = numbers.reduce(0, +)
            let mean = sum / Double(numbers.count)
            let variance = numbers.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(numbers.count)
            func close(_ a: Double?, _ b: Double) -> Bool { guard let a else { return false }; return abs(a - b) <= 1e-9 * max(1, abs(b)) }
            #expect(close(bucket.sum, sum), "\(context) sum \(bucket.sum) vs \(sum)")
            #expect(close(bucket.mean, mean), "\(context) mean")
            #expect(close(bucket.standardDeviation, variance.squareRoot()), "\(context) stddev \(bucket.standardDeviation ?? -1) vs \(variance.squareRoot())")
        }
    }

    @Test("Equals the naive computation over overlapping segments, the head, NaNs and both types", arguments: [1, 2, 3])
    func matchesNaive(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        let store = try Self.smallChunkStore(in: directory)
        var random = SeededGenerator(seed: seed)
        // In-order data flushed in three segments, then late points overlapping them, then an unflushed head.
        for round in 0..<3 {
            let times = (0..<2000).map { Int64(round * 2000 + $0) * 1000 }
            try store.append(device: "d", metric: "f", timestamps: times, values: times.map { _ in
                random.next() % 50 == 0 ? .nan : Double(Int64(random.next() % 20_001) - 10_000) / 10 })
            try store.append(device: "d", metric: "i", timestamps: times, values: times.map { _ in Int64(random.next() % 1000) - 500 })
            try store.flush()
        }
        let late = (0..<300).map { _ in Int64(random.next() % 6000) * 1000 }
        try store.append(device: "d", metric: "f", timestamps: late, values: late.map { _ in Double(random.next() % 100) })
        try store.append(device: "d", metric: "i", timestamps: late, values: late.map { _ in Int64(random.next() % 100) })
        try store.flush()
        let head = (0..<100).map { Int64(5950 + $0) * 1000 }
        try store.append(device: "d", metric: "f", timestamps: head, values: head.map { _ in -0.0 })

        for metric in ["f", "i"] {
            let points = try store.query(device: "d", metric: metric)
            for step: Int64 in [1000, 7000, 60_000, 3_600_000] {
                for (from, to) in [(Int64.min, Int64.max), (123_456, 4_567_890)] {
                    for statistics in [true, false] {
                        var options = DownsampleOptions(step: step, from: from, to: to)
                        options.usesChunkStatistics = statistics
                        let result = try store.downsample(device: "d", metric: metric, options: options)
                        Self.check(result, against: points, options: options, "\(metric) step \(step) [\(from), \(to)) statistics \(statistics)")
                    }
                }
            }
        }
    }

    @Test("Computing only the listed aggregates gives those exactly as computing all, the others nil", arguments: [4, 5])
    func onlyListedAggregates(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        let store = try Self.smallChunkStore(in: directory)
        var random = SeededGenerator(seed: seed)
        for device in ["d1", "d2"] {
            let times = (0..<3000).map { Int64($0) * 1000 + Int64(random.next() % 500) }
            try store.append(device: device, metric: "f", timestamps: times, values: times.map { _ in
                random.next() % 40 == 0 ? .nan : random.next() % 60 == 0 ? -0.0 : Double(Int64(random.next() % 20_001) - 10_000) / 10 })
            try store.append(device: device, metric: "i", timestamps: times, values: times.map { _ in Int64(random.next() % 1000) - 500 })
            try store.flush()
            let late = (0..<200).map { _ in Int64(random.next() % 3000) * 1000 }
            try store.append(device: device, metric: "f", timestamps: late, values: late.map { _ in Double(random.next() % 100) })
        }
        let lists: [[Aggregate]] = [[.mean], [.count, .sum], [.min], [.max, .mean], [.stddev], [.min, .stddev, .last]]
        for metric in ["f", "i"] {
            for step: Int64 in [1000, 30_000, 3_600_000] {
                for statistics in [true, false] {
                    for aggregates in lists {
                        var full = DownsampleOptions(step: step)
                        full.usesChunkStatistics = statistics
                        full.aggregates = aggregates
                        var listed = full
                        listed.computesOnlyListedAggregates = true
                        let keys = [SeriesKey(device: "d1", metric: metric), SeriesKey(device: "d2", metric: metric)]
                        let results = [
                            (try store.downsample(device: "d1", metric: metric, options: full).buckets,
                             try store.downsample(device: "d1", metric: metric, options: listed).buckets),
                            (try store.downsample(merging: keys, as: SeriesKey(device: "d*", metric: metric), options: full).buckets,
                             try store.downsample(merging: keys, as: SeriesKey(device: "d*", metric: metric), options: listed).buckets),
                        ]
                        let extremes = aggregates.contains(.min) || aggregates.contains(.max), moments = aggregates.contains(.stddev)
                        for (reference, answer) in results {
                            #expect(reference.count == answer.count)
                            for (expected, got) in zip(reference, answer) {
                                let context = "\(metric) step \(step) statistics \(statistics) \(aggregates) bucket \(expected.start)"
                                #expect(got.start == expected.start && got.count == expected.count && got.valueCount == expected.valueCount, "\(context)")
                                #expect(got.sum.bitPattern == expected.sum.bitPattern && got.integerSum == expected.integerSum, "\(context)")
                                #expect(got.mean?.bitPattern == expected.mean?.bitPattern, "\(context)")
                                #expect(got.first == expected.first && got.last == expected.last, "\(context)")
                                #expect(got.minimum == (extremes ? expected.minimum : nil) && got.maximum == (extremes ? expected.maximum : nil), "\(context)")
                                #expect(got.standardDeviation == (moments ? expected.standardDeviation : nil), "\(context)")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test("A group larger than one state read (hundreds of members) sums every member's points")
    func largeGroup() throws {
        let directory = TemporaryDirectory()
        let store = try Self.smallChunkStore(in: directory)
        let members = Store.seriesPerStateRead * 2 + 37
        var keys: [SeriesKey] = []
        var expected: [Int64: (count: Int, sum: Int64)] = [:]
        for member in 0..<members {
            let key = SeriesKey(device: "d\(member)", metric: "m")
            keys.append(key)
            let times = (0..<3).map { Int64($0 * 30_000 + member) }
            try store.append(device: key.device, metric: key.metric, timestamps: times, values: times.map { Int64($0 % 97) })
            for time in times { expected[time / 60_000 * 60_000, default: (0, 0)].count += 1; expected[time / 60_000 * 60_000]!.sum += time % 97 }
            if member % 200 == 0 { try store.flush() }
        }
        var options = DownsampleOptions(step: 60_000)
        options.aggregates = [.count, .sum]
        let result = try store.downsample(merging: keys, as: SeriesKey(device: "d*", metric: "m"), options: options)
        let buckets = Array(result.buckets)
        #expect(buckets.map(\.start) == expected.keys.sorted())
        #expect(buckets.map(\.count) == expected.keys.sorted().map { expected[$0]!.count })
        #expect(buckets.map(\.integerSum) == expected.keys.sorted().map { Int128(expected[$0]!.sum) })
    }

    @Test("Whole chunks inside one bucket are answered from statistics; the answer is the same")
    func statisticsPath() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.pointsPerChunk = 600
        let store = try Store(at: directory.path, configuration: configuration)
        // A day of 1-second readings: 86,400 points in chunks of at most 600 cut on 5-minute
        // boundaries and joined within quarter hours: 600 + 300 points per quarter, 192 chunks.
        let times = (0..<86_400).map { Int64($0) * 1000 }
        try store.append(device: "d", metric: "t", timestamps: times, values: times.map { 20 + sin(Double($0) / 3_600_000) })
        try store.flush()
        let options = DownsampleOptions(step: 3_600_000)
        let fast = try store.downsample(device: "d", metric: "t", options: options)
        #expect(fast.chunksFromStatistics == 192)
        #expect(fast.chunksDecoded == 0)
        #expect(fast.buckets.count == 24)
        var slowOptions = options
        slowOptions.usesChunkStatistics = false
        let slow = try store.downsample(device: "d", metric: "t", options: slowOptions)
        #expect(slow.chunksFromStatistics == 0)
        Self.check(fast, against: try store.query(device: "d", metric: "t"), options: options, "statistics path")
        for (a, b) in zip(fast.buckets, slow.buckets) {
            #expect(a.count == b.count && a.minimum == b.minimum && a.maximum == b.maximum && a.first == b.first && a.last == b.last)
        }
    }

    @Test("Alignment, empty buckets and bad options")
    func options() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamps: [0, 10, 50, -5], values: [1.0, 2.0, 3.0, 4.0])
        var options = DownsampleOptions(step: 20)
        #expect(try store.downsample(device: "d", metric: "m", options: options).buckets.map(\.start) == [-20, 0, 40])
        options.includesEmptyBuckets = true
        #expect(try store.downsample(device: "d", metric: "m", options: options).buckets.map(\.count) == [1, 2, 0, 1])
        options = DownsampleOptions(step: 20, from: 5, to: 60)
        options.alignment = .from
        #expect(try store.downsample(device: "d", metric: "m", options: options).buckets.map(\.start) == [5, 45])
        #expect(throws: StrataError.self) { try store.downsample(device: "d", metric: "m", options: DownsampleOptions(step: 0)) }
        var unanchored = DownsampleOptions(step: 10)
        unanchored.alignment = .from
        #expect(throws: StrataError.self) { try store.downsample(device: "d", metric: "m", options: unanchored) }
        #expect(try store.downsample(device: "x", metric: "m", options: DownsampleOptions(step: 10)).buckets.isEmpty)
    }
}

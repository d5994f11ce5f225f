import Testing
import Foundation
@testable import Strata
import StrataTestSupport

/// Percentiles, counters, merged groups and fills, each checked against a naive
/// computation over the raw points that `query` returns.
@Suite("Analyst queries")
struct AnalystQueryTests {
    /// A point of a naive model: its series' position in the group, time and value.
    typealias Point = (series: Int, time: Int64, value: Value)

    /// A store with three devices, each with a Float64 series `f` (NaN, -0.0,
    /// repeated values), an Int64 series `i`, an Int64 counter `c` with resets
    /// and extreme values, and `m`, Int64 on d1 and Float64 elsewhere. Flushed
    /// in rounds, then late points overlapping them, then a head left unflushed.
    static func makeStore(seed: UInt64, at path: String) throws -> Store {
        var configuration = Configuration()
        configuration.pointsPerChunk = 64
        let store = try Store(at: path, configuration: configuration)
        var random = SeededGenerator(seed: seed)
        var counters: [String: Int64] = [:]
        for round in 0..<3 {
            for device in ["d1", "d2", "d3"] {
                let times = (0..<700).map { Int64(round * 700 + $0) * 10_000 + Int64(random.next() % 5_000) }
                try store.append(device: device, metric: "f", timestamps: times, values: times.map { _ in
                    switch random.next() % 40 {
                    case 0: .nan
                    case 1: -0.0
                    case 2: 0.0
                    default: Double(Int64(random.next() % 2_001) - 1_000) / 8
                    }
                })
                try store.append(device: device, metric: "i", timestamps: times, values: times.map { _ in
                    random.next() % 97 == 0 ? (random.next() % 2 == 0 ? Int64.max : Int64.min) : Int64(random.next() % 1_000) - 500
                })
                let counts: [Int64] = times.map { _ in
                    var value = counters[device, default: 0]
                    switch random.next() % 60 {
                    case 0: value = Int64(random.next() % 10)  // a reset
                    case 1: value = Int64.max - Int64(random.next() % 1_000)  // near the top
                    default: value = value > Int64.max - 1_000 ? value : value + Int64(random.next() % 50)
                    }
                    counters[device] = value
                    return value
                }
                try store.append(device: device, metric: "c", timestamps: times, values: counts)
                if device == "d1" {
                    try store.append(device: device, metric: "m", timestamps: times, values: times.map { _ in Int64(random.next() % 100) })
                } else {
                    try store.append(device: device, metric: "m", timestamps: times, values: times.map { _ in Double(random.next() % 100) / 4 })
                }
            }
            try store.flush()
        }
        // Late points over the flushed rounds, then an unflushed head.
        for device in ["d1", "d2", "d3"] {
            let late = (0..<150).map { _ in Int64(random.next() % 2_100) * 10_000 }
            try store.append(device: device, metric: "f", timestamps: late, values: late.map { _ in Double(random.next() % 100) - 50 })
            try store.append(device: device, metric: "i", timestamps: late, values: late.map { _ in Int64(random.next() % 100) })
            try store.flush()
            let head = (0..<40).map { Int64(2_050 + $0) * 10_000 + 7 }
            try store.append(device: device, metric: "f", timestamps: head, values: head.map { _ in Double(random.next() % 10) })
        }
        return store
    }

    /// Every point of `series` in the options' range, tagged with its series' position.
    static func points(of series: [SeriesKey], in store: Store, options: DownsampleOptions) throws -> [Point] {
        var result: [Point] = []
        for (position, key) in series.enumerated() {
            for point in try store.query(device: key.device, metric: key.metric) where point.timestamp >= options.from && (options.to == .max || point.timestamp < options.to) {
                result.append((position, point.timestamp, point.value))
            }
        }
        return result
    }

    /// The non-NaN values of a bucket as Int64 when every series is Int64, else as Double.
    static func numbers(_ points: [Point]) -> (integers: [Int64]?, doubles: [Double]) {
        let allIntegers = points.allSatisfy { if case .int64 = $0.value { true } else { false } }
        var doubles: [Double] = []
        var integers: [Int64] = []
        for point in points {
            switch point.value {
            case .int64(let value): integers.append(value); doubles.append(Double(value))
            case .float64(let value): if !value.isNaN { doubles.append(value) }
            }
        }
        return (allIntegers ? integers : nil, doubles)
    }

    /// The percentile by its definition: sort, then interpolate between the closest ranks.
    static func naivePercentile(_ level: Double, integers: [Int64]?, doubles: [Double]) -> Double? {
        let count = integers?.count ?? doubles.count
        guard count > 0 else { return nil }
        let rank = Double(count - 1) * level / 100
        let low = Int(rank.rounded(.down)), fraction = rank - Double(low)
        if let integers {
            let sorted = integers.sorted()
            guard fraction > 0, low + 1 < count else { return Double(sorted[low]) }
            return Double(sorted[low]) + Double(Int128(sorted[low + 1]) - Int128(sorted[low])) * fraction
        }
        let sorted = doubles.sorted { $0 < $1 || ($0 == $1 && $0.sign == .minus && $1.sign == .plus) }
        guard fraction > 0, low + 1 < count else { return sorted[low] }
        let (a, b) = (sorted[low], sorted[low + 1])
        if a == b { return a }
        if a == -.infinity { return a }
        if b == .infinity { return b }
        return a + (b - a) * fraction
    }

    static func close(_ actual: Double?, _ expected: Double?) -> Bool {
        guard let actual, let expected else { return actual == nil && expected == nil }
        if actual == expected { return true }
        return abs(actual - expected) <= 1e-9 * max(abs(expected), 1e-300)
    }

    /// Each point's counter rise, by its series' previous non-NaN point in the range (a drop is a reset).
    static func rises(_ points: [Point]) -> [Int: [(time: Int64, integer: Int128, float: Double)]] {
        var result: [Int: [(time: Int64, integer: Int128, float: Double)]] = [:]
        for series in Set(points.map(\.series)) {
            var previous: Value?
            for point in points.filter({ $0.series == series }).sorted(by: { $0.time < $1.time }) {
                switch (previous, point.value) {
                case (_, .float64(let value)) where value.isNaN: continue
                case (nil, _): result[series, default: []].append((point.time, 0, 0))
                case (.int64(let old)?, .int64(let new)):
                    result[series, default: []].append((point.time, new >= old ? Int128(new) - Int128(old) : Int128(new), 0))
                case (.float64(let old)?, .float64(let new)):
                    result[series, default: []].append((point.time, 0, new >= old ? new - old : new))
                default: Issue.record("a series changed type")
                }
                previous = point.value
            }
        }
        return result
    }

    /// Checks every bucket of `result` against the points of `series` it summarizes.
    static func check(_ result: DownsampleResult, series: [SeriesKey], store: Store, options: DownsampleOptions, _ context: String) throws {
        let points = try Self.points(of: series, in: store, options: options)
        let grouped = Dictionary(grouping: points) { options.bucketStart($0.time) }
        let filled = result.buckets.filter { $0.count > 0 }
        #expect(filled.map(\.start) == grouped.keys.sorted(), "\(context): bucket starts")
        // Each bucket's increase: integers exact while every series is Int64, else as doubles.
        var increases: [Int64: (integer: Int128, float: Double)] = [:]
        for (_, list) in rises(points) {
            for rise in list {
                let start = options.bucketStart(rise.time)
                increases[start, default: (0, 0)].integer += rise.integer
                increases[start, default: (0, 0)].float += rise.float + Double(rise.integer)
            }
        }
        for bucket in filled {
            guard let members = grouped[bucket.start] else { continue }
            #expect(bucket.count == members.count, "\(context): count")
            let (integers, doubles) = numbers(members)
            let mixed = integers == nil && members.contains { if case .int64 = $0.value { true } else { false } }
            func asGroupValue(_ value: Value) -> Value {
                if mixed, case .int64(let integer) = value { return .float64(Double(integer)) }
                return value
            }
            // First and last by time; at equal times the first series gives the first, the last series the last.
            let byTime = members.sorted { ($0.time, $0.series) < ($1.time, $1.series) }
            #expect(bucket.first == byTime.first.map { asGroupValue($0.value) }, "\(context): first")
            let last = members.max { ($0.time, $0.series) < ($1.time, $1.series) }
            #expect(bucket.last == last.map { asGroupValue($0.value) }, "\(context): last")
            if let integers, !integers.isEmpty {
                #expect(bucket.minimum == .int64(integers.min()!) && bucket.maximum == .int64(integers.max()!), "\(context): integer min/max")
                #expect(bucket.integerSum == integers.reduce(Int128(0)) { $0 + Int128($1) }, "\(context): exact sum")
            } else if !doubles.isEmpty {
                let order: (Double, Double) -> Bool = { $0 < $1 || ($0 == $1 && $0.sign == .minus && $1.sign == .plus) }
                #expect(bucket.minimum == .float64(doubles.min(by: order)!), "\(context): min")
                #expect(bucket.maximum == .float64(doubles.max(by: order)!), "\(context): max")
                let mean = doubles.reduce(0, +) / Double(doubles.count)
                #expect(close(bucket.mean, mean) || abs(bucket.mean! - mean) < 1e-9, "\(context): mean \(bucket.mean ?? .nan) vs \(mean)")
            }
            for level in options.percentileLevels {
                let expected = naivePercentile(level, integers: integers, doubles: doubles)
                let actual = bucket.value(.percentile(level))?.number
                #expect(close(actual, expected), "\(context): p\(level) \(actual ?? .nan) vs \(expected ?? .nan)")
                // A percentile falling on an Int64 value is that exact integer.
                if let integers, !integers.isEmpty, (Double(integers.count - 1) * level / 100).rounded(.down) == Double(integers.count - 1) * level / 100 {
                    if case .integer = bucket.value(.percentile(level)) {} else { Issue.record("\(context): p\(level) of integers on a rank is not an integer") }
                }
            }
            if options.aggregates.contains(.increase) {
                let increase = increases[bucket.start]
                if integers != nil {
                    #expect(bucket.value(.increase) == increase.map { .integer($0.integer) }, "\(context): exact increase")
                    #expect(close(bucket.rate, increase.map { Double($0.integer) / (Double(options.step) / 1000) }), "\(context): rate")
                } else if doubles.isEmpty {
                    #expect(bucket.increase == nil, "\(context): increase of NaNs")
                } else {
                    let expected = increase?.float ?? .nan
                    let actual = bucket.value(.increase)?.number ?? .nan
                    #expect(abs(actual - expected) <= 1e-9 * max(1, abs(expected)), "\(context): increase \(actual) vs \(expected)")
                }
            }
        }
    }

    static let levels: [Aggregate] = [.percentile(0), .percentile(25), .percentile(50), .percentile(95), .percentile(99.9), .percentile(100)]

    @Test("Reading one aggregate at a position gives what the whole bucket gives, for every path and fill")
    func valueAtPositionEqualsBucket() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(seed: 5, at: directory.path)
        let every: [Aggregate] = [.min, .max, .mean, .sum, .count, .first, .last, .stddev]
        func same(_ a: AggregateValue?, _ b: AggregateValue?) -> Bool {
            switch (a, b) {
            case (nil, nil): true
            case (.float(let x)?, .float(let y)?): x.bitPattern == y.bitPattern
            case (.integer(let x)?, .integer(let y)?): x == y
            default: false
            }
        }
        var checked = 0
        for metric in ["f", "i", "c"] {
            for (ordered, empty, fill) in [(false, false, BucketFill.none), (true, false, .none), (false, true, .previous), (false, true, .linear), (true, true, .value(2.5))] {
                var options = DownsampleOptions(step: 370_000)
                options.aggregates = every + (ordered ? Self.levels + [.increase, .rate] : [])
                options.includesEmptyBuckets = empty
                options.fill = fill
                let keys = ["d1", "d2", "d3"].map { SeriesKey(device: $0, metric: metric) }
                let results = [try store.downsample(device: "d1", metric: metric, options: options),
                               try store.downsample(merging: keys, as: SeriesKey(device: "d*", metric: metric), options: options)]
                for result in results {
                    let buckets = result.buckets
                    #expect(!buckets.isEmpty)
                    for position in buckets.indices {
                        let bucket = buckets[position]
                        #expect(buckets.start(at: position) == bucket.start)
                        for aggregate in options.aggregates {
                            #expect(same(buckets.value(aggregate, at: position), bucket.value(aggregate)), "\(metric) \(aggregate) at \(position)")
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked > 10_000)
    }

    @Test("Percentiles, increase and rate of one series equal the naive computation", arguments: [1, 2])
    func orderedAggregatesMatchNaive(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(seed: seed, at: directory.path)
        for metric in ["f", "i", "c"] {
            for step: Int64 in [10_000, 370_000, 3_600_000] {
                for (from, to) in [(Int64.min, Int64.max), (1_234_567, 15_000_000)] {
                    var options = DownsampleOptions(step: step, from: from, to: to)
                    options.aggregates = Self.levels + [.increase, .rate]
                    let key = SeriesKey(device: "d2", metric: metric)
                    let result = try store.downsample(device: key.device, metric: key.metric, options: options)
                    try Self.check(result, series: [key], store: store, options: options, "\(metric) step \(step) [\(from), \(to))")
                }
            }
        }
    }

    @Test("Merged groups equal the naive computation: classic aggregates from statistics, percentiles and counters in slabs", arguments: [3, 4])
    func groupsMatchNaive(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(seed: seed, at: directory.path)
        for metric in ["f", "i", "c", "m"] {
            let series = ["d1", "d2", "d3"].map { SeriesKey(device: $0, metric: metric) } + [SeriesKey(device: "nobody", metric: metric)]
            for step: Int64 in [60_000, 3_600_000] {
                for ordered in [false, true] {
                    for statistics in [true, false] {
                        var options = DownsampleOptions(step: step)
                        options.usesChunkStatistics = statistics
                        if ordered { options.aggregates = Self.levels + [.increase, .rate] }
                        options.groupSlabPointBudget = 300  // many slabs, grown and shrunk
                        let result = try store.downsample(merging: series, as: SeriesKey(device: "d*", metric: metric), options: options)
                        #expect(result.series == SeriesKey(device: "d*", metric: metric))
                        #expect(result.type == (metric == "f" || metric == "m" ? .float64 : .int64))
                        try Self.check(result, series: Array(series.prefix(3)), store: store, options: options,
                                       "group \(metric) step \(step) ordered \(ordered) statistics \(statistics)")
                    }
                }
            }
        }
    }

    @Test("Groups over the ends of time and sparse spans: in any member order, the naive answer")
    func groupsAtTheEndsOfTime() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        // d1 dense near zero, d2 far apart (beyond the dense slots), d3 at both ends of Int64.
        try store.append(device: "d1", metric: "m", timestamps: (0..<500).map { Int64($0) * 1_000 }, values: (0..<500).map { Double($0) })
        try store.append(device: "d2", metric: "m", timestamps: [-5_000, 250_000, 1 << 50], values: [1.0, 2.0, 3.0])
        try store.append(device: "d3", metric: "m", timestamps: [.min, .min + 1, 7_000, .max], values: [4.0, 5.0, 6.0, 7.0])
        let keys = ["d1", "d2", "d3"].map { SeriesKey(device: $0, metric: "m") }
        for order in [keys, keys.reversed(), [keys[0], keys[2], keys[1]]] {
            for step: Int64 in [1_000, 3_600_000, 1 << 40, 1 << 62] {
                let options = DownsampleOptions(step: step)
                let result = try store.downsample(merging: order, as: SeriesKey(device: "*", metric: "m"), options: options)
                try Self.check(result, series: order, store: store, options: options, "order \(order.map(\.device)) step \(step)")
            }
        }
    }

    @Test("The slab size of a group's ordered path changes nothing")
    func slabSizeIsInvisible() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(seed: 9, at: directory.path)
        let series = ["d1", "d2", "d3"].flatMap { device in ["f", "m"].map { SeriesKey(device: device, metric: $0) } }
        var options = DownsampleOptions(step: 600_000)
        options.aggregates = [.percentile(50), .percentile(99), .increase]
        let reference = Array(try store.downsample(merging: series, as: SeriesKey(device: "*", metric: "*"), options: options).buckets)
        for budget in [1, 17, 1_000, 100_000] {
            options.groupSlabPointBudget = budget
            let buckets = Array(try store.downsample(merging: series, as: SeriesKey(device: "*", metric: "*"), options: options).buckets)
            #expect(buckets == reference, "budget \(budget)")
        }
    }

    @Test("Asking for percentiles leaves the classic aggregates as the statistics path gives them")
    func orderedPathKeepsClassicAggregates() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(seed: 5, at: directory.path)
        for metric in ["f", "i"] {
            let plain = try store.downsample(device: "d3", metric: metric, options: DownsampleOptions(step: 3_600_000))
            var options = DownsampleOptions(step: 3_600_000)
            options.aggregates = [.percentile(50)]
            let ordered = try store.downsample(device: "d3", metric: metric, options: options)
            #expect(plain.buckets.count == ordered.buckets.count)
            for (a, b) in zip(plain.buckets, ordered.buckets) {
                #expect(a.start == b.start && a.count == b.count && a.valueCount == b.valueCount)
                #expect(a.minimum == b.minimum && a.maximum == b.maximum && a.first == b.first && a.last == b.last && a.integerSum == b.integerSum)
                #expect(Self.close(a.mean, b.mean) && Self.close(a.sum, b.sum))
            }
        }
    }

    @Test("Counters: an exact Int64 increase across resets and the top of the range; rates per second")
    func counterResets() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        // 0, 10, 30 | reset to 5, 25 | Int64.max − 1, reset to 0, Int64.max
        try store.append(device: "d", metric: "c", timestamps: [0, 1_000, 2_000, 10_000, 11_000, 20_000, 21_000, 22_000],
                         values: [0, 10, 30, 5, 25, Int64.max - 1, 0, Int64.max])
        var options = DownsampleOptions(step: 10_000)
        options.aggregates = [.increase, .rate]
        let buckets = Array(try store.downsample(device: "d", metric: "c", options: options).buckets)
        #expect(buckets.map { $0.value(.increase) } == [.integer(30), .integer(25), .integer(Int128(Int64.max) - 26 + Int128(Int64.max))])
        #expect(buckets.map(\.rate) == [3, 2.5, Double(Int128(Int64.max) - 26 + Int128(Int64.max)) / 10])
        // A NaN in a Float64 counter is skipped: the next point rises from the one before it.
        try store.append(device: "d", metric: "x", timestamps: [0, 1, 2, 3], values: [1.0, .nan, 4.0, 2.0])
        let float = Array(try store.downsample(device: "d", metric: "x", options: options).buckets)
        #expect(float.map { $0.value(.increase) } == [.float(3 + 2)])
    }

    @Test("Fills of empty buckets: none, previous, linear and a number; the count stays 0")
    func fills() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamps: [0, 40, 50], values: [2.0, 10.0, 1.0])
        try store.append(device: "d", metric: "i", timestamps: [0, 40], values: [Int64(4), 12])
        var options = DownsampleOptions(step: 10, from: -10, to: 70)
        options.includesEmptyBuckets = true
        options.aggregates = [.percentile(50)]
        func column(_ metric: String, _ fill: BucketFill, _ aggregate: Aggregate) throws -> [AggregateValue?] {
            options.fill = fill
            return try store.downsample(device: "d", metric: metric, options: options).buckets.map { $0.value(aggregate) }
        }
        #expect(try column("m", .none, .mean) == [nil, .float(2), nil, nil, nil, .float(10), .float(1), nil])
        #expect(try column("m", .previous, .mean) == [nil, .float(2), .float(2), .float(2), .float(2), .float(10), .float(1), .float(1)])
        #expect(try column("m", .linear, .mean) == [nil, .float(2), .float(4), .float(6), .float(8), .float(10), .float(1), nil])
        #expect(try column("m", .linear, .percentile(50)) == [nil, .float(2), .float(4), .float(6), .float(8), .float(10), .float(1), nil])
        #expect(try column("m", .value(-1.5), .max) == [.float(-1.5), .float(2), .float(-1.5), .float(-1.5), .float(-1.5), .float(10), .float(1), .float(-1.5)])
        #expect(try column("m", .value(-1.5), .count) == [0, 1, 0, 0, 0, 1, 1, 0].map { AggregateValue.integer($0) })
        #expect(try column("i", .previous, .sum) == [nil, .integer(4), .integer(4), .integer(4), .integer(4), .integer(12), .integer(12), .integer(12)])
        #expect(try column("i", .linear, .min) == [nil, .integer(4), .float(6), .float(8), .float(10), .integer(12), nil, nil])
        options.fill = .value(.nan)
        #expect(throws: StrataError.self) { try store.downsample(device: "d", metric: "m", options: options) }
    }

    @Test("Aggregate names: percentiles from p0 to p100 with up to three decimals; everything else refused")
    func aggregateNames() {
        for (name, aggregate) in [("p95", Aggregate.percentile(95)), ("p99.9", .percentile(99.9)), ("p0", .percentile(0)), ("p100", .percentile(100)),
                                  ("p50.125", .percentile(50.125)), ("increase", .increase), ("rate", .rate), ("stddev", .stddev)] {
            #expect(Aggregate(rawValue: name) == aggregate, "\(name)")
            #expect(Aggregate(rawValue: aggregate.rawValue) == aggregate, "\(name) round trip")
        }
        #expect(Aggregate.percentile(95).rawValue == "p95" && Aggregate.percentile(99.9).rawValue == "p99.9")
        for name in ["p", "p101", "p100.5", "p-1", "p1e2", "p.5", "p5.", "p99.9999", "pnan", "pinf", "p 5", "P95", "p0x10", "p1000", "median", ""] {
            #expect(Aggregate(rawValue: name) == nil, "\(name)")
        }
    }

    @Test("Percentile selection equals sorting on seeded random keys with many repeats")
    func selectionEqualsSorting() {
        var random = SeededGenerator(seed: 42)
        for trial in 0..<300 {
            let count = 1 + Int(random.next() % 2_000)
            let spread = trial % 3 == 0 ? 5 : UInt64.max
            var keys = (0..<count).map { _ in random.next() % spread }
            let sorted = keys.sorted()
            let rank = Int(random.next() % UInt64(count))
            let selected = keys.withUnsafeMutableBufferPointer { PercentileSelection.select(rank, in: $0) }
            #expect(selected == sorted[rank], "trial \(trial)")
            #expect(keys.prefix(rank).allSatisfy { $0 <= selected } && keys.suffix(from: rank).allSatisfy { $0 >= selected }, "trial \(trial) partition")
        }
        // Ranks near either end, found by keeping the extremes aside: every rank of small and large buckets.
        for trial in 0..<200 {
            let count = 1 + Int(random.next() % (trial % 2 == 0 ? 30 : 500))
            let spread = trial % 3 == 0 ? 4 : UInt64.max
            var keys = (0..<count).map { _ in random.next() % spread }
            let original = keys
            let sorted = keys.sorted()
            for rank in 0..<count {
                let found = keys.withUnsafeMutableBufferPointer { PercentileSelection.ranksNearEnd(rank, in: $0) }
                let nearEnd = count - rank <= PercentileSelection.nearEndKeys || rank + 2 <= PercentileSelection.nearEndKeys
                #expect((found != nil) == nearEnd, "trial \(trial) rank \(rank) of \(count)")
                if let (low, high) = found {
                    #expect(low == sorted[rank] && high == sorted[min(rank + 1, count - 1)], "trial \(trial) rank \(rank) of \(count)")
                }
            }
            #expect(keys == original, "trial \(trial): the keys are left in place")
        }
        // The keys keep the values' order, -0.0 before +0.0 and infinities at the ends.
        let values: [Double] = [-.infinity, -1e308, -1, -.leastNonzeroMagnitude, -0.0, 0.0, .leastNonzeroMagnitude, 1, 1e308, .infinity]
        let keys = values.map { PercentileSelection.key(bits: $0.bitPattern, type: .float64) }
        #expect(keys == keys.sorted() && Set(keys).count == keys.count)
        #expect(keys.map { PercentileSelection.bits(key: $0, type: .float64) } == values.map(\.bitPattern))
        let integers: [Int64] = [.min, -1, 0, 1, .max]
        #expect(integers.map { PercentileSelection.key(bits: UInt64(bitPattern: $0), type: .int64) } == integers.map { PercentileSelection.key(bits: UInt64(bitPattern: $0), type: .int64) }.sorted())
    }

    @Test("Local days across daylight-saving changes: 23- and 25-hour buckets at local midnight in two zones", arguments: ["Europe/Berlin", "America/New_York"])
    func localDays(zone: String) throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.pointsPerChunk = 50
        let store = try Store(at: directory.path, configuration: configuration)
        // Every 15 minutes through 2024 (both changes), a counter and a reading; half flushed, the rest in the head.
        let start: Int64 = 1_704_067_200_000  // 2024-01-01T00:00:00Z
        let times = (0..<(366 * 96)).map { start + Int64($0) * 900_000 }
        var random = SeededGenerator(seed: 7)
        let readings = times.map { _ in Double(Int64(random.next() % 1_000)) / 10 }
        let counts = times.indices.map { Int64($0 * 3) }
        try store.append(device: "d", metric: "r", timestamps: Array(times.prefix(20_000)), values: Array(readings.prefix(20_000)))
        try store.append(device: "d", metric: "c", timestamps: Array(times.prefix(20_000)), values: Array(counts.prefix(20_000)))
        try store.flush()
        try store.append(device: "d", metric: "r", timestamps: Array(times.dropFirst(20_000)), values: Array(readings.dropFirst(20_000)))
        try store.append(device: "d", metric: "c", timestamps: Array(times.dropFirst(20_000)), values: Array(counts.dropFirst(20_000)))

        // The oracle: Foundation's calendar in the same zone.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: zone))
        func localMidnight(_ time: Int64) -> Int64 {
            Int64((calendar.startOfDay(for: Date(timeIntervalSince1970: Double(time) / 1000)).timeIntervalSince1970 * 1000).rounded())
        }
        var options = DownsampleOptions(step: Milliseconds.day)
        options.timeZone = try TimeZoneRules(identifier: zone)
        options.aggregates = [.percentile(50), .increase, .rate]
        let reading = Array(try store.downsample(device: "d", metric: "r", options: options).buckets)
        let expectedStarts = Array(Set(times.map(localMidnight))).sorted()
        #expect(reading.map(\.start) == expectedStarts)
        let byDay = Dictionary(grouping: times.indices) { localMidnight(times[$0]) }
        var lengths: [Int64: Int] = [:]
        for bucket in reading {
            let members = try #require(byDay[bucket.start])
            #expect(bucket.count == members.count)
            let values = members.map { readings[$0] }
            #expect(bucket.maximum == .float64(values.max()!) && bucket.first == .float64(readings[members.first!]))
            #expect(Self.close(bucket.value(.percentile(50))?.number, Self.naivePercentile(50, integers: nil, doubles: values)))
            if bucket.start != reading.first?.start && bucket.start != reading.last?.start { lengths[Int64(members.count) * 900_000, default: 0] += 1 }
        }
        // 23- and 25-hour days, once each in 2024 (the first and last day are cut by the data).
        #expect(lengths[23 * 3_600_000] == 1 && lengths[25 * 3_600_000] == 1, "\(lengths)")
        // The counter rises 3 every 15 minutes: a day's rate is its increase over its own length.
        let counter = Array(try store.downsample(device: "d", metric: "c", options: options).buckets)
        for (bucket, next) in zip(counter, counter.dropFirst()) where bucket.start != counter.first?.start {
            let hours = (next.start - bucket.start) / 3_600_000
            #expect(bucket.value(.increase) == .integer(Int128(hours * 4 * 3)))
            #expect(Self.close(bucket.rate, Double(hours * 4 * 3) / Double(next.start - bucket.start) * 1000))
        }
        // Merged with itself and with empty days filled: the same local days.
        options.includesEmptyBuckets = true
        options.from = start - 3 * Milliseconds.day
        options.fill = .previous
        let merged = Array(try store.downsample(merging: [SeriesKey(device: "d", metric: "r"), SeriesKey(device: "d", metric: "r")],
                                                as: SeriesKey(device: "d", metric: "*"), options: options).buckets)
        // Every local midnight from the one of `from` to the data's first.
        var local: [Int64] = []
        var day = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(options.from) / 1000))
        while Int64((day.timeIntervalSince1970 * 1000).rounded()) < expectedStarts[0] {
            local.append(Int64((day.timeIntervalSince1970 * 1000).rounded()))
            day = calendar.date(byAdding: .day, value: 1, to: day)!
        }
        #expect(local.count >= 3)
        #expect(merged.map(\.start) == local + expectedStarts)
        #expect(merged.prefix(local.count).allSatisfy { $0.count == 0 && $0.value(.max) == nil } && merged.dropFirst(local.count).allSatisfy { $0.count > 0 })
        // Whole days only, and no alignment to `from`.
        var hourly = DownsampleOptions(step: 3_600_000)
        hourly.timeZone = options.timeZone
        #expect(throws: StrataError.self) { try store.downsample(device: "d", metric: "r", options: hourly) }
    }
}

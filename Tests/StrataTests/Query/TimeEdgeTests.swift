import Testing
import Foundation
@testable import Strata
import StrataTestSupport

/// Timestamps at the ends of Int64 through the library: nothing traps, and the
/// one range rule (an end of `Int64.max` has no upper bound) holds everywhere.
@Suite("Timestamps at the edges")
struct TimeEdgeTests {
    /// A store with one series "d"/"m" holding `points`, flushed to a segment.
    static func makeStore(_ directory: borrowing TemporaryDirectory, _ points: [(Int64, Double)], flush: Bool = true) throws -> Store {
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamps: points.map(\.0), values: points.map(\.1))
        if flush { try store.flush() }
        return store
    }

    static let farApart: [(Int64, Double)] = [(.min, 5), (-1, -5), (0, 5), (.max, 5)]

    @Test("above and below: windows of points far apart, one at Int64.max (its window ends at Int64.max)")
    func thresholdsFarApart() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory, Self.farApart)
        let above = try store.anomalies(device: "d", metric: "m", options: AnomalyOptions(detector: .above(0)))
        #expect(above.map(\.start) == [.min, 0])
        #expect(above.map(\.end) == [.min + 1, .max])
        #expect(above.map(\.points) == [1, 2])
        let below = try store.anomalies(device: "d", metric: "m", options: AnomalyOptions(detector: .below(0)))
        #expect(below.map(\.start) == [-1] && below.map(\.end) == [0])
        // A merge gap spanning all of time joins the two windows of `above`.
        var merged = AnomalyOptions(detector: .above(0))
        merged.mergeGap = .max
        let joined = try store.anomalies(device: "d", metric: "m", options: merged)
        #expect(joined.map(\.start) == [.min] && joined.map(\.end) == [.max] && joined.map(\.points) == [3])
        var long = AnomalyOptions(detector: .below(10))
        long.minimumDuration = .max
        // Every point is below 10: one window over all of time, lasting at least Int64.max ms.
        #expect(try store.anomalies(device: "d", metric: "m", options: long).map(\.points) == [4])
    }

    @Test("rate: consecutive points 2^63 ms apart have a tiny rate; 1 ms apart a large one")
    func rateFarApart() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory, [(.min, 5), (0, 5), (1, -5), (.max, -5)])
        let windows = try store.anomalies(device: "d", metric: "m", options: AnomalyOptions(detector: .rateOfChange(perSecond: 1)))
        #expect(windows.map(\.start) == [1] && windows.map(\.end) == [2])
        #expect(windows.first?.magnitude == 10_000)
        #expect(windows.first?.score == 1 - 1 / (1 + 10_000.0))
    }

    @Test("silence: gaps longer than Int64.max ms are windows with their exact length")
    func silenceFarApart() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory, [(.min, 5), (0, 5), (.max, 5)])
        let windows = try store.anomalies(device: "d", metric: "m", options: AnomalyOptions(detector: .silence(maximumGap: 1000)))
        // The two gaps touch at 0, so they join: one window over all of time, scored by the longer gap.
        #expect(windows.map(\.start) == [.min] && windows.map(\.end) == [.max])
        #expect(windows.map(\.magnitude) == [Double(UInt64(1) << 63) / 1000])
        #expect(windows.map(\.score) == [1 - 1 / (1 + Double(UInt64(1) << 63) / 1000)])
    }

    @Test("flatline: a value unchanged from Int64.min to Int64.max")
    func flatlineAllOfTime() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory, Self.farApart.map { ($0.0, 1) })
        let windows = try store.anomalies(device: "d", metric: "m", options: AnomalyOptions(detector: .flatline(minimumDuration: 1000)))
        #expect(windows.count == 1)
        #expect(windows.map(\.start) == [.min] && windows.map(\.end) == [.max] && windows.map(\.points) == [4])
        #expect(windows.first?.magnitude == Double(UInt64.max) / 1000)
        #expect(windows.first?.kind == .stuck)
    }

    @Test("zscore and robust: trailing windows that begin at Int64.min", arguments: ["zscore", "robust"])
    func trailingAtMinimum(detector: String) throws {
        let directory = TemporaryDirectory()
        var points: [(Int64, Double)] = (0..<12).map { (Int64.min + $0, Double($0 % 2)) }
        points.append((.min + 12, 100))
        let store = try Self.makeStore(directory, points)
        let chosen: AnomalyDetector = detector == "zscore" ? .zScore(window: 1000, threshold: 4) : .robust(window: 1000, threshold: 6)
        let windows = try store.anomalies(device: "d", metric: "m", options: AnomalyOptions(detector: chosen))
        #expect(windows.map(\.start) == [.min + 12] && windows.map(\.points) == [1])
        // Warming up from before a `from` near Int64.min saturates instead of overflowing.
        let later = try store.anomalies(device: "d", metric: "m", options: AnomalyOptions(detector: chosen, from: .min + 12))
        #expect(later.map(\.start) == [.min + 12])
    }

    /// A series with points at 0, 2000 and Int64.max, in a segment; with `overwrite`, the head
    /// holds a newer value at Int64.max, so reads merge overlapping sources.
    static func maximumStore(_ directory: borrowing TemporaryDirectory, overwrite: Bool) throws -> Store {
        let store = try makeStore(directory, [(0, 1), (2000, 2), (.max, 3)])
        if overwrite { try store.append(device: "d", metric: "m", timestamp: .max, value: 4.0) }
        return store
    }

    @Test("A point at Int64.max is in every range without an end: query, downsample, anomalies, delete's count, compaction",
          arguments: [false, true])
    func maximumIsInUnboundedRanges(overwrite: Bool) throws {
        let directory = TemporaryDirectory()
        let store = try Self.maximumStore(directory, overwrite: overwrite)
        let newest: Double = overwrite ? 4 : 3
        #expect(try store.query(device: "d", metric: "m", from: 2000).count == 2)
        let result = try store.downsample(device: "d", metric: "m", options: DownsampleOptions(step: 1000, from: 2000))
        #expect(result.buckets.map(\.count) == [1, 1])
        let lastStart: Int64 = Int64.max - Int64.max % 1000
        #expect(result.buckets.last?.start == lastStart)
        #expect(result.buckets.last?.last == Value.float64(newest))
        // A range starting at Int64.max is not empty: it holds that millisecond.
        let last = try store.downsample(device: "d", metric: "m", options: DownsampleOptions(step: 1, from: .max))
        #expect(last.buckets.map(\.start) == [.max] && last.buckets.map(\.count) == [1])
        let windows = try store.anomalies(device: "d", metric: "m", options: AnomalyOptions(detector: .above(2.5), from: 2000))
        #expect(windows.map(\.start) == [.max] && windows.map(\.peak) == [newest])
        #expect(try store.countPoints(matching: Tombstone(device: "d", from: 2000)) == 2)
        #expect(try store.timeRange(device: "d", metric: "m") == 0...Int64.max)
        try store.delete(device: "d", from: 2000)
        #expect(try store.query(device: "d", metric: "m").map(\.timestamp) == [0])
        let report = try store.compact()
        #expect(report.pointsDropped == (overwrite ? 3 : 2))
        #expect(try store.query(device: "d", metric: "m").map(\.timestamp) == [0])
        // An explicit end before Int64.max stays exclusive.
        #expect(try store.countPoints(matching: Tombstone(device: "d", from: .min, to: 0)) == 0)
    }

    @Test("Buckets straddling Int64.min start there and end one step after their true start; a bucket starts at Int64.max")
    func bucketsAtTheEdges() throws {
        let directory = TemporaryDirectory()
        // With a 7 ms step the bucket holding Int64.min truly starts 6 ms earlier and ends at Int64.min + 1.
        let store = try Self.makeStore(directory, [(.min, 1), (.min + 1, 2), (.min + 2, 3), (.min + 8, 4), (.max - 1, 5), (.max, 6)])
        var options = DownsampleOptions(step: 7)
        // Int64.max is a multiple of 7: the last bucket starts there and holds that one millisecond.
        let top: [Int64] = [.max - 7, .max]
        let bottom: [Int64] = [.min, .min + 1, .min + 8]
        for statistics in [true, false] {
            options.usesChunkStatistics = statistics
            let buckets = try store.downsample(device: "d", metric: "m", options: options).buckets
            #expect(buckets.map(\.start) == bottom + top, "statistics \(statistics)")
            #expect(buckets.map(\.count) == [1, 2, 1, 1, 1], "statistics \(statistics)")
        }
        options.includesEmptyBuckets = true
        options.from = .min
        options.to = .min + 20
        let empty = try store.downsample(device: "d", metric: "m", options: options).buckets
        let emptyStarts: [Int64] = bottom + [.min + 15]
        #expect(empty.map(\.start) == emptyStarts)
        #expect(empty.map(\.count) == [1, 2, 1, 0])
        #expect(empty[3].start == Int64.min + 15)
    }

    @Test("Empty buckets are made as they are read; more than the stated limit is refused, with or without a range")
    func emptyBucketsStream() throws {
        let directory = TemporaryDirectory()
        let step: Int64 = 1000
        let store = try Self.makeStore(directory, [(0, 1), (Int64(DownsampleOptions.maximumBucketsWithEmpty - 1) * step, 2)])
        var options = DownsampleOptions(step: step)
        options.includesEmptyBuckets = true
        let buckets = try store.downsample(device: "d", metric: "m", options: options).buckets
        #expect(buckets.count == DownsampleOptions.maximumBucketsWithEmpty)
        #expect(buckets.storedBucketCount == 2)
        #expect(buckets[0].count == 1)
        #expect(buckets[1].count == 0)
        #expect(buckets[1].start == step)
        #expect(buckets[buckets.count - 1].count == 1)
        #expect(buckets[buckets.count - 2].count == 0)
        #expect(Array(buckets.prefix(3)).map(\.count) == [1, 0, 0])
        // One more bucket, from the data (no range) or from the range: refused before any is made.
        try store.append(device: "d", metric: "m", timestamp: Int64(DownsampleOptions.maximumBucketsWithEmpty) * step, value: 3.0)
        #expect(throws: StrataError.self) { try store.downsample(device: "d", metric: "m", options: options) }
        options.from = 0
        options.to = .max
        #expect(throws: StrataError.self) { try store.downsample(device: "d", metric: "m", options: options) }
        options.from = .min
        options.step = 1
        #expect(throws: StrataError.self) { try store.downsample(device: "d", metric: "m", options: options) }
    }

    @Test("Compaction counts the points of segments it removes unread because retention expired them")
    func expiredSegmentsAreCounted() throws {
        let directory = TemporaryDirectory()
        do {
            let store = try Self.makeStore(directory, [(0, 1), (1000, 2), (2000, 3)])
            try store.close()
        }
        var configuration = Configuration()
        configuration.retention = RetentionPolicy(rules: [.init(devicePrefix: "d", maximumAgeMilliseconds: Milliseconds.day)])
        let store = try Store(at: directory.path, configuration: configuration, create: false)
        let report = try store.compact()
        #expect(report.segmentsExpired == 1)
        #expect(report.pointsDropped == 3)
        #expect(try store.query(device: "d", metric: "m").count == 0)
    }
}

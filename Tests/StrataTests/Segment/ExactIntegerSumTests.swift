import Testing
import Foundation
@testable import Strata
import StrataTestSupport

@Suite("Exact Int64 sums in downsampling")
struct ExactIntegerSumTests {
    /// Every combination of chunk statistics on and off.
    static func downsample(_ store: Store, metric: String, step: Int64, statistics: Bool) throws -> DownsampleResult {
        var options = DownsampleOptions(step: step)
        options.usesChunkStatistics = statistics
        return try store.downsample(device: "d", metric: metric, options: options)
    }

    @Test("sum(2^53 + 1, 1) is 2^53 + 2 and the mean is exact, from the head, a segment and its statistics")
    func beyondDoublePrecision() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "i", timestamps: [0, 1], values: [Int64(9_007_199_254_740_993), 1])
        for flushed in [false, true] {
            if flushed { try store.flush() }
            for statistics in [true, false] {
                let bucket = try #require(try Self.downsample(store, metric: "i", step: 1000, statistics: statistics).buckets.first)
                #expect(bucket.integerSum == 9_007_199_254_740_994, "flushed \(flushed), statistics \(statistics)")
                #expect(bucket.mean == 4_503_599_627_370_497, "flushed \(flushed), statistics \(statistics)")
            }
        }
    }

    @Test("Values near ±2^63, sums past the Int64 range, mixed with small chunks: equal to a 128-bit reference")
    func nearTheLimits() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.pointsPerChunk = 16
        let store = try Store(at: directory.path, configuration: configuration)
        var random = SeededGenerator(seed: 16)
        var reference: [Int64: Int128] = [:]
        var counts: [Int64: Int] = [:]
        let step: Int64 = 64
        // Bucket by bucket a different magnitude: small (statistics may answer), huge, at the limits.
        for bucket in Int64(0)..<12 {
            let times = (0..<Int64(32)).map { bucket * step + $0 * 2 }
            let values: [Int64] = times.map { _ in
                switch bucket % 4 {
                case 0: Int64(random.next() % 2001) - 1000
                case 1: .max - Int64(random.next() % 3)
                case 2: .min + Int64(random.next() % 3)
                default: Int64(bitPattern: random.next())
                }
            }
            try store.append(device: "d", metric: "i", timestamps: times, values: values)
            reference[bucket * step] = values.reduce(Int128(0)) { $0 + Int128($1) }
            counts[bucket * step] = values.count
            if bucket % 3 == 2 { try store.flush() }
        }
        for statistics in [true, false] {
            let result = try Self.downsample(store, metric: "i", step: step, statistics: statistics)
            #expect(result.buckets.count == reference.count)
            for bucket in result.buckets {
                let expected = try #require(reference[bucket.start])
                let count = try #require(counts[bucket.start])
                #expect(bucket.integerSum == expected, "bucket \(bucket.start), statistics \(statistics)")
                #expect(bucket.sum == Double(expected))
                #expect(bucket.mean == BucketAccumulator.mean(ofIntegerSum: expected, count: count))
                let mean = try #require(bucket.mean)
                #expect(abs(mean - Double(expected) / Double(count)) <= 2 * mean.ulp, "bucket \(bucket.start): mean \(mean)")
            }
            if statistics {
                // The small buckets' chunks still come from statistics; the huge ones are decoded.
                #expect(result.chunksFromStatistics > 0 && result.chunksDecoded > 0)
            }
        }
    }

    @Test("A Float64 series has no integer sum; its sum is unchanged")
    func floatSeries() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "f", timestamps: [0, 1, 2], values: [0.1, 0.2, .nan])
        let bucket = try #require(try Self.downsample(store, metric: "f", step: 1000, statistics: true).buckets.first)
        #expect(bucket.integerSum == nil)
        #expect(abs(bucket.sum - 0.3) < 1e-15)
        #expect(bucket.valueCount == 2)
    }
}

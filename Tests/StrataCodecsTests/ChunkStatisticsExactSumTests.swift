import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct ChunkStatisticsExactSumTests {
    static let limit: Int64 = 1 << 53

    @Test("The stored sum is taken as exact only while every partial sum is within ±2^53")
    func boundary() {
        let cases: [(values: [Int64], exact: Int128?)] = [
            ([], 0),
            ([Self.limit], Int128(Self.limit)),
            ([-Self.limit], -Int128(Self.limit)),
            ([Self.limit / 2, Self.limit / 2], Int128(Self.limit)),
            ([1, 2, 3, -7], -1),
            ([Self.limit, 1], nil),  // 2^53 + 1 is no Double: the stored sum was rounded
            ([Self.limit / 2 + 1, Self.limit / 2], nil),
            ([.max], nil),
            ([.min], nil),  // |Int64.min| is 2^63, computed without overflow
            ([.min, .max, .min], nil),
        ]
        for (values, exact) in cases {
            let statistics = ChunkStatisticsTests.integer(values)
            #expect(statistics.exactIntegerSum == exact, "\(values)")
        }
    }

    @Test("Within the bound the exact sum equals the 128-bit sum of the values")
    func equalsReference() {
        var random = SeededGenerator(seed: 0x9E37_79B9_7F4A_7C15)
        for size in [1, 2, 17, 1000, 4096] {
            let magnitude = Int64(1) << 53 / Int64(size)
            let values: [Int64] = (0..<size).map { _ in
                Int64(bitPattern: random.next() >> 1) % (2 * magnitude + 1) - magnitude
            }
            let statistics = ChunkStatisticsTests.integer(values)
            #expect(statistics.exactIntegerSum == values.reduce(Int128(0)) { $0 + Int128($1) }, "size \(size)")
        }
    }

    @Test("A damaged entry (negative count, fractional sum) gives no exact sum instead of trapping")
    func damagedEntries() {
        var statistics = ChunkStatisticsTests.integer([1, 2])
        statistics.valueCount = -1
        #expect(statistics.exactIntegerSum == nil)
        statistics = ChunkStatisticsTests.integer([1, 2])
        statistics.sum = 2.5
        #expect(statistics.exactIntegerSum == nil)
        statistics.sum = .nan
        #expect(statistics.exactIntegerSum == nil)
    }
}

import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct ChunkStatisticsTests {
    /// Straightforward reference: sort-free scans written for clarity, not speed.
    static func naiveFloat(_ values: [Double]) -> (min: UInt64, max: UInt64, sum: Double) {
        let numbers = values.filter { !$0.isNaN }
        guard !numbers.isEmpty else { return (0x7FF8_0000_0000_0000, 0x7FF8_0000_0000_0000, 0) }
        // Total order puts -0.0 before +0.0, which is exactly the contract.
        let minimum = numbers.min { $0.isTotallyOrdered(belowOrEqualTo: $1) && $0.bitPattern != $1.bitPattern }!
        let maximum = numbers.max { $0.isTotallyOrdered(belowOrEqualTo: $1) && $0.bitPattern != $1.bitPattern }!
        return (minimum.bitPattern, maximum.bitPattern, neumaier(numbers))
    }

    static func neumaier(_ values: [Double]) -> Double {
        var sum = 0.0, c = 0.0
        for x in values {
            let t = sum + x
            c += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
            sum = t
        }
        return sum.isFinite ? sum + c : sum
    }

    static func float(_ values: [Double]) -> ChunkStatistics {
        let times = (0..<values.count).map { Int64($0) * 10 + 5 }
        return times.withUnsafeBufferPointer { t in values.withUnsafeBufferPointer { ChunkStatistics.float(timestamps: t, values: $0) } }
    }

    static func integer(_ values: [Int64]) -> ChunkStatistics {
        let times = (0..<values.count).map { Int64($0) * 10 + 5 }
        return times.withUnsafeBufferPointer { t in values.withUnsafeBufferPointer { ChunkStatistics.integer(timestamps: t, values: $0) } }
    }

    @Test func floatStatisticsMatchNaiveComputation() {
        for size in boundarySizes where size > 0 {
            for (name, values) in floatShapes(count: size, seed: UInt64(size)) {
                let stats = Self.float(values)
                let naive = Self.naiveFloat(values)
                #expect(stats.count == size)
                #expect(stats.minTime == 5 && stats.maxTime == Int64(size - 1) * 10 + 5)
                #expect(stats.minBits == naive.min && stats.maxBits == naive.max, "\(name) \(size)")
                #expect(stats.sum.bitPattern == naive.sum.bitPattern || (stats.sum.isNaN && naive.sum.isNaN), "\(name) \(size)")
                #expect(stats.firstBits == values[0].bitPattern && stats.lastBits == values[size - 1].bitPattern)
            }
        }
    }

    @Test func zerosAndNaNsAreDeterministic() {
        for values: [Double] in [[0.0, -0.0], [-0.0, 0.0], [.nan, 0.0, .nan, -0.0]] {
            let stats = Self.float(values)
            #expect(stats.minBits == (-0.0).bitPattern && stats.maxBits == (0.0).bitPattern)
        }
        let allNaN = Self.float([.nan, .signalingNaN, Double(bitPattern: 0xFFF8_0000_0000_0001)])
        #expect(allNaN.minBits == 0x7FF8_0000_0000_0000 && allNaN.maxBits == 0x7FF8_0000_0000_0000 && allNaN.sum == 0)
        #expect(allNaN.firstBits == Double.nan.bitPattern && allNaN.lastBits == 0xFFF8_0000_0000_0001)
        let empty = Self.float([])
        #expect(empty.count == 0 && empty.minFloat.isNaN && empty.maxFloat.isNaN && empty.sum == 0)
        #expect(Self.float([.infinity, 1, 2]).sum == .infinity)
        #expect(Self.float([.infinity, -.infinity]).sum.isNaN)
        #expect(Self.float([1, .nan, 2]).sum == 3)
    }

    @Test func compensationKeepsSmallTerms() {
        // Plain summation loses every 1.0 next to 1e100; Neumaier keeps them.
        let stats = Self.float([1e100, 1.0, -1e100, 1.0])
        #expect(stats.sum == 2)
    }

    @Test func branchFreeSummationMatchesNeumaierBitForBit() {
        // Random signs and exponents from subnormal to near overflow, so the addend is
        // often the larger term: the case where Neumaier's branch takes its other side.
        var random = SeededGenerator(seed: 2026)
        for round in 0..<200 {
            let values = (0..<(1 + round * 7)).map { _ -> Double in
                let exponent = Int(random.next() % 2_000) - 1_070
                let significand = 1 + Double(random.next() >> 12) * 0x1p-52
                let magnitude = Double(sign: .plus, exponent: exponent, significand: significand)
                return random.next() & 1 == 0 ? magnitude : -magnitude
            }
            let stats = Self.float(values)
            let expected = Self.neumaier(values)
            #expect(stats.sum.bitPattern == expected.bitPattern || (stats.sum.isNaN && expected.isNaN), "round \(round)")
            if stats.sum.isFinite && values.count > 1 {
                let mean = stats.sum / Double(values.count)
                let m2 = Self.neumaier(values.map { ($0 - mean) * ($0 - mean) })
                #expect(stats.m2.bitPattern == m2.bitPattern || (stats.m2.isNaN && m2.isNaN), "round \(round)")
            }
        }
    }

    @Test func integerStatisticsMatchNaiveComputation() {
        for size in boundarySizes where size > 0 {
            for (name, values) in integerShapes(count: size, seed: UInt64(size) + 1) {
                let stats = Self.integer(values)
                #expect(stats.minInt == values.min()! && stats.maxInt == values.max()!, "\(name)")
                #expect(stats.firstInt == values[0] && stats.lastInt == values[size - 1])
                #expect(stats.sum.bitPattern == Self.neumaier(values.map(Double.init)).bitPattern, "\(name)")
            }
        }
        // Exact where Double is exact.
        #expect(Self.integer((1...1000).map { Int64($0) }).sum == 500_500)
        let empty = Self.integer([])
        #expect(empty.count == 0 && empty.minInt == .max && empty.maxInt == .min && empty.sum == 0)
    }

    @Test func accessorsReadBitPatterns() {
        let stats = ChunkStatistics(count: 1, minTime: 1, maxTime: 2, minBits: (-1.5).bitPattern, maxBits: UInt64(bitPattern: -7),
                                    firstBits: 0, lastBits: UInt64.max, sum: 0, valueCount: 1, m2: 0)
        #expect(stats.minFloat == -1.5 && stats.maxInt == -7 && stats.firstFloat == 0 && stats.lastInt == -1)
    }

    @Test func valueCountAndSquaredDeviationsMatchANaiveComputation() {
        var random = SeededGenerator(seed: 77)
        for size in [1, 2, 3, 100, 1024] {
            var values = (0..<size).map { _ in Double(Int64(random.next() % 2_000_001) - 1_000_000) / 1000 }
            if size > 3 { values[1] = .nan; values[size - 2] = .nan }
            let times = (0..<size).map(Int64.init)
            let stats = times.withUnsafeBufferPointer { t in values.withUnsafeBufferPointer { ChunkStatistics.float(timestamps: t, values: $0) } }
            let finite = values.filter { !$0.isNaN }
            let mean = finite.reduce(0, +) / Double(finite.count)
            let m2 = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            #expect(stats.valueCount == finite.count)
            #expect(abs(stats.m2 - m2) <= 1e-9 * max(1, m2))
        }
        let ints: [Int64] = [1, 2, 3, 4]
        let times: [Int64] = [0, 1, 2, 3]
        let stats = times.withUnsafeBufferPointer { t in ints.withUnsafeBufferPointer { ChunkStatistics.integer(timestamps: t, values: $0) } }
        #expect(stats.valueCount == 4 && stats.m2 == 5)
    }
}

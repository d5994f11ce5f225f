import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct TimestampCodecTests {
    @Test func roundTripsEveryShapeAndSize() throws {
        for size in boundarySizes {
            for (name, values) in integerShapes(count: size, seed: UInt64(size) &* 31 &+ 7) {
                let encoded = TimestampCodec.encode(values)
                #expect(encoded.count <= TimestampCodec.maxEncodedSize(count: size), "\(name) \(size)")
                let decoded = try TimestampCodec.decode(encoded, count: size)
                #expect(decoded == values, "\(name) size \(size)")
            }
        }
    }

    @Test func emptyAndSingleAreHeaderOnly() throws {
        #expect(TimestampCodec.encode([]).isEmpty)
        #expect(try TimestampCodec.decode([], count: 0).isEmpty)
        // 1 zigzags to 2: a single varint byte.
        #expect(TimestampCodec.encode([1]) == [2])
        #expect(try TimestampCodec.decode([2], count: 1) == [1])
    }

    @Test func everyPrefixCodeBoundaryRoundTrips() throws {
        let dods: [Int64] = [0, 1, -1, 63, -64, 64, -65, 255, -256, 256, -257, 2047, -2048, 2048, -2049,
                             Int64(Int32.max), Int64(Int32.min), Int64(Int32.max) + 1, Int64(Int32.min) - 1,
                             Int64.max, Int64.min]
        for dod in dods {
            // Three points give exactly one bitstream code carrying `dod`.
            let values: [Int64] = [100, 200, 300 &+ dod]
            #expect(try TimestampCodec.decode(TimestampCodec.encode(values), count: 3) == values, "dod \(dod)")
        }
    }

    @Test func codeWidthsMatchTheFormat() {
        // Header for [0, 1, ...]: varint(0), scale varint(1), varint(zigzag 1): 3 bytes.
        // A first delta of 1 keeps the scale at 1, so each dod is coded as given.
        #expect(TimestampCodec.encode([0, 1, 2]).count == 3 + 1) // one `0` bit padded to a byte
        #expect(TimestampCodec.encode([0, 1, 2 + 63]) == [0, 1, 2, 0b1001_1111, 0b1000_0000])
        #expect(TimestampCodec.encode([0, 1, 2 - 64]).count == 3 + 2)   // 9 bits
        #expect(TimestampCodec.encode([0, 1, 2 + 255]).count == 3 + 2)  // 12 bits
        #expect(TimestampCodec.encode([0, 1, 2 + 2047]).count == 3 + 2) // 16 bits
        #expect(TimestampCodec.encode([0, 1, 2 + 2048]).count == 3 + 5) // 37 bits
        #expect(TimestampCodec.encode([0, 1, 2 &+ Int64.max]).count == 3 + 9) // 70 bits, and no scale (overflow)
    }

    @Test func runCodeIsUsedFromEightZeros() {
        let seven = (0..<9).map { Int64($0) * 5 }   // 7 zero dods: seven single bits
        let eight = (0..<10).map { Int64($0) * 5 }  // 8 zero dods: one 16-bit run code
        #expect(TimestampCodec.encode(seven).count == 3 + 1)
        // Header: first 0, scale 5, first scaled delta 1 (zigzag 2).
        #expect(TimestampCodec.encode(eight) == [0, 5, 2, 0b1111_1100, 0b0000_0111])
        // 1026 zero dods: a 1024 run plus two single bits.
        let long = (0..<1028).map { Int64($0) * 5 }
        #expect(TimestampCodec.encode(long) == [0, 5, 2, 0b1111_1111, 0b1111_1111, 0b0000_0000])
    }

    @Test func deltasAreScaledByTheirCommonDivisor() throws {
        // Readings every 5 or 10 minutes in milliseconds: scale 300,000, dods of ±1 fit 9 bits.
        var random = SeededGenerator(seed: 11)
        var time: Int64 = 1_436_486_400_000
        let values = (0..<1000).map { _ in
            time += (random.next() % 3 == 0 ? 600_000 : 300_000)
            return time
        }
        let encoded = TimestampCodec.encode(values)
        #expect(try TimestampCodec.decode(encoded, count: values.count) == values)
        #expect(Double(encoded.count * 8) / 1000 < 8, "\(Double(encoded.count * 8) / 1000) bits/point")
        // Any common divisor, negative deltas, unsorted input.
        let unsorted: [Int64] = [900, 300, 1200, -600, 0, 0, 3000]
        #expect(try TimestampCodec.decode(TimestampCodec.encode(unsorted), count: unsorted.count) == unsorted)
        // The scale, 300, is the varint after the first timestamp (zigzag 900 = 1800: two bytes).
        let header = Array(TimestampCodec.encode(unsorted)[2..<4])
        #expect(header == [0x80 | UInt8(300 & 0x7F), UInt8(300 >> 7)])
    }

    @Test func regularTimestampsCostUnderATenthOfABitPerPoint() {
        let values = (0..<1024).map { 1_700_000_000_000 + Int64($0) * 15_000 }
        let encoded = TimestampCodec.encode(values)
        let bitsPerPoint = Double(encoded.count * 8) / 1024
        #expect(bitsPerPoint < 0.1, "\(bitsPerPoint) bits/point")
    }

    @Test func everyTruncatedPrefixThrows() {
        for (name, values) in integerShapes(count: 300, seed: 9) {
            let encoded = TimestampCodec.encode(values)
            for length in 0..<encoded.count {
                // Each code needs its own bits, so no proper prefix can supply 300 points.
                #expect(throws: CodecError.self, "\(name): prefix \(length)") {
                    try TimestampCodec.decode(Array(encoded[0..<length]), count: values.count)
                }
            }
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SeededGenerator(seed: 1234)
        var outcomes: [CorruptInputOutcome] = []
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<64, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let count = Int.random(in: 0..<2000, using: &rng)
            outcomes.append(expectCountOrCodecError(TimestampCodec.self, bytes, count: count))
        }
        #expect(outcomes.contains(.decoded) && outcomes.contains(.rejected))
    }

    @Test func overlongRunThrows() {
        // Header [0, 10] then a run code of 1024 zeros, but only 5 points requested.
        #expect(throws: CodecError.self) { try TimestampCodec.decode([0, 20, 0xFF, 0xFF], count: 5) }
        // Unterminated varint.
        #expect(throws: CodecError.self) { try TimestampCodec.decode([0x80, 0x80], count: 1) }
        #expect(throws: CodecError.self) { try TimestampCodec.decode([UInt8](repeating: 0xFF, count: 11), count: 1) }
    }

    @Test func decodesIntoLargerBuffers() throws {
        let values = (0..<129).map { Int64($0) * 7 }
        let encoded = TimestampCodec.encode(values)
        var out = [Int64](repeating: -1, count: 200)
        try encoded.withUnsafeBytes { raw in
            try out.withUnsafeMutableBufferPointer { try TimestampCodec.decode(raw, count: 129, into: $0) }
        }
        #expect(Array(out[0..<129]) == values)
        #expect(out[129...].allSatisfy { $0 == -1 })
    }
}

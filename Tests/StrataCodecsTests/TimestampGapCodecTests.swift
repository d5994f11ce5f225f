import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct TimestampGapCodecTests {
    /// The form a chunk of two or more points was written in (layout byte bits 4...5).
    static func form(of encoded: [UInt8]) -> UInt8 { (encoded[0] >> 4) & 0b11 }

    /// A seeded series sampled every `step` with readings missing: gaps of
    /// one to a few steps mostly, now and then a long outage, optionally a
    /// few jittered readings.
    static func regularWithGaps(count: Int, step: Int64, gapChance: Int, jitter: Bool, seed: UInt64) -> [Int64] {
        var rng = SeededGenerator(seed: seed)
        var time: Int64 = 1_362_067_200_000
        var values: [Int64] = []
        values.reserveCapacity(count)
        for _ in 0..<count {
            values.append(time)
            var delta = step
            if Int.random(in: 0..<gapChance, using: &rng) == 0 {
                let missing: Int64 = switch Int.random(in: 0..<10, using: &rng) {
                case 0..<6: 1
                case 6..<8: Int64.random(in: 2...3, using: &rng)
                case 8: Int64.random(in: 4...300, using: &rng)
                default: Int64.random(in: 301...100_000, using: &rng)
                }
                delta &+= missing &* step
            }
            if jitter && Int.random(in: 0..<50, using: &rng) == 0 { delta &+= Int64.random(in: -999...999, using: &rng) }
            time &+= delta
        }
        return values
    }

    @Test func roundTripsEveryShapeAndSize() throws {
        for size in boundarySizes {
            for (name, values) in integerShapes(count: size, seed: UInt64(size) &* 131 &+ 5) {
                let encoded = TimestampGapCodec.encode(values)
                #expect(encoded.count <= TimestampGapCodec.maxEncodedSize(count: size), "\(name) \(size)")
                #expect(try TimestampGapCodec.decode(encoded, count: size) == values, "\(name) size \(size)")
                // The header can cost a byte more than the old codec's, the streams never more.
                #expect(encoded.count <= TimestampCodec.encode(values).count + 1, "\(name) size \(size)")
            }
        }
    }

    @Test func roundTripsRegularSeriesWithGapsOfEverySize() throws {
        var seed: UInt64 = 1
        for step: Int64 in [1, 1000, 60_000, 300_000, 3_600_000, 86_400_000] {
            for gapChance in [2, 10, 150, 2000] {
                for jitter in [false, true] {
                    for count in [2, 3, 17, 1000, 1024, 4097] {
                        seed &+= 1
                        let values = Self.regularWithGaps(count: count, step: step, gapChance: gapChance, jitter: jitter, seed: seed)
                        let encoded = TimestampGapCodec.encode(values)
                        let label = "step \(step), gap 1/\(gapChance), jitter \(jitter), count \(count)"
                        #expect(encoded.count <= TimestampGapCodec.maxEncodedSize(count: count), "\(label)")
                        #expect(try TimestampGapCodec.decode(encoded, count: count) == values, "\(label)")
                        #expect(encoded.count <= TimestampCodec.encode(values).count + 1, "\(label)")
                    }
                }
            }
        }
    }

    @Test func everyGapLengthRoundTrips() throws {
        // One gap of `missing` steps inside a regular hour grid, for gap codes of every length.
        let hour: Int64 = 3_600_000
        var missingCounts: [Int64] = Array(1...70)
        for shift in 7..<40 { missingCounts.append(contentsOf: [(1 << shift) - 1, 1 << shift, (1 << shift) + 1]) }
        for missing in missingCounts {
            var values = (0..<40).map { 1_400_000_000_000 + Int64($0) * hour }
            for index in 20..<40 { values[index] += missing * hour }
            let encoded = TimestampGapCodec.encode(values)
            #expect(try TimestampGapCodec.decode(encoded, count: values.count) == values, "missing \(missing)")
            #expect(Self.form(of: encoded) == 1, "missing \(missing)")
        }
    }

    @Test func extremesRoundTrip() throws {
        let cases: [[Int64]] = [
            [.min, .max], [.max, .min], [0, .min], [.min, .min, .min], [.max, .max],
            [.min, .max, .min, .max, .min], [.max, .max - 1, .max - 2, .min],
            [-1, 0, 1, .max, .min, 0], [.min + 1, .min, .min + 1],
            (0..<50).map { Int64.max - Int64($0) * 3_600_000 },
            (0..<50).map { Int64.min + Int64($0) * 7 },
            (0..<50).map { $0 % 10 == 9 ? .min : Int64($0) * 1000 },
            [5, 5, 5, 5, 6, 6, 6, 6, 6], [10, 0, 10, 0, 10, 0, 10],
        ]
        for values in cases {
            let encoded = TimestampGapCodec.encode(values)
            #expect(encoded.count <= TimestampGapCodec.maxEncodedSize(count: values.count))
            #expect(try TimestampGapCodec.decode(encoded, count: values.count) == values, "\(values)")
        }
    }

    @Test func emptyAndSingleAreHeaderOnly() throws {
        #expect(TimestampGapCodec.encode([]).isEmpty)
        #expect(try TimestampGapCodec.decode([], count: 0).isEmpty)
        // 1 zigzags to 2: a single varint byte, as in the old codec.
        #expect(TimestampGapCodec.encode([1]) == [2])
        #expect(try TimestampGapCodec.decode([2], count: 1) == [1])
    }

    @Test func constantStepIsHeaderOnly() throws {
        // Hourly milliseconds: layout (exponent 5, constant, start scaled, step 1),
        // mantissa 36, start 1,362,067,200,000 / 3,600,000 = 378,352 (zigzag 756,704: three bytes).
        let hourly = (0..<1024).map { 1_362_067_200_000 + Int64($0) * 3_600_000 }
        let encoded = TimestampGapCodec.encode(hourly)
        #expect(encoded == [0b1100_0101, 36, 0xE0, 0x97, 0x2E])
        #expect(try TimestampGapCodec.decode(encoded, count: 1024) == hourly)
        // Duplicates and a descending series are constant too.
        #expect(TimestampGapCodec.encode([7, 7, 7, 7]) == [0b0100_0000, 1, 14, 0])
        let descending: [Int64] = [30, 20, 10, 0, -10]
        let encodedDescending = TimestampGapCodec.encode(descending)
        #expect(encodedDescending == [0b0100_0001, 1, 6, 1]) // scale 10, start 3, step −1
        #expect(try TimestampGapCodec.decode(encodedDescending, count: 5) == descending)
    }

    @Test func gridCodesMatchTheFormat() throws {
        // Deltas 1, 1, 2, 1, 1: step 1, a run of 2, a one-step gap, a run of 2.
        // Layout: exponent 0, grid, start scaled, step 1. Bits: order 0000, run 011, gap 0, run 011.
        let values: [Int64] = [0, 1, 2, 4, 5, 6]
        let encoded = TimestampGapCodec.encode(values)
        #expect(encoded == [0b1101_0000, 1, 0, 0b0000_0110, 0b0110_0000])
        #expect(try TimestampGapCodec.decode(encoded, count: values.count) == values)
        // Deltas 1, 1, 5, 1: runs 2 and 1 (011, 010) around a gap of 4 missing steps,
        // `10` + Exp-Golomb(4 − 2) = 10 011.
        let wider: [Int64] = [0, 1, 2, 7, 8]
        #expect(TimestampGapCodec.encode(wider) == [0b1101_0000, 1, 0, 0b0000_0111, 0b0011_0100])
        // An exception: delta 1 + 9 after runs; `110` + 8-bit 9 costs 11 bits.
        let odd: [Int64] = [0, 1, 2, 12, 13, 14]
        let encodedOdd = TimestampGapCodec.encode(odd)
        #expect(try TimestampGapCodec.decode(encodedOdd, count: odd.count) == odd)
        #expect(Self.form(of: encodedOdd) == 1)
    }

    @Test func driftingStepsUseTheDeltaOfDeltaForm() throws {
        // Every delta differs from the last by one: no majority step, dods of ±1.
        var time: Int64 = 1_700_000_000_000
        let values = (0..<500).map { index -> Int64 in time += 1000 + Int64(index % 40); return time }
        let encoded = TimestampGapCodec.encode(values)
        #expect(Self.form(of: encoded) == 2)
        #expect(try TimestampGapCodec.decode(encoded, count: values.count) == values)
        // The same stream as the old codec's, behind the one-byte-longer header.
        #expect(encoded.count == TimestampCodec.encode(values).count + 1)
    }

    @Test func beijingExcerptTakesSixteenBytesInsteadOfThirtyNine() throws {
        // Station Dongsi from 2014-12-22, 1,010 hourly readings (one time chunk of
        // the beijing data set): the old codec takes 39 bytes. Deltas in hours
        // that are not 1, by delta index: 18 at 128, 2 at 223, 318, 894, 929 and 986.
        let gaps: [Int: Int64] = [128: 18, 223: 2, 318: 2, 894: 2, 929: 2, 986: 2]
        var time: Int64 = 1_419_206_400_000
        var values: [Int64] = [time]
        for deltaIndex in 0..<1009 {
            time += (gaps[deltaIndex] ?? 1) * 3_600_000
            values.append(time)
        }
        let encoded = TimestampGapCodec.encode(values)
        #expect(TimestampCodec.encode(values).count == 39)
        #expect(try TimestampGapCodec.decode(encoded, count: values.count) == values)
        #expect(Self.form(of: encoded) == 1)
        // Header 5 bytes (layout, mantissa 36, start in hours); stream 81 bits: order 4,
        // seven runs at order 6 61, the 17-step gap 11, five one-step gaps 5.
        #expect(encoded.count == 16)
        let bitsPerTimestamp = Double(encoded.count * 8) / Double(values.count)
        #expect(bitsPerTimestamp < 0.13, "\(bitsPerTimestamp) bits per timestamp")
    }

    @Test func everyTruncatedPrefixThrows() {
        var inputs = integerShapes(count: 300, seed: 19)
        inputs.append(("gaps", Self.regularWithGaps(count: 300, step: 3_600_000, gapChance: 20, jitter: true, seed: 3)))
        for (name, values) in inputs {
            let encoded = TimestampGapCodec.encode(values)
            for length in 0..<encoded.count {
                // Every byte of an encoding holds bits the decoder needs.
                #expect(throws: CodecError.self, "\(name): prefix \(length)") {
                    try TimestampGapCodec.decode(Array(encoded[0..<length]), count: values.count)
                }
            }
        }
    }

    @Test func randomAndMutatedBytesNeverCrash() {
        var rng = SeededGenerator(seed: 4321)
        var outcomes: [CorruptInputOutcome] = []
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<64, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            outcomes.append(expectCountOrCodecError(TimestampGapCodec.self, bytes, count: Int.random(in: 0..<2000, using: &rng)))
        }
        // Single bit flips of valid encodings of each form.
        let sources: [[Int64]] = [
            Self.regularWithGaps(count: 200, step: 60_000, gapChance: 15, jitter: true, seed: 8),
            (0..<200).map { Int64($0) * 1000 },
            (0..<200).map { Int64($0 * $0) },
        ]
        for values in sources {
            let encoded = TimestampGapCodec.encode(values)
            for bit in 0..<(encoded.count * 8) {
                var damaged = encoded
                damaged[bit / 8] ^= 1 << (bit % 8)
                outcomes.append(expectCountOrCodecError(TimestampGapCodec.self, damaged, count: values.count))
            }
        }
        #expect(outcomes.contains(.decoded) && outcomes.contains(.rejected))
    }

    @Test func malformedHeadersAndStreamsThrow() {
        // Layout with form 3.
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([0b0011_0000, 1, 0, 0], count: 3) }
        // Scale mantissa 0.
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([0b1000_0000, 0, 0], count: 3) }
        // Mantissa 2^62 times 10^15 overflows.
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([0b1000_1111, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0], count: 3) }
        // Start 2^62 (zigzag 2^63) times scale 10 overflows.
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([0b1100_0001, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], count: 3) }
        // No layout byte, unterminated varints.
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([], count: 2) }
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([0x80, 0x80], count: 1) }
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([0b1101_0000, 0x80], count: 2) }
        // Grid: order 0, then a run of 6 (gamma 00111) with only 4 points left.
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([0b1101_0000, 1, 0, 0b0000_0011, 0b1000_0000], count: 5) }
        // Grid: a gamma code of 64 zeros and more cannot be a run length.
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([0b1101_0000, 1, 0] + [UInt8](repeating: 0, count: 12), count: 5) }
        // Grid: run of 2 with order 15 whose low bits are missing.
        #expect(throws: CodecError.self) { try TimestampGapCodec.decode([0b1101_0000, 1, 0, 0b1111_1000], count: 5) }
    }

    @Test func decodesIntoLargerBuffers() throws {
        let values = Self.regularWithGaps(count: 129, step: 1000, gapChance: 9, jitter: false, seed: 12)
        let encoded = TimestampGapCodec.encode(values)
        var out = [Int64](repeating: -1, count: 200)
        try encoded.withUnsafeBytes { raw in
            try out.withUnsafeMutableBufferPointer { try TimestampGapCodec.decode(raw, count: 129, into: $0) }
        }
        #expect(Array(out[0..<129]) == values)
        #expect(out[129...].allSatisfy { $0 == -1 })
    }
}

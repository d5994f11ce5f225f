import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct GorillaFloatCodecTests {
    @Test func roundTripsEveryShapeBitForBit() throws {
        for size in boundarySizes {
            for (name, values) in floatShapes(count: size, seed: UInt64(size) &+ 99) {
                let encoded = GorillaFloatCodec.encode(values)
                #expect(encoded.count <= GorillaFloatCodec.maxEncodedSize(count: size))
                let decoded = try GorillaFloatCodec.decode(encoded, count: size)
                #expect(bitPatterns(decoded) == bitPatterns(values), "\(name) size \(size)")
            }
        }
    }

    @Test func randomWalksAcrossWindowsRoundTrip() throws {
        // Xors whose meaningful window starts at every position and has every length.
        var rng = SeededGenerator(seed: 77)
        var values: [Double] = [0]
        var bits: UInt64 = 0
        for leading in 0..<64 {
            for length in 1...(64 - leading) {
                let trailing = 64 - leading - length
                let top: UInt64 = 1 << UInt64(63 - leading)
                let mask: UInt64 = length == 64 ? .max : ((1 << UInt64(length)) - 1) << UInt64(trailing)
                let low: UInt64 = trailing == 0 ? 0 : 1 << UInt64(trailing)
                bits ^= (top | low | (rng.next() & mask)) & mask
                values.append(Double(bitPattern: bits))
            }
        }
        let decoded = try GorillaFloatCodec.decode(GorillaFloatCodec.encode(values), count: values.count)
        #expect(bitPatterns(decoded) == bitPatterns(values))
    }

    @Test func layoutMatchesTheFormat() {
        // 64 raw bits of 0, then `0` for the repeat, padded.
        #expect(GorillaFloatCodec.encode([0, 0]) == [0, 0, 0, 0, 0, 0, 0, 0, 0])
        // Xor of 1: `11` + leading 63 + length-1 0 + `1` = 11 111111 000000 1 → 0xFF 0x02 (15 bits + pad).
        #expect(GorillaFloatCodec.encode([0, Double(bitPattern: 1)]) == [0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x02])
        // Full 64-bit window: `11` + 000000 + 111111 + 64 ones.
        let full = GorillaFloatCodec.encode([0, Double(bitPattern: .max)])
        #expect(full.count == 8 + (2 + 12 + 64 + 7) / 8)
        #expect(full[8] == 0b1100_0000 && full[9] == 0b1111_1111)
        // Reusing the previous window costs `10` + window length.
        let reuse = GorillaFloatCodec.encode([0, Double(bitPattern: 0b110), Double(bitPattern: 0b010)])
        // 64 + (2 + 12 + 2) + (2 + 2) = 84 bits.
        #expect(reuse.count == 11)
    }

    @Test func specialValuesOneByOne() throws {
        for (_, values) in floatShapes(count: 23, seed: 5) where values.count == 23 {
            for value in values {
                for count in 1...3 {
                    let array = Array(repeating: value, count: count)
                    let decoded = try GorillaFloatCodec.decode(GorillaFloatCodec.encode(array), count: count)
                    #expect(bitPatterns(decoded) == bitPatterns(array))
                }
            }
        }
    }

    @Test func everyTruncatedPrefixThrows() {
        for (name, values) in floatShapes(count: 200, seed: 11) {
            let encoded = GorillaFloatCodec.encode(values)
            for length in 0..<encoded.count {
                #expect(throws: CodecError.self, "\(name): prefix \(length)") {
                    try GorillaFloatCodec.decode(Array(encoded[0..<length]), count: values.count)
                }
            }
        }
    }

    @Test func corruptInputNeverCrashes() {
        var rng = SeededGenerator(seed: 2024)
        var outcomes: [CorruptInputOutcome] = []
        // A `10` before any window, and a window wider than 64 bits, are rejected.
        #expect(throws: CodecError.self) { try GorillaFloatCodec.decode([0, 0, 0, 0, 0, 0, 0, 0, 0b1000_0000, 0], count: 2) }
        #expect(throws: CodecError.self) { try GorillaFloatCodec.decode([0, 0, 0, 0, 0, 0, 0, 0, 0b1111_1111, 0xFF, 0xFF, 0xFF], count: 2) }
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<80, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            outcomes.append(expectCountOrCodecError(GorillaFloatCodec.self, bytes, count: Int.random(in: 0..<500, using: &rng)))
        }
        // Bit flips in a valid encoding.
        let valid = GorillaFloatCodec.encode(floatShapes(count: 300, seed: 3)[4].1)
        for _ in 0..<2000 {
            var copy = valid
            copy[Int.random(in: 0..<copy.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            outcomes.append(expectCountOrCodecError(GorillaFloatCodec.self, copy, count: 300))
        }
        #expect(outcomes.contains(.decoded) && outcomes.contains(.rejected))
    }
}

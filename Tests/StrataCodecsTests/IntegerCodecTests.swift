import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct IntegerCodecTests {
    @Test func roundTripsEveryShapeAndSize() throws {
        for size in boundarySizes {
            for (name, values) in integerShapes(count: size, seed: UInt64(size) &+ 5) {
                let encoded = IntegerCodec.encode(values)
                #expect(encoded.count <= IntegerCodec.maxEncodedSize(count: size))
                #expect(try IntegerCodec.decode(encoded, count: size) == values, "\(name) size \(size)")
            }
        }
    }

    @Test func everyWidthRoundTrips() throws {
        var rng = SeededGenerator(seed: 8)
        for width in 0...64 {
            // Deltas whose zigzag needs exactly `width` bits, in several blocks.
            var value: Int64 = 0
            var values: [Int64] = [0]
            for _ in 0..<300 {
                let zigzag: UInt64 = width == 0 ? 0 : (1 << UInt64(width - 1)) | (rng.next() & (UInt64.max >> UInt64(64 - width)))
                value &+= ZigZag.decode(zigzag)
                values.append(value)
            }
            let encoded = IntegerCodec.encode(values)
            #expect(encoded[1] == UInt8(width))
            #expect(try IntegerCodec.decode(encoded, count: values.count) == values, "width \(width)")
        }
    }

    @Test func layoutMatchesTheFormat() {
        #expect(IntegerCodec.encode([]).isEmpty)
        #expect(IntegerCodec.encode([-1]) == [1])
        // Constant: one width-0 byte per block of 128 deltas.
        #expect(IntegerCodec.encode(Array(repeating: 7, count: 257)) == [14, 0, 0])
        // Deltas +1, -1 zigzag to 2, 1: width 2, bits 10 01 → 0x90.
        #expect(IntegerCodec.encode([5, 6, 5]) == [10, 2, 0b1001_0000])
        // Int64.min right after Int64.max is a delta of 1 (wrapping).
        #expect(IntegerCodec.encode([.max, .min]) == [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 2, 0b1000_0000])
    }

    @Test func everyTruncatedPrefixThrows() {
        for (name, values) in integerShapes(count: 300, seed: 13) {
            let encoded = IntegerCodec.encode(values)
            for length in 0..<encoded.count {
                #expect(throws: CodecError.self, "\(name): prefix \(length)") {
                    try IntegerCodec.decode(Array(encoded[0..<length]), count: values.count)
                }
            }
        }
    }

    @Test func corruptInputNeverCrashes() {
        #expect(throws: CodecError.self) { try IntegerCodec.decode([0, 65, 0, 0, 0, 0, 0, 0, 0, 0], count: 2) }
        var rng = SeededGenerator(seed: 99)
        var outcomes: [CorruptInputOutcome] = []
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<200, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            outcomes.append(expectCountOrCodecError(IntegerCodec.self, bytes, count: Int.random(in: 0..<400, using: &rng)))
        }
        #expect(outcomes.contains(.decoded) && outcomes.contains(.rejected))
    }
}

import Testing
@testable import StrataCodecs
import StrataTestSupport

/// Values whose bit patterns no decimal reproduces.
private let specialFloats: [Double] = [
    -0.0, .infinity, -.infinity, .nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF8_0000_DEAD_BEEF),
    .leastNonzeroMagnitude, .greatestFiniteMagnitude, 44.611999999999995, 0.1 + 0.2,
]

@Suite struct DecimalFloatCodecTests {
    @Test func roundTripsEveryShapeBitForBit() throws {
        for size in boundarySizes {
            for (name, values) in floatShapes(count: size, seed: UInt64(size) &+ 7) {
                let encoded = DecimalFloatCodec.encode(values)
                #expect(encoded.count <= DecimalFloatCodec.maxEncodedSize(count: size))
                let decoded = try DecimalFloatCodec.decode(encoded, count: size)
                #expect(bitPatterns(decoded) == bitPatterns(values), "\(name) size \(size)")
            }
        }
    }

    /// Sensor-like decimals with 0 to 6 digits after the point, plus every special value.
    @Test(arguments: 0...6)
    func decimalsWithSpecialValuesRoundTrip(digits: Int) throws {
        var random = SeededGenerator(seed: UInt64(digits) &+ 1000)
        var power = 1.0
        for _ in 0..<digits { power *= 10 }
        var values: [Double] = []
        var level = 20_000.0
        for index in 0..<5000 {
            level += Double(Int64(random.next() % 201) - 100)
            // The value a parser gives for the decimal text, as a sensor's reading arrives.
            var value = Double("\(Int64(level))e-\(digits)")!
            if index % 97 == 3 { value = specialFloats[Int(random.next() % UInt64(specialFloats.count))] }
            values.append(value)
        }
        let encoded = DecimalFloatCodec.encode(values)
        let decoded = try DecimalFloatCodec.decode(encoded, count: values.count)
        #expect(bitPatterns(decoded) == bitPatterns(values))
        // Far smaller than 64 bits a value: the exceptions are the specials only.
        #expect(encoded.count * 8 < values.count * 24, "\(encoded.count * 8 / values.count) bits per value, exponent \(encoded[0]), mode \(encoded[1]), width \(encoded[encoded[2] < 0x80 ? 3 : 4])")
    }

    @Test func chooseTheSmallestExactExponent() throws {
        #expect(digits(DecimalFloatCodec.encode([21.5, 21.6, 21.5])) == 1)
        #expect(digits(DecimalFloatCodec.encode([1013.25, 1013.5])) == 2)
        #expect(digits(DecimalFloatCodec.encode([300, 250, 1024])) == 0)
        // Not decimal at all: everything is an exception, whatever the exponent.
        let irrational = (1...50).map { Double($0).squareRoot() * .pi }
        #expect(try DecimalFloatCodec.decode(DecimalFloatCodec.encode(irrational), count: 50).map(\.bitPattern) == irrational.map(\.bitPattern))
    }

    @Test func edgeValuesRoundTrip() throws {
        let cases: [[Double]] = [
            [-0.0], [0.0, -0.0, 0.0], [.nan], [9_007_199_254_740_991, -9_007_199_254_740_991],
            [9_007_199_254_740_992, 1e300, 5e-324], [0.1, 0.2, 0.30000000000000004, 0.3],
            [44.611999999999995, 44.612], [44.611999999999995, 44.612, 44.613], [0.1 + 0.2, 0.4, 0.5, 0.1 + 0.2],
            [1e300, 44.611999999999995, 44.612], Array(repeating: 7.25, count: 1000),
            (0..<1000).map { Double($0) * 0.001 }, (0..<300).map { 1e-18 * Double($0) },
        ]
        for values in cases {
            let decoded = try DecimalFloatCodec.decode(DecimalFloatCodec.encode(values), count: values.count)
            #expect(bitPatterns(decoded) == bitPatterns(values), "\(values.prefix(4))")
        }
    }

    @Test func damagedInputIsAnErrorNotACrash() {
        let encoded = DecimalFloatCodec.encode((0..<100).map { Double($0) / 4 } + [.nan, .infinity])
        for cut in [0, 1, 3, 5, encoded.count / 2, encoded.count - 1] {
            #expect(throws: CodecError.self) { _ = try DecimalFloatCodec.decode(Array(encoded.prefix(cut)), count: 102) }
        }
        var badWidth = encoded
        badWidth[widthOffset(encoded)] = 60
        #expect(throws: CodecError.self) { _ = try DecimalFloatCodec.decode(badWidth, count: 102) }
        var badMode = encoded
        badMode[1] = 5
        #expect(throws: CodecError.self) { _ = try DecimalFloatCodec.decode(badMode, count: 102) }
        var badFactor = encoded
        #expect(badFactor[1] >= 2, "quarters multiply back exactly")
        badFactor[2] = badFactor[0] + 1
        #expect(throws: CodecError.self) { _ = try DecimalFloatCodec.decode(badFactor, count: 102) }
    }

    /// Digits after the point a chunk's integers carry: the exponent, less the factor in the multiply modes.
    private func digits(_ encoded: [UInt8]) -> Int {
        Int(encoded[0]) - (encoded[1] >= 2 ? Int(encoded[2]) : 0)
    }

    /// Where the width byte of an encoded chunk lies: after the exponent, the
    /// mode, the factor (multiply modes) and one or two varints.
    private func widthOffset(_ encoded: [UInt8]) -> Int {
        let mode = encoded[1]
        var offset = mode >= 2 ? 3 : 2
        for _ in 0..<(mode >= 3 ? 2 : 1) {
            while encoded[offset] & 0x80 != 0 { offset += 1 }
            offset += 1
        }
        return offset
    }

    /// Short decimals decode with multiplications (modes 2 and 3), which
    /// vectorise; the chosen exponent-and-factor pair reproduces every value.
    @Test func shortDecimalsUseTheMultiplyModes() throws {
        var random = SeededGenerator(seed: 42)
        for digits in 0...4 {
            var level = 5_000.0
            let values = (0..<1000).map { _ in
                level += Double(Int64(random.next() % 21) - 10)
                return Double("\(Int64(level))e-\(digits)")!
            }
            let encoded = DecimalFloatCodec.encode(values)
            #expect(encoded[1] == 2 || encoded[1] == 3, "digits \(digits): mode \(encoded[1])")
            #expect(Int(encoded[0]) - Int(encoded[2]) == digits, "digits \(digits): exponent \(encoded[0]) factor \(encoded[2])")
            let decoded = try DecimalFloatCodec.decode(encoded, count: values.count)
            #expect(bitPatterns(decoded) == bitPatterns(values))
        }
    }

    /// Chunks written by segment format 4 (modes 0 and 1, decoded by division)
    /// still decode: the bytes below are what that encoder wrote for
    /// [21.5, 21.6, 21.5].
    @Test func dividingModesOfFormatFourStillDecode() throws {
        let expected = [21.5, 21.6, 21.5]
        // exponent 1, zigzag deltas, base zigzag(215), width 2, no exceptions, deltas +1 -1 as 2, 1.
        let deltas: [UInt8] = [1, 1, 0xAE, 0x03, 2, 0, 0b0110]
        // exponent 1, frame of reference, base zigzag(215), width 1, no exceptions, 0 1 0.
        let frame: [UInt8] = [1, 0, 0xAE, 0x03, 1, 0, 0b010]
        #expect(try DecimalFloatCodec.decode(deltas, count: 3) == expected)
        #expect(try DecimalFloatCodec.decode(frame, count: 3) == expected)
    }

    /// Readings with eleven significant digits: products by the inexact 10^-e
    /// round the wrong way too often, so the chunk keeps the division (modes 0
    /// and 1), which reproduces them all.
    @Test(arguments: [6, 8, 10])
    func manySignificantDigitsKeepTheDivision(digits: Int) throws {
        var random = SeededGenerator(seed: UInt64(digits))
        var level: Int64 = 40_000_000_000
        let values = (0..<1000).map { _ -> Double in
            level += Int64(random.next() % 2001) - 1000
            return Double("\(level)e-\(digits)")!
        }
        let encoded = DecimalFloatCodec.encode(values)
        #expect(encoded[1] <= 1, "mode \(encoded[1])")
        #expect(encoded.count * 8 <= values.count * 12, "\(encoded.count * 8 / values.count) bits a value")
        #expect(bitPatterns(try DecimalFloatCodec.decode(encoded, count: values.count)) == bitPatterns(values))
    }

    /// A slow walk with rare jumps packs its small steps narrow and patches
    /// the jumps (mode 4), up and down, and still round-trips exactly.
    @Test func jumpsArePatchedNotPacked() throws {
        var random = SeededGenerator(seed: 77)
        for jumpEvery in [13, 50, 200] {
            var level = 10_000
            let values = (0..<1000).map { index -> Double in
                level += Int(random.next() % 5) - 2
                if index % jumpEvery == 7 { level += (index % 2 == 0 ? 1 : -1) * Int(5_000 + random.next() % 100_000) }
                return Double(level) / 100
            }
            let encoded = DecimalFloatCodec.encode(values)
            #expect(encoded[1] == 4, "jumps every \(jumpEvery): mode \(encoded[1])")
            let decoded = try DecimalFloatCodec.decode(encoded, count: values.count)
            #expect(bitPatterns(decoded) == bitPatterns(values))
            // Steps of ±2 hundredths need 3 bits; each jump adds a patch of a few bytes.
            let jumps = 1000 / jumpEvery + 1
            #expect(encoded.count <= 1000 * 3 / 8 + jumps * 5 + 24, "jumps every \(jumpEvery): \(encoded.count) bytes")
            // Damaged patches are errors: a count beyond the chunk, or a truncated list.
            for cut in [encoded.count - 1, encoded.count / 2] {
                #expect(throws: CodecError.self) { _ = try DecimalFloatCodec.decode(Array(encoded.prefix(cut)), count: 1000) }
            }
        }
    }

    /// Every mode and every packed width round-trips at counts around the
    /// eight-value groups of the decoding kernels.
    @Test func multiplyKernelsRoundTripEveryWidth() throws {
        var random = SeededGenerator(seed: 9)
        for width in 0...50 {
            for count in [1, 2, 7, 8, 9, 15, 16, 17, 64, 65, 1000, 1001] {
                let spread: UInt64 = width == 0 ? 0 : 1 << UInt64(width - 1)
                // Frame-of-reference friendly: random levels; delta friendly: a walk.
                var walk = 0.0
                let levels = (0..<count).map { _ in Double(Int64(bitPattern: random.next() % (spread * 2 + 1)) - Int64(spread)) / 100 }
                let steps = (0..<count).map { _ in
                    walk += Double(Int64(bitPattern: random.next() % (spread + 1))) / 10
                    return walk
                }
                // Patched: a narrow walk with a jump every 40 values.
                var jumpy = 0.0
                let jumps = (0..<count).map { index in
                    jumpy += Double(Int64(bitPattern: random.next() % 3) - 1) / 10 + (index % 40 == 39 ? Double(spread) : 0)
                    return jumpy
                }
                for values in [levels, steps, jumps] {
                    let encoded = DecimalFloatCodec.encode(values)
                    let decoded = try DecimalFloatCodec.decode(encoded, count: count)
                    #expect(bitPatterns(decoded) == bitPatterns(values), "width \(width) count \(count) mode \(encoded[1])")
                    // Decoding must not depend on bytes past the chunk: decode from an exact-size copy.
                    #expect(try DecimalFloatCodec.decode(Array(encoded), count: count).map(\.bitPattern) == values.map(\.bitPattern))
                }
            }
        }
    }

    @Test func bitPackingRoundTripsEveryWidth() {
        var random = SeededGenerator(seed: 5)
        for width in 0...56 {
            for count in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
                let mask: UInt64 = width == 0 ? 0 : (width == 64 ? .max : (1 << UInt64(width)) - 1)
                let values = (0..<count).map { _ in random.next() & mask }
                var bytes = [UInt8](repeating: 0xAA, count: BitPacking.byteCount(count: count, width: width) + 3)
                let end = bytes.withUnsafeMutableBytes { raw in
                    var writer = BitPackWriter(raw, offset: 3, width: width)
                    for value in values { writer.append(value) }
                    return writer.finish()
                }
                #expect(end == 3 + BitPacking.byteCount(count: count, width: width))
                // Read from an exact-size copy: nothing past the packed bytes may be touched.
                let exact = Array(bytes.prefix(end))
                var decoded = [UInt64](repeating: 0, count: count)
                exact.withUnsafeBytes { raw in
                    decoded.withUnsafeMutableBufferPointer { out in
                        if let base = out.baseAddress { BitPacking.unpack(raw, at: 3, count: count, width: width, into: base) }
                    }
                }
                #expect(decoded == values, "width \(width) count \(count)")
            }
        }
    }
}

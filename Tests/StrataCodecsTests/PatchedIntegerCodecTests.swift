import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct PatchedIntegerCodecTests {
    typealias Codec = PatchedIntegerCodec

    /// Encodes with a forced layout into a buffer large enough for any layout.
    static func encode(_ values: [Int64], forcing candidate: Codec.Candidate) -> [UInt8] {
        values.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: 16 * values.count + 64) { buffer, initialized in
                initialized = Codec.encode(source, into: UnsafeMutableRawBufferPointer(buffer), forcing: candidate)
            }
        }
    }

    static func mode(_ encoded: [UInt8]) -> Codec.Mode? {
        encoded.withUnsafeBytes { Codec.mode(ofEncoded: $0) }
    }

    /// Width and exception count of the single stream of a frame-of-reference or delta encoding.
    static func streamHeader(_ encoded: [UInt8]) throws -> (width: Int, exceptions: Int) {
        var offset = 1
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = try #require(offset < encoded.count ? encoded[offset] : nil)
                offset += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        for _ in 0..<(mode(encoded) == .delta ? 2 : 1) { _ = try varint() }
        let width = Int(try #require(offset < encoded.count ? encoded[offset] : nil))
        offset += 1
        return (width, Int(try varint()))
    }

    /// Low values with a few far outliers, above and below: what patching is for.
    static func spikyGauge(count: Int, seed: UInt64) -> [Int64] {
        var rng = SeededGenerator(seed: seed)
        var values = (0..<count).map { _ in 20_000 + Int64.random(in: -300...300, using: &rng) }
        for spike in [count / 5, count / 2, 4 * count / 5] where spike < count {
            values[spike] = spike == count / 2 ? -1 : 9_000_000_000
        }
        return values
    }

    /// A counter with random increments and three outliers: a reset to zero, and two one-sample glitches.
    static func counterWithOutliers(count: Int, seed: UInt64) -> [Int64] {
        var rng = SeededGenerator(seed: seed)
        var total: Int64 = 1_000_000
        var values = (0..<count).map { index -> Int64 in
            if index == count / 2 { total = 0 }
            total += Int64.random(in: 0..<100, using: &rng)
            return total
        }
        values[count / 5] = .max
        values[4 * count / 5] = -123_456_789_012
        return values
    }

    /// Runs of a few hundred values each, stepping between a handful of levels.
    static func longRuns(count: Int, seed: UInt64) -> [Int64] {
        var rng = SeededGenerator(seed: seed)
        var values: [Int64] = []
        while values.count < count {
            let level = [0, 1, 2, 5, 1_000_000][Int.random(in: 0..<5, using: &rng)]
            values.append(contentsOf: repeatElement(Int64(level), count: min(count - values.count, Int.random(in: 100...400, using: &rng))))
        }
        return values
    }

    static func allShapes(count: Int, seed: UInt64) -> [(String, [Int64])] {
        integerShapes(count: count, seed: seed) + [
            ("spiky-gauge", spikyGauge(count: count, seed: seed)),
            ("counter-outliers", count >= 5 ? counterWithOutliers(count: count, seed: seed) : []),
            ("long-runs", longRuns(count: count, seed: seed)),
        ]
    }

    @Test func roundTripsEveryShapeAndSize() throws {
        for size in boundarySizes {
            for (name, values) in Self.allShapes(count: size, seed: UInt64(size) &+ 11) {
                let encoded = Codec.encode(values)
                #expect(encoded.count <= Codec.maxEncodedSize(count: values.count), "\(name) size \(size)")
                #expect(try Codec.decode(encoded, count: values.count) == values, "\(name) size \(size)")
            }
        }
    }

    @Test(arguments: [Codec.Candidate.frameOfReferenceMinimum, .frameOfReferenceRobust, .deltaMinimum, .deltaRobust, .runLength])
    func everyLayoutRoundTripsEveryShape(candidate: Codec.Candidate) throws {
        for size in [1, 2, 3, 9, 64, 129, 1000] {
            for (name, values) in Self.allShapes(count: size, seed: UInt64(size) &* 7) where !values.isEmpty {
                let encoded = Self.encode(values, forcing: candidate)
                let expectedMode: Codec.Mode = switch candidate {
                case .frameOfReferenceMinimum, .frameOfReferenceRobust: .frameOfReference
                case .deltaMinimum, .deltaRobust: .delta
                case .runLength, .runLengths: .runLength
                }
                #expect(Self.mode(encoded) == expectedMode)
                #expect(try Codec.decode(encoded, count: values.count) == values, "\(name) size \(size) as \(candidate)")
            }
        }
    }

    @Test func randomMixesRoundTrip() throws {
        // Stretches of different shapes glued together, with random lengths and
        // occasional extremes: no layout fits the whole chunk.
        var rng = SeededGenerator(seed: 2026)
        for round in 0..<300 {
            let count = Int.random(in: 1...3000, using: &rng)
            var values: [Int64] = []
            var current = Int64.random(in: -1_000_000...1_000_000, using: &rng)
            while values.count < count {
                let length = min(count - values.count, Int.random(in: 1...400, using: &rng))
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: values.append(contentsOf: repeatElement(current, count: length))
                case 1: for _ in 0..<length { current &+= Int64.random(in: 0...50, using: &rng); values.append(current) }
                case 2: for _ in 0..<length { values.append(current &+ Int64.random(in: -5...5, using: &rng)) }
                case 3: for _ in 0..<length { values.append(Int64(bitPattern: rng.next())) }
                case 4: for _ in 0..<length { values.append([Int64.min, .max, 0, -1][Int.random(in: 0..<4, using: &rng)]) }
                default:
                    for _ in 0..<length {
                        current &+= Int64.random(in: -3...3, using: &rng)
                        values.append(Int.random(in: 0..<50, using: &rng) == 0 ? current &* 1_000_003 : current)
                    }
                }
            }
            let encoded = Codec.encode(values)
            #expect(encoded.count <= Codec.maxEncodedSize(count: count))
            #expect(try Codec.decode(encoded, count: count) == values, "round \(round)")
        }
    }

    @Test func everyPackedWidthRoundTrips() throws {
        var rng = SeededGenerator(seed: 17)
        for width in 0...64 {
            // Offsets from the minimum that need exactly `width` bits, so no exception pays off.
            let values = (0..<300).map { index -> Int64 in
                if width == 0 { return 42 }
                let top: UInt64 = 1 << UInt64(width - 1)
                let bits = index == 0 ? 0 : top | (rng.next() & (UInt64.max >> UInt64(64 - width)))
                return Int64.min &+ Int64(bitPattern: bits)
            }
            let encoded = Self.encode(values, forcing: .frameOfReferenceMinimum)
            #expect(try Self.streamHeader(encoded).width == width)
            #expect(try Codec.decode(encoded, count: values.count) == values, "width \(width)")
        }
    }

    @Test func layoutMatchesTheFormat() throws {
        #expect(Codec.encode([]).isEmpty)
        // Constant: the mode and zigzag(7) = 14.
        #expect(Codec.encode(Array(repeating: 7, count: 1000)) == [0, 14])
        #expect(Codec.encode([-1]) == [0, 1])
        // 5, 6, 5: frame of reference from 5 at width 1: offsets 0, 1, 0 → 0b010.
        #expect(Codec.encode([5, 6, 5]) == [2, 10, 1, 0, 0b010])
        // A step counter with a spike at position 5: deltas of 1 (the base) except
        // two exceptions at positions 4 and 5 of the 63 deltas; width 0, so only
        // the exceptions take bits: positions in 6 bits (4 | 5 << 6 = 0x144),
        // zigzagged highs in 21.
        var counter = (0..<64).map { Int64($0) }
        counter[5] = 1_000_000
        let encoded = Codec.encode(counter)
        #expect(Array(encoded.prefix(8)) == [3, 0, 2, 0, 2, 21, 0x44, 0x01])
        #expect(encoded.count == 14)
        #expect(try Codec.decode(encoded, count: 64) == counter)
    }

    @Test func constantChunksPickConstant() throws {
        for value in [Int64.min, -1, 0, 1, 1_700_000_000_000, .max] {
            let values = Array(repeating: value, count: 1000)
            let encoded = Codec.encode(values)
            #expect(Self.mode(encoded) == .constant)
            #expect(encoded.count <= 11)
            #expect(try Codec.decode(encoded, count: 1000) == values)
        }
    }

    @Test func longRunsPickRunLength() throws {
        let values = Self.longRuns(count: 4096, seed: 5)
        let encoded = Codec.encode(values)
        #expect(Self.mode(encoded) == .runLength)
        // About 16 runs: a few dozen bytes, far below a bit per value.
        #expect(encoded.count * 8 < values.count * 15 / 100)
        #expect(try Codec.decode(encoded, count: values.count) == values)
    }

    @Test func countersWithOutliersArePatched() throws {
        let values = Self.counterWithOutliers(count: 1000, seed: 9)
        let encoded = Codec.encode(values)
        #expect(Self.mode(encoded) == .delta)
        let header = try Self.streamHeader(encoded)
        // The reset and the two glitches give 5 deltas far off the rest: they are
        // patched, and the other deltas (0...99) pack in 7 bits.
        #expect(header.exceptions == 5)
        #expect(header.width == 7)
        // Without patching, one width must hold every delta from the base: 64 bits here.
        let deltas = zip(values.dropFirst(), values).map { $0 &- $1 }
        let unpatchedWidth = 64 - UInt64(bitPattern: deltas.max()! &- deltas.min()!).leadingZeroBitCount
        #expect(encoded.count < BitPacking.byteCount(count: values.count - 1, width: unpatchedWidth) / 4)
        #expect(encoded.count < BitPacking.byteCount(count: values.count - 1, width: 8) + 40)
        #expect(try Codec.decode(encoded, count: values.count) == values)
    }

    @Test func gaugesWithLowAndHighOutliersArePatched() throws {
        let values = Self.spikyGauge(count: 1000, seed: 4)
        let encoded = Codec.encode(values)
        #expect(Self.mode(encoded) == .frameOfReference)
        let header = try Self.streamHeader(encoded)
        // The -1 lies below the robust base, the two spikes above: all three patched,
        // and the 601 levels around 20,000 pack in 10 bits.
        #expect(header.exceptions == 3)
        #expect(header.width == 10)
        #expect(encoded.count < BitPacking.byteCount(count: values.count, width: 10) + 32)
        #expect(try Codec.decode(encoded, count: values.count) == values)
    }

    @Test func smallerThanTheOldCodecOnItsStrongShapes() {
        for (name, values) in [
            ("counter-outliers", Self.counterWithOutliers(count: 1000, seed: 1)),
            ("spiky-gauge", Self.spikyGauge(count: 1000, seed: 2)),
            ("long-runs", Self.longRuns(count: 1000, seed: 3)),
            ("constant", Array(repeating: Int64(12), count: 1000)),
        ] {
            #expect(Codec.encode(values).count < IntegerCodec.encode(values).count, "\(name)")
        }
    }

    @Test func everyTruncatedPrefixThrows() {
        for (name, values) in Self.allShapes(count: 300, seed: 13) {
            let encoded = Codec.encode(values)
            for length in 0..<encoded.count {
                #expect(throws: CodecError.self, "\(name): prefix \(length)") {
                    try Codec.decode(Array(encoded[0..<length]), count: values.count)
                }
            }
            #expect(throws: CodecError.self, "\(name): trailing byte") {
                try Codec.decode(encoded + [0], count: values.count)
            }
        }
    }

    @Test func malformedHeadersThrow() {
        let cases: [(String, [UInt8], Int)] = [
            ("unknown mode", [9, 0], 4),
            ("width above 64", [2, 0, 65, 0], 2),
            ("exceptions at width 64", [2, 0, 64, 1, 1] + Array(repeating: 0, count: 17), 2),
            ("more exceptions than values", [2, 0, 0, 3, 1, 0xFF], 2),
            ("exception width 0", [2, 0, 0, 1, 0, 0], 2),
            ("exception width above 64", [2, 0, 0, 1, 65, 0, 0], 2),
            // Two exceptions in a stream of 4: positions 1 then 1, in 2 bits each.
            ("positions not ascending", [2, 0, 0, 2, 1, 0b0101, 0b11], 4),
            // One exception in a stream of 3: position 3 in 2 bits.
            ("position past the end", [2, 0, 0, 1, 1, 0b11, 0b1], 3),
            ("no runs", [1, 0, 0, 0, 0, 0], 3),
            ("more runs than values", [1, 4, 0, 0, 0, 0, 0], 3),
            // Two runs of 1 + 3 values in a chunk of 3.
            ("runs overflow the chunk", [1, 2, 0, 0, 0, 2, 0, 0b1100], 3),
            // Two runs of 1 value each in a chunk of 3.
            ("runs fall short", [1, 2, 0, 0, 0, 0, 0], 3),
            ("varint too long", [0] + Array(repeating: 0xFF, count: 11), 1),
        ]
        for (name, bytes, count) in cases {
            #expect(throws: CodecError.self, "\(name)") { try Codec.decode(bytes, count: count) }
        }
        #expect(throws: CodecError.self) { try Codec.decode([0, 0], count: -1) }
    }

    @Test func corruptInputNeverCrashes() throws {
        var rng = SeededGenerator(seed: 99)
        var outcomes: [CorruptInputOutcome] = []
        for _ in 0..<5000 {
            let length = Int.random(in: 0..<200, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Mostly valid modes and small widths, so the decoder gets past the first checks.
            if length > 2 {
                bytes[0] = UInt8.random(in: 0...3, using: &rng)
                bytes[2] = UInt8.random(in: 0...70, using: &rng)
            }
            outcomes.append(expectCountOrCodecError(Codec.self, bytes, count: Int.random(in: 0..<400, using: &rng)))
        }
        // Single flipped bits of valid encodings: decode throws or yields some values, never traps.
        for (_, values) in Self.allShapes(count: 200, seed: 21) where !values.isEmpty {
            let encoded = Codec.encode(values)
            for bit in 0..<(encoded.count * 8) {
                var damaged = encoded
                damaged[bit / 8] ^= 1 << UInt8(bit % 8)
                outcomes.append(expectCountOrCodecError(Codec.self, damaged, count: values.count))
            }
        }
        // Both answers occur, so neither branch of the contract goes untested.
        #expect(outcomes.contains(.decoded) && outcomes.contains(.rejected))
    }

    @Test func unpackAnyWidthMatchesTheWriter() {
        var rng = SeededGenerator(seed: 31)
        for width in 0...64 {
            for count in [0, 1, 7, 8, 9, 65] {
                let mask = width == 0 ? 0 : UInt64.max >> UInt64(64 - width)
                let values = (0..<count).map { _ in rng.next() & mask }
                let size = BitPacking.byteCount(count: count, width: width)
                // Packed after 3 unrelated bytes, into exactly the bytes the values need.
                var bytes = [UInt8](repeating: 0xA5, count: 3 + size + 8)
                bytes.withUnsafeMutableBytes { raw in
                    var writer = BitPackWriter(raw, offset: 3, width: width)
                    for value in values { writer.append(value) }
                    #expect(writer.finish() == 3 + size)
                }
                let packed = Array(bytes[0..<(3 + size)])
                var unpacked = [UInt64](repeating: 1, count: count)
                packed.withUnsafeBytes { raw in
                    unpacked.withUnsafeMutableBufferPointer { out in
                        if let base = out.baseAddress { BitPacking.unpackAnyWidth(raw, at: 3, count: count, width: width, into: base) }
                    }
                }
                #expect(unpacked == values, "width \(width) count \(count)")
            }
        }
    }
}

import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct BitIOTests {
    @Test func randomWidthSequencesRoundTrip() throws {
        var rng = SeededGenerator(seed: 64)
        for round in 0..<200 {
            let fields = (0..<Int.random(in: 0..<300, using: &rng)).map { _ -> (UInt64, Int) in
                let width = round % 2 == 0 ? Int.random(in: 1...64, using: &rng) : [1, 56, 57, 63, 64].randomElement(using: &rng)!
                return (rng.next() & (UInt64.max >> UInt64(64 - width)), width)
            }
            let totalBits = fields.reduce(0) { $0 + $1.1 }
            var bytes = [UInt8](repeating: 0xAA, count: (totalBits + 7) / 8 + BitWriter.slack + 3)
            let used = bytes.withUnsafeMutableBytes { raw -> Int in
                var writer = BitWriter(raw, offset: 3)
                // High garbage above the width must be ignored.
                for (value, width) in fields { writer.write(width == 64 ? value : value | (UInt64.max << UInt64(width)), count: width) }
                return writer.finish()
            }
            #expect(used == 3 + (totalBits + 7) / 8)
            #expect(bytes[0..<3] == [0xAA, 0xAA, 0xAA])
            let encoded = Array(bytes[0..<used])
            try encoded.withUnsafeBytes { (raw) throws in
                var reader = BitReader(raw, offset: 3)
                for (value, width) in fields { #expect(try reader.readWide(width) == value) }
                // Only zero padding remains.
                let padding = (8 - totalBits % 8) % 8
                if padding > 0 { #expect(try reader.read(padding) == 0) }
                #expect(throws: CodecError.self) { try reader.read(1) }
            }
        }
    }

    @Test func msbFirstLayout() {
        var bytes = [UInt8](repeating: 0, count: 16)
        let used = bytes.withUnsafeMutableBytes { raw -> Int in
            var writer = BitWriter(raw, offset: 0)
            writer.write(0b1, count: 1)
            writer.write(0b01, count: 2)
            writer.write(0xFFFF_FFFF_FFFF_FFFF, count: 64)
            writer.write(0, count: 0)
            return writer.finish()
        }
        #expect(used == 9)
        #expect(Array(bytes[0..<9]) == [0b1011_1111, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0b1110_0000])
    }

    @Test func readingPastTheEndThrowsAtEverySize() {
        for size in 0..<20 {
            let bytes = [UInt8](repeating: 0x5A, count: size)
            bytes.withUnsafeBytes { raw in
                var reader = BitReader(raw, offset: 0)
                for _ in 0..<(size * 8) { _ = try? reader.read(1) }
                #expect(throws: CodecError.self) { try reader.read(1) }
                var wide = BitReader(raw, offset: 0)
                if size < 8 { #expect(throws: CodecError.self) { try wide.readWide(64) } }
            }
        }
    }
}

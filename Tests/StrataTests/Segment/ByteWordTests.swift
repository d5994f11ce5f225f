import Testing
@testable import Strata
import StrataTestSupport

/// `ByteWord` reads eight bytes of text at once: every operation must give what a
/// byte-by-byte reading gives, for any bytes, including those with the top bit set.
@Suite("Eight bytes at a time")
struct ByteWordTests {
    /// A word of random bytes, many of them drawn from `favourites` so that matches happen.
    private static func word(_ random: inout SeededGenerator, favourites: [UInt8]) -> [UInt8] {
        (0..<8).map { _ in
            random.next() % 2 == 0 ? favourites[Int(random.next() % UInt64(favourites.count))] : UInt8(truncatingIfNeeded: random.next())
        }
    }

    private static func load(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }

    @Test("matches marks exactly the bytes equal to the pattern's", arguments: 0..<4)
    func matches(seed: UInt64) {
        var random = SeededGenerator(seed: 2_400 + seed)
        for _ in 0..<5_000 {
            let target = UInt8(truncatingIfNeeded: random.next())
            let bytes = Self.word(&random, favourites: [target, target &+ 1, target &- 1, target ^ 0x80, 0x00, 0xFF])
            let marked = ByteWord.matches(Self.load(bytes), ByteWord.repeating(target))
            let expected = bytes.enumerated().reduce(UInt64(0)) { mask, entry in
                entry.element == target ? mask | (UInt64(0x80) << UInt64(entry.offset * 8)) : mask
            }
            #expect(marked == expected, "\(bytes) for \(target)")
            #expect(ByteWord.sumOfLanes(marked >> 7) == bytes.filter { $0 == target }.count)
        }
    }

    @Test("Eight digits are recognised and read as the decimal number they write", arguments: 0..<4)
    func eightDigits(seed: UInt64) {
        var random = SeededGenerator(seed: 2_500 + seed)
        for _ in 0..<5_000 {
            let bytes = Self.word(&random, favourites: Array(0x30...0x39) + [0x2F, 0x3A, 0x3F, 0x40, 0xB0, 0x00])
            let isDigits = bytes.allSatisfy { (0x30...0x39).contains($0) }
            #expect(ByteWord.isEightDigits(Self.load(bytes)) == isDigits, "\(bytes)")
            if isDigits {
                let expected = bytes.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) }
                #expect(ByteWord.valueOfEightDigits(Self.load(bytes)) == expected)
            }
        }
    }

    @Test("equal agrees with comparing byte by byte, at every length up to 40")
    func equal() {
        var random = SeededGenerator(seed: 2_600)
        for count in 0...40 {
            for _ in 0..<200 {
                let left = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next() % 3) }
                var right = left
                if count > 0 && random.next() % 2 == 0 { right[Int(random.next() % UInt64(count))] ^= UInt8(1 + random.next() % 255) }
                let same = left.withUnsafeBytes { l in right.withUnsafeBytes { r in ByteWord.equal(l.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, r.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, count: count) } }
                #expect(same == (left == right), "\(left) \(right)")
            }
        }
    }
}

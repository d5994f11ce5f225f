import Testing
@testable import Strata
import StrataTestSupport

/// `NumberText.parseInt64` reads up to 18 digits without overflow checks and longer
/// ones with them, 8 to 16 digits as two words: all must agree with the standard library on every text.
@Suite("Int64 text")
struct NumberTextInt64Tests {
    @Test("Random digit strings of every length, signed or not, parse as Int64(String) does", arguments: 0..<4)
    func agreesWithStandardLibrary(seed: UInt64) {
        var random = SeededGenerator(seed: 1_000 + seed)
        for _ in 0..<3_000 {
            let length = 1 + Int(random.next() % 21)
            var text = String((0..<length).map { _ in Character(String(random.next() % 10)) })
            switch random.next() % 4 {
            case 0: text = "-" + text
            case 1: text = "+" + text
            default: break
            }
            if random.next() % 10 == 0 {
                // A stray byte anywhere makes it no number.
                var bytes = Array(text.utf8)
                let strays: [UInt8] = [0x2F, 0x3A, 0x20, 0x2E, 0x00, 0x7F, 0x3F, 0x40, 0x2D, 0x2B, 0x0A]
                bytes[Int(random.next() % UInt64(bytes.count))] = strays[Int(random.next() % UInt64(strays.count))]
                text = String(decoding: bytes, as: UTF8.self)
            }
            #expect(NumberText.parseInt64(text) == Int64(text), "\(text)")
        }
    }

    @Test("The edges of the range and of the unchecked length")
    func edges() {
        let cases: [(String, Int64?)] = [
            ("999999999999999999", 999_999_999_999_999_999), ("-999999999999999999", -999_999_999_999_999_999),
            ("9223372036854775807", .max), ("-9223372036854775808", .min), ("9223372036854775808", nil),
            ("-9223372036854775809", nil), ("000000000000000000000001", 1), ("-0", 0), ("+", nil), ("-", nil), ("", nil),
        ]
        for (text, expected) in cases { #expect(NumberText.parseInt64(text) == expected, "\(text)") }
    }

    @Test("A field inside a longer run of digits is read from its own bytes only")
    func fieldInsideDigits() {
        let text = Array("98765432109876543210987654321".utf8)
        text.withUnsafeBytes { raw in
            for start in 0..<8 {
                for length in 1...18 where start + length <= raw.count {
                    let field = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    let expected = Int64(String(decoding: field, as: UTF8.self))
                    #expect(NumberText.parseInt64(field) == expected, "\(start) +\(length)")
                }
            }
        }
    }
}

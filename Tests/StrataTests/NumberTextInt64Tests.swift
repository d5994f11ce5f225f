import Testing
@testable import Strata

/// `NumberText.parseInt64` reads up to 18 digits without overflow checks and longer
/// ones with them: both must agree with the standard library on every text.
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
                bytes[Int(random.next() % UInt64(bytes.count))] = [0x2F, 0x3A, 0x20, 0x2E][Int(random.next() % 4)]
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
}

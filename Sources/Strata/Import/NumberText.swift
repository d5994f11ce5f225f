/// Exact text forms of numbers, shared by the importers and exporters; its
/// ``format(_:)`` is public so that a service prints values as `strata` does.
public enum NumberText {
    /// Parses an optionally signed decimal Int64, rejecting overflow and stray characters.
    package static func parseInt64(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var negative = false
        if bytes[0] == 0x2D || bytes[0] == 0x2B {
            negative = bytes[0] == 0x2D
            index = 1
            guard bytes.count > 1 else { return nil }
        }
        let digits = bytes.count - index
        // 8 to 16 digits (millisecond timestamps have 13): two words of eight.
        if digits >= 8 && digits <= 16 {
            guard let value = parseEightToSixteenDigits(bytes.baseAddress! + index, count: digits) else { return nil }
            return negative ? -value : value
        }
        // Up to 18 digits cannot overflow (10^18 - 1 < Int64.max): no check per digit.
        if digits <= 18 {
            var value: Int64 = 0
            while index < bytes.count {
                let digit = bytes[index] &- 48
                guard digit <= 9 else { return nil }
                value = value &* 10 &+ Int64(digit)
                index += 1
            }
            return negative ? -value : value
        }
        // Accumulate as a negative number so Int64.min parses.
        var value: Int64 = 0
        while index < bytes.count {
            let digit = Int64(bytes[index]) - 48
            guard digit >= 0 && digit <= 9 else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            guard !overflow1 && !overflow2 else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        guard value != .min else { return nil }
        return -value
    }

    /// The number written by the `count` (8 to 16) bytes at `start`, or nil unless
    /// all are digits: the last eight as one word, the ones before them as the last
    /// digits of another word whose first bytes are made `0`.
    @inline(__always)
    private static func parseEightToSixteenDigits(_ start: UnsafeRawPointer, count: Int) -> Int64? {
        let last = start.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        // The leading digits moved to the top of a word (the last bytes of its
        // text), `0`s shifted in below them; with 16 digits the shift is 0.
        let shift = UInt64(8 * (16 - count))
        let leading = (start.loadUnaligned(as: UInt64.self) << shift) | (ByteWord.repeating(0x30) >> (64 - shift))
        guard ByteWord.isEightDigits(last), ByteWord.isEightDigits(leading) else { return nil }
        // At most 16 digits: below 10^16, far from overflowing.
        return Int64(ByteWord.valueOfEightDigits(leading) &* 100_000_000 &+ ByteWord.valueOfEightDigits(last))
    }

    /// The same as the byte-span version, for a `String`: the integer, or nil when the text is not one or overflows.
    package static func parseInt64(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parseInt64(UnsafeRawBufferPointer($0)) }
    }

    /// Parses the common sensor form `[-+]digits[.digits]` with at most 15
    /// significant digits, or returns nil for anything else (the caller then
    /// uses `strtod`).
    ///
    /// With at most 15 digits the digits form an integer below 2^53, exact as a
    /// Double, and 10^k for k ≤ 22 is exact too, so one IEEE division gives
    /// the correctly rounded result, the same bits `strtod` returns (Clinger's
    /// fast path, "How to read floating point numbers accurately", PLDI 1990).
    static func parseShortDecimal(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let count = bytes.count
        guard count > 0, count <= 17 else { return nil }
        var index = 0
        let first = bytes[0]
        let negative = first == 0x2D
        if negative || first == 0x2B { index = 1 }
        // The integer digits, then, after a point, the fraction's: two tight loops.
        var mantissa: UInt64 = 0
        let integerStart = index
        while index < count {
            let digit = bytes[index] &- 0x30
            guard digit <= 9 else { break }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            index += 1
        }
        // "1." and ".5" are valid for strtod; the rare forms stay on that path.
        let integerDigits = index - integerStart
        guard integerDigits > 0 else { return nil }
        var fractionDigits = 0
        if index < count {
            guard bytes[index] == 0x2E, index + 1 < count else { return nil }
            index += 1
            let fractionStart = index
            while index < count {
                let digit = bytes[index] &- 0x30
                guard digit <= 9 else { return nil }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                index += 1
            }
            fractionDigits = index - fractionStart
        }
        guard integerDigits + fractionDigits <= 15 else { return nil }
        // Below 2^53, so the signed conversion (one instruction) is exact.
        let value = Double(Int64(bitPattern: mantissa)) / exactPowerOfTen(fractionDigits)
        return negative ? -value : value
    }

    /// 10^`exponent` for 0...15, all exact Doubles: a table the compiler lays out,
    /// read without the lazy initialisation a global array costs on every call.
    @inline(__always)
    private static func exactPowerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        default: 1e15
        }
    }

    /// Parses `nan(0x` + 16 hex digits + `)`: a NaN by its full bit pattern.
    static func parseNaNPattern(_ bytes: UnsafeRawBufferPointer) -> Double? {
        guard bytes.count == 23, bytes.prefix(6).elementsEqual("nan(0x".utf8), bytes[22] == 0x29 else { return nil }
        var bits: UInt64 = 0
        for index in 6..<22 {
            let byte = bytes[index]
            let digit: UInt64
            switch byte {
            case 0x30...0x39: digit = UInt64(byte - 0x30)
            case 0x61...0x66: digit = UInt64(byte - 0x61 + 10)
            case 0x41...0x46: digit = UInt64(byte - 0x41 + 10)
            default: return nil
            }
            bits = bits << 4 | digit
        }
        let value = Double(bitPattern: bits)
        return value.isNaN ? value : nil
    }

    /// The shortest text that reads back as exactly `value`'s bits: Swift's
    /// shortest round-trip decimal for numbers (`21.5`, `1e-05`, `-0.0`,
    /// `inf`), `nan` for the default quiet NaN, and `nan(0x…)` with the full
    /// bit pattern for any other NaN. Written by ``NumberBytes``.
    public static func format(_ value: Double) -> String {
        String(unsafeUninitializedCapacity: NumberBytes.maximumDoubleLength) { buffer in
            NumberBytes.write(value, to: UnsafeMutableRawPointer(buffer.baseAddress!))
        }
    }
}

/// Exact text forms of numbers, shared by the importers and exporters.
public enum NumberText {
    /// Parses an optionally signed decimal Int64, rejecting overflow and stray characters.
    public static func parseInt64(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var negative = false
        if bytes[0] == 0x2D || bytes[0] == 0x2B {
            negative = bytes[0] == 0x2D
            index = 1
            guard bytes.count > 1 else { return nil }
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

    public static func parseInt64(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parseInt64(UnsafeRawBufferPointer($0)) }
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
    /// bit pattern for any other NaN.
    public static func format(_ value: Double) -> String {
        if value.isNaN {
            if value.bitPattern == Double.nan.bitPattern { return "nan" }
            let hex = String(value.bitPattern, radix: 16)
            return "nan(0x" + String(repeating: "0", count: 16 - hex.count) + hex + ")"
        }
        return value.description
    }
}

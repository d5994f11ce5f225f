import Glibc

/// Why the text of a number was refused; each importer words the message.
enum NumberProblem: Error, Equatable {
    /// Not in the grammar: hexadecimal, stray characters, an empty field.
    case notANumber
    /// Finite digits that round to ±infinity (`1e999`); infinity must be written `inf`.
    case beyondRange
    /// Non-zero digits that round to zero (`1e-400`).
    case roundsToZero
    /// Longer than ``FloatText/maximumLength`` bytes.
    case tooLong

    /// The words after the value's text in a message.
    var explanation: String {
        switch self {
        case .notANumber: "is not a decimal number"
        case .beyondRange: "is beyond the Float64 range (write infinity as inf)"
        case .roundsToZero: "has non-zero digits but is too small for a Float64 and would become 0"
        case .tooLong: "is longer than \(FloatText.maximumLength) bytes"
        }
    }
}

/// The one float grammar of every importer:
///
///     [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
///
/// and, where the format has them, `inf`, `infinity`, `nan` (any case, optionally
/// signed) and `nan(0x` + 16 hex digits + `)` for a NaN's exact bits. Decimal only:
/// no hexadecimal floats. A decimal is read to the nearest Float64 (subnormals kept),
/// and refused when that rounding would turn it into an infinity or into zero.
enum FloatText {
    /// The longest number text read; `strtod` on longer texts only costs time.
    static let maximumLength = 1024

    /// What the grammar says about a decimal text, before its value is computed.
    struct DecimalShape {
        /// Whether any mantissa digit is not zero (so a zero result means underflow).
        var hasNonZeroDigit = false
    }

    /// Checks `text` against the decimal grammar; nil when it does not match.
    static func decimalShape(_ text: UnsafeRawBufferPointer) -> DecimalShape? {
        let count = text.count
        var index = 0
        if index < count, text[index] == 0x2B || text[index] == 0x2D { index += 1 }
        var shape = DecimalShape()
        var mantissaDigits = 0
        func digits() {
            while index < count, text[index] &- 0x30 <= 9 {
                if text[index] != 0x30 { shape.hasNonZeroDigit = true }
                index += 1
                mantissaDigits += 1
            }
        }
        digits()
        if index < count, text[index] == 0x2E {
            index += 1
            digits()
        }
        guard mantissaDigits > 0 else { return nil }
        if index < count, text[index] == 0x65 || text[index] == 0x45 {
            index += 1
            if index < count, text[index] == 0x2B || text[index] == 0x2D { index += 1 }
            let exponentStart = index
            while index < count, text[index] &- 0x30 <= 9 { index += 1 }
            guard index > exponentStart else { return nil }
        }
        return index == count ? shape : nil
    }

    /// The value of `inf`, `infinity` or `nan` in any case, optionally signed, else nil.
    static func parseWord(_ text: UnsafeRawBufferPointer) -> Double? {
        var start = 0
        var negative = false
        if let first = text.first, first == 0x2B || first == 0x2D {
            negative = first == 0x2D
            start = 1
        }
        let length = text.count - start
        guard length == 3 || length == 8 else { return nil }
        var lowered: [UInt8] = []
        lowered.reserveCapacity(length)
        for byte in text[start...] { lowered.append(byte | 0x20) }  // ASCII letters to lower case
        let value: Double
        switch lowered {
        case Array("inf".utf8), Array("infinity".utf8): value = .infinity
        case Array("nan".utf8): value = .nan
        default: return nil
        }
        return negative ? -value : value
    }
}

extension NumberScratch {
    /// The Double of `field` in the grammar of ``FloatText``, with the words `inf`,
    /// `nan` and the `nan(0x…)` patterns ``NumberText/format(_:)`` prints when
    /// `allowingWords` (CSV; line protocol has no such words).
    func parseDouble(_ field: UnsafeRawBufferPointer, allowingWords: Bool = true) throws(NumberProblem) -> Double {
        if let value = NumberText.parseShortDecimal(field) { return value }
        guard let shape = FloatText.decimalShape(field) else {
            if allowingWords {
                if let word = FloatText.parseWord(field) { return word }
                if let nan = NumberText.parseNaNPattern(field) { return nan }
            }
            throw .notANumber
        }
        guard field.count <= FloatText.maximumLength else { throw .tooLong }
        guard let value = parseWithStrtod(field) else { throw .notANumber }
        if value.isInfinite { throw .beyondRange }
        if value == 0 && shape.hasNonZeroDigit { throw .roundsToZero }
        return value
    }
}

/// Numbers written as ASCII bytes straight into memory, without `String`:
/// the same text as ``NumberText/format(_:)`` and `String(Int64)`, for
/// exporters that write millions of values.
///
/// Each writer stores its bytes at `destination` and returns how many it
/// wrote; the caller provides at least the documented maximum
/// (``maximumDoubleLength``, ``maximumInt64Length``, ``maximumInt128Length``).
///
/// ```swift
/// var bytes = [UInt8](repeating: 0, count: NumberBytes.maximumDoubleLength)
/// let count = bytes.withUnsafeMutableBytes { NumberBytes.write(21.5, to: $0.baseAddress!) }
/// // bytes[..<count] is "21.5"
/// ```
public enum NumberBytes {
    /// Room enough for any Double: the longest text is 24 bytes
    /// (`-2.2250738585072014e-308`); `nan(0x…)` is 23.
    public static let maximumDoubleLength = 32
    /// Room enough for any Int64: `-9223372036854775808` is 20 bytes.
    public static let maximumInt64Length = 20
    /// Room enough for any Int128: `-170141183460469231731687303715884105728` is 40 bytes.
    public static let maximumInt128Length = 40

    /// Writes `value` exactly as ``NumberText/format(_:)`` spells it:
    /// Swift's `description` for numbers (the shortest decimal that reads
    /// back as the same bits, closest to the value: `21.5`, `1.0`, `-0.0`,
    /// `1e-05`, `1e+16`, `5e-324`), `inf` and `-inf`, `nan` for the default
    /// quiet NaN and `nan(0x…)` with all 16 hex digits of any other NaN.
    ///
    /// The layout follows Swift's: a plain decimal with at least one digit
    /// after the point when the magnitude is at most 2^53 and at least 10^-4
    /// (counting by the shortest digits), otherwise `d.ddde±XX` with no point
    /// for one digit and at least two exponent digits.
    ///
    /// - Parameter destination: room for ``maximumDoubleLength`` bytes.
    /// - Returns: the number of bytes written, at most 24.
    public static func write(_ value: Double, to destination: UnsafeMutableRawPointer) -> Int {
        let bits = value.bitPattern
        let magnitude = bits & 0x7FFF_FFFF_FFFF_FFFF
        if magnitude >= 0x7FF0_0000_0000_0000 { return writeSpecial(bits, to: destination) }
        var out = destination
        if bits >> 63 != 0 {
            out.storeBytes(of: 0x2D, as: UInt8.self)
            out += 1
        }
        if magnitude == 0 {
            out.storeBytes(of: 0x30, as: UInt8.self)
            out.storeBytes(of: 0x2E, toByteOffset: 1, as: UInt8.self)
            out.storeBytes(of: 0x30, toByteOffset: 2, as: UInt8.self)
            return out - destination + 3
        }
        return out - destination + writeFinite(value, magnitudeBits: magnitude, to: out)
    }

    /// A nonzero finite magnitude (the sign is already written).
    private static func writeFinite(_ value: Double, magnitudeBits: UInt64, to out: UnsafeMutableRawPointer) -> Int {
        let decimal = ShortestDecimal(value)
        let count = digitCount(decimal.digits)
        // The exponent of the first digit: d.ddd × 10^scientific.
        let scientific = decimal.exponent + count - 1
        // 0x4340… is 2^53: Swift writes larger magnitudes, and those below 10^-4, in exponent form.
        if scientific < -4 || magnitudeBits > 0x4340_0000_0000_0000 {
            return writeExponential(decimal.digits, count: count, exponent: scientific, to: out)
        }
        if scientific < 0 {
            // 0.000ddd
            let zeros = -scientific - 1
            out.storeBytes(of: 0x30, as: UInt8.self)
            out.storeBytes(of: 0x2E, toByteOffset: 1, as: UInt8.self)
            (out + 2).initializeMemory(as: UInt8.self, repeating: 0x30, count: zeros)
            writeDigits(decimal.digits, count: count, to: out + 2 + zeros)
            return 2 + zeros + count
        }
        let integerDigits = scientific + 1
        if count <= integerDigits {
            // ddd000.0
            writeDigits(decimal.digits, count: count, to: out)
            (out + count).initializeMemory(as: UInt8.self, repeating: 0x30, count: integerDigits - count)
            (out + integerDigits).storeBytes(of: 0x2E, as: UInt8.self)
            (out + integerDigits + 1).storeBytes(of: 0x30, as: UInt8.self)
            return integerDigits + 2
        }
        // ddd.ddd: the digits one byte on, then the integer part moved back over the gap.
        writeDigits(decimal.digits, count: count, to: out + 1)
        // A few bytes: a loop, not a call to memmove.
        for index in 0..<integerDigits { out.storeBytes(of: out.load(fromByteOffset: index + 1, as: UInt8.self), toByteOffset: index, as: UInt8.self) }
        (out + integerDigits).storeBytes(of: 0x2E, as: UInt8.self)
        return count + 1
    }

    /// `d.ddde±XX`: one digit, the point and the rest when there is a rest, at least two exponent digits.
    private static func writeExponential(_ digits: UInt64, count: Int, exponent: Int, to out: UnsafeMutableRawPointer) -> Int {
        var length: Int
        if count == 1 {
            out.storeBytes(of: UInt8(truncatingIfNeeded: 0x30 &+ digits), as: UInt8.self)
            length = 1
        } else {
            writeDigits(digits, count: count, to: out + 1)
            out.storeBytes(of: out.load(fromByteOffset: 1, as: UInt8.self), as: UInt8.self)
            (out + 1).storeBytes(of: 0x2E, as: UInt8.self)
            length = count + 1
        }
        (out + length).storeBytes(of: 0x65, as: UInt8.self)
        (out + length + 1).storeBytes(of: exponent < 0 ? 0x2D : 0x2B, as: UInt8.self)
        let magnitude = exponent.magnitude
        let exponentDigits = magnitude >= 100 ? 3 : 2
        writeDigits(UInt64(magnitude), count: exponentDigits, to: out + length + 2)
        return length + 2 + exponentDigits
    }

    /// Infinities and NaNs: `inf`, `-inf`, `nan` for the default quiet NaN, else `nan(0x` + 16 hex digits + `)`.
    private static func writeSpecial(_ bits: UInt64, to out: UnsafeMutableRawPointer) -> Int {
        if bits & 0x7FFF_FFFF_FFFF_FFFF == 0x7FF0_0000_0000_0000 {
            var length = 0
            if bits >> 63 != 0 {
                out.storeBytes(of: 0x2D, as: UInt8.self)
                length = 1
            }
            storeASCII("inf", to: out + length)
            return length + 3
        }
        storeASCII("nan", to: out)
        if bits == Double.nan.bitPattern { return 3 }
        storeASCII("(0x", to: out + 3)
        let hex: StaticString = "0123456789abcdef"
        for index in 0..<16 {
            let nibble = Int(truncatingIfNeeded: (bits >> UInt64(60 - 4 * index)) & 0xF)
            (out + 6 + index).storeBytes(of: hex.utf8Start[nibble], as: UInt8.self)
        }
        (out + 22).storeBytes(of: 0x29, as: UInt8.self)
        return 23
    }

    private static func storeASCII(_ text: StaticString, to out: UnsafeMutableRawPointer) {
        out.copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
    }
}

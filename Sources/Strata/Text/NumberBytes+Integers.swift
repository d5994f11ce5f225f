extension NumberBytes {
    /// Writes `value` in decimal as `String(value)` does: `-` for a negative
    /// number, no leading zeros (`Int64.min` included).
    ///
    /// - Parameter destination: room for ``maximumInt64Length`` bytes.
    /// - Returns: the number of bytes written, at most 20.
    public static func write(_ value: Int64, to destination: UnsafeMutableRawPointer) -> Int {
        guard value < 0 else { return write(UInt64(value), to: destination) }
        destination.storeBytes(of: 0x2D, as: UInt8.self)
        return 1 + write(value.magnitude, to: destination + 1)
    }

    /// Writes `value` in decimal, no leading zeros.
    ///
    /// - Parameter destination: room for 20 bytes.
    /// - Returns: the number of bytes written, at most 20.
    public static func write(_ value: UInt64, to destination: UnsafeMutableRawPointer) -> Int {
        let count = digitCount(value)
        writeDigits(value, count: count, to: destination)
        return count
    }

    /// Writes `value` in decimal as `String(value)` does; exact sums of
    /// Int64 values that overflow 64 bits print in full.
    ///
    /// - Parameter destination: room for ``maximumInt128Length`` bytes.
    /// - Returns: the number of bytes written, at most 40.
    public static func write(_ value: Int128, to destination: UnsafeMutableRawPointer) -> Int {
        if let small = Int64(exactly: value) { return write(small, to: destination) }
        var out = destination
        if value < 0 {
            out.storeBytes(of: 0x2D, as: UInt8.self)
            out += 1
        }
        let magnitude = value.magnitude
        if let small = UInt64(exactly: magnitude) { return out - destination + write(small, to: out) }
        // Nineteen digits at a time: 10^19 is the largest power of ten below 2^64.
        let chunk: UInt128 = 10_000_000_000_000_000_000
        let low = UInt64(magnitude % chunk)
        let rest = magnitude / chunk
        var length: Int
        if let middle = UInt64(exactly: rest) {
            length = write(middle, to: out)
        } else {
            length = write(UInt64(rest / chunk), to: out)
            writeDigits(UInt64(rest % chunk), count: 19, to: out + length)
            length += 19
        }
        writeDigits(low, count: 19, to: out + length)
        return out - destination + length + 19
    }

    /// The number of decimal digits of `value` (1 for 0).
    @inline(__always)
    static func digitCount(_ value: UInt64) -> Int {
        if value < 100_000_000 {
            if value < 10_000 { return value < 100 ? (value < 10 ? 1 : 2) : (value < 1000 ? 3 : 4) }
            return value < 1_000_000 ? (value < 100_000 ? 5 : 6) : (value < 10_000_000 ? 7 : 8)
        }
        var count = 9
        var rest = value / 100_000_000
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }

    /// Writes exactly `count` digits of `value` (which must be below
    /// 10^count), with leading zeros, two digits at a time from a table of
    /// the pairs 00…99.
    @inline(__always)
    static func writeDigits(_ value: UInt64, count: Int, to start: UnsafeMutableRawPointer) {
        let pairs = digitPairs.utf8Start
        var end = start + count
        var remaining = count
        var rest = value
        while remaining >= 8 {
            // Eight digits as two halves of four, in 32-bit arithmetic.
            let quotient = rest / 100_000_000
            let eight = UInt32(truncatingIfNeeded: rest &- quotient &* 100_000_000)
            let upper = eight / 10_000, lower = eight &- upper &* 10_000
            storePair(pairs, Int(upper / 100), to: end - 8)
            storePair(pairs, Int(upper % 100), to: end - 6)
            storePair(pairs, Int(lower / 100), to: end - 4)
            storePair(pairs, Int(lower % 100), to: end - 2)
            rest = quotient
            end -= 8
            remaining -= 8
        }
        var small = UInt32(truncatingIfNeeded: rest)
        while remaining >= 2 {
            let quotient = small / 100
            storePair(pairs, Int(small &- quotient &* 100), to: end - 2)
            small = quotient
            end -= 2
            remaining -= 2
        }
        if remaining == 1 {
            (end - 1).storeBytes(of: UInt8(truncatingIfNeeded: 0x30 &+ small), as: UInt8.self)
        }
    }

    @inline(__always)
    private static func storePair(_ pairs: UnsafePointer<UInt8>, _ pair: Int, to out: UnsafeMutableRawPointer) {
        let bytes = UnsafeRawPointer(pairs + 2 &* pair).loadUnaligned(as: UInt16.self)
        out.storeBytes(of: bytes, as: UInt16.self)
    }

    /// "00", "01", … "99" back to back: the digit pair of n starts at 2n.
    private static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }
}

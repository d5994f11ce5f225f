/// How ``Store/writeTextRows(_:from:to:threads:_:)`` writes each point of one
/// series as a line of text: `prefix`, the timestamp in decimal milliseconds,
/// `separator`, the value, `suffix`.
///
/// The value is the exact text of ``NumberText/format(_:)`` for a Float64
/// series (`21.5`, `1e-05`, `nan`, `inf`, `nan(0x…)`) and the decimal
/// integer for an Int64 series. With ``quotesNonFiniteValues``, NaNs and
/// infinities are written between double quotes (JSON has no such numbers).
///
/// A CSV row `pump-1,temp,1700000000000,21.5`:
///
/// ```swift
/// let layout = TextRowLayout(series: key, prefix: Array("pump-1,temp,".utf8),
///                            separator: [UInt8(ascii: ",")], suffix: [UInt8(ascii: "\n")])
/// ```
public struct TextRowLayout: Sendable {
    /// The series whose points the rows hold.
    public var series: SeriesKey
    /// The bytes before the timestamp (device and metric, already quoted or escaped).
    public var prefix: [UInt8]
    /// The bytes between the timestamp and the value.
    public var separator: [UInt8]
    /// The bytes after the value, the line break included.
    public var suffix: [UInt8]
    /// Whether NaNs and infinities are written as `"nan"`, `"inf"`, `"-inf"`, `"nan(0x…)"`.
    public var quotesNonFiniteValues: Bool

    /// A layout; see the properties.
    public init(series: SeriesKey, prefix: [UInt8], separator: [UInt8], suffix: [UInt8], quotesNonFiniteValues: Bool = false) {
        self.series = series
        self.prefix = prefix
        self.separator = separator
        self.suffix = suffix
        self.quotesNonFiniteValues = quotesNonFiniteValues
    }

    /// Rows formatted per reservation: the buffer grows at most once a block.
    private static let blockRows = 1024

    /// Appends one row per point of `points` to `buffer`.
    public func append(_ points: SeriesPoints, to buffer: TextBuffer) {
        let integers = points.type == .int64
        let quotes = quotesNonFiniteValues
        let fixed = prefix.count + separator.count + suffix.count
        // 20 bytes the longest Int64, the value at most 32 and its quotes 2.
        let rowBound = fixed + NumberBytes.maximumInt64Length + NumberBytes.maximumDoubleLength + 2
        points.timestamps.withUnsafeBufferPointer { times in
            points.bits.withUnsafeBufferPointer { bits in
                prefix.withUnsafeBytes { prefix in
                    separator.withUnsafeBytes { separator in
                        suffix.withUnsafeBytes { suffix in
                            var row = 0
                            while row < times.count {
                                let end = min(times.count, row + Self.blockRows)
                                buffer.append(atMost: (end - row) * rowBound) { start in
                                    var out = start
                                    for index in row..<end {
                                        out = Self.copy(prefix, to: out)
                                        out += NumberBytes.write(times[index], to: out)
                                        out = Self.copy(separator, to: out)
                                        out = Self.writeValue(bits[index], integer: integers, quotes: quotes, to: out)
                                        out = Self.copy(suffix, to: out)
                                    }
                                    return out - start
                                }
                                row = end
                            }
                        }
                    }
                }
            }
        }
    }

    /// Copies a short run of bytes with two overlapping loads and stores
    /// (a call to memmove costs more than the copy for a separator of one byte).
    @inline(__always)
    private static func copy(_ bytes: UnsafeRawBufferPointer, to out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let count = bytes.count
        guard let source = bytes.baseAddress else { return out }
        switch count {
        case 1:
            out.storeBytes(of: source.load(as: UInt8.self), as: UInt8.self)
        case 2...3:
            out.storeBytes(of: source.loadUnaligned(as: UInt16.self), as: UInt16.self)
            (out + count - 2).storeBytes(of: source.loadUnaligned(fromByteOffset: count - 2, as: UInt16.self), as: UInt16.self)
        case 4...8:
            out.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
            (out + count - 4).storeBytes(of: source.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self), as: UInt32.self)
        case 9...16:
            out.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
            (out + count - 8).storeBytes(of: source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self), as: UInt64.self)
        case 17...32:
            out.storeBytes(of: source.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
            (out + count - 16).storeBytes(of: source.loadUnaligned(fromByteOffset: count - 16, as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
        default:
            out.copyMemory(from: source, byteCount: count)
        }
        return out + count
    }

    @inline(__always)
    private static func writeValue(_ bits: UInt64, integer: Bool, quotes: Bool, to out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        if integer { return out + NumberBytes.write(Int64(bitPattern: bits), to: out) }
        // Exponent all ones: an infinity or a NaN.
        guard quotes && bits & 0x7FF0_0000_0000_0000 == 0x7FF0_0000_0000_0000 else {
            return out + NumberBytes.write(Double(bitPattern: bits), to: out)
        }
        out.storeBytes(of: 0x22, as: UInt8.self)
        let count = NumberBytes.write(Double(bitPattern: bits), to: out + 1)
        (out + 1 + count).storeBytes(of: 0x22, as: UInt8.self)
        return out + count + 2
    }
}

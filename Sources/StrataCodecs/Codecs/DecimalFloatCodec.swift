/// Decimal-aware compression of `Double` columns: sensor readings are mostly
/// decimals with few digits (21.5, 1013.2, 0.06), which Gorilla's XOR coding
/// stores in 30 to 50 bits. This codec finds, per chunk, the smallest decimal
/// exponent *e* for which `Double(n) / 10^e` gives back each value bit for
/// bit from an integer *n*, and bit-packs those integers; the values no *n*
/// reproduces (NaN, infinities, -0.0, 44.611999999999995, anything beyond
/// 2⁵³ / 10^e) are kept whole as exceptions, so every bit pattern round-trips.
///
/// The idea follows ALP (Afroozeh, Kuffó and Boncz, "ALP: Adaptive Lossless
/// floating-Point Compression", SIGMOD 2024): choose the exponent on a sample,
/// store integers with frame of reference and bit-packing, patch exceptions.
/// Unlike ALP it decodes with one correctly rounded division by an exact
/// power of ten, which reproduces every value that was parsed from a decimal
/// with at most *e* digits after the point, so no second factor is needed.
///
/// Format (on disk; never change it without a new ``ColumnCodec``):
///
/// ```
/// exponent <u8>                 e, 0...18
/// mode <u8>                     0: frame of reference, 1: deltas
/// base <zvarint>                FOR: the smallest n; deltas: the first n
/// width <u8>                    bits per packed value, 0...56
/// exceptionCount <varint>
/// packed                        FOR: n − base for every value; deltas: zigzag(nᵢ − nᵢ₋₁)
///                               for i ≥ 1; LSB-first, ⌈k·width / 8⌉ bytes
/// exception*                    positionGap <varint> (from the previous exception's
///                               position + 1, or from 0), bits <u64 little-endian>
/// ```
///
/// An exception's slot in the packed integers holds the previous value's n
/// (or the first valid n), so it costs no width.
public enum DecimalFloatCodec {
    /// The largest exponent tried: 10^18 is exact in a `Double`, and values
    /// with more digits gain nothing over their 64-bit patterns.
    public static let maximumExponent = 18

    @usableFromInline
    static let powersOfTen: [Double] = (0...18).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// 2⁵³: integers below it are exact in a `Double`.
    @usableFromInline
    static let exactLimit = 9_007_199_254_740_992.0

    public static func maxEncodedSize(count: Int) -> Int {
        let count = max(count, 0)
        return 1 + 1 + 10 + 1 + 10 + BitPacking.byteCount(count: count, width: 56) + count * (10 + 8) + 8
    }

    /// The integer whose division by 10^exponent gives back `value` bit for bit, if any.
    @inline(__always)
    static func integer(_ value: Double, exponent: Int, power: Double) -> Int64? {
        let scaled = value * power
        // Also false for NaN and ±infinity.
        guard scaled.magnitude < exactLimit else { return nil }
        let rounded = Int64(scaled.rounded(.toNearestOrEven))
        guard (Double(rounded) / power).bitPattern == value.bitPattern else { return nil }
        return rounded
    }

    /// The smallest exponent that leaves the fewest exceptions on a sample of `values`.
    static func chooseExponent(_ values: UnsafeBufferPointer<Double>) -> Int {
        let count = values.count
        let samples = min(count, 64)
        let stride = max(1, count / samples)
        var best = 0
        var bestFailures = Int.max
        for exponent in 0...maximumExponent {
            let power = powersOfTen[exponent]
            var failures = 0
            var index = 0
            while index < count && failures < bestFailures {
                if integer(values[index], exponent: exponent, power: power) == nil { failures += 1 }
                index += stride
            }
            if failures < bestFailures {
                best = exponent
                bestFailures = failures
                if failures == 0 { break }
            }
        }
        return best
    }

    /// Encodes `values` into `output` and returns the bytes written.
    ///
    /// `output` must hold at least ``maxEncodedSize(count:)`` bytes.
    /// - Complexity: O(n) in three passes, no allocation.
    public static func encode(_ values: UnsafeBufferPointer<Double>, into output: UnsafeMutableRawBufferPointer) -> Int {
        let count = values.count
        if count == 0 { return 0 }
        precondition(output.count >= maxEncodedSize(count: count), "DecimalFloatCodec: output smaller than maxEncodedSize")
        let exponent = chooseExponent(values)
        let power = powersOfTen[exponent]

        // Pass 1: the range of n and of its deltas, and the exceptions.
        var first: Int64? = nil
        for value in values {
            if let n = integer(value, exponent: exponent, power: power) { first = n; break }
        }
        var previous = first ?? 0
        var minimum = previous, maximum = previous
        var maximumZigzag: UInt64 = 0
        var exceptions = 0
        for index in 0..<count {
            let n = integer(values[index], exponent: exponent, power: power)
            if n == nil { exceptions += 1 }
            let current = n ?? previous
            minimum = min(minimum, current)
            maximum = max(maximum, current)
            if index > 0 { maximumZigzag = max(maximumZigzag, ZigZag.encode(current &- previous)) }
            previous = current
        }
        let forWidth = 64 - UInt64(bitPattern: maximum &- minimum).leadingZeroBitCount
        let deltaWidth = 64 - maximumZigzag.leadingZeroBitCount
        let usesDeltas = (count - 1) * deltaWidth < count * forWidth
        let width = usesDeltas ? deltaWidth : forWidth
        let base = usesDeltas ? (first ?? 0) : minimum

        var writer = ByteWriterInto(output)
        writer.write(UInt8(exponent))
        writer.write(UInt8(usesDeltas ? 1 : 0))
        writer.writeVarUInt(ZigZag.encode(base))
        writer.write(UInt8(width))
        writer.writeVarUInt(UInt64(exceptions))

        // Pass 2: the packed integers.
        var packer = BitPackWriter(output, offset: writer.position, width: width)
        previous = first ?? 0
        for index in 0..<count {
            let current = integer(values[index], exponent: exponent, power: power) ?? previous
            if usesDeltas {
                if index > 0 { packer.append(ZigZag.encode(current &- previous)) }
            } else {
                packer.append(UInt64(bitPattern: current &- base))
            }
            previous = current
        }
        writer.position = packer.finish()

        // Pass 3: the exceptions, whole.
        if exceptions > 0 {
            var next = 0
            for index in 0..<count where integer(values[index], exponent: exponent, power: power) == nil {
                writer.writeVarUInt(UInt64(index - next))
                writer.write(values[index].bitPattern)
                next = index + 1
            }
        }
        return writer.position
    }

    /// Decodes exactly `count` values from `input` into `output`.
    ///
    /// Throws ``CodecError`` when the input is truncated or malformed; never
    /// reads outside `input`.
    /// - Complexity: O(n), no allocation.
    public static func decode(_ input: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutableBufferPointer<Double>) throws(CodecError) {
        guard count >= 0 else { throw CodecError("negative value count \(count)") }
        precondition(output.count >= count, "DecimalFloatCodec: output smaller than count")
        if count == 0 { return }
        guard let out = output.baseAddress else { throw CodecError("no output buffer") }
        var reader = ByteReader(input)
        let exponent: Int, usesDeltas: Bool, base: Int64, width: Int, exceptions: Int
        do {
            exponent = Int(try reader.readUInt8())
            let mode = try reader.readUInt8()
            base = ZigZag.decode(try reader.readVarUInt())
            width = Int(try reader.readUInt8())
            let declared = try reader.readVarUInt()
            guard exponent <= maximumExponent else { throw CodecError("decimal exponent \(exponent) is above \(maximumExponent)") }
            guard mode <= 1 else { throw CodecError("unknown decimal mode \(mode)") }
            guard width <= 56 else { throw CodecError("decimal width \(width) is above 56 bits") }
            guard declared <= UInt64(count) else { throw CodecError("\(declared) exceptions for \(count) values") }
            usesDeltas = mode == 1
            exceptions = Int(declared)
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError("decimal chunk header is truncated")
        }
        let packedCount = usesDeltas ? count - 1 : count
        let packedBytes = BitPacking.byteCount(count: packedCount, width: width)
        guard reader.offset + packedBytes <= input.count else { throw CodecError("decimal chunk is truncated in its packed integers") }
        // Unpack into the output's storage, then turn each integer into its value in place.
        let raw = UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt64.self)
        let power = powersOfTen[exponent]
        if usesDeltas {
            BitPacking.unpack(input, at: reader.offset, count: packedCount, width: width, into: raw + 1)
            var current = base
            raw[0] = UInt64(bitPattern: current)
            for index in 1..<count {
                current = current &+ ZigZag.decode(raw[index])
                raw[index] = UInt64(bitPattern: current)
            }
        } else {
            BitPacking.unpack(input, at: reader.offset, count: count, width: width, into: raw)
            for index in 0..<count { raw[index] = raw[index] &+ UInt64(bitPattern: base) }
        }
        if exponent == 0 {
            for index in 0..<count { out[index] = Double(Int64(bitPattern: raw[index])) }
        } else {
            for index in 0..<count { out[index] = Double(Int64(bitPattern: raw[index])) / power }
        }
        reader.offset += packedBytes
        do {
            var position = 0
            for _ in 0..<exceptions {
                let gap = try reader.readVarUInt()
                guard gap < UInt64(count - position) else { throw CodecError("decimal exception position is beyond the chunk") }
                position += Int(gap)
                out[position] = Double(bitPattern: try reader.readUInt64())
                position += 1
            }
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError("decimal chunk is truncated in its exceptions")
        }
    }
}

extension DecimalFloatCodec: ColumnBufferCodec {}

/// Little-endian writes at a moving offset of a caller's buffer (the buffer
/// is sized by the codec's `maxEncodedSize`).
struct ByteWriterInto {
    let output: UnsafeMutableRawBufferPointer
    var position = 0

    init(_ output: UnsafeMutableRawBufferPointer) { self.output = output }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        output.storeBytes(of: byte, toByteOffset: position, as: UInt8.self)
        position += 1
    }

    @inline(__always)
    mutating func write(_ value: UInt64) {
        output.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt64.self)
        position += 8
    }

    mutating func writeVarUInt(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            write(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        write(UInt8(remaining))
    }
}

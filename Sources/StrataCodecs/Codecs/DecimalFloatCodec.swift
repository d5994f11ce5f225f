/// Decimal-aware compression of `Double` columns: sensor readings are mostly
/// decimals with few digits (21.5, 1013.2, 0.06), which Gorilla's XOR coding
/// stores in 30 to 50 bits. This codec finds, per chunk, the smallest decimal
/// exponent *e* for which `Double(n) / 10^e` gives back each value bit for
/// bit from an integer *n*, and bit-packs those integers. A value no *n*
/// reproduces is an exception: when it lies a few units in the last place
/// from its nearest decimal (`44.611999999999995`, the float-printing
/// artifacts common in exported data) only that distance is kept; otherwise
/// (NaN, infinities, -0.0, anything beyond 2⁵³ / 10^e) its whole bit pattern.
/// Every bit pattern round-trips.
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
///                               position + 1, or from 0), then kind <varint>:
///                               0: bits <u64 little-endian> follow, the whole value;
///                               k ≥ 1: with j = k − 1, the value is `Double(n) / 10^e`
///                               moved by zigzag⁻¹(j >> 1) units in the last place (same
///                               sign, within 2²⁰ units), where n is the slot's integer
///                               when j is even, and `n <zvarint>` follows when j is odd
/// ```
///
/// A near exception whose n lies within the range of the chunk's exact
/// integers keeps it in its slot; any other exception's slot repeats the
/// previous value's n (or the first one's), so no exception widens the packing.
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

    /// Upper bound on the bytes ``encode(_:into:)`` needs for `count` values
    /// (every value a near exception with its own integer); size the output with it.
    public static func maxEncodedSize(count: Int) -> Int {
        let count = max(count, 0)
        return 1 + 1 + 10 + 1 + 10 + BitPacking.byteCount(count: count, width: 56) + count * (10 + 10 + 10) + 8
    }

    /// How one value is stored under an exponent.
    @usableFromInline
    enum Slot {
        /// `Double(n) / 10^e` is the value.
        case exact(Int64)
        /// The value is `Double(n) / 10^e` moved by `offset` units in the last place.
        case near(Int64, offset: Int64)
        /// Only its whole bit pattern stores the value.
        case whole
    }

    /// The largest distance, in units in the last place, a near exception may lie from its decimal.
    static let nearLimit: Int64 = 1 << 20

    @inline(__always)
    static func slot(_ value: Double, power: Double) -> Slot {
        let scaled = value * power
        // Also false for NaN and ±infinity.
        guard scaled.magnitude < exactLimit else { return .whole }
        let n = Int64(scaled.rounded(.toNearestOrEven))
        let back = Double(n) / power
        if back.bitPattern == value.bitPattern { return .exact(n) }
        // Within one sign, bit patterns are ordered like magnitudes: their difference counts ulps.
        guard back.sign == value.sign, back != 0 else { return .whole }
        let offset = Int64(bitPattern: value.bitPattern &- back.bitPattern)
        return offset.magnitude < UInt64(nearLimit) ? .near(n, offset: offset) : .whole
    }

    /// The exponent whose estimated size is smallest on a sample of `values`:
    /// the packed width the sample's integers need, plus about 3 bytes per near
    /// exception and 10 per whole one. Ties go to the smaller exponent.
    static func chooseExponent(_ values: UnsafeBufferPointer<Double>) -> Int {
        let count = values.count
        let samples = min(count, 64)
        let stride = max(1, count / samples)
        var best = 0
        var bestCost = Int.max
        for exponent in 0...maximumExponent {
            let power = powersOfTen[exponent]
            var minimum = Int64.max, maximum = Int64.min
            var cost = 0
            var taken = 0
            var index = 0
            while index < count {
                switch slot(values[index], power: power) {
                case .exact(let n):
                    minimum = min(minimum, n)
                    maximum = max(maximum, n)
                case .near(let n, _):
                    minimum = min(minimum, n)
                    maximum = max(maximum, n)
                    cost += 24
                case .whole:
                    cost += 80
                }
                taken += 1
                index += stride
            }
            let width = minimum <= maximum ? 64 - UInt64(bitPattern: maximum &- minimum).leadingZeroBitCount : 0
            let exceptionCost = cost
            cost += width * taken
            if cost < bestCost {
                best = exponent
                bestCost = cost
            }
            // Every sampled value is exact: a larger exponent only widens the integers.
            if exceptionCost == 0 { break }
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

        // One division per value: each value's slot is worked out once, here.
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: count) { integers in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { kinds in
                encode(values, exponent: exponent, power: power, integers: integers, kinds: kinds, into: output)
            }
        }
    }

    /// Slot kinds kept between the passes of ``encode(_:into:)``.
    private static let exactKind: UInt8 = 0, nearKind: UInt8 = 1, wholeKind: UInt8 = 2

    private static func encode(
        _ values: UnsafeBufferPointer<Double>, exponent: Int, power: Double,
        integers: UnsafeMutableBufferPointer<Int64>, kinds: UnsafeMutableBufferPointer<UInt8>,
        into output: UnsafeMutableRawBufferPointer
    ) -> Int {
        let count = values.count
        // Pass 1: every value's slot, and the range of the exact integers, which near exceptions may share.
        var low = Int64.max, high = Int64.min
        var first: Int64? = nil
        var exceptions = 0
        for index in 0..<count {
            switch slot(values[index], power: power) {
            case .exact(let n):
                integers[index] = n
                kinds[index] = exactKind
                low = min(low, n)
                high = max(high, n)
                if first == nil { first = n }
            case .near(let n, _):
                integers[index] = n
                kinds[index] = nearKind
                exceptions += 1
            case .whole:
                integers[index] = 0
                kinds[index] = wholeKind
                exceptions += 1
            }
        }
        // The integer a slot puts in the packed stream: exceptions that would widen it repeat the previous one.
        @inline(__always) func carried(_ index: Int, _ previous: Int64) -> Int64 {
            let n = integers[index]
            switch kinds[index] {
            case exactKind: return n
            case nearKind: return n >= low && n <= high ? n : previous
            default: return previous
            }
        }

        // Pass 2: the range of the carried integers and of their deltas.
        // The first slot's integer starts the deltas (an exception there may carry its own).
        let start = carried(0, first ?? 0)
        var previous = start
        var minimum = previous, maximum = previous
        var maximumZigzag: UInt64 = 0
        for index in 0..<count {
            let current = carried(index, previous)
            minimum = min(minimum, current)
            maximum = max(maximum, current)
            if index > 0 { maximumZigzag = max(maximumZigzag, ZigZag.encode(current &- previous)) }
            previous = current
        }
        let forWidth = 64 - UInt64(bitPattern: maximum &- minimum).leadingZeroBitCount
        let deltaWidth = 64 - maximumZigzag.leadingZeroBitCount
        let usesDeltas = (count - 1) * deltaWidth < count * forWidth
        let width = usesDeltas ? deltaWidth : forWidth
        let base = usesDeltas ? start : minimum

        var writer = ByteWriterInto(output)
        writer.write(UInt8(exponent))
        writer.write(UInt8(usesDeltas ? 1 : 0))
        writer.writeVarUInt(ZigZag.encode(base))
        writer.write(UInt8(width))
        writer.writeVarUInt(UInt64(exceptions))

        // Pass 3: the packed integers.
        var packer = BitPackWriter(output, offset: writer.position, width: width)
        previous = start
        for index in 0..<count {
            let current = carried(index, previous)
            if usesDeltas {
                if index > 0 { packer.append(ZigZag.encode(current &- previous)) }
            } else {
                packer.append(UInt64(bitPattern: current &- base))
            }
            previous = current
        }
        writer.position = packer.finish()

        // Pass 4: the exceptions.
        if exceptions > 0 {
            var next = 0
            for index in 0..<count where kinds[index] != exactKind {
                switch slot(values[index], power: power) {
                case .exact:
                    continue
                case .near(let n, let offset):
                    writer.writeVarUInt(UInt64(index - next))
                    let inSlot = n >= low && n <= high
                    writer.writeVarUInt((ZigZag.encode(offset) << 1 | (inSlot ? 0 : 1)) + 1)
                    if !inSlot { writer.writeVarUInt(ZigZag.encode(n)) }
                case .whole:
                    writer.writeVarUInt(UInt64(index - next))
                    writer.writeVarUInt(0)
                    writer.write(values[index].bitPattern)
                }
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
            // The running sum is serial; the conversion and division ride along in the same pass.
            var current = base
            out[0] = Double(current) / power
            for index in 1..<count {
                current = current &+ ZigZag.decode(raw[index])
                out[index] = Double(current) / power
            }
        } else {
            BitPacking.unpack(input, at: reader.offset, count: count, width: width, into: raw)
            if exponent == 0 {
                for index in 0..<count { out[index] = Double(Int64(bitPattern: raw[index] &+ UInt64(bitPattern: base))) }
            } else {
                for index in 0..<count { out[index] = Double(Int64(bitPattern: raw[index] &+ UInt64(bitPattern: base))) / power }
            }
        }
        reader.offset += packedBytes
        do {
            var position = 0
            for _ in 0..<exceptions {
                let gap = try reader.readVarUInt()
                guard gap < UInt64(count - position) else { throw CodecError("decimal exception position is beyond the chunk") }
                position += Int(gap)
                let kind = try reader.readVarUInt()
                if kind == 0 {
                    out[position] = Double(bitPattern: try reader.readUInt64())
                } else {
                    let offset = ZigZag.decode((kind - 1) >> 1)
                    var decimal = out[position]
                    if (kind - 1) & 1 == 1 {
                        let n = ZigZag.decode(try reader.readVarUInt())
                        guard n.magnitude < UInt64(exactLimit) else { throw CodecError("decimal exception integer \(n) is beyond 2^53") }
                        decimal = Double(n) / power
                    }
                    out[position] = Double(bitPattern: decimal.bitPattern &+ UInt64(bitPattern: offset))
                }
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
        position = VarInt.write(value, into: output, at: position)
    }
}

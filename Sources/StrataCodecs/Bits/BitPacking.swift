/// Writes unsigned integers of one fixed width, least significant bit first,
/// into a byte buffer: value *i* occupies bits `i·w ..< (i+1)·w` of the
/// little-endian bit string. Widths 0...64.
///
/// The LSB-first layout lets ``BitPacking/unpack(_:at:count:width:into:)``
/// read any value with one unaligned 64-bit load, a shift and a mask.
public struct BitPackWriter {
    private let output: UnsafeMutableRawBufferPointer
    private var position: Int
    private var accumulator: UInt64 = 0
    private var filled = 0
    private let width: Int

    /// Starts packing `width`-bit values at byte `offset` of `output`.
    public init(_ output: UnsafeMutableRawBufferPointer, offset: Int, width: Int) {
        precondition((0...64).contains(width), "BitPackWriter: width must be 0...64")
        self.output = output
        position = offset
        self.width = width
    }

    /// Appends `value`, which must fit in `width` bits.
    @inline(__always)
    public mutating func append(_ value: UInt64) {
        guard width > 0 else { return }
        accumulator |= value &<< UInt64(filled)
        let total = filled &+ width
        if total >= 64 {
            output.storeBytes(of: accumulator.littleEndian, toByteOffset: position, as: UInt64.self)
            position &+= 8
            // The bits of `value` that did not fit (none when the accumulator was empty).
            accumulator = filled == 0 ? 0 : value &>> UInt64(64 &- filled)
            filled = total &- 64
        } else {
            filled = total
        }
    }

    /// Writes the last partial bytes and returns the offset just past the packed bits.
    public mutating func finish() -> Int {
        var remaining = accumulator
        var bytes = (filled + 7) / 8
        while bytes > 0 {
            output.storeBytes(of: UInt8(truncatingIfNeeded: remaining), toByteOffset: position, as: UInt8.self)
            remaining >>= 8
            position &+= 1
            bytes &-= 1
        }
        filled = 0
        accumulator = 0
        return position
    }
}

/// Reading what ``BitPackWriter`` wrote.
public enum BitPacking {
    /// Bytes that `count` values of `width` bits occupy.
    @inlinable
    public static func byteCount(count: Int, width: Int) -> Int { (count * width + 7) / 8 }

    /// Unpacks `count` values of `width` bits (0...56) starting at byte `offset`
    /// of `input` into `output`. The caller checks that `input` holds
    /// ``byteCount(count:width:)`` bytes from `offset`; nothing past them is read.
    public static func unpack(
        _ input: UnsafeRawBufferPointer, at offset: Int, count: Int, width: Int, into output: UnsafeMutablePointer<UInt64>
    ) {
        precondition(width <= 56, "BitPacking.unpack: widths above 56 bits are not supported")
        guard width > 0 else {
            output.update(repeating: 0, count: count)
            return
        }
        let mask: UInt64 = (1 << UInt64(width)) &- 1
        let end = offset + byteCount(count: count, width: width)
        // Values whose 8-byte window lies inside the packed bytes: one load each.
        let length = end - offset
        let fast = length >= 8 ? min(count, ((length - 8) * 8) / width + 1) : 0
        var index = 0
        var bit = 0
        while index < fast {
            let word = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: offset &+ (bit &>> 3), as: UInt64.self))
            output[index] = (word &>> UInt64(bit & 7)) & mask
            bit &+= width
            index &+= 1
        }
        // The last few, byte by byte so as not to read past `end`.
        while index < count {
            var value: UInt64 = 0
            var got = 0
            var byte = offset + (bit >> 3)
            var shift = bit & 7
            while got < width {
                let available = 8 - shift
                let take = min(available, width - got)
                let piece = (UInt64(input[byte]) >> UInt64(shift)) & ((1 << UInt64(take)) - 1)
                value |= piece << UInt64(got)
                got += take
                byte += 1
                shift = 0
            }
            output[index] = value
            bit &+= width
            index &+= 1
        }
    }
}

extension BitPacking {
    /// Unpacks `count` values of any `width` (0...64) starting at byte `offset`
    /// of `input` into `output`: widths up to 56 go to
    /// ``unpack(_:at:count:width:into:)``, wider ones take a ninth byte beside
    /// the 8-byte load. The caller checks that `input` holds
    /// ``byteCount(count:width:)`` bytes from `offset`; nothing past them is read.
    public static func unpackAnyWidth(
        _ input: UnsafeRawBufferPointer, at offset: Int, count: Int, width: Int, into output: UnsafeMutablePointer<UInt64>
    ) {
        precondition((0...64).contains(width), "BitPacking.unpackAnyWidth: width must be 0...64")
        if width <= 56 {
            unpack(input, at: offset, count: count, width: width, into: output)
            return
        }
        let mask = UInt64.max &>> UInt64(64 &- width)
        let end = offset + byteCount(count: count, width: width)
        var index = 0
        var bit = 0
        // A value starting at bit `shift` of its first byte spans at most 9 bytes.
        while index < count && offset &+ (bit &>> 3) &+ 9 <= end {
            let byte = offset &+ (bit &>> 3)
            let shift = UInt64(bit & 7)
            let low = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) &>> shift
            // `(next << 1) &<< (63 - shift)` is `next << (64 - shift)`, and 0 when shift is 0.
            let next = UInt64(input[byte &+ 8])
            output[index] = (low | ((next &<< 1) &<< (63 &- shift))) & mask
            bit &+= width
            index &+= 1
        }
        while index < count {
            output[index] = extract(input, at: offset, bit: bit, width: width)
            bit &+= width
            index &+= 1
        }
    }

    /// The `width`-bit value (0...64) at bit `bit` of the LSB-first bit string
    /// starting at byte `offset` of `input`, read a byte at a time; the caller
    /// checks that the value's bytes lie inside `input`.
    public static func extract(_ input: UnsafeRawBufferPointer, at offset: Int, bit: Int, width: Int) -> UInt64 {
        var value: UInt64 = 0
        var got = 0
        var position = bit
        while got < width {
            let shift = position & 7
            let take = min(8 - shift, width - got)
            let piece = (UInt64(input[offset + (position >> 3)]) >> UInt64(shift)) & ((1 << UInt64(take)) - 1)
            value |= piece << UInt64(got)
            got += take
            position += take
        }
        return value
    }
}

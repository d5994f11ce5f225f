/// Reads bits most-significant-first from a byte span, never past its end.
///
/// Bits are held left-aligned in a 64-bit buffer. While at least 8 bytes
/// remain a refill is one unaligned big-endian load (topping the buffer up to
/// 56...63 valid bits); near the end it falls back to single bytes. Bits below
/// the valid ones are either zero or the true next bits of the input, so a
/// peek at the end of the stream sees zero padding, never foreign memory.
/// Asking for more bits than remain throws ``CodecError``.
@usableFromInline
struct BitReader {
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let count: Int
    /// Offset of the next byte not yet (fully) counted in `buffer`.
    @usableFromInline var byteOffset: Int
    /// Valid bits, left-aligned.
    @usableFromInline var buffer: UInt64 = 0
    /// Number of valid bits in `buffer`, 0...63.
    @usableFromInline var available: Int = 0

    /// Starts reading at byte `offset` of `input`.
    @inlinable
    init(_ input: UnsafeRawBufferPointer, offset: Int) {
        base = input.baseAddress
        count = input.count
        byteOffset = min(offset, input.count)
    }

    /// Tops the buffer up to at least 56 valid bits, or as many as remain.
    @inlinable @inline(__always)
    mutating func refill() {
        if byteOffset &+ 8 <= count {
            let word = UInt64(bigEndian: base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: byteOffset, as: UInt64.self))
            buffer |= word &>> UInt64(available)
            byteOffset &+= (63 &- available) &>> 3
            available |= 56
        } else {
            refillSlow()
        }
    }

    @inlinable
    mutating func refillSlow() {
        while available <= 56 && byteOffset < count {
            let byte = base.unsafelyUnwrapped.load(fromByteOffset: byteOffset, as: UInt8.self)
            buffer |= UInt64(byte) &<< UInt64(56 &- available)
            available &+= 8
            byteOffset &+= 1
        }
    }

    /// Makes sure at least `bits` (≤ 56) are buffered if the input has them;
    /// does not throw, so callers may peek at zero padding at the very end.
    @inlinable @inline(__always)
    mutating func ensure(_ bits: Int) {
        if available < bits { refill() }
    }

    /// Drops `bits` (1...63) already known to be buffered.
    @inlinable @inline(__always)
    mutating func consume(_ bits: Int) {
        buffer = buffer &<< UInt64(bits)
        available &-= bits
    }

    /// Reads `bits` bits (1...56) as an unsigned value.
    @inlinable @inline(__always)
    mutating func read(_ bits: Int) throws(CodecError) -> UInt64 {
        if available < bits {
            refill()
            if available < bits { throw CodecError("bitstream ends early") }
        }
        let value = buffer &>> UInt64(64 &- bits)
        consume(bits)
        return value
    }

    /// Reads `bits` bits (1...64), splitting reads wider than the buffer guarantees.
    @inlinable @inline(__always)
    mutating func readWide(_ bits: Int) throws(CodecError) -> UInt64 {
        if bits > 56 {
            let high = try read(bits &- 32)
            return (high &<< 32) | (try read(32))
        }
        return try read(bits)
    }
}

/// Packs bits most-significant-first into a caller-provided buffer.
///
/// Pending bits sit right-aligned in a 64-bit accumulator; after each write
/// the whole bytes are stored with one unaligned 8-byte big-endian store.
/// That store may touch up to 7 bytes past the last whole byte, so the
/// buffer must keep ``slack`` spare bytes after the largest possible
/// payload. Every codec's `maxEncodedSize` includes that slack, which keeps
/// the hot path free of per-byte loops and capacity checks.
@usableFromInline
struct BitWriter {
    /// Spare bytes the writer may scribble on past the encoded end.
    @usableFromInline static let slack = 8

    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int
    /// Offset of the byte that holds the first pending bit.
    @usableFromInline var byteOffset: Int
    /// Pending bits, right-aligned; bits above `pendingBits` are ignored.
    @usableFromInline var accumulator: UInt64 = 0
    /// Number of pending bits, always below 8 between writes.
    @usableFromInline var pendingBits: Int = 0

    /// Starts writing at `offset` of `output`.
    @inlinable
    init(_ output: UnsafeMutableRawBufferPointer, offset: Int) {
        precondition(output.baseAddress != nil && offset + Self.slack <= output.count,
                     "BitWriter: output smaller than the codec's maxEncodedSize")
        base = output.baseAddress!
        capacity = output.count
        byteOffset = offset
    }

    /// Appends the low `count` bits of `value` (0...64); higher bits are ignored.
    @inlinable @inline(__always)
    mutating func write(_ value: UInt64, count: Int) {
        if count > 56 {
            // The accumulator holds up to 7 pending bits, so at most 57 more fit.
            writeSmall(value &>> 32, count: count - 32)
            writeSmall(value & 0xFFFF_FFFF, count: 32)
        } else {
            writeSmall(value, count: count)
        }
    }

    /// Appends the low `count` bits of `value`, `count` in 0...56.
    @inlinable @inline(__always)
    mutating func writeSmall(_ value: UInt64, count: Int) {
        if count == 0 { return }
        let masked = value & (UInt64.max &>> UInt64(64 - count))
        accumulator = (accumulator &<< UInt64(count)) | masked
        pendingBits += count
        if pendingBits >= 8 { flush() }
    }

    @inlinable @inline(__always)
    mutating func flush() {
        // Left-align the pending bits (pendingBits is 8...63 here) and store
        // them big-endian; only the whole bytes count, the rest is rewritten
        // by the next store.
        assert(byteOffset + 8 <= capacity)
        let aligned = accumulator &<< UInt64(64 - pendingBits)
        base.storeBytes(of: aligned.bigEndian, toByteOffset: byteOffset, as: UInt64.self)
        byteOffset += pendingBits >> 3
        pendingBits &= 7
    }

    /// Writes the last partial byte (zero-padded) and returns the offset
    /// just past the final byte used.
    @inlinable
    mutating func finish() -> Int {
        if pendingBits > 0 {
            let last = UInt8(truncatingIfNeeded: accumulator &<< UInt64(8 - pendingBits))
            base.storeBytes(of: last, toByteOffset: byteOffset, as: UInt8.self)
            byteOffset += 1
            pendingBits = 0
        }
        return byteOffset
    }
}

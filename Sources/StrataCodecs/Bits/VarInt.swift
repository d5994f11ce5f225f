/// LEB128 varints written straight into a raw buffer, for codec headers.
///
/// The wire format is the same as ``ByteWriter/writeVarUInt(_:)``; this copy
/// exists because codecs (and the write-ahead log's row encoding) write into
/// a caller-provided buffer, not an array.
public enum VarInt {
    /// The longest encoding of a `UInt64`: ceil(64 / 7) bytes.
    public static let maxLength = 10

    /// Writes `value` at `offset` and returns the offset after it.
    /// The caller guarantees ``maxLength`` bytes of room.
    @inlinable @inline(__always)
    public static func write(_ value: UInt64, into output: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var rest = value
        var position = offset
        while rest >= 0x80 {
            output[position] = UInt8(truncatingIfNeeded: rest) | 0x80
            rest >>= 7
            position += 1
        }
        output[position] = UInt8(truncatingIfNeeded: rest)
        return position + 1
    }

    /// The bytes ``write(_:into:at:)`` takes for `value`: one per started 7 bits.
    @inlinable @inline(__always)
    public static func length(_ value: UInt64) -> Int {
        let bits = UInt64.bitWidth - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    /// Reads a varint at `offset`, advancing it; throws on truncation or on
    /// an encoding longer than ten bytes (which cannot come from our writer).
    @inlinable
    public static func read(from input: UnsafeRawBufferPointer, at offset: inout Int) throws(CodecError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < input.count else { throw CodecError("varint runs past the end of the input") }
            guard shift < 64 else { throw CodecError("varint longer than ten bytes") }
            let byte = input[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) &<< shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }
}

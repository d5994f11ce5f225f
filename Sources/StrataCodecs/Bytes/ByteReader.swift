/// A bounds-checked little-endian reader over a span of bytes that it does
/// not own (typically a memory-mapped file).
///
/// Every read checks the remaining length first and throws
/// ``ByteReader/OutOfBounds`` instead of trapping, so a truncated or
/// corrupt file is reported, never a crash. The caller must keep the memory
/// alive while the reader is in use.
public struct ByteReader {
    /// Thrown when a read would run past the end of the span.
    public struct OutOfBounds: Error, Sendable, Equatable {
        /// Offset from the start of the span where the failed read began.
        public let offset: Int
        /// Bytes the read needed.
        public let needed: Int
    }

    /// The bytes read; owned by the caller.
    public let base: UnsafeRawBufferPointer
    /// Offset of the next byte to read, from the start of `base`.
    public var offset: Int

    /// A reader over `base`, starting at `offset`.
    public init(_ base: UnsafeRawBufferPointer, offset: Int = 0) {
        self.base = base
        self.offset = offset
    }

    /// Bytes left after `offset`.
    @inlinable public var remaining: Int { base.count - offset }

    @inline(__always)
    private func check(_ needed: Int) throws(OutOfBounds) {
        guard needed >= 0, offset >= 0, needed <= base.count - offset else {
            throw OutOfBounds(offset: offset, needed: needed)
        }
    }

    /// Reads one byte.
    public mutating func readUInt8() throws(OutOfBounds) -> UInt8 {
        try check(1)
        defer { offset += 1 }
        return base[offset]
    }

    /// Reads a little-endian `UInt16`.
    public mutating func readUInt16() throws(OutOfBounds) -> UInt16 {
        try check(2)
        defer { offset += 2 }
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// Reads a little-endian `UInt32`.
    public mutating func readUInt32() throws(OutOfBounds) -> UInt32 {
        try check(4)
        defer { offset += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Reads a little-endian `UInt64`.
    public mutating func readUInt64() throws(OutOfBounds) -> UInt64 {
        try check(8)
        defer { offset += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Reads a little-endian two's complement `Int64`.
    public mutating func readInt64() throws(OutOfBounds) -> Int64 {
        Int64(bitPattern: try readUInt64())
    }

    /// Reads an unsigned LEB128 varint of at most ten bytes.
    public mutating func readVarUInt() throws(OutOfBounds) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < base.count, shift < 64 else {
                throw OutOfBounds(offset: start, needed: offset - start + 1)
            }
            let byte = base[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads a zigzag-encoded LEB128 varint.
    public mutating func readVarInt() throws(OutOfBounds) -> Int64 {
        ZigZag.decode(try readVarUInt())
    }

    /// Reads a varint length, then that many bytes, as a span of the underlying memory.
    public mutating func readLengthPrefixedBytes() throws(OutOfBounds) -> UnsafeRawBufferPointer {
        let length = try readVarUInt()
        guard length <= UInt64(remaining) else {
            throw OutOfBounds(offset: offset, needed: Int(clamping: length))
        }
        return try readBytes(Int(length))
    }

    /// Reads a varint-length-prefixed UTF-8 string. Invalid UTF-8 is repaired
    /// with replacement characters (names are validated when written).
    public mutating func readString() throws(OutOfBounds) -> String {
        let raw = try readLengthPrefixedBytes()
        return String(decoding: raw, as: UTF8.self)
    }

    /// Returns the next `count` bytes as a span of the underlying memory.
    public mutating func readBytes(_ count: Int) throws(OutOfBounds) -> UnsafeRawBufferPointer {
        try check(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: base[offset..<(offset + count)])
    }
}

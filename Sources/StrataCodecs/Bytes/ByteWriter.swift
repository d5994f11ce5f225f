/// An append-only little-endian byte buffer for building file structures
/// (segment indexes, footers, record headers).
///
/// Every multi-byte integer is written little-endian, whatever the host,
/// so files move between machines unchanged.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The number of bytes written so far.
    @inlinable public var count: Int { bytes.count }

    /// Appends one byte.
    public mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    /// Appends `value` little-endian.
    public mutating func writeUInt16(_ value: UInt16) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` little-endian.
    public mutating func writeUInt32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` little-endian.
    public mutating func writeUInt64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` little-endian, two's complement.
    public mutating func writeInt64(_ value: Int64) {
        writeUInt64(UInt64(bitPattern: value))
    }

    /// Writes an unsigned LEB128 varint: 7 bits a byte, low bits first.
    public mutating func writeVarUInt(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Writes a signed varint: zigzag-mapped, then LEB128.
    public mutating func writeVarInt(_ value: Int64) {
        writeVarUInt(ZigZag.encode(value))
    }

    /// Writes a length-prefixed (varint) UTF-8 string.
    public mutating func writeString(_ value: String) {
        let utf8 = Array(value.utf8)
        writeVarUInt(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Appends `other` as is.
    public mutating func writeBytes(_ other: some Collection<UInt8>) {
        bytes.append(contentsOf: other)
    }

    /// Appends the bytes of `raw` as is.
    public mutating func writeBytes(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }
}

/// Zigzag mapping of signed integers onto unsigned ones so that values of
/// small magnitude, positive or negative, get small codes (0, -1, 1, -2 → 0, 1, 2, 3).
public enum ZigZag {
    /// Maps signed to unsigned so that small magnitudes stay small: 0, -1, 1, -2 → 0, 1, 2, 3.
    @inlinable @inline(__always)
    public static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value &<< 1) ^ (value >> 63))
    }

    /// The inverse of ``encode(_:)``.
    @inlinable @inline(__always)
    public static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
}

/// Writes values in the Apache Thrift compact protocol, the encoding of every
/// Parquet metadata structure (page headers and the file footer).
///
/// Only what Parquet's metadata needs is here: structs, lists, booleans, 32-
/// and 64-bit integers and binary (strings). The encoding follows the Thrift
/// compact protocol specification (`doc/specs/thrift-compact-protocol.md` in
/// the Apache Thrift repository):
///
/// - Integers are zigzag-encoded (`(n << 1) ^ (n >> 63)`) then written as
///   ULEB128 varints, seven bits a byte, low bits first.
/// - A field header is one byte, `delta << 4 | type`, when the field id is 1
///   to 15 above the previous field of the same struct; otherwise the type
///   byte is followed by the id as a zigzag varint.
/// - A boolean field carries its value in the header's type (1 true, 2 false).
/// - Binary is a varint length and the bytes.
/// - A list header is `size << 4 | elementType` for fewer than 15 elements,
///   else `0xF0 | elementType` and the size as a varint.
/// - A struct ends with a stop byte, 0; a nested struct restarts its field
///   id deltas from 0 and the outer struct's resume after it.
///
/// Fields must be written in increasing id order within a struct, as the
/// generated Thrift code does, so deltas stay small and positive.
struct ThriftCompactWriter: Sendable {
    /// The compact protocol's type codes, as they appear in field and list headers.
    enum FieldType: UInt8, Sendable {
        /// A boolean field whose value is true (the value is the type).
        case booleanTrue = 1
        /// A boolean field whose value is false; also the element type of boolean lists.
        case booleanFalse = 2
        /// A signed byte.
        case byte = 3
        /// A 16-bit integer, zigzag varint.
        case i16 = 4
        /// A 32-bit integer (and Thrift enums), zigzag varint.
        case i32 = 5
        /// A 64-bit integer, zigzag varint.
        case i64 = 6
        /// An IEEE double, 8 bytes little-endian.
        case double = 7
        /// Binary or a string: varint length, then the bytes.
        case binary = 8
        /// A list: a header with element type and size, then the elements.
        case list = 9
        /// A set, encoded as a list.
        case set = 10
        /// A map.
        case map = 11
        /// A struct: fields, then a stop byte.
        case `struct` = 12
    }

    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []
    /// The id of the last field written in the struct being written.
    private var lastFieldID: Int16 = 0
    /// The last field ids of the enclosing structs, restored when each nested one ends.
    private var enclosingFieldIDs: [Int16] = []

    /// Creates an empty writer, positioned inside the outermost struct.
    init() {}

    // MARK: Primitive encodings

    /// Appends `value` as an unsigned LEB128 varint.
    mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Appends `value` zigzag-encoded, so small negative numbers stay short.
    mutating func writeZigzag(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends a length-prefixed byte string.
    mutating func writeBinary(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    // MARK: Fields

    /// Appends a field header for field `id` of type `type`.
    mutating func writeFieldHeader(id: Int16, type: FieldType) {
        let delta = Int(id) - Int(lastFieldID)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            writeZigzag(Int64(id))
        }
        lastFieldID = id
    }

    /// Writes a boolean field; the value travels in the header's type nibble.
    mutating func writeBool(id: Int16, _ value: Bool) {
        writeFieldHeader(id: id, type: value ? .booleanTrue : .booleanFalse)
    }

    /// Writes an i32 field (also used for Thrift enums).
    mutating func writeI32(id: Int16, _ value: Int32) {
        writeFieldHeader(id: id, type: .i32)
        writeZigzag(Int64(value))
    }

    /// Writes an i64 field.
    mutating func writeI64(id: Int16, _ value: Int64) {
        writeFieldHeader(id: id, type: .i64)
        writeZigzag(value)
    }

    /// Writes a binary field.
    mutating func writeBinary(id: Int16, _ value: some Collection<UInt8>) {
        writeFieldHeader(id: id, type: .binary)
        writeBinary(value)
    }

    /// Writes a string field (binary holding UTF-8).
    mutating func writeString(id: Int16, _ value: String) {
        writeBinary(id: id, Array(value.utf8))
    }

    /// Writes a struct field whose members `body` writes.
    mutating func writeStruct(id: Int16, _ body: (inout ThriftCompactWriter) -> Void) {
        writeFieldHeader(id: id, type: .struct)
        writeStructBody(body)
    }

    /// Writes a list field of `count` elements of `elementType`; `body` writes
    /// each element (with `writeStructBody`, `writeZigzag` or `writeBinary`).
    mutating func writeList(id: Int16, elementType: FieldType, count: Int, _ body: (inout ThriftCompactWriter) -> Void) {
        writeFieldHeader(id: id, type: .list)
        writeListHeader(elementType: elementType, count: count)
        body(&self)
    }

    /// Appends a list header.
    mutating func writeListHeader(elementType: FieldType, count: Int) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | elementType.rawValue)
        } else {
            bytes.append(0xF0 | elementType.rawValue)
            writeVarint(UInt64(count))
        }
    }

    /// Writes a struct's members (through `body`) and its stop byte, without
    /// a field header: a list element, or the outermost message.
    mutating func writeStructBody(_ body: (inout ThriftCompactWriter) -> Void) {
        enclosingFieldIDs.append(lastFieldID)
        lastFieldID = 0
        body(&self)
        bytes.append(0)  // stop
        lastFieldID = enclosingFieldIDs.removeLast()
    }
}

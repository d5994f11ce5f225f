/// A Parquet metadata structure that writes itself in the Thrift compact
/// protocol, with the field ids of `parquet.thrift` (Apache Parquet format
/// specification, `src/main/thrift/parquet.thrift`).
protocol ThriftCompactEncodable {
    /// Writes the structure's fields (not its stop byte: the caller's
    /// `writeStruct`/`writeStructBody` adds that).
    func encodeFields(to writer: inout ThriftCompactWriter)
}

extension ThriftCompactEncodable {
    /// The structure as a complete compact-protocol message (fields and stop byte).
    var thriftCompactBytes: [UInt8] {
        var writer = ThriftCompactWriter()
        writer.writeStructBody { encodeFields(to: &$0) }
        return writer.bytes
    }
}

extension ThriftCompactWriter {
    /// Writes `value` as the struct field `id`.
    mutating func writeStruct(id: Int16, _ value: some ThriftCompactEncodable) {
        writeStruct(id: id) { value.encodeFields(to: &$0) }
    }

    /// Writes a list of structs as field `id`.
    mutating func writeStructList(id: Int16, _ values: [some ThriftCompactEncodable]) {
        writeList(id: id, elementType: .struct, count: values.count) { writer in
            for value in values { writer.writeStructBody { value.encodeFields(to: &$0) } }
        }
    }

    /// Writes a list of i32 values (Thrift enums) as field `id`.
    mutating func writeI32List(id: Int16, _ values: [Int32]) {
        writeList(id: id, elementType: .i32, count: values.count) { writer in
            for value in values { writer.writeZigzag(Int64(value)) }
        }
    }

    /// Writes a list of strings as field `id`.
    mutating func writeStringList(id: Int16, _ values: [String]) {
        writeList(id: id, elementType: .binary, count: values.count) { writer in
            for value in values { writer.writeBinary(Array(value.utf8)) }
        }
    }
}

/// The file footer (`struct FileMetaData` in `parquet.thrift`): the schema,
/// the row groups and who wrote the file.
struct ParquetFileMetaData: ThriftCompactEncodable, Equatable {
    /// The format version: 2, since the file uses `LogicalType` annotations.
    var version: Int32 = 2
    /// The flattened schema, root first.
    var schema: [ParquetSchemaElement]
    var rowCount: Int64
    var rowGroups: [ParquetRowGroup]
    /// Key/value pairs (Strata records how an Int64 series is stored).
    var keyValueMetadata: [(key: String, value: String)] = []
    /// `"strata version X"`, the form readers parse to work around a writer's known bugs.
    var createdBy: String
    /// Leaf columns whose statistics follow their type's order (TYPE_ORDER),
    /// which tells readers that `min_value`/`max_value` may be trusted.
    var typeOrderedColumnCount: Int

    func encodeFields(to writer: inout ThriftCompactWriter) {
        writer.writeI32(id: 1, version)
        writer.writeStructList(id: 2, schema)
        writer.writeI64(id: 3, rowCount)
        writer.writeStructList(id: 4, rowGroups)
        if !keyValueMetadata.isEmpty {
            writer.writeList(id: 5, elementType: .struct, count: keyValueMetadata.count) { list in
                for pair in keyValueMetadata {
                    list.writeStructBody { entry in
                        entry.writeString(id: 1, pair.key)
                        entry.writeString(id: 2, pair.value)
                    }
                }
            }
        }
        writer.writeString(id: 6, createdBy)
        // ColumnOrder is a union whose TYPE_ORDER (field 1) is an empty struct.
        writer.writeList(id: 7, elementType: .struct, count: typeOrderedColumnCount) { list in
            for _ in 0..<typeOrderedColumnCount { list.writeStructBody { $0.writeStruct(id: 1) { _ in } } }
        }
    }

    static func == (lhs: ParquetFileMetaData, rhs: ParquetFileMetaData) -> Bool {
        lhs.thriftCompactBytes == rhs.thriftCompactBytes
    }
}

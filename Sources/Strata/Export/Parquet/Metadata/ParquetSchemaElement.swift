/// One node of the flattened schema tree (`struct SchemaElement` in
/// `parquet.thrift`): the root names the number of its children; each leaf
/// has a physical type, a repetition and optional annotations.
struct ParquetSchemaElement: ThriftCompactEncodable, Equatable {
    var name: String
    var type: ParquetPhysicalType?
    var repetition: ParquetRepetition?
    var childCount: Int32?
    var convertedType: ParquetConvertedType?
    var logicalType: ParquetLogicalType?

    func encodeFields(to writer: inout ThriftCompactWriter) {
        if let type { writer.writeI32(id: 1, type.rawValue) }
        if let repetition { writer.writeI32(id: 3, repetition.rawValue) }
        writer.writeString(id: 4, name)
        if let childCount { writer.writeI32(id: 5, childCount) }
        if let convertedType { writer.writeI32(id: 6, convertedType.rawValue) }
        if let logicalType { writer.writeStruct(id: 10, logicalType) }
    }
}

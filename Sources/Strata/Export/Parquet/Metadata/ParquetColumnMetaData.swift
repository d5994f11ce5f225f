/// Where a column chunk's pages are and what they hold (`struct
/// ColumnMetaData` in `parquet.thrift`).
struct ParquetColumnMetaData: ThriftCompactEncodable, Equatable {
    var type: ParquetPhysicalType
    /// Every encoding used in the chunk, levels included.
    var encodings: [ParquetEncoding]
    var pathInSchema: [String]
    var codec: ParquetCompressionCodec
    /// Values in the chunk, nulls included (one per row for a flat column).
    var valueCount: Int64
    /// Page headers and page bodies before compression.
    var totalUncompressedSize: Int64
    /// Page headers and page bodies as stored.
    var totalCompressedSize: Int64
    /// File offset of the first data page.
    var dataPageOffset: Int64
    /// File offset of the dictionary page, when the chunk has one.
    var dictionaryPageOffset: Int64?
    var statistics: ParquetStatistics?

    func encodeFields(to writer: inout ThriftCompactWriter) {
        writer.writeI32(id: 1, type.rawValue)
        writer.writeI32List(id: 2, encodings.map(\.rawValue))
        writer.writeStringList(id: 3, pathInSchema)
        writer.writeI32(id: 4, codec.rawValue)
        writer.writeI64(id: 5, valueCount)
        writer.writeI64(id: 6, totalUncompressedSize)
        writer.writeI64(id: 7, totalCompressedSize)
        writer.writeI64(id: 9, dataPageOffset)
        if let dictionaryPageOffset { writer.writeI64(id: 11, dictionaryPageOffset) }
        if let statistics { writer.writeStruct(id: 12, statistics) }
    }
}

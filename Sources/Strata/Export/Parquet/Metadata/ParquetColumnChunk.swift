/// A column chunk's entry in a row group (`struct ColumnChunk` in `parquet.thrift`).
struct ParquetColumnChunk: ThriftCompactEncodable, Equatable {
    /// The chunk's first byte in the file. The field once pointed at a copy of
    /// the metadata; current readers use `meta_data`, and writers commonly
    /// put the chunk's start here.
    var fileOffset: Int64
    var metaData: ParquetColumnMetaData

    func encodeFields(to writer: inout ThriftCompactWriter) {
        writer.writeI64(id: 2, fileOffset)
        writer.writeStruct(id: 3, metaData)
    }
}

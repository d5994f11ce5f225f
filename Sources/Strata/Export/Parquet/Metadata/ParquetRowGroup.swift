/// A horizontal slice of the file (`struct RowGroup` in `parquet.thrift`):
/// one column chunk per leaf column, in schema order.
struct ParquetRowGroup: ThriftCompactEncodable, Equatable {
    var columns: [ParquetColumnChunk]
    /// Uncompressed size of the column data.
    var totalByteSize: Int64
    var rowCount: Int64
    /// Offset of the first page of the first column.
    var fileOffset: Int64
    /// Compressed size of the column data.
    var totalCompressedSize: Int64
    /// The row group's position in the file, from 0; the field is an i16,
    /// so it is left out past 32,767 rather than wrapped.
    var ordinal: Int

    func encodeFields(to writer: inout ThriftCompactWriter) {
        writer.writeStructList(id: 1, columns)
        writer.writeI64(id: 2, totalByteSize)
        writer.writeI64(id: 3, rowCount)
        writer.writeI64(id: 5, fileOffset)
        writer.writeI64(id: 6, totalCompressedSize)
        if ordinal <= Int(Int16.max) {
            writer.writeFieldHeader(id: 7, type: .i16)
            writer.writeZigzag(Int64(ordinal))
        }
    }
}

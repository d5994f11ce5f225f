/// The header of a format-1 data page (`struct DataPageHeader` in `parquet.thrift`).
struct ParquetDataPageHeader: ThriftCompactEncodable, Equatable {
    /// Values in the page, nulls included.
    var valueCount: Int32
    var encoding: ParquetEncoding
    /// Always RLE: the only level encoding current readers expect.
    var definitionLevelEncoding: ParquetEncoding = .rle
    var repetitionLevelEncoding: ParquetEncoding = .rle

    func encodeFields(to writer: inout ThriftCompactWriter) {
        writer.writeI32(id: 1, valueCount)
        writer.writeI32(id: 2, encoding.rawValue)
        writer.writeI32(id: 3, definitionLevelEncoding.rawValue)
        writer.writeI32(id: 4, repetitionLevelEncoding.rawValue)
    }
}

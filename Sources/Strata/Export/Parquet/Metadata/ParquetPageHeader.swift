/// The header written before every page (`struct PageHeader` in `parquet.thrift`).
struct ParquetPageHeader: ThriftCompactEncodable, Equatable {
    var type: ParquetPageType
    /// The page body's size before compression (levels and values).
    var uncompressedSize: Int32
    /// The page body's size as stored.
    var compressedSize: Int32
    var dataPage: ParquetDataPageHeader?
    var dictionaryPage: ParquetDictionaryPageHeader?

    func encodeFields(to writer: inout ThriftCompactWriter) {
        writer.writeI32(id: 1, type.rawValue)
        writer.writeI32(id: 2, uncompressedSize)
        writer.writeI32(id: 3, compressedSize)
        if let dataPage { writer.writeStruct(id: 5, dataPage) }
        if let dictionaryPage { writer.writeStruct(id: 7, dictionaryPage) }
    }
}

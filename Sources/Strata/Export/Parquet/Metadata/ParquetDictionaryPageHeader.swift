/// The header of a dictionary page (`struct DictionaryPageHeader` in `parquet.thrift`).
struct ParquetDictionaryPageHeader: ThriftCompactEncodable, Equatable {
    /// Entries in the dictionary.
    var valueCount: Int32
    /// PLAIN, as the specification asks of current writers.
    var encoding: ParquetEncoding = .plain
    /// Whether the entries are sorted; Strata's are in first-seen order, so false.
    var isSorted = false

    func encodeFields(to writer: inout ThriftCompactWriter) {
        writer.writeI32(id: 1, valueCount)
        writer.writeI32(id: 2, encoding.rawValue)
        writer.writeBool(id: 3, isSorted)
    }
}

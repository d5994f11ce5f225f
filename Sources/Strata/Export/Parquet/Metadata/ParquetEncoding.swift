/// Parquet's value and level encodings (`enum Encoding` in `parquet.thrift`;
/// described in the specification's `Encodings.md`).
enum ParquetEncoding: Int32 {
    /// Values back to back: little-endian fixed width, or a 4-byte length before each byte array.
    case plain = 0
    /// The format-1 name for dictionary pages and indices; Strata writes the newer spellings.
    case plainDictionary = 2
    /// The RLE/bit-packing hybrid, for levels and (with a width byte) dictionary indices.
    case rle = 3
    case bitPacked = 4
    case deltaBinaryPacked = 5
    case deltaLengthByteArray = 6
    case deltaByteArray = 7
    /// Dictionary indices in a data page: a bit-width byte, then the RLE/bit-packing hybrid.
    case rleDictionary = 8
    case byteStreamSplit = 9
}

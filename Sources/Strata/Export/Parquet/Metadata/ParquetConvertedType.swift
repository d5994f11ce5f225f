/// The legacy annotations (`enum ConvertedType` in `parquet.thrift`), written
/// beside the logical type for readers that predate `LogicalType`.
enum ParquetConvertedType: Int32 {
    case utf8 = 0
    case timestampMillis = 9
}

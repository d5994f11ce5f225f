/// The logical types Strata writes (`union LogicalType` in `parquet.thrift`),
/// which tell readers how to interpret a physical type.
enum ParquetLogicalType: ThriftCompactEncodable, Equatable {
    /// UTF-8 text in a BYTE_ARRAY (`StringType`, field 1).
    case string
    /// Milliseconds since the Unix epoch in an INT64 (`TimestampType`, field 8,
    /// with `TimeUnit` MILLIS, field 1).
    case timestampMilliseconds(isAdjustedToUTC: Bool)

    func encodeFields(to writer: inout ThriftCompactWriter) {
        switch self {
        case .string:
            writer.writeStruct(id: 1) { _ in }
        case .timestampMilliseconds(let isAdjustedToUTC):
            writer.writeStruct(id: 8) { timestamp in
                timestamp.writeBool(id: 1, isAdjustedToUTC)
                // TimeUnit is a union; MILLIS (field 1) is an empty struct.
                timestamp.writeStruct(id: 2) { unit in unit.writeStruct(id: 1) { _ in } }
            }
        }
    }
}

/// The flat schema of the Parquet files Strata exports: one row per point.
///
/// | column      | physical type | annotation                          | repetition |
/// |-------------|---------------|-------------------------------------|------------|
/// | `device`    | BYTE_ARRAY    | STRING (UTF8), dictionary-encoded   | required   |
/// | `metric`    | BYTE_ARRAY    | STRING (UTF8), dictionary-encoded   | required   |
/// | `ts`        | INT64         | TIMESTAMP(MILLIS, UTC)              | required   |
/// | `value`     | DOUBLE        |                                     | required   |
/// | `value_int` | INT64         |                                     | optional   |
///
/// `value` holds every point as a Double, so `sum(value)` works across
/// series of both types: a Float64 point bit for bit, an Int64 point as the
/// nearest Double (exact up to 2^53). `value_int` holds an Int64 point
/// exactly and is null for a Float64 point, so a reader wanting the stored
/// value takes `coalesce(value_int, value)` per type.
public struct ParquetSchema: Sendable {
    /// One leaf column.
    public struct Column: Sendable, Equatable {
        /// The column's name.
        public let name: String
        let physicalType: ParquetPhysicalType
        let repetition: ParquetRepetition
        let convertedType: ParquetConvertedType?
        let logicalType: ParquetLogicalType?
        /// Whether the column is dictionary-encoded.
        public let isDictionaryEncoded: Bool
    }

    /// The leaf columns, in file order.
    public let columns: [Column]

    /// The schema Strata exports (see the table above).
    public static let points = ParquetSchema(columns: [
        Column(name: "device", physicalType: .byteArray, repetition: .required, convertedType: .utf8, logicalType: .string, isDictionaryEncoded: true),
        Column(name: "metric", physicalType: .byteArray, repetition: .required, convertedType: .utf8, logicalType: .string, isDictionaryEncoded: true),
        Column(name: "ts", physicalType: .int64, repetition: .required, convertedType: .timestampMillis,
               logicalType: .timestampMilliseconds(isAdjustedToUTC: true), isDictionaryEncoded: false),
        Column(name: "value", physicalType: .double, repetition: .required, convertedType: nil, logicalType: nil, isDictionaryEncoded: false),
        Column(name: "value_int", physicalType: .int64, repetition: .optional, convertedType: nil, logicalType: nil, isDictionaryEncoded: false),
    ])

    /// The schema flattened as the footer stores it: a root naming its
    /// children, then the leaves.
    var elements: [ParquetSchemaElement] {
        [ParquetSchemaElement(name: "schema", childCount: Int32(columns.count))] + columns.map {
            ParquetSchemaElement(name: $0.name, type: $0.physicalType, repetition: $0.repetition,
                                 convertedType: $0.convertedType, logicalType: $0.logicalType)
        }
    }
}

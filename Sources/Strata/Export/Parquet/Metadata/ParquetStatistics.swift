/// Column chunk statistics (`struct Statistics` in `parquet.thrift`).
///
/// Only the current fields are written: `min_value`/`max_value` (ids 6 and
/// 5), whose order is the column's type-defined order announced in
/// `FileMetaData.column_orders`, and `null_count` (id 3). The deprecated
/// `min`/`max` (ids 2 and 1) compared byte arrays as signed bytes and are
/// left out on purpose.
struct ParquetStatistics: ThriftCompactEncodable, Equatable {
    /// The smallest value in PLAIN encoding (without a byte array's length
    /// prefix); nil when there is none to report (all null, or all NaN).
    var minValue: [UInt8]?
    /// The largest value, encoded like `minValue`.
    var maxValue: [UInt8]?
    /// The number of null values.
    var nullCount: Int64

    func encodeFields(to writer: inout ThriftCompactWriter) {
        writer.writeI64(id: 3, nullCount)
        if let maxValue { writer.writeBinary(id: 5, maxValue) }
        if let minValue { writer.writeBinary(id: 6, minValue) }
    }
}

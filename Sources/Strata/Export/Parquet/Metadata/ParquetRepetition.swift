/// Whether a field must, may, or may repeatedly appear in a row
/// (`enum FieldRepetitionType` in `parquet.thrift`).
enum ParquetRepetition: Int32 {
    /// Exactly once: no definition levels are written.
    case required = 0
    /// Zero or one time: a definition level (0 null, 1 present) per row.
    case optional = 1
    case repeated = 2
}

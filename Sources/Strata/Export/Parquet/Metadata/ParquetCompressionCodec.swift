/// Page compression codecs (`enum CompressionCodec` in `parquet.thrift`).
enum ParquetCompressionCodec: Int32 {
    case uncompressed = 0
    case snappy = 1
    case gzip = 2
    case lzo = 3
    case brotli = 4
    case lz4 = 5
    /// Zstandard (RFC 8878) frames: what Strata writes.
    case zstd = 6
    case lz4Raw = 7
}

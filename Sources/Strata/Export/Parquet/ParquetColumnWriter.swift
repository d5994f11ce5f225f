import StrataCodecs

/// Collects one column's values for the current row group and writes them
/// as a column chunk: an optional dictionary page, then data pages (format
/// 1, `DataPageHeader`), each page body compressed on its own with zstd.
///
/// Page layouts follow the Parquet specification (`README.md`, "Data
/// Pages", and `Encodings.md`):
/// - dictionary page: the distinct byte arrays, PLAIN (a 4-byte
///   little-endian length before each);
/// - dictionary-encoded data page: one byte of bit width, then the indices
///   in the RLE/bit-packing hybrid;
/// - fixed-width data page: PLAIN little-endian 8-byte values;
/// - an optional column's data page starts with its definition levels
///   (width 1) in the hybrid encoding behind a 4-byte little-endian length,
///   and holds values for the defined rows only.
struct ParquetColumnWriter {
    let column: ParquetSchema.Column
    /// Rows a data page holds at most: 131,072 rows is 1 MiB of 8-byte values.
    let pageRowLimit: Int
    let compressionLevel: Int32

    /// Dictionary indices, one per row (dictionary-encoded columns).
    private var indices: [UInt32] = []
    /// The distinct values in first-seen order, and their positions.
    private var dictionary: [[UInt8]] = []
    private var dictionaryPositions: [[UInt8]: UInt32] = [:]
    /// The 8-byte values of the defined rows (fixed-width columns).
    private var fixedValues: [UInt64] = []
    /// Whether each row holds a value (optional columns).
    private var definedRows: [Bool] = []
    /// Rows appended to the current chunk.
    private(set) var rowCount = 0

    init(column: ParquetSchema.Column, pageRowLimit: Int, compressionLevel: Int32) {
        self.column = column
        self.pageRowLimit = pageRowLimit
        self.compressionLevel = compressionLevel
    }

    // MARK: Appending

    /// Appends `count` rows holding the byte string `value` (dictionary columns).
    mutating func append(bytes value: [UInt8], count: Int) {
        let position: UInt32
        if let known = dictionaryPositions[value] {
            position = known
        } else {
            position = UInt32(dictionary.count)
            dictionary.append(value)
            dictionaryPositions[value] = position
        }
        indices.append(contentsOf: repeatElement(position, count: count))
        rowCount += count
    }

    /// Appends rows holding 8-byte values (INT64 bits, or DOUBLE bit patterns).
    mutating func append(fixed values: some Collection<UInt64>) {
        fixedValues.append(contentsOf: values)
        if column.repetition == .optional { definedRows.append(contentsOf: repeatElement(true, count: values.count)) }
        rowCount += values.count
    }

    /// Appends `count` null rows (optional columns).
    mutating func appendNulls(count: Int) {
        precondition(column.repetition == .optional)
        definedRows.append(contentsOf: repeatElement(false, count: count))
        rowCount += count
    }

    // MARK: Writing

    /// The encoded chunk, and its metadata given the file offset where the
    /// chunk will start; the writer is then empty for the next row group.
    mutating func finishChunk(at fileOffset: Int64) throws(CompressionError) -> (bytes: [UInt8], metaData: ParquetColumnMetaData) {
        var chunk: [UInt8] = []
        var uncompressedTotal = 0
        var dictionaryPageOffset: Int64?
        if column.isDictionaryEncoded {
            dictionaryPageOffset = fileOffset
            var body: [UInt8] = []
            for entry in dictionary {
                appendLittleEndian(UInt32(entry.count), to: &body)
                body.append(contentsOf: entry)
            }
            uncompressedTotal += try appendPage(body: body, to: &chunk) { compressed in
                ParquetPageHeader(type: .dictionaryPage, uncompressedSize: Int32(body.count), compressedSize: Int32(compressed),
                                  dictionaryPage: ParquetDictionaryPageHeader(valueCount: Int32(dictionary.count)))
            }
        }
        let dataPageOffset = fileOffset + Int64(chunk.count)
        let indexWidth = max(1, RLEBitPackedHybridEncoder.bitWidth(for: UInt32(max(dictionary.count, 1) - 1)))
        var pageStart = 0
        var valueCursor = 0  // next entry of fixedValues: optional pages hold defined rows only
        repeat {
            let pageEnd = min(pageStart + pageRowLimit, rowCount)
            var body: [UInt8] = []
            if column.repetition == .optional {
                var levels = RLEBitPackedHybridEncoder(bitWidth: 1)
                for row in pageStart..<pageEnd { levels.append(definedRows[row] ? 1 : 0) }
                let encoded = levels.finish()
                appendLittleEndian(UInt32(encoded.count), to: &body)
                body.append(contentsOf: encoded)
            }
            if column.isDictionaryEncoded {
                body.append(UInt8(indexWidth))
                var encoder = RLEBitPackedHybridEncoder(bitWidth: indexWidth)
                for row in pageStart..<pageEnd { encoder.append(indices[row]) }
                body.append(contentsOf: encoder.finish())
            } else {
                let definedCount = column.repetition == .optional
                    ? definedRows[pageStart..<pageEnd].reduce(0) { $0 + ($1 ? 1 : 0) }
                    : pageEnd - pageStart
                body.reserveCapacity(body.count + 8 * definedCount)
                for value in fixedValues[valueCursor..<(valueCursor + definedCount)] { appendLittleEndian(value, to: &body) }
                valueCursor += definedCount
            }
            let rows = pageEnd - pageStart
            let encoding: ParquetEncoding = column.isDictionaryEncoded ? .rleDictionary : .plain
            uncompressedTotal += try appendPage(body: body, to: &chunk) { compressed in
                ParquetPageHeader(type: .dataPage, uncompressedSize: Int32(body.count), compressedSize: Int32(compressed),
                                  dataPage: ParquetDataPageHeader(valueCount: Int32(rows), encoding: encoding))
            }
            pageStart = pageEnd
        } while pageStart < rowCount

        let metaData = ParquetColumnMetaData(
            type: column.physicalType,
            encodings: column.isDictionaryEncoded ? [.plain, .rle, .rleDictionary] : [.plain, .rle],
            pathInSchema: [column.name],
            codec: .zstd,
            valueCount: Int64(rowCount),
            totalUncompressedSize: Int64(uncompressedTotal),
            totalCompressedSize: Int64(chunk.count),
            dataPageOffset: dataPageOffset,
            dictionaryPageOffset: dictionaryPageOffset,
            statistics: statistics())
        reset()
        return (chunk, metaData)
    }

    /// Compresses `body`, appends the header `makeHeader` builds for the
    /// compressed size and the compressed body; returns the header's size
    /// plus the body's uncompressed size.
    private func appendPage(body: [UInt8], to chunk: inout [UInt8], _ makeHeader: (Int) -> ParquetPageHeader) throws(CompressionError) -> Int {
        // withUnsafeBytes rethrows untyped errors, so the typed one travels in a Result.
        let compressed = try body.withUnsafeBytes { raw in
            Result { () throws(CompressionError) in try BlockCompression.zstd(level: compressionLevel).compress(raw) }
        }.get()
        let header = makeHeader(compressed.count).thriftCompactBytes
        chunk.append(contentsOf: header)
        chunk.append(contentsOf: compressed)
        return header.count + body.count
    }

    /// The chunk's statistics in the column's type-defined order.
    ///
    /// Byte arrays compare as unsigned bytes, INT64 as signed integers.
    /// DOUBLE follows the specification's rules for floating point: NaN is
    /// left out (and no bounds are written when every value is NaN), and a
    /// zero minimum is written as -0.0 and a zero maximum as +0.0, since the
    /// order cannot tell the two zeros apart.
    func statistics() -> ParquetStatistics {
        let nullCount = Int64(definedRows.reduce(0) { $0 + ($1 ? 0 : 1) })
        switch column.physicalType {
        case .byteArray:
            let minimum = dictionary.min { $0.lexicographicallyPrecedes($1) }
            let maximum = dictionary.max { $0.lexicographicallyPrecedes($1) }
            return ParquetStatistics(minValue: minimum, maxValue: maximum, nullCount: nullCount)
        case .double:
            var minimum = Double.infinity, maximum = -Double.infinity, seen = false
            for bits in fixedValues {
                let value = Double(bitPattern: bits)
                guard !value.isNaN else { continue }
                seen = true
                minimum = Swift.min(minimum, value)
                maximum = Swift.max(maximum, value)
            }
            guard seen else { return ParquetStatistics(nullCount: nullCount) }
            if minimum == 0 { minimum = -0.0 }
            if maximum == 0 { maximum = 0.0 }
            return ParquetStatistics(minValue: littleEndianBytes(minimum.bitPattern), maxValue: littleEndianBytes(maximum.bitPattern), nullCount: nullCount)
        default:
            guard let minimum = fixedValues.lazy.map({ Int64(bitPattern: $0) }).min(),
                  let maximum = fixedValues.lazy.map({ Int64(bitPattern: $0) }).max() else { return ParquetStatistics(nullCount: nullCount) }
            return ParquetStatistics(minValue: littleEndianBytes(UInt64(bitPattern: minimum)), maxValue: littleEndianBytes(UInt64(bitPattern: maximum)), nullCount: nullCount)
        }
    }

    private mutating func reset() {
        indices.removeAll(keepingCapacity: true)
        dictionary.removeAll()
        dictionaryPositions.removeAll()
        fixedValues.removeAll(keepingCapacity: true)
        definedRows.removeAll(keepingCapacity: true)
        rowCount = 0
    }
}

/// Appends `value`'s bytes, least significant first.
func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

/// `value`'s bytes, least significant first.
func littleEndianBytes(_ value: UInt64) -> [UInt8] {
    var bytes: [UInt8] = []
    appendLittleEndian(value, to: &bytes)
    return bytes
}

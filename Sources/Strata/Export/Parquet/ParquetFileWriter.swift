import Glibc
import StrataCodecs

/// Writes points to a Parquet file in the layout of ``ParquetSchema/points``,
/// with no Parquet library: the format is written from the Apache Parquet
/// specification (<https://github.com/apache/parquet-format>: `README.md`
/// for the file layout, `Encodings.md` for the encodings,
/// `LogicalTypes.md` for the annotations and `parquet.thrift` for the
/// metadata structures, encoded with the Thrift compact protocol).
///
/// The file is `PAR1`, the row groups (each column's chunk in schema order),
/// the footer (`FileMetaData`), the footer's length as a 4-byte
/// little-endian integer, and `PAR1` again. Rows are buffered until a row
/// group is full, so memory stays around one row group (about 25 bytes a
/// row before compression).
///
/// ```swift
/// let writer = try ParquetFileWriter(path: "points.parquet")
/// for key in store.series().map(\.key) {
///     try writer.append(try store.query(device: key.device, metric: key.metric))
/// }
/// let summary = try writer.close()
/// ```
public final class ParquetFileWriter {
    /// Sizes and compression of the file's parts.
    public struct Options: Sendable {
        /// Rows a row group holds at most. Readers parallelise and skip by
        /// row group; a million rows is about 25 MiB before compression.
        public var rowGroupRowLimit = 1_048_576
        /// Rows a data page holds at most: 131,072 eight-byte values are 1 MiB.
        public var pageRowLimit = 131_072
        /// The zstd level for page bodies.
        public var compressionLevel: Int32 = 3

        /// The defaults.
        public init() {}
    }

    /// What a finished file holds.
    public struct Summary: Sendable, Equatable {
        /// Rows written.
        public var rowCount: Int
        /// Row groups written.
        public var rowGroupCount: Int
        /// The file's size in bytes.
        public var byteCount: Int
    }

    /// The file being written.
    public let path: String
    private let options: Options
    private let schema = ParquetSchema.points
    private let file: ExportFile
    private let metadata: [(key: String, value: String)]
    /// Bytes written so far: the next write's offset.
    private var offset = 0
    private var columns: [ParquetColumnWriter]
    private var rowGroups: [ParquetRowGroup] = []
    private var rowCount = 0
    private var isClosed = false

    /// Starts a file that appears at `path` when ``close()`` succeeds (see
    /// ``ExportFile``: until then the rows go to a hidden temporary file
    /// beside it, removed if the writer is released unclosed). `metadata`
    /// adds key/value pairs to the footer.
    public convenience init(path: String, options: Options = Options(), metadata: [(key: String, value: String)] = []) throws(StrataError) {
        try Self.check(options)
        try self.init(file: ExportFile(path: path), options: options, metadata: metadata)
    }

    /// Starts the file `name` in `directory` (see ``ExportFile``).
    convenience init(directory: DirectoryDescriptor, name: String, options: Options, metadata: [(key: String, value: String)]) throws(StrataError) {
        try Self.check(options)
        try self.init(file: ExportFile(directory: directory, name: name, path: directory.child(name)), options: options, metadata: metadata)
    }

    private init(file: ExportFile, options: Options, metadata: [(key: String, value: String)]) throws(StrataError) {
        self.file = file
        self.path = file.path
        self.options = options
        self.metadata = metadata
        columns = schema.columns.map { ParquetColumnWriter(column: $0, pageRowLimit: options.pageRowLimit, compressionLevel: options.compressionLevel) }
        try write(Array("PAR1".utf8))
    }

    private static func check(_ options: Options) throws(StrataError) {
        guard options.rowGroupRowLimit > 0, options.pageRowLimit > 0 else {
            throw StrataError(.invalidArgument, "row group and page row limits must be positive")
        }
    }

    /// Appends every point of `points`, in order.
    public func append(_ points: SeriesPoints) throws(StrataError) {
        try append(points, rows: 0..<points.count)
    }

    /// Appends the points of `points` at positions `rows`, in order.
    public func append(_ points: SeriesPoints, rows: Range<Int>) throws(StrataError) {
        guard !isClosed else { throw StrataError(.closed, "the Parquet file is already closed", path: path) }
        let device = Array(points.series.device.utf8), metric = Array(points.series.metric.utf8)
        let isInteger = points.type == .int64
        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(rows.upperBound, start + options.rowGroupRowLimit - columns[0].rowCount)
            let count = end - start
            columns[0].append(bytes: device, count: count)
            columns[1].append(bytes: metric, count: count)
            columns[2].append(fixed: points.timestamps[start..<end].lazy.map { UInt64(bitPattern: $0) })
            if isInteger {
                columns[3].append(fixed: points.bits[start..<end].lazy.map { Double(Int64(bitPattern: $0)).bitPattern })
                columns[4].append(fixed: points.bits[start..<end])
            } else {
                columns[3].append(fixed: points.bits[start..<end])
                columns[4].appendNulls(count: count)
            }
            rowCount += count
            start = end
            if columns[0].rowCount == options.rowGroupRowLimit { try flushRowGroup() }
        }
    }

    /// Writes the last row group and the footer and puts the file in place.
    public func close() throws(StrataError) -> Summary {
        guard !isClosed else { throw StrataError(.closed, "the Parquet file is already closed", path: path) }
        try flushRowGroup()
        let footer = ParquetFileMetaData(
            schema: schema.elements,
            rowCount: Int64(rowCount),
            rowGroups: rowGroups,
            keyValueMetadata: [("strata.value_int", "value_int holds the points of Int64 series exactly (value holds them as the nearest Double); it is null for Float64 series")]
                + metadata,
            createdBy: "strata version \(StrataVersion.current)",
            typeOrderedColumnCount: schema.columns.count
        ).thriftCompactBytes
        var tail = footer
        appendLittleEndian(UInt32(footer.count), to: &tail)
        tail.append(contentsOf: "PAR1".utf8)
        try write(tail)
        isClosed = true
        try file.commit()
        return Summary(rowCount: rowCount, rowGroupCount: rowGroups.count, byteCount: offset)
    }

    /// Writes the buffered rows as a row group, if there are any.
    private func flushRowGroup() throws(StrataError) {
        let rows = columns[0].rowCount
        guard rows > 0 else { return }
        let groupStart = offset
        var chunks: [ParquetColumnChunk] = []
        var uncompressed: Int64 = 0
        for index in columns.indices {
            let chunkStart = Int64(offset)
            let (bytes, metaData): ([UInt8], ParquetColumnMetaData)
            do throws(CompressionError) {
                (bytes, metaData) = try columns[index].finishChunk(at: chunkStart)
            } catch {
                throw StrataError(.io, "compressing a Parquet page failed: \(error.reason)", path: path)
            }
            try write(bytes)
            uncompressed += metaData.totalUncompressedSize
            chunks.append(ParquetColumnChunk(fileOffset: chunkStart, metaData: metaData))
        }
        rowGroups.append(ParquetRowGroup(columns: chunks, totalByteSize: uncompressed, rowCount: Int64(rows),
                                         fileOffset: Int64(groupStart), totalCompressedSize: Int64(offset - groupStart),
                                         ordinal: rowGroups.count))
    }

    private func write(_ bytes: [UInt8]) throws(StrataError) {
        do throws(StrataError) {
            try file.write(bytes)
        } catch {
            // Nothing more can be written: the partial file goes now, not at release.
            isClosed = true
            file.discard()
            throw error
        }
        offset += bytes.count
    }
}

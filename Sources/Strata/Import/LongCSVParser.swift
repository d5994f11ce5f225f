import Glibc

/// Reads long CSV, one point a row: `device,metric,ts_ms,value`.
///
/// - The input is UTF-8; a leading byte-order mark is skipped, and a device or metric
///   that is not valid UTF-8 makes its row malformed.
/// - The first record must be that header, its fields quoted or not (R and pandas
///   quote them).
/// - `ts_ms` is a decimal Int64 (milliseconds since the Unix epoch, negative allowed)
///   or an RFC 3339 date-time (`2024-03-01T12:00:00Z`, `2024-03-01T14:00:00.250+02:00`),
///   read as ``TimeText/parse(_:)`` reads them.
/// - `value` is a decimal float in the grammar of <doc:Importing> (no hexadecimal; a
///   value that would round to an infinity or, from non-zero digits, to zero is
///   malformed), `inf`, `-inf`, `nan`, or
///   `nan(0x7ff8000000000001)`: a NaN given by its full 64-bit pattern,
///   which is how ``NumberText/format(_:)`` prints NaNs other than the default one, so
///   every stored value can be written out and read back bit for bit. For
///   Int64 series the value is a decimal integer.
/// - Records follow RFC 4180: fields may be quoted with `"` (a `""` inside a quoted field
///   is one `"`), a quoted field may hold commas and line breaks, lines end in `\n` or
///   `\r\n`. A record longer than ``maximumRecordBytes`` is malformed. Messages name
///   the line where the record starts.
/// - Empty lines are ignored.
public struct LongCSVParser: Sendable, BlockParser {
    /// The header every file starts with.
    public static let header = "device,metric,ts_ms,value"

    /// The value type given to the series of the file.
    public var valueType: ValueType = .float64
    /// When true, malformed rows are collected and skipped; when false, the first one stops the parse.
    public var skipsBadRows = false
    /// At most this many bad rows are kept in the result (all are counted).
    public var maximumReportedErrors = 100
    /// A record longer than this many bytes is malformed.
    public var maximumRecordBytes = ImportLimits.defaultMaximumRecordBytes
    /// The size of the blocks an input is cut into to parse on several threads.
    var blockBytes = ParallelImport.defaultBlockBytes
    /// The threads a parse uses; 1 parses in one piece.
    var workers = ParallelWork.processorCount
    /// The bytes of a streamed input held at a time (see ``parse(reading:file:into:)``).
    var windowBytes = ImportWindow.defaultCapacity
    /// Whether a streamed input is read ahead on a thread of its own while
    /// its text is parsed (see ``ReadAheadInput``): worth it where reading
    /// costs work, as decompressing does, and safe only where every read
    /// returns in bounded time (a regular file, not a pipe).
    package var readsAhead = false

    /// A parser storing values as `valueType`, stopping at the first bad row unless `skipsBadRows`.
    public init(valueType: ValueType = .float64, skipsBadRows: Bool = false) {
        self.valueType = valueType
        self.skipsBadRows = skipsBadRows
    }

    /// What a parse produced.
    public typealias Result = ImportResult

    /// Parses `contents`, the whole input called `file`.
    public func parse(_ contents: [UInt8], file: String) throws(RowError) -> Result {
        try parseWhole(contents, file: file)
    }

    /// Parses `bytes`, the whole content of the input called `file`, on ``workers``
    /// threads when it is larger than a block (see ``ParallelImport``); the result
    /// is the same either way.
    ///
    /// - Throws: the first ``RowError`` unless ``skipsBadRows`` is set (then a
    ///   missing or wrong header is still thrown: the file is not this format).
    public func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(RowError) -> Result {
        try parseWhole(bytes, file: file)
    }

    /// Parses the input `input`, called `file`, into `stage` a window of a few tens of
    /// megabytes at a time (see ``ParallelImport/parseStreamed(window:input:from:firstLine:headerLine:plan:maximumRecordBytes:file:into:parseBlock:)``):
    /// the rows and messages are those of parsing it whole, and memory holds a window,
    /// not the input. A line still open past ``maximumRecordBytes`` stops the read.
    ///
    /// - Throws: a ``RowError`` for a bad row (unless skipped), a missing header or a
    ///   runaway line; a read error of `input`; `.typeMismatch` for a series staged with
    ///   the other type by an earlier input. `stage` is then as it was.
    package func parse<Input: ImportInput & ~Copyable>(reading input: inout Input, file: String, into stage: inout ImportStage) throws -> Result {
        guard readsAhead else { return try parseWindows(reading: &input, file: file, into: &stage) }
        return try ReadAheadInput.reading(&input) { ahead in try parseWindows(reading: &ahead, file: file, into: &stage) }
    }

    private func parseWindows(reading input: inout some ImportInput & ~Copyable, file: String, into stage: inout ImportStage) throws -> Result {
        var window = ImportWindow(capacity: windowBytes)
        try window.fill(from: &input, lineLimit: maximumRecordBytes)
        // The header must be whole in the window.
        while !window.atEnd && ParallelImport.lastLineFeed(in: window.bytes, from: 0) == nil {
            guard window.filled <= maximumRecordBytes else {
                throw RowError(file: file, line: 1, reason: ImportLimits.runawayLine(limit: maximumRecordBytes))
            }
            window.grow()
            try window.fill(from: &input, lineLimit: maximumRecordBytes)
        }
        let whole = window.bytes
        let bytes = InputText.skippingByteOrderMark(whole)
        let skipped = whole.count - bytes.count
        let cursor = try cursorAfterHeader(bytes, file: file)
        return try ParallelImport.parseStreamed(
            window: &window, input: &input, from: min(skipped + cursor.position, whole.count), firstLine: cursor.nextLineNumber, headerLine: 1,
            plan: plan, maximumRecordBytes: maximumRecordBytes, file: file, into: &stage,
            parseBlock: { bytes, from, to in parseRecords(bytes, from: from, to: to, firstLine: 1, file: file) })
    }

    /// How a parse is spread over the cores.
    private var plan: ParallelImport.Plan {
        ParallelImport.Plan(blockBytes: blockBytes, workers: workers, skipsBadRows: skipsBadRows, maximumReportedErrors: maximumReportedErrors)
    }

    /// A cursor over `bytes` past the header, which must be there.
    private func cursorAfterHeader(_ bytes: UnsafeRawBufferPointer, file: String) throws(RowError) -> CSVRecordCursor {
        var cursor = CSVRecordCursor(bytes: bytes)
        guard let headerLine = cursor.nextRecord() else {
            throw RowError(file: file, line: 1, reason: "empty input; expected the header \(Self.header)")
        }
        try checkHeader(headerLine, file: file)
        return cursor
    }

    /// Parses `bytes`, merging the rows into the result's batch when `stage` is nil.
    package func parse(_ bytes: UnsafeRawBufferPointer, file: String, staging stage: inout ImportStage?) throws(RowError) -> Result {
        let bytes = InputText.skippingByteOrderMark(bytes)
        let cursor = try cursorAfterHeader(bytes, file: file)
        let shared = ParallelImport.SharedBytes(bytes: bytes)
        if let result = try ParallelImport.parse(bytes, from: cursor.position, firstLine: cursor.nextLineNumber, headerLine: 1, plan: plan, staging: &stage,
                                                 parseBlock: { from, to in parseRecords(shared.bytes, from: from, to: to, firstLine: 1, file: file) }) {
            return result
        }
        return try parseRecords(bytes, from: cursor.position, to: bytes.count, firstLine: cursor.nextLineNumber, file: file)
            .result(skipsBadRows: skipsBadRows, headerLine: 1)
    }

    /// Parses the records that begin in `from..<to` of `bytes`, taking `from` to be
    /// the start of a record on line `firstLine`. Never throws: without
    /// ``skipsBadRows`` it stops at the first bad row and returns it.
    func parseRecords(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, firstLine: Int, file: String) -> ImportBlock {
        var cursor = CSVRecordCursor(bytes: bytes, position: start, firstLine: firstLine)
        // Room for rows of 16 bytes, fewer than nearly any real row takes (a 13-digit
        // timestamp alone is 13), so the columns seldom grow; memory never touched
        // costs nothing, and counting the line feeds first was a pass over the text.
        // An input parsed in one piece (one core) starts at a million rows and grows.
        var batch = WriteBatch(capacity: min((end - start) / 16 + 1, 1 << 20))
        var errors: [RowError] = []
        var firstError: RowError? = nil
        var badRows = 0
        var lastRecordLine = 0
        var cache = SeriesCache()
        let scratch = NumberScratch()
        var commas = (0, 0, 0)
        var commaCount = 0
        while cursor.position < end {
            // A line without quotes and with three commas (nearly every row) is split
            // by the one pass that finds its end; anything else takes the full reader.
            let line: UnsafeRawBufferPointer.SubSequence
            if let plain = cursor.nextUnquotedRecord(commas: &commas, commaCount: &commaCount) {
                line = plain
            } else if let record = cursor.nextRecord() {
                line = record
                commaCount = -1
            } else {
                break
            }
            lastRecordLine = cursor.lineNumber
            if line.isEmpty { continue }
            do throws(RowFailure) {
                guard line.count <= maximumRecordBytes else {
                    throw RowFailure(ImportLimits.tooLong(line.count, limit: maximumRecordBytes, what: "record"))
                }
                if commaCount == 3 {
                    let base = line.base
                    func field(_ range: Range<Int>) -> CSVField {
                        CSVField(range: range, bytes: UnsafeRawBufferPointer(rebasing: base[range]), quoted: false)
                    }
                    try parseFields(line, device: field(line.startIndex..<commas.0), metric: field((commas.0 + 1)..<commas.1),
                                    time: field((commas.1 + 1)..<commas.2), value: field((commas.2 + 1)..<line.endIndex),
                                    into: &batch, cache: &cache, scratch: scratch)
                } else {
                    var fields = CSVFieldSplitter(line: line, expectedFieldCount: 4, header: Self.header)
                    let device = try fields.next(name: "device")
                    let metric = try fields.next(name: "metric")
                    let time = try fields.next(name: "ts_ms")
                    let value = try fields.next(name: "value", last: true)
                    try parseFields(line, device: device, metric: metric, time: time, value: value, into: &batch, cache: &cache, scratch: scratch)
                }
            } catch {
                let rowError = RowError(file: file, line: cursor.lineNumber, reason: error.reason)
                badRows += 1
                if firstError == nil { firstError = rowError }
                if errors.count < maximumReportedErrors { errors.append(rowError) }
                guard skipsBadRows else { break }
            }
        }
        return ImportBlock(start: start, end: cursor.position, lineBreaks: cursor.nextLineNumber - firstLine, lastRecordLine: lastRecordLine,
                           batch: batch, errors: errors, badRowCount: badRows, firstError: firstError)
    }

    /// The series of the previous row and the bytes that named it: rows of a series
    /// usually come together.
    struct SeriesCache {
        var bytes: UnsafeRawBufferPointer? = nil
        var series = -1
    }

    /// Parses the fields of one record into `batch`; a bad one leaves no trace there.
    @inline(__always)
    private func parseFields(_ line: UnsafeRawBufferPointer.SubSequence, device: CSVField, metric: CSVField, time: CSVField, value: CSVField,
                             into batch: inout WriteBatch, cache: inout SeriesCache, scratch: borrowing NumberScratch) throws(RowFailure) {
        // Parse the numbers first, so a bad row never registers its series.
        guard let timestamp = TimeText.parse(time.bytes) else {
            throw RowFailure("ts_ms \(time.preview) is neither an integer number of milliseconds in the Int64 range nor an RFC 3339 date-time")
        }
        let bits: UInt64
        switch valueType {
        case .float64:
            do throws(NumberProblem) { bits = try scratch.parseDouble(value.bytes).bitPattern } catch {
                throw RowFailure("value \(value.preview) \(error.explanation)")
            }
        case .int64:
            guard let number = NumberText.parseInt64(value.bytes) else {
                throw RowFailure("value \(value.preview) is not an integer in the Int64 range")
            }
            bits = UInt64(bitPattern: number)
        }

        // Reuse the series when the device and metric bytes repeat (quotes and all,
        // which fix the fields), instead of building strings and hashing.
        let seriesBytes = UnsafeRawBufferPointer(rebasing: line[..<(metric.range.upperBound)])
        let series: Int
        if let previous = cache.bytes,
           previous.count == seriesBytes.count, ByteWord.equal(previous.baseAddress!, seriesBytes.baseAddress!, count: previous.count) {
            series = cache.series
        } else {
            let deviceName = try device.text(name: "device")
            let metricName = try metric.text(name: "metric")
            do {
                series = try batch.series(device: deviceName, metric: metricName, type: valueType)
            } catch {
                throw RowFailure(error.message)
            }
            cache.series = series
            cache.bytes = seriesBytes
        }
        batch.append(series: series, timestamp: timestamp, bits: bits)
    }

    /// Accepts the header as written or with its fields quoted.
    private func checkHeader(_ line: UnsafeRawBufferPointer.SubSequence, file: String) throws(RowError) {
        if line.elementsEqual(Self.header.utf8) { return }
        let fields = try? CSVFieldSplitter.allFields(of: line)
        guard fields != Self.header.split(separator: ",").map(String.init) else { return }
        throw RowError(file: file, line: 1, reason: "header is \(String(decoding: line.prefix(80), as: UTF8.self).debugDescription); expected \(Self.header)")
    }
}

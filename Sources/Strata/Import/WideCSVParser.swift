/// Reads wide CSV, one row per time (and device), one column per metric:
///
/// ```
/// timestamp,temperature,humidity
/// 2024-03-01T12:00:00Z,21.5,40
/// 2024-03-01T12:01:00Z,21.6,
/// ```
///
/// - The first line is the header. One column holds the time (``timeColumn``,
///   `timestamp` by default); with ``DeviceSource-swift.enum/column(_:)`` one names the
///   device; every other column is a metric named by its header.
/// - Times are epoch milliseconds or RFC 3339, as in long CSV.
/// - An empty cell means no reading at that time: it is skipped, not an error.
/// - Values are read as in long CSV: exact floats (or decimal integers for Int64 series).
/// - Records follow RFC 4180 as in long CSV (quoted fields, `""`, line breaks inside
///   quotes, `\r\n`; at most ``maximumRecordBytes`` a record); empty lines are ignored.
/// - The input is UTF-8 (a leading byte-order mark is skipped); a header or device
///   name that is not valid UTF-8 is malformed.
public struct WideCSVParser: Sendable, BlockParser {
    /// Where each row's device comes from.
    public enum DeviceSource: Sendable, Equatable {
        /// Every row belongs to this device.
        case fixed(String)
        /// The device is the value of the column with this header.
        case column(String)
    }

    /// Where each row's device comes from.
    public var device: DeviceSource
    /// The header of the time column.
    public var timeColumn = "timestamp"
    /// The value type given to every series of the file.
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

    /// A parser for files whose device is `device`, with times in the column `timeColumn`.
    public init(device: DeviceSource, timeColumn: String = "timestamp", valueType: ValueType = .float64, skipsBadRows: Bool = false) {
        self.device = device
        self.timeColumn = timeColumn
        self.valueType = valueType
        self.skipsBadRows = skipsBadRows
    }

    /// Parses `contents`, the whole input called `file`.
    public func parse(_ contents: [UInt8], file: String) throws(RowError) -> ImportResult {
        try parseWhole(contents, file: file)
    }

    /// Parses `bytes`, the whole content of the input called `file`, on ``workers``
    /// threads when it is larger than a block (see ``ParallelImport``); the result
    /// is the same either way.
    ///
    /// - Throws: the first ``RowError`` unless ``skipsBadRows`` is set (a bad header is
    ///   always thrown: the file is not this format).
    public func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(RowError) -> ImportResult {
        try parseWhole(bytes, file: file)
    }

    /// Parses `bytes`, merging the rows into the result's batch when `stage` is nil.
    package func parse(_ bytes: UnsafeRawBufferPointer, file: String, staging stage: inout ImportStage?) throws(RowError) -> ImportResult {
        var cursor = CSVRecordCursor(bytes: InputText.skippingByteOrderMark(bytes))
        guard let headerLine = cursor.nextRecord() else {
            throw RowError(file: file, line: 1, reason: "empty input; expected a header such as \(timeColumn),temperature,humidity")
        }
        let names: [String]
        do throws(RowFailure) {
            guard headerLine.count <= maximumRecordBytes else {
                throw RowFailure(ImportLimits.tooLong(headerLine.count, limit: maximumRecordBytes, what: "record"))
            }
            names = try CSVFieldSplitter.allFields(of: headerLine)
        } catch {
            throw RowError(file: file, line: 1, reason: "header: \(error.reason)")
        }
        let headerText = String(decoding: headerLine.prefix(200), as: UTF8.self)
        guard let timeIndex = names.firstIndex(of: timeColumn) else {
            throw RowError(file: file, line: 1, reason: "the header has no \(timeColumn.debugDescription) column: \(headerText)")
        }
        var deviceIndex: Int? = nil
        if case .column(let name) = device {
            guard let index = names.firstIndex(of: name) else {
                throw RowError(file: file, line: 1, reason: "the header has no device column \(name.debugDescription): \(headerText)")
            }
            deviceIndex = index
        }
        let metricIndices = names.indices.filter { $0 != timeIndex && $0 != deviceIndex }
        guard !metricIndices.isEmpty else {
            throw RowError(file: file, line: 1, reason: "the header has no metric columns besides \(timeColumn): \(headerText)")
        }
        var seen: Set<String> = []
        for index in metricIndices {
            do throws(StrataError) { try SeriesName.validate(names[index], role: "metric") } catch {
                throw RowError(file: file, line: 1, reason: "column \(index + 1): \(error.message)")
            }
            guard seen.insert(names[index]).inserted else {
                throw RowError(file: file, line: 1, reason: "the metric column \(names[index].debugDescription) appears twice")
            }
        }
        if case .fixed(let name) = device {
            do throws(StrataError) { try SeriesName.validate(name, role: "device") } catch {
                throw RowError(file: file, line: 1, reason: error.message)
            }
        }

        let layout = WideCSVLayout(names: names, headerText: headerText, timeIndex: timeIndex, deviceIndex: deviceIndex, metricIndices: metricIndices)
        let plan = ParallelImport.Plan(blockBytes: blockBytes, workers: workers, skipsBadRows: skipsBadRows,
                                       maximumReportedErrors: maximumReportedErrors)
        let shared = ParallelImport.SharedBytes(bytes: cursor.bytes)
        if let result = try ParallelImport.parse(cursor.bytes, from: cursor.position, firstLine: cursor.nextLineNumber, headerLine: 1, plan: plan, staging: &stage,
                                                 parseBlock: { from, to in
                                                     parseRecords(shared.bytes, from: from, to: to, firstLine: 1, layout: layout, file: file)
                                                 }) {
            return result
        }
        return try parseRecords(cursor.bytes, from: cursor.position, to: cursor.bytes.count, firstLine: cursor.nextLineNumber, layout: layout, file: file)
            .result(skipsBadRows: skipsBadRows, headerLine: 1)
    }

    /// Parses the records that begin in `from..<to` of `bytes`, taking `from` to be
    /// the start of a record on line `firstLine`. Never throws: without
    /// ``skipsBadRows`` it stops at the first bad row and returns it.
    func parseRecords(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, firstLine: Int, layout: WideCSVLayout,
                      file: String) -> ImportBlock {
        var cursor = CSVRecordCursor(bytes: bytes, position: start, firstLine: firstLine)
        var batch = WriteBatch(capacity: max(16, (end - start) / 8))
        var errors: [RowError] = []
        var firstError: RowError? = nil
        var badRows = 0
        var lastRecordLine = 0
        var row = WideCSVRow(parser: self, layout: layout)
        while cursor.position < end, let line = cursor.nextRecord() {
            lastRecordLine = cursor.lineNumber
            if line.isEmpty { continue }
            do throws(RowFailure) {
                try row.parse(line, into: &batch)
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
}

/// The columns a wide CSV header names.
struct WideCSVLayout: Sendable {
    let names: [String]
    /// The header as text (its first 200 bytes), for messages.
    let headerText: String
    let timeIndex: Int
    let deviceIndex: Int?
    let metricIndices: [Int]
}

/// Reads the rows of one wide CSV block, keeping per-row buffers and the slots of
/// the current device's metrics from row to row.
private struct WideCSVRow: ~Copyable {
    let parser: WideCSVParser
    let layout: WideCSVLayout
    let scratch = NumberScratch()
    /// The slot of each metric for the current device; rows of a device usually come together.
    var currentDevice: String?
    var slots: [Int]
    var cells: [CSVField?]
    var values: [UInt64]

    init(parser: WideCSVParser, layout: WideCSVLayout) {
        self.parser = parser
        self.layout = layout
        if case .fixed(let name) = parser.device { currentDevice = name }
        slots = [Int](repeating: -1, count: layout.names.count)
        cells = [CSVField?](repeating: nil, count: layout.names.count)
        values = [UInt64](repeating: 0, count: layout.names.count)
    }

    /// Parses one record into `batch`; a bad one leaves no trace there.
    mutating func parse(_ line: UnsafeRawBufferPointer.SubSequence, into batch: inout WriteBatch) throws(RowFailure) {
        let names = layout.names
        guard line.count <= parser.maximumRecordBytes else {
            throw RowFailure(ImportLimits.tooLong(line.count, limit: parser.maximumRecordBytes, what: "record"))
        }
        var splitter = CSVFieldSplitter(line: line, expectedFieldCount: names.count, header: layout.headerText)
        for index in names.indices {
            cells[index] = try splitter.next(name: names[index], last: index == names.count - 1)
        }
        let time = cells[layout.timeIndex]!
        guard let timestamp = TimeText.parse(time.bytes) else {
            throw RowFailure("\(parser.timeColumn) \(time.preview) is neither an integer number of milliseconds in the Int64 range nor an RFC 3339 date-time")
        }
        // Parse every value before registering anything, so a bad row leaves no trace.
        for index in layout.metricIndices {
            let cell = cells[index]!
            if cell.bytes.isEmpty { continue }
            switch parser.valueType {
            case .float64:
                do throws(NumberProblem) { values[index] = try scratch.parseDouble(cell.bytes).bitPattern } catch {
                    throw RowFailure("\(names[index]) \(cell.preview) \(error.explanation)")
                }
            case .int64:
                guard let number = NumberText.parseInt64(cell.bytes) else {
                    throw RowFailure("\(names[index]) \(cell.preview) is not an integer in the Int64 range")
                }
                values[index] = UInt64(bitPattern: number)
            }
        }
        if let deviceIndex = layout.deviceIndex {
            let name = try cells[deviceIndex]!.text(name: names[deviceIndex])
            if name != currentDevice {
                do throws(StrataError) { try SeriesName.validate(name, role: "device") } catch { throw RowFailure(error.message) }
                currentDevice = name
                for index in slots.indices { slots[index] = -1 }
            }
        }
        for index in layout.metricIndices where !cells[index]!.bytes.isEmpty {
            if slots[index] < 0 {
                do throws(StrataError) {
                    slots[index] = try batch.series(device: currentDevice!, metric: names[index], type: parser.valueType)
                } catch { throw RowFailure(error.message) }
            }
            batch.append(series: slots[index], timestamp: timestamp, bits: values[index])
        }
    }
}

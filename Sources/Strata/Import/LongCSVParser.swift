#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads long CSV, one point a row: `device,metric,ts_ms,value`.
///
/// - The first line must be that header (a trailing `\r` is allowed on any line).
/// - `ts_ms` is a decimal Int64 (milliseconds since the Unix epoch, negative allowed).
/// - `value` is a decimal or hexadecimal float, `inf`, `-inf`, `nan`, or
///   `nan(0x7ff8000000000001)`: a NaN given by its full 64-bit pattern,
///   which is how ``NumberText/format(_:)`` prints NaNs other than the default one, so
///   every stored value can be written out and read back bit for bit. For
///   Int64 series the value is a decimal integer.
/// - Fields may be quoted with `"` (a `""` inside a quoted field is one `"`).
/// - Empty lines are ignored.
public struct LongCSVParser {
    /// The header every file starts with.
    public static let header = "device,metric,ts_ms,value"

    /// The value type given to the series of the file.
    public var valueType: ValueType = .float64
    /// When true, malformed rows are collected and skipped; when false, the first one stops the parse.
    public var skipsBadRows = false
    /// At most this many bad rows are kept in the result (all are counted).
    public var maximumReportedErrors = 100

    public init(valueType: ValueType = .float64, skipsBadRows: Bool = false) {
        self.valueType = valueType
        self.skipsBadRows = skipsBadRows
    }

    /// What a parse produced.
    public struct Result: Sendable {
        /// The good rows.
        public var batch: WriteBatch
        /// The first ``LongCSVParser/maximumReportedErrors`` bad rows.
        public var errors: [RowError]
        /// Every bad row, reported or not.
        public var badRowCount: Int
        /// Lines read, header included.
        public var lineCount: Int
    }

    /// Parses `contents`, the whole input called `file`.
    public func parse(_ contents: [UInt8], file: String) throws(RowError) -> Result {
        // withUnsafeBytes rethrows untyped errors: carry the outcome out as a value.
        let outcome = contents.withUnsafeBytes { bytes -> Swift.Result<Result, RowError> in
            do throws(RowError) { return .success(try parse(bytes, file: file)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    /// Parses `bytes`, the whole content of the input called `file`.
    ///
    /// - Throws: the first ``RowError`` unless ``skipsBadRows`` is set (then a
    ///   missing or wrong header is still thrown: the file is not this format).
    public func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(RowError) -> Result {
        var batch = WriteBatch(capacity: max(16, bytes.count / 40))
        var errors: [RowError] = []
        var badRows = 0
        var cursor = LineCursor(bytes: bytes)

        guard let headerLine = cursor.nextLine() else {
            throw RowError(file: file, line: 1, reason: "empty input; expected the header \(Self.header)")
        }
        guard headerLine.elementsEqual(Self.header.utf8) else {
            throw RowError(file: file, line: 1, reason: "header is \(String(decoding: headerLine.prefix(80), as: UTF8.self).debugDescription); expected \(Self.header)")
        }

        var previousSeriesBytes: UnsafeRawBufferPointer? = nil
        var previousSeries = -1
        let scratch = FieldScratch()
        defer { scratch.release() }
        while let line = cursor.nextLine() {
            if line.isEmpty { continue }
            do throws(RowFailure) {
                var fields = FieldSplitter(line: line)
                let device = try fields.next(name: "device")
                let metric = try fields.next(name: "metric")
                let time = try fields.next(name: "ts_ms")
                let value = try fields.next(name: "value", last: true)

                // Parse the numbers first, so a bad row never registers its series.
                guard let timestamp = NumberText.parseInt64(time.bytes) else {
                    throw RowFailure("ts_ms \(time.preview) is not an integer number of milliseconds in the Int64 range")
                }
                let bits: UInt64
                switch valueType {
                case .float64:
                    guard let number = scratch.parseDouble(value.bytes) else {
                        throw RowFailure("value \(value.preview) is not a number")
                    }
                    bits = number.bitPattern
                case .int64:
                    guard let number = NumberText.parseInt64(value.bytes) else {
                        throw RowFailure("value \(value.preview) is not an integer in the Int64 range")
                    }
                    bits = UInt64(bitPattern: number)
                }

                // Rows of a series usually come together: reuse the series when the
                // device and metric bytes repeat, instead of building strings and hashing.
                let seriesBytes = UnsafeRawBufferPointer(rebasing: line[..<(metric.range.upperBound)])
                let series: Int
                if let previous = previousSeriesBytes, !device.quoted, !metric.quoted,
                   previous.count == seriesBytes.count, memcmp(previous.baseAddress!, seriesBytes.baseAddress!, previous.count) == 0 {
                    series = previousSeries
                } else {
                    do {
                        series = try batch.series(device: device.text(), metric: metric.text(), type: valueType)
                    } catch {
                        throw RowFailure(error.message)
                    }
                    previousSeries = series
                    previousSeriesBytes = (device.quoted || metric.quoted) ? nil : seriesBytes
                }
                batch.append(series: series, timestamp: timestamp, bits: bits)
            } catch {
                let rowError = RowError(file: file, line: cursor.lineNumber, reason: error.reason)
                guard skipsBadRows else { throw rowError }
                badRows += 1
                if errors.count < maximumReportedErrors { errors.append(rowError) }
            }
        }
        return Result(batch: batch, errors: errors, badRowCount: badRows, lineCount: cursor.lineNumber)
    }
}

/// Why one row was rejected.
private struct RowFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Walks the lines of a buffer, counting them.
private struct LineCursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    private(set) var lineNumber = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The next line without its `\n` or `\r\n`, or nil at the end.
    mutating func nextLine() -> UnsafeRawBufferPointer.SubSequence? {
        guard position < bytes.count else { return nil }
        lineNumber += 1
        let start = position
        let remaining = bytes.count - start
        let found = memchr(bytes.baseAddress! + start, 0x0A, remaining)
        var end: Int
        if let found {
            end = bytes.baseAddress!.distance(to: UnsafeRawPointer(found))
            position = end + 1
        } else {
            end = bytes.count
            position = bytes.count
        }
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        return bytes[start..<end]
    }
}

/// One field of a row.
private struct Field {
    let range: Range<Int>
    let bytes: UnsafeRawBufferPointer
    let quoted: Bool

    func text() -> String {
        let raw = String(decoding: bytes, as: UTF8.self)
        guard quoted else { return raw }
        // Inside quotes a doubled quote stands for one.
        var result = ""
        var previousWasQuote = false
        for character in raw {
            if character == "\"" && previousWasQuote { previousWasQuote = false; continue }
            previousWasQuote = character == "\""
            result.append(character)
        }
        return result
    }

    /// The field as text for a message, shortened.
    var preview: String {
        let text = String(decoding: bytes.prefix(40), as: UTF8.self)
        return (bytes.count > 40 ? text + "…" : text).debugDescription
    }
}

/// Splits a line into comma-separated fields, honouring quotes.
private struct FieldSplitter {
    let line: UnsafeRawBufferPointer.SubSequence
    var position: Int

    init(line: UnsafeRawBufferPointer.SubSequence) {
        self.line = line
        self.position = line.startIndex
    }

    mutating func next(name: String, last: Bool = false) throws(RowFailure) -> Field {
        guard position <= line.endIndex else {
            throw RowFailure("missing the \(name) field; expected 4 fields: \(LongCSVParser.header)")
        }
        let base = line.base
        if position < line.endIndex && base[position] == 0x22 {
            var cursor = position + 1
            var closed = false
            while cursor < line.endIndex {
                if base[cursor] == 0x22 {
                    if cursor + 1 < line.endIndex && base[cursor + 1] == 0x22 { cursor += 2; continue }
                    closed = true
                    break
                }
                cursor += 1
            }
            guard closed else { throw RowFailure("the quoted \(name) field is not closed") }
            let field = Field(range: (position + 1)..<cursor, bytes: UnsafeRawBufferPointer(rebasing: base[(position + 1)..<cursor]), quoted: true)
            let after = cursor + 1
            try finish(after: after, name: name, last: last)
            return field
        }
        let remaining = line.endIndex - position
        let end = remaining > 0
            ? memchr(base.baseAddress! + position, 0x2C, remaining).map { base.baseAddress!.distance(to: UnsafeRawPointer($0)) } ?? line.endIndex
            : position
        let field = Field(range: position..<end, bytes: UnsafeRawBufferPointer(rebasing: base[position..<end]), quoted: false)
        try finish(after: end, name: name, last: last)
        return field
    }

    private mutating func finish(after end: Int, name: String, last: Bool) throws(RowFailure) {
        if last {
            guard end == line.endIndex else {
                throw RowFailure("more than 4 fields; expected \(LongCSVParser.header)")
            }
            position = end + 1
        } else {
            guard end < line.endIndex, line.base[end] == 0x2C else {
                throw RowFailure("the row ends after the \(name) field; expected 4 fields: \(LongCSVParser.header)")
            }
            position = end + 1
        }
    }
}

/// A small NUL-terminated buffer for handing a field to `strtod`, allocated once per parse.
private struct FieldScratch {
    static let capacity = 128
    private let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: FieldScratch.capacity)

    func release() { buffer.deallocate() }

    func parseDouble(_ field: UnsafeRawBufferPointer) -> Double? {
        if let value = NumberText.parseShortDecimal(field) { return value }
        if let nan = NumberText.parseNaNPattern(field) { return nan }
        guard !field.isEmpty, field.count < Self.capacity else { return nil }
        // strtod skips leading spaces; a field is not allowed them.
        guard field[0] != 0x20 && field[0] != 0x09 else { return nil }
        UnsafeMutableRawPointer(buffer).copyMemory(from: field.baseAddress!, byteCount: field.count)
        buffer[field.count] = 0
        var end: UnsafeMutablePointer<CChar>? = nil
        let value = strtod(buffer, &end)
        guard let end, buffer.distance(to: end) == field.count else { return nil }
        return value
    }
}

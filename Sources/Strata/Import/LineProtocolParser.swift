import Glibc

/// Reads InfluxDB line protocol, as Telegraf and the InfluxDB client libraries write it:
///
/// ```
/// weather,host=station-7,region=north temperature=21.5,humidity=40i,door=f 1709294400000000000
/// ```
///
/// - A line is a measurement, optional `,tag=value` pairs, a space, `field=value` pairs
///   separated by commas, and an optional space and integer timestamp.
/// - Escapes: in the measurement `\,` and `\ `; in tag keys, tag values and field keys
///   `\,`, `\=` and `\ `. A backslash before any other character is kept as it is.
/// - Field values: floats in the decimal grammar of <doc:Importing> (`1.5`, `-3`, `+1e3`,
///   `.5`; no `inf` or `nan`, which line protocol does not have; a value that would round
///   to an infinity or, from non-zero digits, to zero is malformed) become Float64
///   points, read to the nearest Float64; integers (`42i`) and unsigned integers (`42u`, at
///   most Int64.max) become Int64 points; booleans (`t`, `T`, `true`, `True`, `TRUE`,
///   `f`, `F`, `false`, `False`, `FALSE`) become Int64 points 1 and 0. String values
///   (`"text"`) are rejected: Strata stores numbers only.
/// - The device is the value of the tag named ``deviceTag`` (given twice, the line is
///   malformed); other tags are ignored
///   unless ``tagsInMetric`` is set. Each field becomes the series `measurement.field`
///   of that device (or `field` with ``MetricNaming-swift.enum/field``), followed by
///   `{key=value,…}` with ``tagsInMetric``.
/// - Timestamps are integers in ``precision`` units (nanoseconds by default, as in
///   InfluxDB) and are converted to Strata's milliseconds, rounding toward the past.
///   A line without one is an error unless ``defaultTimestamp`` is set.
/// - Lines starting with `#` are comments; blank lines are ignored; a line longer than
///   ``maximumLineBytes`` is malformed.
/// - The input is UTF-8 (a leading byte-order mark is skipped); a measurement, device,
///   field key or, with ``tagsInMetric``, tag that is not valid UTF-8 makes its line malformed.
/// - A metric is one series with one value type, so a field that is an integer on one
///   line and a float on another is an error naming both lines.
public struct LineProtocolParser: Sendable, BlockParser {
    /// The unit of the timestamps in the input.
    public enum Precision: String, Sendable, CaseIterable {
        case nanoseconds = "ns", microseconds = "us", milliseconds = "ms", seconds = "s"
    }

    /// How a field's metric name is made.
    public enum MetricNaming: String, Sendable, CaseIterable {
        /// `measurement.field`, so `cpu usage_idle=…` is the metric `cpu.usage_idle`.
        case measurementAndField = "measurement-field"
        /// The field key alone.
        case field
    }

    /// The unit of the input's timestamps; nanoseconds, as InfluxDB assumes.
    public var precision: Precision = .nanoseconds
    /// The tag whose value is the device; Telegraf names the machine `host`.
    public var deviceTag = "host"
    /// How metric names are made from the measurement and field key.
    public var metricNaming: MetricNaming = .measurementAndField
    /// When true, the tags other than the device's are part of the metric name, sorted by
    /// key: `cpu.usage_idle{cpu=cpu0}`. When false they are ignored, and lines that differ
    /// only in them (Telegraf's per-CPU lines, say) write to the same series.
    public var tagsInMetric = false
    /// The timestamp (epoch milliseconds) given to lines without one; nil makes such lines errors.
    public var defaultTimestamp: Int64? = nil
    /// When true, malformed lines are collected and skipped; when false, the first one stops the parse.
    public var skipsBadRows = false
    /// At most this many bad lines are kept in the result (all are counted).
    public var maximumReportedErrors = 100
    /// A line longer than this many bytes is malformed.
    public var maximumLineBytes = ImportLimits.defaultMaximumRecordBytes
    /// The size of the blocks an input is cut into to parse on several threads.
    var blockBytes = ParallelImport.defaultBlockBytes
    /// The threads a parse uses; 1 parses in one piece.
    var workers = ParallelWork.processorCount

    /// A parser with the defaults: nanoseconds, device from `host`, metrics `measurement.field`.
    public init(precision: Precision = .nanoseconds, deviceTag: String = "host", metricNaming: MetricNaming = .measurementAndField,
                skipsBadRows: Bool = false) {
        self.precision = precision
        self.deviceTag = deviceTag
        self.metricNaming = metricNaming
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
    /// - Throws: the first ``RowError`` (with its column) unless ``skipsBadRows`` is set.
    public func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(RowError) -> ImportResult {
        try parseWhole(bytes, file: file)
    }

    /// Parses `bytes`, merging the rows into the result's batch when `stage` is nil.
    package func parse(_ bytes: UnsafeRawBufferPointer, file: String, staging stage: inout ImportStage?) throws(RowError) -> ImportResult {
        let bytes = InputText.skippingByteOrderMark(bytes)
        let plan = ParallelImport.Plan(blockBytes: blockBytes, workers: workers, skipsBadRows: skipsBadRows,
                                       maximumReportedErrors: maximumReportedErrors)
        let shared = ParallelImport.SharedBytes(bytes: bytes)
        if let result = try ParallelImport.parse(bytes, from: 0, firstLine: 1, headerLine: 0, plan: plan, staging: &stage,
                                                 parseBlock: { from, to in parseLines(shared.bytes, from: from, to: to, firstLine: 1, file: file) }) {
            return result
        }
        return try parseLines(bytes, from: 0, to: bytes.count, firstLine: 1, file: file).result(skipsBadRows: skipsBadRows, headerLine: 0)
    }

    /// Parses the lines that begin in `from..<to` of `bytes`, taking `from` to be the
    /// start of line `firstLine`. Never throws: without ``skipsBadRows`` it stops at
    /// the first bad line and returns it.
    func parseLines(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, firstLine: Int, file: String) -> ImportBlock {
        // Every field has an `=` (so do tags, a few): counting them first sizes the
        // columns once, instead of copying hundreds of megabytes as they grow.
        let equalsSigns = ImportBlock.occurrences(of: Byte.equals, in: bytes, from: start, to: end)
        var state = LineProtocolState(parser: self, capacity: max(16, equalsSigns))
        var errors: [RowError] = []
        var firstError: RowError? = nil
        var badRows = 0
        var cursor = LineCursor(bytes: bytes, position: start, firstLine: firstLine)
        while cursor.position < end, let line = cursor.nextLine() {
            do throws(RowFailure) {
                guard line.count <= maximumLineBytes else { throw RowFailure(ImportLimits.tooLong(line.count, limit: maximumLineBytes)) }
                try state.parseLine(line, number: cursor.lineNumber)
            } catch {
                let rowError = RowError(file: file, line: cursor.lineNumber, column: error.column, reason: error.reason)
                badRows += 1
                if firstError == nil { firstError = rowError }
                if errors.count < maximumReportedErrors { errors.append(rowError) }
                guard skipsBadRows else { break }
            }
        }
        let lines = cursor.lineNumber - (firstLine - 1)
        var block = ImportBlock(start: start, end: cursor.position, lineBreaks: lines, lastRecordLine: lines > 0 ? cursor.lineNumber : 0,
                                batch: state.batch, errors: errors, badRowCount: badRows, firstError: firstError)
        block.namesOtherLines = state.reportedTypeConflict
        return block
    }
}

/// Byte values the line protocol grammar cares about.
private enum Byte {
    static let space: UInt8 = 0x20, tab: UInt8 = 0x09, comma: UInt8 = 0x2C, equals: UInt8 = 0x3D
    static let backslash: UInt8 = 0x5C, quote: UInt8 = 0x22, hash: UInt8 = 0x23, minus: UInt8 = 0x2D
}

/// A parsed field value, before its series is known.
private struct ParsedField {
    var key: Range<Int>
    var type: ValueType
    var bits: UInt64
    /// The batch slot of the series once resolved; -1 while it is still to be registered.
    var slot: Int
}

/// The state of one parse: the batch, the series seen, and the caches that let
/// repeated lines of the same device skip building names.
private struct LineProtocolState: ~Copyable {
    let parser: LineProtocolParser
    let deviceTagBytes: [UInt8]
    var batch: WriteBatch
    let scratch = NumberScratch()

    /// Per batch slot: its type and the line that first gave it that type (for conflict messages).
    var slotOfKey: [SeriesKey: Int] = [:]
    var seriesFirstLine: [Int] = []
    /// Set once a message names the line that first gave a series its type.
    var reportedTypeConflict = false

    /// The previous line's measurement-and-tags bytes, its device and measurement, and
    /// its fields' keys and slots by position: Telegraf repeats all of these line after line.
    var previousHead: UnsafeRawBufferPointer? = nil
    var previousDevice = ""
    var previousMeasurement = ""
    /// `{key=value,…}` of the previous line's other tags when they go into metric names.
    var previousTagSuffix = ""
    /// The current line's tags other than the device's, as (key, value) ranges.
    var otherTags: [(key: Range<Int>, value: Range<Int>)] = []
    var previousFieldKeys: [UnsafeRawBufferPointer] = []
    var previousFieldSlots: [Int] = []

    /// The current line's fields, and the metric names of those whose series is new
    /// (kept apart so a field stays plain bytes to copy in the hot path).
    var fields: [ParsedField] = []
    var newMetrics: [(field: Int, metric: String)] = []

    init(parser: LineProtocolParser, capacity: Int) {
        self.parser = parser
        self.deviceTagBytes = Array(parser.deviceTag.utf8)
        self.batch = WriteBatch(capacity: capacity)
    }

    mutating func parseLine(_ line: UnsafeRawBufferPointer.SubSequence, number lineNumber: Int) throws(RowFailure) {
        let base = line.base
        let end = line.endIndex
        var position = line.startIndex
        func column(_ index: Int) -> Int { index - line.startIndex + 1 }
        while position < end, base[position] == Byte.space || base[position] == Byte.tab { position += 1 }
        if position == end || base[position] == Byte.hash { return }

        // Measurement: up to an unescaped comma or space.
        let measurementStart = position
        position = Self.scan(base, from: position, to: end, stopAtEquals: false)
        let measurement = measurementStart..<position
        guard !measurement.isEmpty else { throw RowFailure("the line has no measurement", column: column(measurementStart)) }

        // Tags, remembering the device's.
        var device: Range<Int>? = nil
        otherTags.removeAll(keepingCapacity: true)
        while position < end, base[position] == Byte.comma {
            let keyStart = position + 1
            position = Self.scan(base, from: keyStart, to: end, stopAtEquals: true)
            guard position < end, base[position] == Byte.equals, position > keyStart else {
                throw RowFailure(position == keyStart ? "empty tag key" : "tag key \(Self.preview(base, keyStart..<position)) has no `=value`", column: column(keyStart))
            }
            let key = keyStart..<position
            let valueStart = position + 1
            position = Self.scan(base, from: valueStart, to: end, stopAtEquals: true)
            guard position > valueStart else { throw RowFailure("tag \(Self.preview(base, key)) has an empty value", column: column(valueStart)) }
            if position < end, base[position] == Byte.equals {
                throw RowFailure("unescaped `=` in the value of tag \(Self.preview(base, key)); write it as \\=", column: column(position))
            }
            if Self.unescapedEquals(base, key, deviceTagBytes) {
                // Taking the first or the last would pick a device silently.
                guard device == nil else {
                    throw RowFailure("the \(parser.deviceTag) tag, which names the device, appears twice", column: column(keyStart))
                }
                device = valueStart..<position
            } else {
                otherTags.append((key, valueStart..<position))
            }
        }
        let headEnd = position
        guard position < end else { throw RowFailure("the line has no fields; expected a space and field=value after the measurement and tags", column: column(position)) }
        while position < end, base[position] == Byte.space { position += 1 }
        guard position < end else { throw RowFailure("the line has no fields after the space", column: column(position)) }

        // Fields.
        fields.removeAll(keepingCapacity: true)
        newMetrics.removeAll(keepingCapacity: true)
        while true {
            let keyStart = position
            position = Self.scan(base, from: keyStart, to: end, stopAtEquals: true)
            guard position < end, base[position] == Byte.equals, position > keyStart else {
                throw RowFailure(position == keyStart ? "empty field key" : "field \(Self.preview(base, keyStart..<position)) has no `=value`", column: column(keyStart))
            }
            let key = keyStart..<position
            let valueStart = position + 1
            guard valueStart < end, base[valueStart] != Byte.space, base[valueStart] != Byte.comma else {
                throw RowFailure("field \(Self.preview(base, key)) has no value", column: column(valueStart))
            }
            if base[valueStart] == Byte.quote {
                throw RowFailure("field \(Self.preview(base, key)) is a string; Strata stores numbers only (floats, integers, booleans)", column: column(valueStart))
            }
            position = valueStart
            while position < end, base[position] != Byte.comma, base[position] != Byte.space { position += 1 }
            let value = try parseValue(UnsafeRawBufferPointer(rebasing: base[valueStart..<position]), key: key, in: base, column: column(valueStart))
            fields.append(ParsedField(key: key, type: value.type, bits: value.bits, slot: -1))
            if position < end, base[position] == Byte.comma { position += 1; continue }
            break
        }

        // Timestamp.
        while position < end, base[position] == Byte.space { position += 1 }
        var timeEnd = end
        while timeEnd > position, base[timeEnd - 1] == Byte.space || base[timeEnd - 1] == Byte.tab { timeEnd -= 1 }
        let timestamp: Int64
        if position == timeEnd {
            guard let fallback = parser.defaultTimestamp else {
                throw RowFailure("the line has no timestamp; Strata does not guess one (InfluxDB would use its clock): add timestamps or give a default time", column: column(position))
            }
            timestamp = fallback
        } else {
            let text = UnsafeRawBufferPointer(rebasing: base[position..<timeEnd])
            guard let raw = NumberText.parseInt64(text) else {
                throw RowFailure("timestamp \(Self.preview(base, position..<timeEnd)) is not an integer in the Int64 range", column: column(position))
            }
            guard let milliseconds = Self.milliseconds(raw, precision: parser.precision) else {
                throw RowFailure("timestamp \(raw) in seconds is beyond the Int64 milliseconds Strata stores", column: column(position))
            }
            timestamp = milliseconds
        }

        guard let device else {
            throw RowFailure("the line has no \(parser.deviceTag) tag, which names the device", column: column(measurementStart))
        }
        try resolveSeries(head: UnsafeRawBufferPointer(rebasing: base[line.startIndex..<headEnd]), measurement: measurement, device: device,
                          base: base, line: line, lineNumber: lineNumber)
        for field in fields { batch.append(series: field.slot, timestamp: timestamp, bits: field.bits) }
    }

    /// Finds or registers the series of every field of the line. Names are checked and
    /// type conflicts found before anything is registered, so a bad line leaves no trace.
    private mutating func resolveSeries(head: UnsafeRawBufferPointer, measurement: Range<Int>, device: Range<Int>,
                                        base: UnsafeRawBufferPointer, line: UnsafeRawBufferPointer.SubSequence, lineNumber: Int) throws(RowFailure) {
        let sameHead = previousHead.map { $0.count == head.count && ByteWord.equal($0.baseAddress!, head.baseAddress!, count: head.count) } ?? false
        if !sameHead {
            // Cleared first: a line that fails here must not leave a half-updated cache behind.
            previousHead = nil
            let deviceColumn = device.lowerBound - line.startIndex + 1
            previousDevice = try Self.unescape(base, device, escapable: true, what: "the \(parser.deviceTag) tag value", column: deviceColumn)
            previousMeasurement = try Self.unescape(base, measurement, escapable: false, what: "the measurement", column: 1 + measurement.lowerBound - line.startIndex)
            previousTagSuffix = parser.tagsInMetric ? try tagSuffix(base, line: line) : ""
            previousFieldKeys.removeAll(keepingCapacity: true)
            previousFieldSlots.removeAll(keepingCapacity: true)
            previousHead = head
        }
        var allCached = fields.count == previousFieldKeys.count
        for index in fields.indices {
            let key = UnsafeRawBufferPointer(rebasing: base[fields[index].key])
            if index < previousFieldKeys.count {
                let previous = previousFieldKeys[index]
                if previous.count == key.count && ByteWord.equal(previous.baseAddress!, key.baseAddress!, count: key.count) {
                    let slot = previousFieldSlots[index]
                    if batch.types[slot] == fields[index].type { fields[index].slot = slot; continue }
                }
            }
            allCached = false
            let fieldColumn = fields[index].key.lowerBound - line.startIndex + 1
            let fieldName = try Self.unescape(base, fields[index].key, escapable: true, what: "the field key", column: fieldColumn)
            let metric = (parser.metricNaming == .field ? fieldName : previousMeasurement + "." + fieldName) + previousTagSuffix
            if let slot = slotOfKey[SeriesKey(device: previousDevice, metric: metric)] {
                try checkType(slot: slot, field: fields[index], name: fieldName, lineNumber: lineNumber, column: fieldColumn)
                fields[index].slot = slot
            } else {
                do {
                    try SeriesName.validate(previousDevice, role: "device")
                    try SeriesName.validate(metric, role: "metric")
                } catch {
                    throw RowFailure(error.message, column: fieldColumn)
                }
                newMetrics.append((index, metric))
            }
        }
        for (index, metric) in newMetrics {
            let key = SeriesKey(device: previousDevice, metric: metric)
            if let slot = slotOfKey[key] {
                // The same new field twice in one line.
                try checkType(slot: slot, field: fields[index], name: metric, lineNumber: lineNumber,
                              column: fields[index].key.lowerBound - line.startIndex + 1)
                fields[index].slot = slot
            } else {
                do { fields[index].slot = try batch.series(device: previousDevice, metric: metric, type: fields[index].type) } catch {
                    throw RowFailure(error.message)
                }
                slotOfKey[key] = fields[index].slot
                seriesFirstLine.append(lineNumber)
            }
        }
        newMetrics.removeAll(keepingCapacity: true)
        // A line like the previous one leaves the cache as it is; its keys' bytes are equal.
        if allCached { return }
        previousFieldKeys.removeAll(keepingCapacity: true)
        previousFieldSlots.removeAll(keepingCapacity: true)
        for index in fields.indices {
            let key = UnsafeRawBufferPointer(rebasing: base[fields[index].key])
            previousFieldKeys.append(key)
            previousFieldSlots.append(fields[index].slot)
        }
    }

    /// `{key=value,…}` of the line's other tags sorted by key (InfluxDB's own order, so
    /// the same tags in another order name the same series), or "" when there are none.
    private func tagSuffix(_ base: UnsafeRawBufferPointer, line: UnsafeRawBufferPointer.SubSequence) throws(RowFailure) -> String {
        guard !otherTags.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for tag in otherTags {
            let key = try Self.unescape(base, tag.key, escapable: true, what: "a tag key", column: 1 + tag.key.lowerBound - line.startIndex)
            let value = try Self.unescape(base, tag.value, escapable: true, what: "the value of tag \(key.debugDescription)",
                                          column: 1 + tag.value.lowerBound - line.startIndex)
            pairs.append((key, value))
        }
        let sorted = pairs.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return "{" + sorted.map { $0.0 + "=" + $0.1 }.joined(separator: ",") + "}"
    }

    private mutating func checkType(slot: Int, field: ParsedField, name: String, lineNumber: Int, column: Int) throws(RowFailure) {
        let existing = batch.types[slot]
        guard existing == field.type else {
            reportedTypeConflict = true
            throw RowFailure("field \(name.debugDescription) is \(Self.describe(field.type)) here but was \(Self.describe(existing)) on line \(seriesFirstLine[slot]); a series holds one value type",
                             column: column)
        }
    }

    private static func describe(_ type: ValueType) -> String {
        type == .float64 ? "a float (Float64)" : "an integer or boolean (Int64)"
    }

    /// Parses one unquoted field value.
    private func parseValue(_ text: UnsafeRawBufferPointer, key: Range<Int>, in base: UnsafeRawBufferPointer, column: Int) throws(RowFailure) -> (type: ValueType, bits: UInt64) {
        let last = text[text.count - 1]
        func bad(_ what: String) -> RowFailure {
            RowFailure("field \(Self.preview(base, key)) value \(Self.preview(text)) \(what)", column: column)
        }
        if let boolean = Self.parseBoolean(text) { return (.int64, boolean ? 1 : 0) }
        if last == 0x69 {  // i
            let digits = UnsafeRawBufferPointer(rebasing: text[..<(text.count - 1)])
            guard let value = NumberText.parseInt64(digits) else { throw bad("is not an integer in the Int64 range") }
            return (.int64, UInt64(bitPattern: value))
        }
        if last == 0x75 {  // u
            let digits = UnsafeRawBufferPointer(rebasing: text[..<(text.count - 1)])
            guard digits.first != Byte.minus, let value = NumberText.parseInt64(digits) else {
                throw bad("is not an unsigned integer up to 9223372036854775807 (Strata stores Int64)")
            }
            return (.int64, UInt64(bitPattern: value))
        }
        do throws(NumberProblem) {
            return (.float64, try scratch.parseDouble(text, allowingWords: false).bitPattern)
        } catch .notANumber {
            throw bad("is not a number; line protocol has floats (1.5, 1e3), integers (42i), unsigned integers (42u) and booleans (t, f)")
        } catch {
            throw bad(error.explanation)
        }
    }

    private static func parseBoolean(_ text: UnsafeRawBufferPointer) -> Bool? {
        // Most values are numbers: one byte decides, before any word is compared.
        let first = text[0]
        let truthy = first == 0x74 || first == 0x54  // t T
        guard truthy || first == 0x66 || first == 0x46 else { return nil }  // f F
        if text.count == 1 { return truthy }
        let words: StaticString = truthy ? "true True TRUE " : "false False FALSE "
        let wordLength = truthy ? 4 : 5
        guard text.count == wordLength else { return nil }
        // The three spellings sit one after another in `words`, each followed by a space.
        for start in stride(from: 0, to: words.utf8CodeUnitCount, by: wordLength + 1)
        where ByteSearch.equal(text.baseAddress!, words.utf8Start + start, count: wordLength) {
            return truthy
        }
        return nil
    }

    /// Milliseconds of a timestamp in `precision` units, rounded toward the past; nil on overflow.
    static func milliseconds(_ value: Int64, precision: LineProtocolParser.Precision) -> Int64? {
        func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
            let quotient = value / divisor
            return value % divisor < 0 ? quotient - 1 : quotient
        }
        switch precision {
        case .nanoseconds: return floorDivide(value, 1_000_000)
        case .microseconds: return floorDivide(value, 1000)
        case .milliseconds: return value
        case .seconds:
            let (product, overflow) = value.multipliedReportingOverflow(by: 1000)
            return overflow ? nil : product
        }
    }

    /// The index of the first unescaped comma or space (or equals sign, when asked) from `start`.
    private static func scan(_ base: UnsafeRawBufferPointer, from start: Int, to end: Int, stopAtEquals: Bool) -> Int {
        var index = start
        while index < end {
            let byte = base[index]
            if byte == Byte.backslash { index += 2; continue }
            if byte == Byte.comma || byte == Byte.space || (stopAtEquals && byte == Byte.equals) { return index }
            index += 1
        }
        return end
    }

    /// Whether the escaped bytes in `range` read as `expected` once unescaped.
    private static func unescapedEquals(_ base: UnsafeRawBufferPointer, _ range: Range<Int>, _ expected: [UInt8]) -> Bool {
        if range.count == expected.count {
            return ByteSearch.equal(base.baseAddress! + range.lowerBound, expected, count: expected.count)
        }
        guard range.count > expected.count else { return false }
        return unescapedBytes(base, range, escapable: true) == expected
    }

    /// The text of `range` with its escapes removed (see ``unescapedBytes(_:_:escapable:)``),
    /// or a failure naming `what` when it is not valid UTF-8.
    private static func unescape(_ base: UnsafeRawBufferPointer, _ range: Range<Int>, escapable equalsEscapable: Bool,
                                 what: String, column: Int) throws(RowFailure) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: base[range])
        guard raw.contains(Byte.backslash) else { return try InputText.string(raw, what: what, column: column) }
        let bytes = unescapedBytes(base, range, escapable: equalsEscapable)
        // withUnsafeBytes rethrows untyped errors: carry the outcome out as a value.
        let outcome = bytes.withUnsafeBytes { bytes -> Result<String, RowFailure> in
            do throws(RowFailure) { return .success(try InputText.string(bytes, what: what, column: column)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    /// The bytes of `range` with their escapes removed: `\,` and `\ ` always, and `\=` where
    /// `equalsEscapable` (tags and field keys); other backslashes stay.
    private static func unescapedBytes(_ base: UnsafeRawBufferPointer, _ range: Range<Int>, escapable equalsEscapable: Bool) -> [UInt8] {
        let raw = UnsafeRawBufferPointer(rebasing: base[range])
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            if byte == Byte.backslash, index + 1 < raw.count {
                let next = raw[index + 1]
                if next == Byte.comma || next == Byte.space || (equalsEscapable && next == Byte.equals) {
                    bytes.append(next)
                    index += 2
                    continue
                }
            }
            bytes.append(byte)
            index += 1
        }
        return bytes
    }

    private static func preview(_ base: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        preview(UnsafeRawBufferPointer(rebasing: base[range]))
    }

    private static func preview(_ bytes: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: bytes.prefix(40), as: UTF8.self)
        return (bytes.count > 40 ? text + "…" : text).debugDescription
    }
}

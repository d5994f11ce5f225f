import Glibc

// The byte-level pieces the importers share: lines, CSV fields and number
// parsing on spans of the input, without a String per field in the hot path.

/// Walks the lines of a buffer, counting them.
struct LineCursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    private(set) var lineNumber = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// A cursor at `position`, which starts line `firstLine` (a block of a larger input).
    init(bytes: UnsafeRawBufferPointer, position: Int, firstLine: Int) {
        self.bytes = bytes
        self.position = position
        self.lineNumber = firstLine - 1
    }

    /// The next line without its `\n` or `\r\n`, or nil at the end.
    mutating func nextLine() -> UnsafeRawBufferPointer.SubSequence? {
        guard position < bytes.count else { return nil }
        lineNumber += 1
        let start = position
        var end: Int
        if let found = ByteSearch.firstIndex(of: 0x0A, in: bytes.baseAddress!, from: start, to: bytes.count) {
            end = found
            position = end + 1
        } else {
            end = bytes.count
            position = bytes.count
        }
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        return bytes[start..<end]
    }
}

/// Walks the records of a CSV input as RFC 4180 defines them: a record ends at a
/// line break outside quotes, so a quoted field may hold line breaks (and a
/// record then spans several lines). A quote opens a quoted field only at the
/// start of a field; elsewhere it is an ordinary character, as most readers take it.
struct CSVRecordCursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    /// The line where the current record starts (1-based), which messages name.
    private(set) var lineNumber = 0
    /// The line where the next record starts.
    private(set) var nextLineNumber = 1

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// A cursor at `position`, taken to be where a record starts on line
    /// `firstLine`: a block of a larger input (see ``ParallelImport``).
    init(bytes: UnsafeRawBufferPointer, position: Int, firstLine: Int) {
        self.bytes = bytes
        self.position = position
        self.nextLineNumber = firstLine
    }

    /// The next record without its final `\n` or `\r\n`, or nil at the end. A quoted
    /// field left open runs to the end of the input; the field splitter reports it.
    mutating func nextRecord() -> UnsafeRawBufferPointer.SubSequence? {
        guard position < bytes.count, let base = bytes.baseAddress else { return nil }
        lineNumber = nextLineNumber
        let start = position
        var lineEnd = find(0x0A, from: start, to: bytes.count)
        var index = start
        // Most records hold no quote at all: one search shows it, and the line is the record.
        while let quote = Optional(find(0x22, from: index, to: lineEnd)), quote < lineEnd {
            index = quote + 1
            guard quote == start || base.load(fromByteOffset: quote - 1, as: UInt8.self) == 0x2C else { continue }
            // A quoted field: its closing quote is the next one not doubled, on this line or a later one.
            var closing = find(0x22, from: quote + 1, to: bytes.count)
            while closing + 1 < bytes.count && base.load(fromByteOffset: closing + 1, as: UInt8.self) == 0x22 {
                closing = find(0x22, from: closing + 2, to: bytes.count)
            }
            if closing >= lineEnd {
                nextLineNumber += countLineBreaks(from: lineEnd, to: min(closing, bytes.count))
                lineEnd = closing >= bytes.count ? bytes.count : find(0x0A, from: closing + 1, to: bytes.count)
            }
            guard closing < bytes.count else { break }
            index = closing + 1
        }
        position = lineEnd + 1
        nextLineNumber += 1
        var end = lineEnd
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        return bytes[start..<end]
    }

    /// The next record when its line holds no quote (nearly every record), found in
    /// one pass that also notes where its first three commas are, for a caller that
    /// then needs no field splitter; the result is the record ``nextRecord()`` would
    /// give. Returns nil, the cursor unmoved, at the end or when the line holds a quote.
    mutating func nextUnquotedRecord(commas: inout (Int, Int, Int), commaCount: inout Int) -> UnsafeRawBufferPointer.SubSequence? {
        guard position < bytes.count, let base = bytes.baseAddress else { return nil }
        let start = position
        let count = bytes.count
        var index = start
        var found = 0
        var (first, second, third) = (0, 0, 0)
        @inline(__always) func note(comma at: Int) {
            switch found {
            case 0: first = at
            case 1: second = at
            case 2: third = at
            default: break
            }
            found += 1
        }
        var lineEnd = -1
        // A word at a time, as masks: its commas, and its quotes and line feeds
        // (either ends the scan), so no byte is looked at twice.
        let comma = ByteWord.repeating(0x2C), quote = ByteWord.repeating(0x22), lineFeed = ByteWord.repeating(0x0A)
        while index + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            var commaBits = ByteWord.matches(word, comma)
            let quoteBits = ByteWord.matches(word, quote)
            let stops = quoteBits | ByteWord.matches(word, lineFeed)
            if stops != 0 {
                // Only the commas before the first stop count.
                commaBits &= (stops & (0 &- stops)) &- 1
            }
            while commaBits != 0 {
                note(comma: index + commaBits.trailingZeroBitCount >> 3)
                commaBits &= commaBits &- 1
            }
            if stops != 0 {
                let first = stops.trailingZeroBitCount
                if quoteBits >> UInt64(first) & 1 != 0 { return nil }
                lineEnd = index + first >> 3
                break
            }
            index += 8
        }
        if lineEnd < 0 {
            while index < count {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                if byte == 0x0A { break }
                if byte == 0x22 { return nil }
                if byte == 0x2C { note(comma: index) }
                index += 1
            }
            lineEnd = index
        }
        lineNumber = nextLineNumber
        nextLineNumber += 1
        position = lineEnd + 1
        var end = lineEnd
        if end > start && base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x0D { end -= 1 }
        commas = (first, second, third)
        commaCount = found
        return bytes[start..<end]
    }

    /// The index of the first `byte` in `from..<to`, or `to`.
    private func find(_ byte: UInt8, from: Int, to: Int) -> Int {
        guard let base = bytes.baseAddress else { return to }
        return ByteSearch.firstIndex(of: byte, in: base, from: from, to: to) ?? to
    }

    private func countLineBreaks(from: Int, to: Int) -> Int {
        var count = 0
        var index = find(0x0A, from: from, to: to)
        while index < to {
            count += 1
            index = find(0x0A, from: index + 1, to: to)
        }
        return count
    }
}

/// One field of a CSV row.
struct CSVField {
    /// Where the field's content is in the whole input (inside the quotes when quoted).
    let range: Range<Int>
    let bytes: UnsafeRawBufferPointer
    let quoted: Bool

    /// The field's text, a doubled quote read as one; a failure naming `name` when
    /// the bytes are not UTF-8 (a name must never change on its way in).
    func text(name: String) throws(RowFailure) -> String {
        let raw = try InputText.string(bytes, what: "the \(name) field")
        guard quoted, raw.utf8.contains(0x22) else { return raw }
        var result = ""
        var previousWasQuote = false
        for character in raw.unicodeScalars {
            if character == "\"" && previousWasQuote { previousWasQuote = false; continue }
            previousWasQuote = character == "\""
            result.unicodeScalars.append(character)
        }
        return result
    }

    /// The field as text for a message, shortened.
    var preview: String {
        let text = String(decoding: bytes.prefix(40), as: UTF8.self)
        return (bytes.count > 40 ? text + "…" : text).debugDescription
    }
}

/// Splits a record into comma-separated fields, honouring quotes (a quoted field
/// may hold commas, line breaks and `""` for a quote).
struct CSVFieldSplitter {
    let line: UnsafeRawBufferPointer.SubSequence
    var position: Int
    /// How many fields a row has, and the header naming them, for messages.
    let expectedFieldCount: Int
    let header: String

    init(line: UnsafeRawBufferPointer.SubSequence, expectedFieldCount: Int, header: String) {
        self.line = line
        self.position = line.startIndex
        self.expectedFieldCount = expectedFieldCount
        self.header = header
    }

    /// Splits a whole line (a header) into its fields' texts.
    static func allFields(of line: UnsafeRawBufferPointer.SubSequence) throws(RowFailure) -> [String] {
        var splitter = CSVFieldSplitter(line: line, expectedFieldCount: 0, header: "")
        var fields: [String] = []
        while true {
            let field = try splitter.next(name: "header")
            fields.append(try field.text(name: "header"))
            if splitter.position > line.endIndex { return fields }
        }
    }

    /// The next field; `last` says the row must end after it.
    /// Past the last field `position` is beyond `line.endIndex`.
    mutating func next(name: String, last: Bool = false) throws(RowFailure) -> CSVField {
        guard position <= line.endIndex else {
            throw RowFailure("missing the \(name) field; expected \(expectedFieldCount) fields: \(header)")
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
            guard closed else { throw RowFailure("the quoted \(name) field is not closed: no closing quote before the end of the input") }
            let field = CSVField(range: (position + 1)..<cursor, bytes: UnsafeRawBufferPointer(rebasing: base[(position + 1)..<cursor]), quoted: true)
            try finish(after: cursor + 1, name: name, last: last)
            return field
        }
        let remaining = line.endIndex - position
        let end = remaining > 0
            ? ByteSearch.firstIndex(of: 0x2C, in: base.baseAddress!, from: position, to: line.endIndex) ?? line.endIndex
            : position
        let field = CSVField(range: position..<end, bytes: UnsafeRawBufferPointer(rebasing: base[position..<end]), quoted: false)
        try finish(after: end, name: name, last: last)
        return field
    }

    private mutating func finish(after end: Int, name: String, last: Bool) throws(RowFailure) {
        if last {
            guard end == line.endIndex else {
                throw RowFailure("more than \(expectedFieldCount) fields; expected \(header)")
            }
        } else if end < line.endIndex {
            guard line.base[end] == 0x2C else { throw RowFailure("text after the closing quote of the \(name) field") }
        } else if expectedFieldCount > 0 {
            throw RowFailure("the row ends after the \(name) field; expected \(expectedFieldCount) fields: \(header)")
        }
        position = end + 1
    }
}

/// A small NUL-terminated buffer for handing a field to `strtod`, allocated once per
/// parse and freed with it: the one owner is whatever parse holds it (it cannot be copied).
struct NumberScratch: ~Copyable {
    static let capacity = FloatText.maximumLength + 1
    private let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: NumberScratch.capacity)

    deinit { buffer.deallocate() }

    /// `strtod` on the whole of `field`, or nil when it does not read all of it.
    /// Callers check the text against ``FloatText``'s grammar first: `strtod` alone
    /// also reads hexadecimal floats and rounds out-of-range values silently.
    func parseWithStrtod(_ field: UnsafeRawBufferPointer) -> Double? {
        guard !field.isEmpty, field.count < Self.capacity else { return nil }
        // strtod skips leading spaces; a field is not allowed them.
        guard field[0] != 0x20 && field[0] != 0x09 else { return nil }
        UnsafeMutableRawPointer(buffer).copyMemory(from: field.baseAddress!, byteCount: field.count)
        buffer[field.count] = 0
        let (value, length) = CDecimal.parseDouble(buffer)
        guard length == field.count else { return nil }
        return value
    }
}

import Testing
@testable import Strata
import StrataTestSupport

/// The three importers on hostile input: bytes that are not UTF-8, numbers at the
/// edges of the grammar, byte-order marks, RFC 4180 records and overlong lines.
@Suite("Import: hostile input")
struct ImportInputHardeningTests {
    func long(_ bytes: [UInt8], skipping: Bool = false, type: ValueType = .float64) throws(RowError) -> ImportResult {
        try LongCSVParser(valueType: type, skipsBadRows: skipping).parse(bytes, file: "in.csv")
    }

    func wide(_ bytes: [UInt8], device: WideCSVParser.DeviceSource = .fixed("d"), skipping: Bool = false) throws(RowError) -> ImportResult {
        try WideCSVParser(device: device, skipsBadRows: skipping).parse(bytes, file: "in.csv")
    }

    func lineProtocol(_ bytes: [UInt8], tagsInMetric: Bool = false) throws(RowError) -> ImportResult {
        var parser = LineProtocolParser(precision: .milliseconds)
        parser.tagsInMetric = tagsInMetric
        return try parser.parse(bytes, file: "in.lp")
    }

    // MARK: UTF-8

    /// The UTF-8 of `text` with each `%HH` replaced by the byte 0xHH.
    static func bytes(_ text: String) -> [UInt8] {
        var result: [UInt8] = []
        var rest = Substring(text)
        while let percent = rest.firstIndex(of: "%") {
            result += Array(rest[..<percent].utf8)
            let hex = rest[rest.index(after: percent)...].prefix(2)
            result.append(UInt8(hex, radix: 16)!)
            rest = rest[hex.endIndex...]
        }
        return result + Array(rest.utf8)
    }

    static let invalidUTF8Cases: [(format: String, input: String, line: Int, reason: String)] = [
        // Long CSV: device, metric, quoted device.
        ("long", "device,metric,ts_ms,value\nd,m,1,1\nd%FF,m,1,1\n", 3, "the device field is not valid UTF-8 (byte 0xFF at offset 1)"),
        ("long", "device,metric,ts_ms,value\nd,m,1,1\nd,m%C3,1,1\n", 3, "the metric field is not valid UTF-8"),
        ("long", "device,metric,ts_ms,value\nd,m,1,1\n\"%FE\",m,1,1\n", 3, "the device field is not valid UTF-8"),
        // Wide CSV: a header name, the device column.
        ("wide", "timestamp,a%FF\n1,2\n", 1, "header: the header field is not valid UTF-8"),
        ("wideColumn", "timestamp,site,a\n1,s,2\n1,%FF,2\n", 3, "the site field is not valid UTF-8"),
        // Line protocol: measurement, device tag, field key, another tag when tags name metrics.
        ("lp", "m,host=h v=1 1\nm%FF,host=h v=1 1\n", 2, "the measurement is not valid UTF-8"),
        ("lp", "m,host=h v=1 1\nm,host=%FE v=1 1\n", 2, "the host tag value is not valid UTF-8"),
        ("lp", "m,host=h v=1 1\nm,host=h %FF=1 1\n", 2, "the field key is not valid UTF-8"),
        ("lpTags", "m,host=h v=1 1\nm,host=h,cpu=%FF v=1 1\n", 2, "the value of tag \"cpu\" is not valid UTF-8"),
    ]

    @Test("Names that are not UTF-8 are malformed rows, never merged through U+FFFD", arguments: invalidUTF8Cases)
    func invalidUTF8(_ testCase: (format: String, input: String, line: Int, reason: String)) {
        let (format, line, reason) = (testCase.format, testCase.line, testCase.reason)
        let input = Self.bytes(testCase.input)
        let error = #expect(throws: RowError.self) {
            switch format {
            case "long": _ = try long(input)
            case "wide": _ = try wide(input)
            case "wideColumn": _ = try wide(input, device: .column("site"))
            case "lpTags": _ = try lineProtocol(input, tagsInMetric: true)
            default: _ = try lineProtocol(input)
            }
        }
        #expect(error?.line == line)
        #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
    }

    @Test("Two devices that differ only in invalid bytes are not one series")
    func noMerging() throws {
        let input = Array("device,metric,ts_ms,value\n".utf8) + [0x64, 0xFF] + Array(",m,1,1\n".utf8) + [0x64, 0xFE] + Array(",m,2,2\n".utf8)
        let result = try long(input, skipping: true)
        #expect(result.batch.count == 0)
        #expect(result.badRowCount == 2)
        // Valid UTF-8 beyond ASCII is a name like any other.
        let accented = try long(Array("device,metric,ts_ms,value\nstation-é,température,1,1\n".utf8))
        #expect(accented.batch.keys == [SeriesKey(device: "station-é", metric: "température")])
    }

    // MARK: Numbers

    @Test("One float grammar: decimal, a leading +, no hexadecimal, no rounding to infinity or to zero", arguments: [
        ("+5", Double(5).bitPattern), ("+1.5e3", Double(1500).bitPattern), ("5e-324", Double(bitPattern: 1).bitPattern),
        ("2.2250738585072009e-308", Double(bitPattern: 0x000F_FFFF_FFFF_FFFF).bitPattern), ("0e999", Double(0).bitPattern),
        ("-0.000e-500", Double(-0.0).bitPattern), ("1.7976931348623157e308", Double.greatestFiniteMagnitude.bitPattern),
        (".5", Double(0.5).bitPattern), ("2.", Double(2).bitPattern),
    ])
    func goodNumbers(text: String, bits: UInt64) throws {
        let csv = try long(Array("device,metric,ts_ms,value\nd,m,1,\(text)\n".utf8))
        #expect(csv.batch.bits == [bits], "long CSV \(text)")
        let table = try wide(Array("timestamp,m\n1,\(text)\n".utf8))
        #expect(table.batch.bits == [bits], "wide CSV \(text)")
        let lines = try lineProtocol(Array("m,host=h v=\(text) 1\n".utf8))
        #expect(lines.batch.bits == [bits], "line protocol \(text)")
    }

    @Test("Malformed numbers are malformed in every format", arguments: [
        ("0x10", "is not a decimal number"), ("0x1p3", "is not a decimal number"), ("1e999", "beyond the Float64 range"),
        ("-1e999", "beyond the Float64 range"), ("1e-400", "would become 0"), ("-2e-324", "would become 0"),
        ("1e", "is not a decimal number"), ("++1", "is not a decimal number"), ("1,5", "more than"), ("infinite", "is not a decimal number"),
        (String(repeating: "1", count: 1100), "longer than 1024 bytes"),
    ])
    func badNumbers(text: String, reason: String) {
        let csv = #expect(throws: RowError.self) { try long(Array("device,metric,ts_ms,value\nd,m,1,\(text)\n".utf8)) }
        #expect(csv?.line == 2)
        #expect(csv?.reason.contains(reason) == true, "\(csv?.reason ?? "")")
        let table = #expect(throws: RowError.self) { try wide(Array("timestamp,m\n1,\(text)\n".utf8)) }
        #expect(table?.line == 2)
        #expect(table?.reason.contains(reason) == true, "\(table?.reason ?? "")")
        let lines = #expect(throws: RowError.self) { try lineProtocol(Array("m,host=h v=\(text) 1\n".utf8)) }
        #expect(lines?.line == 1)
    }

    @Test("CSV spells infinity and NaN as export writes them; line protocol has neither")
    func words() throws {
        let csv = try long(Array("device,metric,ts_ms,value\nd,m,1,inf\nd,m,2,-Infinity\nd,m,3,NaN\nd,m,4,+inf\n".utf8))
        #expect(csv.batch.bits.map { Double(bitPattern: $0) }.map(\.description) == ["inf", "-inf", "nan", "inf"])
        #expect(throws: RowError.self) { try lineProtocol(Array("m,host=h v=inf 1\n".utf8)) }
    }

    @Test("Integers and timestamps: a leading +, overflow malformed in every format")
    func integers() throws {
        let csv = try long(Array("device,metric,ts_ms,value\nd,m,+7,+9223372036854775807\n".utf8), type: .int64)
        #expect(csv.batch.timestamps == [7])
        #expect(csv.batch.bits == [UInt64(Int64.max)])
        #expect(throws: RowError.self) { try long(Array("device,metric,ts_ms,value\nd,m,1,-9223372036854775809\n".utf8), type: .int64) }
        #expect(throws: RowError.self) { try long(Array("device,metric,ts_ms,value\nd,m,9223372036854775808,1\n".utf8)) }
        let lines = try lineProtocol(Array("m,host=h v=+5i,w=+6u +8\n".utf8))
        #expect(lines.batch.bits == [5, 6])
        #expect(lines.batch.timestamps == [8, 8])
        #expect(throws: RowError.self) { try lineProtocol(Array("m,host=h v=1 9223372036854775808\n".utf8)) }
    }

    // MARK: Byte-order mark

    @Test("A leading byte-order mark is skipped in every format")
    func byteOrderMark() throws {
        let mark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let csv = try long(mark + Array("device,metric,ts_ms,value\nd,m,1,2\n".utf8))
        #expect(csv.batch.keys == [SeriesKey(device: "d", metric: "m")])
        let table = try wide(mark + Array("timestamp,temp\n1,2\n".utf8))
        #expect(table.batch.keys == [SeriesKey(device: "d", metric: "temp")])
        let lines = try lineProtocol(mark + Array("cpu,host=h v=1 1\n".utf8))
        #expect(lines.batch.keys == [SeriesKey(device: "h", metric: "cpu.v")])
        // Only at the start: anywhere else it is content (here, part of a device name).
        let later = try long(Array("device,metric,ts_ms,value\n".utf8) + mark + Array("d,m,1,2\n".utf8))
        #expect(later.batch.keys == [SeriesKey(device: "\u{FEFF}d", metric: "m")])
    }

    // MARK: RFC 4180

    @Test("Quoted headers, as R and pandas write them")
    func quotedHeaders() throws {
        let csv = try long(Array("\"device\",\"metric\",\"ts_ms\",\"value\"\r\n\"d\",\"m\",1,2\r\n\"d\",\"m\",2,3\r\n".utf8))
        #expect(csv.batch.keys == [SeriesKey(device: "d", metric: "m")])
        #expect(csv.batch.timestamps == [1, 2])
        let table = try wide(Array("\"timestamp\",\"site\",\"pm2.5\"\n1,\"north\",4\n".utf8), device: .column("site"))
        #expect(table.batch.keys == [SeriesKey(device: "north", metric: "pm2.5")])
        #expect(throws: RowError.self) { try long(Array("\"device\",\"metric\",\"ts\",\"value\"\n".utf8)) }
    }

    @Test("A quoted field may hold line breaks; errors name the line where the record starts")
    func multiLineRecords() throws {
        let text = "device,metric,ts_ms,value\n\"a,\"\"b\"\"\",m,1,1\n\"line\r\nbreak\",m,2,2\nd,m,3,x\nd,m,4,4\n"
        let result = try long(Array(text.utf8), skipping: true)
        #expect(result.batch.keys == [SeriesKey(device: "a,\"b\"", metric: "m"), SeriesKey(device: "d", metric: "m")])
        #expect(result.batch.timestamps == [1, 4])
        // The record of lines 3 and 4 is one bad row (its device holds a control character), then line 5.
        #expect(result.errors.map(\.line) == [3, 5])
        #expect(result.errors.first?.reason.contains("control character") == true, "\(result.errors.first?.reason ?? "")")
        #expect(result.lineCount == 6)

        let wideText = "timestamp,\"two\nlines\",b\n1,2,3\n2,x,4\n"
        let table = #expect(throws: RowError.self) { try wide(Array(wideText.utf8)) }
        #expect(table?.line == 1)
        #expect(table?.reason.contains("control character") == true, "\(table?.reason ?? "")")
        let tableRows = try wide(Array("timestamp,a,b\n\"1\",\"2\",\"3\"\n\"2\",x,4\n".utf8), skipping: true)
        #expect(tableRows.errors.map(\.line) == [3])
        #expect(tableRows.batch.timestamps == [1, 1])
    }

    @Test("An unclosed quote runs to the end of the input and is reported where it starts")
    func unclosedQuote() {
        let error = #expect(throws: RowError.self) { try long(Array("device,metric,ts_ms,value\nd,m,1,1\n\"d,m,2,2\nd,m,3,3\n".utf8)) }
        #expect(error?.line == 3)
        #expect(error?.reason.contains("not closed: no closing quote before the end of the input") == true, "\(error?.reason ?? "")")
    }

    @Test("The record cursor counts lines inside quotes and takes a quote inside a field literally")
    func recordCursor() {
        let text = "a,\"x\ny\"\"\n\",b\nc\"d,e\r\n\"\"\n"
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { raw in
            var cursor = CSVRecordCursor(bytes: raw)
            var records: [(Int, String)] = []
            while let record = cursor.nextRecord() {
                records.append((cursor.lineNumber, String(decoding: UnsafeRawBufferPointer(rebasing: record), as: UTF8.self)))
            }
            #expect(records.map(\.0) == [1, 4, 5])
            #expect(records.map(\.1) == ["a,\"x\ny\"\"\n\",b", "c\"d,e", "\"\""])
        }
    }

    @Test("The word-at-a-time record scan finds what a byte-by-byte scan finds", arguments: 0..<4)
    func unquotedRecordScan(seed: UInt64) {
        var random = SeededGenerator(seed: 900 + seed)
        let alphabet: [UInt8] = [0x61, 0x61, 0x61, 0x2C, 0x2C, 0x22, 0x0A, 0x0D, 0xC3]
        let bytes = (0..<3_000).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
        bytes.withUnsafeBytes { raw in
            var position = 0
            while position < raw.count {
                // The reference: the record's end at the first line feed, nil at a quote before it.
                var end = position
                while end < raw.count && raw[end] != 0x0A && raw[end] != 0x22 { end += 1 }
                let commaOffsets = (position..<end).filter { raw[$0] == 0x2C }
                var cursor = CSVRecordCursor(bytes: raw, position: position, firstLine: 1)
                var commas = (0, 0, 0)
                var count = -1
                let record = cursor.nextUnquotedRecord(commas: &commas, commaCount: &count)
                if end < raw.count && raw[end] == 0x22 {
                    #expect(record == nil, "a quote at \(end) after \(position)")
                    position = end + 1
                    continue
                }
                var recordEnd = end
                if recordEnd > position && raw[recordEnd - 1] == 0x0D { recordEnd -= 1 }
                #expect(record.map { $0.startIndex..<$0.endIndex } == position..<recordEnd)
                #expect(count == commaOffsets.count)
                let noted = [commas.0, commas.1, commas.2].prefix(min(3, commaOffsets.count))
                #expect(Array(noted) == Array(commaOffsets.prefix(3)))
                #expect(cursor.position == end + 1)
                position = end + 1
            }
        }
    }

    // MARK: Line limit

    @Test("A line or record over the limit is malformed")
    func lineLimit() throws {
        var csv = LongCSVParser(skipsBadRows: true)
        csv.maximumRecordBytes = 20
        let result = try csv.parse(Array("device,metric,ts_ms,value\nd,m,1,1\nd,m,2,1.00000000000000000000\nd,\"m\n\",3,3\nd,m,4,4\n".utf8), file: "in.csv")
        #expect(result.batch.timestamps == [1, 4])
        #expect(result.errors.map(\.line) == [3, 4])
        #expect(result.errors.first?.reason == "the record is 28 bytes long, over the limit of 20 bytes")
        var table = WideCSVParser(device: .fixed("d"))
        table.maximumRecordBytes = 12
        #expect(throws: RowError.self) { try table.parse(Array("timestamp,a\n1,2222222222222\n".utf8), file: "in.csv") }
        var lines = LineProtocolParser(precision: .milliseconds)
        lines.maximumLineBytes = 16
        let error = #expect(throws: RowError.self) { try lines.parse(Array("m,host=h v=1 1\nm,host=h v=12345 1\n".utf8), file: "in.lp") }
        #expect(error?.line == 2)
        #expect(error?.reason.contains("over the limit of 16 bytes") == true)
    }

    // MARK: Line protocol device tag

    @Test("The device tag twice is malformed, whichever value it has")
    func duplicateDeviceTag() throws {
        for line in ["m,host=a,host=b v=1 1", "m,host=a,host=a v=1 1", "m,host=a,x=1,host\\ =b,host=c v=1 1"] {
            let error = #expect(throws: RowError.self) { try lineProtocol(Array(line.utf8)) }
            #expect(error?.reason.contains("appears twice") == true, "\(line): \(error?.reason ?? "")")
        }
        // Another tag whose key only resembles the device tag is not the device.
        let escaped = try lineProtocol(Array("m,host=a,host\\ x=b v=1 1\n".utf8))
        #expect(escaped.batch.keys == [SeriesKey(device: "a", metric: "m.v")])
    }
}

import Testing
@testable import Strata
import StrataTestSupport

@Suite("Long CSV import")
struct LongCSVParserTests {
    func parse(_ text: String, skipping: Bool = false, type: ValueType = .float64) throws(RowError) -> LongCSVParser.Result {
        try LongCSVParser(valueType: type, skipsBadRows: skipping).parse(Array(text.utf8), file: "input.csv")
    }

    @Test("Good rows: quotes, CRLF, blank lines, special values, negative times")
    func goodRows() throws {
        let lines = [
            "device,metric,ts_ms,value\r",
            "pump-1,temp,1000,21.5\r",
            #""pump,2","say ""hi""",-5,-0.0"#,
            "",
            "pump-1,temp,2000,nan(0x7ff80000deadbeef)",
            "pump-1,temp,3000,inf",
            "pump-1,temp,4000,1e-310",
        ]
        let result = try parse(lines.joined(separator: "\n"))
        #expect(result.batch.count == 5)
        #expect(result.batch.keys == [SeriesKey(device: "pump-1", metric: "temp"), SeriesKey(device: "pump,2", metric: "say \"hi\"")])
        #expect(result.batch.timestamps == [1000, -5, 2000, 3000, 4000])
        #expect(result.batch.bits == [Double(21.5).bitPattern, Double(-0.0).bitPattern, 0x7FF8_0000_DEAD_BEEF, Double.infinity.bitPattern, Double(1e-310).bitPattern])
        #expect(result.lineCount == 7)
    }

    @Test("Malformed rows name the file, line and reason", arguments: [
        ("d,m,1,abc", "value \"abc\" is not a decimal number"),
        ("d,m,1.5,2", "ts_ms \"1.5\" is neither an integer"),
        ("d,m,99999999999999999999,2", "neither an integer"),
        ("d,m,1", "ends after the ts_ms field"),
        ("d,m,1,2,3", "more than 4 fields"),
        ("d,,1,2", "metric name is empty"),
        ("d,m,1,", "value \"\" is not a decimal number"),
        ("d,m,1, 2", "is not a decimal number"),
        ("\"d,m,1,2", "not closed"),
    ])
    func malformed(row: String, reason: String) {
        let error = #expect(throws: RowError.self) {
            try parse("device,metric,ts_ms,value\nd,m,0,1\n\(row)\nd,m,9,1\n")
        }
        #expect(error?.file == "input.csv")
        #expect(error?.line == 3)
        #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
    }

    @Test("ts_ms may be an RFC 3339 date-time: fractions, offsets, a space for the T")
    func rfc3339Times() throws {
        let result = try parse("device,metric,ts_ms,value\nd,m,2024-03-01T12:00:00Z,1\nd,m,2024-03-01T14:00:00.25+02:00,2\nd,m,2024-03-01 12:00:01.999999Z,3\nd,m,1709294402000,4\n")
        #expect(result.batch.timestamps == [1_709_294_400_000, 1_709_294_400_250, 1_709_294_401_999, 1_709_294_402_000])
    }

    @Test("Skipping bad rows keeps the good ones and counts the bad")
    func skipping() throws {
        let result = try parse("device,metric,ts_ms,value\nd,m,0,1\nd,m,x,1\nd,m,2,y\nd,m,3,3\n", skipping: true)
        #expect(result.batch.timestamps == [0, 3])
        #expect(result.badRowCount == 2)
        #expect(result.errors.map(\.line) == [3, 4])
    }

    @Test("A wrong or missing header is always an error")
    func header() {
        #expect(throws: RowError.self) { try parse("ts,value\n1,2\n", skipping: true) }
        #expect(throws: RowError.self) { try parse("", skipping: true) }
    }

    @Test("Int64 values parse over the full range")
    func integers() throws {
        let result = try parse("device,metric,ts_ms,value\nd,n,0,-9223372036854775808\nd,n,1,9223372036854775807\n", type: .int64)
        #expect(result.batch.bits.map { Int64(bitPattern: $0) } == [.min, .max])
        #expect(throws: RowError.self) { try parse("device,metric,ts_ms,value\nd,n,0,9223372036854775808\n", type: .int64) }
        #expect(throws: RowError.self) { try parse("device,metric,ts_ms,value\nd,n,0,1.0\n", type: .int64) }
    }

    @Test("Formatted floats parse back to the same bits")
    func formatRoundTrip() throws {
        var random = SeededGenerator(seed: 99)
        let values = SpecialValues.floats + (0..<2000).map { _ in Double(bitPattern: random.next()) }
        let text = "device,metric,ts_ms,value\n" + values.enumerated().map { "d,m,\($0.offset),\(NumberText.format($0.element))" }.joined(separator: "\n")
        let result = try parse(text)
        #expect(result.batch.bits == values.map(\.bitPattern))
    }
}

@Suite("Time text")
struct TimeTextTests {
    @Test("RFC 3339 and epoch milliseconds", arguments: [
        ("0", Int64(0)), ("-1", -1), ("1425168000000", 1_425_168_000_000),
        ("1970-01-01T00:00:00Z", 0), ("2015-03-01T00:00:00Z", 1_425_168_000_000),
        ("2015-03-01 08:00:00+08:00", 1_425_168_000_000), ("2015-03-01T00:00:00.25Z", 1_425_168_000_250),
        ("2015-03-01", 1_425_168_000_000), ("1958-03-29T00:00:00Z", -371_174_400_000),
        ("2000-02-29T23:59:59.999-00:30", 951_870_599_999),
    ])
    func parse(text: String, expected: Int64) {
        #expect(TimeText.parse(text) == expected)
    }

    @Test("Invalid dates are rejected", arguments: ["2015-02-29", "2015-13-01", "2015-03-01T25:00:00Z", "yesterday", "2015-03-01T00:00Z", ""])
    func invalid(text: String) {
        #expect(TimeText.parse(text) == nil)
    }

    @Test("Formatting round-trips over a wide range")
    func roundTrip() {
        var random = SeededGenerator(seed: 5)
        for _ in 0..<5000 {
            let value = Int64(bitPattern: random.next()) % 200_000_000_000_000
            #expect(TimeText.parse(TimeText.format(value)) == value, "\(value) \(TimeText.format(value))")
        }
        #expect(TimeText.format(-1) == "1969-12-31T23:59:59.999Z")
    }
}

@Suite("Long CSV import: skipped rows leave no trace")
struct LongCSVSkippedRowTests {
    @Test("A series whose every row is bad is not registered")
    func badOnlySeries() throws {
        let text = "device,metric,ts_ms,value\nd,good,1,1\nd,bad,2,x\nd,bad,3,y\n"
        let result = try LongCSVParser(skipsBadRows: true).parse(Array(text.utf8), file: "f")
        #expect(result.batch.keys == [SeriesKey(device: "d", metric: "good")])
        #expect(result.badRowCount == 2)
    }
}

@Suite("Decimal parsing fast path")
struct DecimalFastPathTests {
    @Test("The fast path gives strtod's bits for every short decimal")
    func matchesStrtod() {
        var random = SeededGenerator(seed: 1234)
        var texts = ["0", "-0", "-0.0", "+1.5", "21.5", "0.1", "1013.2", "999999999999999", "0.000000000000001",
                     "1.", ".5", "1e5", "12345678901234567", "1.2.3", "-", "", "0x10", "44.611999999999995",
                     "1-2", "+-1", "-+1", "1..2", "12a", "--1", "+", "-.5", "1.5.", "1.-5", "1/2", "1:2", " 1", "1 ", "+.", "-0.", "0.0.0"]
        var generated = 0
        for _ in 0..<20_000 {
            let digits = Int(random.next() % 15) + 1
            let point = Int(random.next() % UInt64(digits + 1))
            var text = random.next() % 2 == 0 ? "-" : ""
            for position in 0..<digits {
                if position == point && position > 0 { text += "." }
                text += String(random.next() % 10)
            }
            texts.append(text)
            generated += 1
        }
        for (position, text) in texts.enumerated() {
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBytes { NumberText.parseShortDecimal($0) }
            let reference = Double(text)  // Swift's parser, strtod underneath
            if let fast {
                #expect(fast.bitPattern == reference?.bitPattern, "\(text)")
            } else if position >= texts.count - generated {
                Issue.record("the fast path refused \(text), a plain decimal of at most 15 digits")
            }
        }
        #expect(Array("1.".utf8).withUnsafeBytes { NumberText.parseShortDecimal($0) } == nil)
        #expect(Array(".5".utf8).withUnsafeBytes { NumberText.parseShortDecimal($0) } == nil)
        #expect(Array("21.5".utf8).withUnsafeBytes { NumberText.parseShortDecimal($0) } == 21.5)
    }
}

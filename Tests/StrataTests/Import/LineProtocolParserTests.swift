import Testing
@testable import Strata
import StrataTestSupport

@Suite("Line protocol import")
struct LineProtocolParserTests {
    func parse(_ text: String, precision: LineProtocolParser.Precision = .nanoseconds, naming: LineProtocolParser.MetricNaming = .measurementAndField,
               skipping: Bool = false, defaultTime: Int64? = nil) throws(RowError) -> ImportResult {
        var parser = LineProtocolParser(precision: precision, metricNaming: naming, skipsBadRows: skipping)
        parser.defaultTimestamp = defaultTime
        return try parser.parse(Array(text.utf8), file: "input.lp")
    }

    /// The batch as (device, metric, ts, bits) rows, in input order.
    func rows(_ result: ImportResult) -> [String] {
        (0..<result.batch.count).map { row in
            let key = result.batch.keys[Int(result.batch.seriesOfRow[row])]
            return "\(key.device)|\(key.metric)|\(result.batch.timestamps[row])|\(Int64(bitPattern: result.batch.bits[row]))"
        }
    }

    @Test("Escapes as the line protocol reference describes them")
    func escaping() throws {
        let lines = [
            // Measurement: escaped spaces and commas; quotes and `=` are plain characters there.
            #""measurement\ with\ quotes",host=h1 x=1i 0"#,
            #"cpu\,load=a,host=h1 x=2i 0"#,
            // Tag values and keys: commas, equals signs and spaces escaped; quotes literal.
            #"m,tag\ key=1,host=tag\,value\,with"commas" x=3i 0"#,
            #"m,host=a\=b\ c y=4i 0"#,
            // Field keys: the same three escapes; any other backslash stays.
            #"m,host=h1 field\ k\=e\,y=5i,field_k\ey=6i 0"#,
            // The device tag may come anywhere among the tags, and the measurement may be UTF-8.
            "Emoji\\ 😀,region=n,host=h1 x=7i 0",
        ]
        let result = try parse(lines.joined(separator: "\n"))
        #expect(rows(result) == [
            "h1|\"measurement with quotes\".x|0|1",
            "h1|cpu,load=a.x|0|2",
            "tag,value,with\"commas\"|m.x|0|3",
            "a=b c|m.y|0|4",
            "h1|m.field k=e,y|0|5",
            "h1|m.field_k\\ey|0|6",
            "h1|Emoji 😀.x|0|7",
        ])
    }

    @Test("Floats read exactly as Double(String) reads them")
    func floats() throws {
        var texts = ["1.5", "-3", "0", "-0", "-0.0", "1e3", "1E-3", "2.5e+10", ".5", "-.5", "1.", "0.1", "44.611999999999995",
                     "4.9e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "123456789012345678901234567890",
                     "0.30000000000000004", "9007199254740993", "+2.5", "0e-400", "5e-324"]
        var random = SeededGenerator(seed: 42)
        for _ in 0..<3000 {
            let value = Double(bitPattern: random.next())
            if value.isFinite { texts.append(value.description) }
        }
        let text = texts.enumerated().map { "m,host=h v=\($0.element) \($0.offset)" }.joined(separator: "\n")
        let result = try parse(text, precision: .milliseconds)
        #expect(result.batch.types == [.float64])
        #expect(result.batch.bits == texts.map { Double($0)!.bitPattern })
    }

    @Test("Integers, unsigned integers and booleans become Int64 series")
    func integersAndBooleans() throws {
        let result = try parse("""
            m,host=h i=-9223372036854775808i,u=9223372036854775807u,a=t,b=T,c=true,d=True,e=TRUE 0
            m,host=h i=42i,u=0u,a=f,b=F,c=false,d=False,e=FALSE 1000000
            """)
        #expect(result.batch.types == Array(repeating: .int64, count: 7))
        #expect(rows(result) == [
            "h|m.i|0|-9223372036854775808", "h|m.u|0|9223372036854775807", "h|m.a|0|1", "h|m.b|0|1", "h|m.c|0|1", "h|m.d|0|1", "h|m.e|0|1",
            "h|m.i|1|42", "h|m.u|1|0", "h|m.a|1|0", "h|m.b|1|0", "h|m.c|1|0", "h|m.d|1|0", "h|m.e|1|0",
        ])
    }

    @Test("Timestamps in each precision become milliseconds, rounded toward the past", arguments: [
        (LineProtocolParser.Precision.nanoseconds, "1709294400123456789", Int64(1_709_294_400_123)),
        (.nanoseconds, "-1", -1), (.nanoseconds, "-1000000", -1), (.nanoseconds, "-1000001", -2),
        (.nanoseconds, "9223372036854775807", 9_223_372_036_854),
        (.microseconds, "1709294400123456", 1_709_294_400_123), (.microseconds, "-1", -1),
        (.milliseconds, "-9223372036854775808", .min),
        (.seconds, "1709294400", 1_709_294_400_000), (.seconds, "-9223372036854775", -9_223_372_036_854_775_000),
    ])
    func precision(precision: LineProtocolParser.Precision, text: String, expected: Int64) throws {
        let result = try parse("m,host=h v=1 \(text)", precision: precision)
        #expect(result.batch.timestamps == [expected])
    }

    @Test("Seconds that overflow Int64 milliseconds are an error")
    func precisionOverflow() {
        let error = #expect(throws: RowError.self) { try parse("m,host=h v=1 9223372036854776", precision: .seconds) }
        #expect(error?.column == 14)
        #expect(error?.reason.contains("beyond the Int64 milliseconds") == true)
    }

    @Test("Malformed lines name the file, line, column and reason", arguments: [
        ("m,host=h v=abc 1", 12, "field \"v\" value \"abc\" is not a number"),
        ("m,host=h v=inf 1", 12, "is not a number"),
        ("m,host=h v=nan 1", 12, "is not a number"),
        ("m,host=h v=0x10 1", 12, "is not a number"),
        ("m,host=h v=1e-400 1", 12, "would become 0"),
        ("m,host=h,host=g v=1 1", 10, "the host tag, which names the device, appears twice"),
        ("m,host=h v=1e400 1", 12, "beyond the Float64 range"),
        ("m,host=h v=9223372036854775808i 1", 12, "not an integer in the Int64 range"),
        ("m,host=h v=9223372036854775808u 1", 12, "not an unsigned integer up to 9223372036854775807"),
        ("m,host=h v=-1u 1", 12, "not an unsigned integer"),
        ("m,host=h a=1,msg=\"hello, world\" 1", 18, "field \"msg\" is a string"),
        ("m,site=s v=1 1", 1, "no host tag"),
        ("m,host=h", 9, "no fields"),
        ("m,host=h ", 10, "no fields after the space"),
        ("m,host=h v= 1", 12, "field \"v\" has no value"),
        ("m,host=h v 1", 10, "field \"v\" has no `=value`"),
        ("m,host=h =1 1", 10, "empty field key"),
        ("m,host= v=1 1", 8, "tag \"host\" has an empty value"),
        ("m,=h v=1 1", 3, "empty tag key"),
        ("m,host=a=b v=1 1", 9, "unescaped `=`"),
        (",host=h v=1 1", 1, "no measurement"),
        ("m,host=h v=1", 13, "no timestamp"),
        ("m,host=h v=1 12x", 14, "timestamp \"12x\" is not an integer"),
        ("m,host=h v=1 99999999999999999999", 14, "not an integer in the Int64 range"),
    ])
    func malformed(line: String, column: Int, reason: String) {
        let error = #expect(throws: RowError.self) {
            try parse("# header comment\nm,host=h v=0 0\n\(line)\nm,host=h v=2 2\n")
        }
        #expect(error?.file == "input.lp")
        #expect(error?.line == 3)
        #expect(error?.column == column, "\(error?.reason ?? "")")
        #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
        #expect(error?.description.hasPrefix("input.lp:3:\(column): ") == true)
    }

    @Test("A field that changes type is an error naming both lines")
    func typeConflict() {
        let text = "m,host=h a=1i,b=1 0\n\nm,host=h a=2i,b=2 1\nm,host=other a=1.5 1\nm,host=h b=3,a=2.5 2\n"
        let error = #expect(throws: RowError.self) { try parse(text) }
        #expect(error?.line == 5)
        #expect(error?.column == 14)
        #expect(error?.reason == "field \"a\" is a float (Float64) here but was an integer or boolean (Int64) on line 1; a series holds one value type")
        // Booleans are Int64 too: a boolean then an integer is one type.
        #expect(throws: Never.self) { try parse("m,host=h on=t 0\nm,host=h on=0i 1\n") }
    }

    @Test("Comments, blank lines, CRLF and surrounding spaces")
    func layout() throws {
        let result = try parse("# written by a test\r\n\r\n  \n  m,host=h v=1 1000000\r\n# m,host=h v=2 2\nm,host=h v=3   3000000  \n", naming: .field)
        #expect(rows(result) == ["h|v|1|\(Double(1).bitPattern)", "h|v|3|\(Double(3).bitPattern)"])
        #expect(result.lineCount == 6)
    }

    @Test("A line without a timestamp takes the default time when one is given")
    func defaultTime() throws {
        let result = try parse("m,host=h v=1i\nm,host=h v=2i 5000000\n", defaultTime: 777)
        #expect(result.batch.timestamps == [777, 5])
    }

    @Test("Skipping bad lines keeps the good ones and leaves no series from the bad")
    func skipping() throws {
        let text = "m,host=h v=1 0\nm,host=h v=1,w=\"s\" 1\nm,host=h bad=x 2\nm,host=h v=2i 3\nm,host=h v=3 4\n"
        let result = try parse(text, skipping: true)
        #expect(result.batch.timestamps == [0, 0])  // 0 ns and 4 ns are both millisecond 0
        #expect(result.batch.keys == [SeriesKey(device: "h", metric: "m.v")])
        #expect(result.badRowCount == 3)
        #expect(result.errors.map(\.line) == [2, 3, 4])
    }

    @Test("Devices, measurements and field orders interleaved give the right series")
    func interleaved() throws {
        var lines: [String] = []
        var expected: [String] = []
        var random = SeededGenerator(seed: 7)
        for time in 0..<300 {
            let device = "d\(random.next() % 3)"
            let measurement = random.next() % 2 == 0 ? "cpu" : "mem"
            var fields = ["a", "b", "c"].filter { _ in random.next() % 3 != 0 }
            if fields.isEmpty { fields = ["a"] }
            if random.next() % 2 == 0 { fields.reverse() }
            let extraTag = random.next() % 2 == 0 ? ",zone=z\(time % 2)" : ""
            lines.append("\(measurement),host=\(device)\(extraTag) " + fields.map { "\($0)=\(time)i" }.joined(separator: ",") + " \(time)000000")
            expected += fields.map { "\(device)|\(measurement).\($0)|\(time)|\(time)" }
        }
        #expect(rows(try parse(lines.joined(separator: "\n"))) == expected)
    }
}

@Suite("Line protocol import: other tags")
struct LineProtocolTagTests {
    @Test("Other tags are ignored by default, or go into the metric name sorted by key")
    func tagsInMetric() throws {
        let text = "cpu,cpu=cpu0,host=h,zone=b\\ 1 idle=1i 0\ncpu,zone=b\\ 1,host=h,cpu=cpu1 idle=2i 0\ncpu,host=h idle=3i 0\n"
        let ignored = try LineProtocolParser().parse(Array(text.utf8), file: "t.lp")
        #expect(ignored.batch.keys == [SeriesKey(device: "h", metric: "cpu.idle")])
        var parser = LineProtocolParser(metricNaming: .field)
        parser.tagsInMetric = true
        let kept = try parser.parse(Array(text.utf8), file: "t.lp")
        #expect(kept.batch.keys.map(\.metric) == ["idle{cpu=cpu0,zone=b 1}", "idle{cpu=cpu1,zone=b 1}", "idle"])
        #expect(kept.batch.bits == [1, 2, 3])
    }
}

import Testing
@testable import Strata

@Suite("Wide CSV import")
struct WideCSVParserTests {
    func rows(_ result: ImportResult) -> [String] {
        (0..<result.batch.count).map { row in
            let key = result.batch.keys[Int(result.batch.seriesOfRow[row])]
            return "\(key.device)|\(key.metric)|\(result.batch.timestamps[row])|\(Double(bitPattern: result.batch.bits[row]))"
        }
    }

    @Test("A fixed device, RFC 3339 and epoch times, empty cells skipped")
    func fixedDevice() throws {
        let text = """
            timestamp,temperature,"humidity, %"
            2024-03-01T12:00:00Z,21.5,40
            2024-03-01T14:01:00.250+02:00,,41
            1709294520000,21.75,

            """
        let result = try WideCSVParser(device: .fixed("room-1")).parse(Array(text.utf8), file: "w.csv")
        #expect(rows(result) == [
            "room-1|temperature|1709294400000|21.5", "room-1|humidity, %|1709294400000|40.0",
            "room-1|humidity, %|1709294460250|41.0",
            "room-1|temperature|1709294520000|21.75",
        ])
    }

    @Test("The device from a column, anywhere in the header, and a renamed time column")
    func deviceColumn() throws {
        let text = "t,site,pm25\n2015-03-01 08:00:00+08:00,Dongsi,9\n2015-03-01T00:00:00Z,Tiantan,12\n2015-03-01T01:00:00Z,Dongsi,7\n"
        let result = try WideCSVParser(device: .column("site"), timeColumn: "t").parse(Array(text.utf8), file: "w.csv")
        #expect(rows(result) == ["Dongsi|pm25|1425168000000|9.0", "Tiantan|pm25|1425168000000|12.0", "Dongsi|pm25|1425171600000|7.0"])
        #expect(result.batch.seriesCount == 2)
    }

    @Test("Header problems are errors on line 1", arguments: [
        ("time,a\n1,2\n", "no \"timestamp\" column"),
        ("timestamp\n1\n", "no metric columns"),
        ("timestamp,a,a\n1,2,3\n", "appears twice"),
        ("timestamp,,b\n1,2,3\n", "metric name is empty"),
        ("", "empty input"),
    ])
    func header(text: String, reason: String) {
        let error = #expect(throws: RowError.self) { try WideCSVParser(device: .fixed("d"), skipsBadRows: true).parse(Array(text.utf8), file: "w.csv") }
        #expect(error?.line == 1)
        #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
    }

    @Test("Malformed rows name the line and reason, and skipping keeps the rest", arguments: [
        ("1,2", "row ends after the a field"),
        ("1,2,3,4", "more than 3 fields"),
        ("soon,2,3", "timestamp \"soon\" is neither"),
        ("1,x,3", "a \"x\" is not a decimal number"),
        ("2015-02-29T00:00:00Z,1,2", "neither an integer"),
    ])
    func malformed(row: String, reason: String) throws {
        let text = "timestamp,a,b\n0,1,1\n\(row)\n9,1,1\n"
        let error = #expect(throws: RowError.self) { try WideCSVParser(device: .fixed("d")).parse(Array(text.utf8), file: "w.csv") }
        #expect(error?.description.hasPrefix("w.csv:3: ") == true)
        #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
        let skipped = try WideCSVParser(device: .fixed("d"), skipsBadRows: true).parse(Array(text.utf8), file: "w.csv")
        #expect(skipped.batch.timestamps == [0, 0, 9, 9])
        #expect(skipped.badRowCount == 1)
    }

    @Test("Int64 columns")
    func integers() throws {
        let text = "timestamp,count\n0,-9223372036854775808\n1,\n2,7\n"
        let result = try WideCSVParser(device: .fixed("d"), valueType: .int64).parse(Array(text.utf8), file: "w.csv")
        #expect(result.batch.bits.map { Int64(bitPattern: $0) } == [.min, 7])
        #expect(result.batch.types == [.int64])
    }
}

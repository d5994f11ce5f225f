import Testing
@testable import Strata
import StrataTestSupport

@Suite("TextBuffer: appends of bytes and numbers, growing from a small start")
struct TextBufferTests {
    @Test("Seeded rows of every kind of append equal the same text built as a String; capacity grows as needed")
    func appendsEqualStrings() {
        let buffer = TextBuffer(capacity: 64)
        var expected = ""
        var random = SeededGenerator(seed: 0x7E47)
        for row in 0..<20_000 {
            switch random.next() % 6 {
            case 0:
                let value = Double(bitPattern: random.next())
                buffer.append(value)
                expected += OldNumberText.format(value)
            case 1:
                let value = Int64(bitPattern: random.next()) >> Int64(random.next() % 64)
                buffer.append(value)
                expected += String(value)
            case 2:
                let value = Int128(Int64(bitPattern: random.next())) * Int128(Int64(bitPattern: random.next()))
                buffer.append(value)
                expected += String(value)
            case 3:
                let name = "pompe \"é\" \(row)"
                buffer.append(Array(name.utf8))
                expected += name
            case 4:
                buffer.append(",\u{2192},")
                expected += ",\u{2192},"
            default:
                buffer.append(UInt8(ascii: "\n"))
                expected += "\n"
            }
        }
        #expect(buffer.count == expected.utf8.count)
        #expect(buffer.capacity >= buffer.count)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == expected)
        buffer.removeAll()
        #expect(buffer.count == 0 && buffer.bytes.isEmpty)
        buffer.append("x")
        #expect(Array(buffer.bytes) == [UInt8(ascii: "x")])
    }
}

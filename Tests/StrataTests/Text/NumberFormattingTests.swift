import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// Compares ``NumberBytes`` with the text it must reproduce, counting
/// values and keeping the first few differences for the report.
private struct FormatChecker {
    private(set) var compared = 0
    private(set) var mismatches: [String] = []
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)

    static func reference(_ value: Double) -> String { OldNumberText.format(value) }

    static func written(_ value: Double) -> String {
        var bytes = [UInt8](repeating: 0, count: NumberBytes.maximumDoubleLength)
        let count = bytes.withUnsafeMutableBytes { NumberBytes.write(value, to: $0.baseAddress!) }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }

    mutating func check(_ value: Double) {
        compared += 1
        // Poison the buffer so a byte left unwritten shows.
        buffer.initializeMemory(as: UInt8.self, repeating: 0xAA, count: 64)
        let count = NumberBytes.write(value, to: buffer)
        let expected = Self.reference(value)
        let matches = count <= 24 && expected.utf8.elementsEqual(UnsafeRawBufferPointer(start: buffer, count: count))
        if !matches && mismatches.count < 10 {
            let got = String(decoding: UnsafeRawBufferPointer(start: buffer, count: min(count, 64)), as: UTF8.self)
            mismatches.append("bits 0x\(String(value.bitPattern, radix: 16)): expected \(expected), wrote \(got)")
        }
    }

    func release() { buffer.deallocate() }
}

@Suite("Numbers written as bytes: NumberBytes equals NumberText's String forms")
struct NumberFormattingTests {
    @Test("Two million seeded random bit patterns: every exponent, subnormals, NaN payloads")
    func randomBitPatterns() {
        var checker = FormatChecker()
        defer { checker.release() }
        var random = SeededGenerator(seed: 0x5C4B_FAC4)
        for _ in 0..<2_000_000 { checker.check(Double(bitPattern: random.next())) }
        for value in SpecialValues.floats { checker.check(value) }
        #expect(checker.mismatches == [])
        #expect(checker.compared == 2_000_000 + SpecialValues.floats.count)
    }

    @Test("Zeros, infinities, NaNs, the extremes: the exact texts")
    func exactTexts() {
        let cases: [(Double, String)] = [
            (0, "0.0"), (-0.0, "-0.0"), (1, "1.0"), (0.1, "0.1"), (-1.5, "-1.5"), (21.5, "21.5"),
            (1e-5, "1e-05"), (1e-4, "0.0001"), (1.5e-4, "0.00015"), (9.999e-5, "9.999e-05"), (1e16, "1e+16"),
            (1e15, "1000000000000000.0"), (9_007_199_254_740_992, "9007199254740992.0"),
            (9_007_199_254_740_994, "9.007199254740994e+15"), (.leastNonzeroMagnitude, "5e-324"),
            (.greatestFiniteMagnitude, "1.7976931348623157e+308"), (-.leastNormalMagnitude, "-2.2250738585072014e-308"),
            (1e23, "1e+23"), (1e100, "1e+100"), (0.06453452400000001, "0.06453452400000001"),
            (.infinity, "inf"), (-.infinity, "-inf"), (.nan, "nan"),
            (Double(bitPattern: 0x7FF0_0000_0000_0001), "nan(0x7ff0000000000001)"),
            (Double(bitPattern: 0xFFF8_0000_0000_0000), "nan(0xfff8000000000000)"),
        ]
        for (value, text) in cases {
            #expect(FormatChecker.written(value) == text)
            #expect(NumberText.format(value) == text)
        }
    }

    @Test("Short decimals such as sensors write (12.34, -0.5, 1023.875): one million seeded")
    func shortDecimals() {
        var checker = FormatChecker()
        defer { checker.release() }
        var random = SeededGenerator(seed: 1234)
        for _ in 0..<1_000_000 {
            let integer = random.next() % 100_000
            let fractionDigits = Int(random.next() % 7)
            var text = String(integer)
            if fractionDigits > 0 {
                let fraction = String(random.next() % UInt64(pow(10, Double(fractionDigits))))
                text += "." + String(repeating: "0", count: fractionDigits - fraction.count) + fraction
            }
            if random.next() & 1 == 0 { text = "-" + text }
            checker.check(Double(text)!)
        }
        #expect(checker.mismatches == [])
        #expect(checker.compared == 1_000_000)
    }

    @Test("Every power of ten and of two from the subnormals to the largest, and the two neighbours of each")
    func powersAndNeighbours() {
        var checker = FormatChecker()
        defer { checker.release() }
        var values: [Double] = []
        for exponent in -324...308 { values.append(Double("1e\(exponent)")!) }
        for exponent in -1074...1023 { values.append(Double(sign: .plus, exponent: exponent, significand: 1)) }
        for value in values where value != 0 {
            for neighbour in [value, value.nextUp, value.nextDown, -value, 2 * value, 3 * value, 5 * value] {
                checker.check(neighbour)
            }
        }
        #expect(checker.mismatches == [])
        #expect(checker.compared == 7 * (633 + 2098 - 1))
    }

    @Test("The switch between plain and exponent form: around 10^-4, 2^53 and 10^16, and integers near 2^53")
    func layoutBoundaries() {
        var checker = FormatChecker()
        defer { checker.release() }
        var random = SeededGenerator(seed: 53)
        for anchor in [1e-4, 1e-5, 9_007_199_254_740_992.0, 1e15, 1e16, 1e17, 1.0, 0.001] {
            var up = anchor, down = anchor
            for _ in 0..<2000 {
                checker.check(up)
                checker.check(down)
                up = up.nextUp
                down = down.nextDown
            }
        }
        for _ in 0..<100_000 {
            let offset = Int64(random.next() % 2_000_000) - 1_000_000
            checker.check(Double((1 << 53) + offset))
            checker.check(Double(Int64(bitPattern: random.next()) >> Int64(random.next() % 64)))
        }
        #expect(checker.mismatches == [])
        #expect(checker.compared == 8 * 4000 + 200_000)
    }

    @Test("The first million subnormals one by one, and random subnormal significands")
    func subnormals() {
        var checker = FormatChecker()
        defer { checker.release() }
        for significand in UInt64(1)...1_000_000 { checker.check(Double(bitPattern: significand)) }
        var random = SeededGenerator(seed: 1074)
        for _ in 0..<200_000 { checker.check(Double(bitPattern: random.next() & (1 << 52 - 1))) }
        #expect(checker.mismatches == [])
        #expect(checker.compared == 1_200_000)
    }

    @Test("Int64 and Int128 as String(_:) writes them: the limits and seeded values of every length")
    func integers() {
        var buffer = [UInt8](repeating: 0, count: 64)
        func text(_ count: Int) -> String { String(decoding: buffer[..<count], as: UTF8.self) }
        var random = SeededGenerator(seed: 64)
        var int64s = SpecialValues.integers
        for _ in 0..<200_000 { int64s.append(Int64(bitPattern: random.next()) >> Int64(random.next() % 64)) }
        for power in 0...18 { let p = Int64(pow(10, Double(power))); int64s += [p, p - 1, -p, 1 - p] }
        var mismatches = 0
        for value in int64s {
            let count = buffer.withUnsafeMutableBytes { NumberBytes.write(value, to: $0.baseAddress!) }
            if text(count) != String(value) { mismatches += 1 }
        }
        #expect(mismatches == 0)
        var uint64s: [UInt64] = [0, 9, 10, .max, .max - 1, 10_000_000_000_000_000_000, 9_999_999_999_999_999_999]
        for _ in 0..<10_000 { uint64s.append(random.next() >> (random.next() % 64)) }
        for value in uint64s {
            let count = buffer.withUnsafeMutableBytes { NumberBytes.write(value, to: $0.baseAddress!) }
            if text(count) != String(value) { mismatches += 1 }
        }
        #expect(mismatches == 0)
        var int128s: [Int128] = [.max, .min, .max - 1, .min + 1, 0, -1, Int128(Int64.max) + 1, Int128(Int64.min) - 1,
                                 Int128(UInt64.max), -Int128(UInt64.max), Int128(10_000_000_000_000_000_000),
                                 Int128(10_000_000_000_000_000_000) * Int128(10_000_000_000_000_000_000)]
        for _ in 0..<100_000 {
            let wide = Int128(bitPattern: UInt128(random.next()) << 64 | UInt128(random.next()))
            int128s.append(wide >> Int128(random.next() % 128))
        }
        for value in int128s {
            let count = buffer.withUnsafeMutableBytes { NumberBytes.write(value, to: $0.baseAddress!) }
            if text(count) != String(value) { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(int64s.count == SpecialValues.integers.count + 200_000 + 76)
    }

    /// The shared datasets: `../shared/data` beside the package (found from this file's path).
    static let sharedData = TestResources.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// The bytes of a dataset file, `.csv.zst` expanded by `zstd -dc`; nil when that is impossible.
    static func datasetBytes(_ file: URL) -> Data? {
        guard file.pathExtension == "zst" else { return try? Data(contentsOf: file) }
        let zstd = ["/usr/bin/zstd", "/usr/local/bin/zstd", "/opt/homebrew/bin/zstd"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let zstd else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: zstd)
        process.arguments = ["-dc", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? data : nil
    }

    /// Skipped (passing, with nothing compared) where `../shared/data` does not exist, as
    /// in a checkout on its own; a `.csv.zst` file is skipped when `zstd` is missing.
    @Test("Every value of every shared dataset (../shared/data, skipped when absent)")
    func sharedDatasets() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Self.sharedData.path)) ?? []
        var checker = FormatChecker()
        defer { checker.release() }
        var unreadable = 0
        for name in names.sorted() where name.hasSuffix(".csv") || name.hasSuffix(".csv.zst") {
            guard let data = Self.datasetBytes(Self.sharedData.appendingPathComponent(name)),
                  data.starts(with: Array("device,metric,ts_ms,value\n".utf8)) else { continue }
            data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                var lineStart = 0
                var lastComma = -1
                for index in 0..<bytes.count {
                    let byte = bytes[index]
                    if byte == 0x2C { lastComma = index }
                    guard byte == 0x0A else { continue }
                    // The header is no number.
                    if lastComma >= lineStart && lineStart > 0 {
                        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(lastComma + 1)..<index]), as: UTF8.self)
                        if let value = Double(text) { checker.check(value) } else { unreadable += 1 }
                    }
                    lineStart = index + 1
                }
            }
        }
        print("NumberFormattingTests.sharedDatasets: \(checker.compared) dataset values compared")
        #expect(checker.mismatches == [])
        #expect(unreadable == 0)
        if FileManager.default.fileExists(atPath: Self.sharedData.appendingPathComponent("beijing_air_quality_2013_2015.csv.zst").path) {
            // The README's row counts: beijing alone has 2,266,896 values.
            #expect(checker.compared > 2_266_896)
        }
    }
}

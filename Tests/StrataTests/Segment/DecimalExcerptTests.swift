import Foundation
import Testing
import StrataCodecs
@testable import Strata

@Suite("The decimal codec on real readings")
struct DecimalExcerptTests {
    @Test("Every excerpt's values round-trip through the decimal codec, chunk by chunk", arguments: [
        "nab_known_cause_excerpt.csv", "beijing_dongsi_excerpt.csv", "statsmodels_co2_excerpt.csv",
    ])
    func excerpts(file: String) throws {
        let text = try String(contentsOfFile: TestResources.path(file), encoding: .utf8)
        let values = text.split(separator: "\n").dropFirst().compactMap { line in line.split(separator: ",").last.flatMap { Double($0) } }
        for size in [7, 64, 256, 1024] {
            var start = 0
            while start < values.count {
                let chunk = Array(values[start..<min(values.count, start + size)])
                let decoded = try DecimalFloatCodec.decode(DecimalFloatCodec.encode(chunk), count: chunk.count)
                #expect(decoded.map(\.bitPattern) == chunk.map(\.bitPattern), "\(file) chunk at \(start) of \(size)")
                start += size
            }
        }
    }
}

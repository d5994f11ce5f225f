import Testing
@testable import Strata
import StrataTestSupport

/// A long CSV input read a window at a time into a stage must give exactly what
/// parsing it whole gives: the same series with the same points in the same order,
/// the same bad rows at the same physical lines, the same error thrown. Windows
/// and blocks are forced tiny so that records, quoted line breaks among them,
/// straddle every boundary, and reads return pieces of random sizes.
@Suite("Streamed import")
struct StreamedImportTests {
    /// An input handed out in pieces of 1 to `largest` bytes, as a pipe might.
    struct Pieces: ImportInput {
        let bytes: [UInt8]
        var position = 0
        var random: SeededGenerator
        let largest: Int

        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let count = min(buffer.count, bytes.count - position, 1 + Int(random.next() % UInt64(largest)))
            guard count > 0 else { return 0 }
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: count) }
            position += count
            return count
        }
    }

    /// A stage's contents, series by series in the order staged, comparable.
    struct StagedSeries: Equatable {
        let key: SeriesKey
        let type: ValueType
        let times: [Int64]
        let bits: [UInt64]
    }

    enum Outcome: Equatable {
        case parsed(series: [StagedSeries], errors: [RowError], badRows: Int, lines: Int)
        case failed(String)
    }

    static func contents(of stage: ImportStage) -> [StagedSeries] {
        stage.keys.indices.map { index in
            let series = stage.series[index]
            var times = [Int64](repeating: 0, count: series.count)
            var bits = [UInt64](repeating: 0, count: series.count)
            times.withUnsafeMutableBufferPointer { times in bits.withUnsafeMutableBufferPointer { series.copy(to: times, $0) } }
            return StagedSeries(key: stage.keys[index], type: stage.types[index], times: times, bits: bits)
        }
    }

    func parser(skipping: Bool, blockBytes: Int, windowBytes: Int, limit: Int = ImportLimits.defaultMaximumRecordBytes) -> LongCSVParser {
        var parser = LongCSVParser(valueType: .float64, skipsBadRows: skipping)
        parser.maximumReportedErrors = 7
        parser.maximumRecordBytes = limit
        parser.blockBytes = blockBytes
        parser.workers = 2
        parser.windowBytes = windowBytes
        return parser
    }

    /// Parsed whole into a stage (rows left in the result's batch added after).
    func whole(_ input: [UInt8], skipping: Bool, limit: Int = ImportLimits.defaultMaximumRecordBytes) -> Outcome {
        var stage = ImportStage()
        do {
            let result = try input.withUnsafeBytes { bytes throws(RowError) in
                try parser(skipping: skipping, blockBytes: 50, windowBytes: 1, limit: limit).parse(bytes, file: "in.csv", into: &stage)
            }
            try stage.add(result.batch)
            return .parsed(series: Self.contents(of: stage), errors: result.errors, badRows: result.badRowCount, lines: result.lineCount)
        } catch {
            return .failed("\(error)")
        }
    }

    func streamed(_ input: [UInt8], skipping: Bool, blockBytes: Int, windowBytes: Int, seed: UInt64,
                  limit: Int = ImportLimits.defaultMaximumRecordBytes, readsAhead: Bool = false) -> Outcome {
        var stage = ImportStage()
        var pieces = Pieces(bytes: input, random: SeededGenerator(seed: seed), largest: 97)
        do {
            var parser = parser(skipping: skipping, blockBytes: blockBytes, windowBytes: windowBytes, limit: limit)
            parser.readsAhead = readsAhead
            let result = try parser.parse(reading: &pieces, file: "in.csv", into: &stage)
            #expect(result.batch.isEmpty)
            return .parsed(series: Self.contents(of: stage), errors: result.errors, badRows: result.badRowCount, lines: result.lineCount)
        } catch {
            #expect(stage.isEmpty, "a failed parse leaves the stage as it was")
            return .failed("\(error)")
        }
    }

    static let shapes: [(blockBytes: Int, windowBytes: Int)] = [(7, 64), (40, 300), (150, 200), (600, 4096), (1 << 21, 1 << 20)]

    @Test("Clean and skipping inputs, quoted line breaks among the bad rows, stage alike window by window", arguments: 0..<6)
    func sameAsWhole(seed: UInt64) {
        let skipping = seed % 2 == 1
        let input = ParallelImportTests.longCSV(rows: 400, seed: 500 + seed, bad: skipping ? 6 : nil)
        let expected = whole(input, skipping: skipping)
        guard case .parsed(let series, _, _, _) = expected else {
            Issue.record("the whole parse failed: \(expected)")
            return
        }
        #expect(series.reduce(0) { $0 + $1.times.count } > 250)
        for shape in Self.shapes {
            for readsAhead in [false, true] {
                #expect(streamed(input, skipping: skipping, blockBytes: shape.blockBytes, windowBytes: shape.windowBytes, seed: seed,
                                 readsAhead: readsAhead) == expected,
                        "blocks of \(shape.blockBytes), windows of \(shape.windowBytes), read ahead \(readsAhead)")
            }
        }
    }

    @Test("The first bad row is thrown at its physical line, whichever window it falls in", arguments: 0..<6)
    func firstError(seed: UInt64) {
        var random = SeededGenerator(seed: 700 + seed)
        var lines = ParallelImportTests.longCSV(rows: 300, seed: 800 + seed).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let row = 1 + Int(random.next() % UInt64(lines.count - 1))
        lines.insert(Array((seed % 2 == 0 ? "\"bad\nname\",temp,1,2" : "pump-1,temp,1,not-a-number").utf8), at: row)
        let input = Array(lines.joined(separator: [0x0A]))
        let expected = whole(input, skipping: false)
        #expect(expected == .failed("in.csv:\(row + 1): " + (seed % 2 == 0
            ? "device name \"bad\\nname\" contains the control character U+A"
            : "value \"not-a-number\" is not a decimal number")))
        for shape in Self.shapes {
            for readsAhead in [false, true] {
                #expect(streamed(input, skipping: false, blockBytes: shape.blockBytes, windowBytes: shape.windowBytes, seed: seed,
                                 readsAhead: readsAhead) == expected,
                        "blocks of \(shape.blockBytes), windows of \(shape.windowBytes), read ahead \(readsAhead)")
            }
        }
    }

    /// Pieces, then a failure after `failAfter` bytes when set.
    struct FailingPieces: ImportInput {
        var pieces: Pieces
        let failAfter: Int?
        struct Broken: Error, Equatable {}

        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            if let failAfter, pieces.position >= failAfter { throw Broken() }
            let room = failAfter.map { min(buffer.count, $0 - pieces.position) } ?? buffer.count
            return try pieces.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<room]))
        }
    }

    @Test("Read ahead on another thread: the same bytes, a failure where it happened, and an early stop joins the thread", arguments: 0..<8)
    func readAhead(seed: UInt64) throws {
        var random = SeededGenerator(seed: 900 + seed)
        let bytes = (0..<(1 + Int(random.next() % 20_000))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let pieceBytes = 1 + Int(random.next() % 300), pieces = 2 + Int(random.next() % 4)
        func drain(_ input: inout ReadAheadInput<FailingPieces>, upTo limit: Int = .max) throws -> [UInt8] {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 + Int(seed * 37 % 500))
            while out.count < limit {
                let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                if count == 0 { break }
                out += buffer[..<count]
            }
            return out
        }
        // Whole.
        var whole = FailingPieces(pieces: Pieces(bytes: bytes, random: SeededGenerator(seed: seed), largest: 97), failAfter: nil)
        #expect(try ReadAheadInput.reading(&whole, pieceBytes: pieceBytes, pieces: pieces) { try drain(&$0) } == bytes)
        // A failure: every byte before it, then the error.
        let failAt = Int(random.next() % UInt64(bytes.count))
        var failing = FailingPieces(pieces: Pieces(bytes: bytes, random: SeededGenerator(seed: seed), largest: 97), failAfter: failAt)
        var delivered: [UInt8] = []
        #expect(throws: FailingPieces.Broken()) {
            try ReadAheadInput.reading(&failing, pieceBytes: pieceBytes, pieces: pieces) { input in
                var buffer = [UInt8](repeating: 0, count: 64)
                while true {
                    let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                    if count == 0 { break }
                    delivered += buffer[..<count]
                }
            }
        }
        #expect(delivered == Array(bytes[..<failAt]))
        // An early stop: the reading thread is stopped and joined, the input read no further than the queue holds.
        var early = FailingPieces(pieces: Pieces(bytes: bytes, random: SeededGenerator(seed: seed), largest: 97), failAfter: nil)
        let head = try ReadAheadInput.reading(&early, pieceBytes: pieceBytes, pieces: pieces) { try drain(&$0, upTo: 10) }
        #expect(head == Array(bytes.prefix(head.count)) && head.count >= min(10, bytes.count))
        #expect(early.pieces.position <= head.count + (pieces + 1) * pieceBytes)
    }

    @Test("A record longer than the window grows it; a line still open past the limit stops the read at the line it starts")
    func longRecords() {
        // A quoted field of 5,000 bytes with line breaks, far longer than the 64-byte window.
        let field = "\"" + String(repeating: "ab\ncd", count: 1_000) + "\""
        let input = Array("device,metric,ts_ms,value\npump-1,temp,1,2\n\(field),temp,2,3\npump-1,temp,3,4\n".utf8)
        let expected = whole(input, skipping: true)
        #expect(streamed(input, skipping: true, blockBytes: 7, windowBytes: 64, seed: 1) == expected)

        let runaway = Array("device,metric,ts_ms,value\npump-1,temp,1,2\npump-1,temp,2,3\npump-2,".utf8) + [UInt8](repeating: 0x61, count: 5_000)
        #expect(streamed(runaway, skipping: true, blockBytes: 7, windowBytes: 64, seed: 2, limit: 1_000)
            == .failed("in.csv:4: " + ImportLimits.runawayLine(limit: 1_000)))
        let header = [UInt8](repeating: 0x61, count: 5_000)
        #expect(streamed(header, skipping: true, blockBytes: 7, windowBytes: 64, seed: 3, limit: 1_000)
            == .failed("in.csv:1: " + ImportLimits.runawayLine(limit: 1_000)))
    }

    @Test("A series staged with the other type by an earlier input is refused, and the stage keeps only the earlier input")
    func typeConflict() throws {
        var stage = ImportStage()
        var first = Pieces(bytes: Array("device,metric,ts_ms,value\npump-1,count,1,2\n".utf8), random: SeededGenerator(seed: 4), largest: 9)
        _ = try LongCSVParser(valueType: .int64).parse(reading: &first, file: "a.csv", into: &stage)
        let before = Self.contents(of: stage)
        var second = Pieces(bytes: Array("device,metric,ts_ms,value\npump-2,x,1,2\npump-1,count,2,3.5\n".utf8), random: SeededGenerator(seed: 5), largest: 9)
        #expect(throws: StrataError.self) { _ = try LongCSVParser(valueType: .float64).parse(reading: &second, file: "b.csv", into: &stage) }
        #expect(Self.contents(of: stage) == before)
    }
}

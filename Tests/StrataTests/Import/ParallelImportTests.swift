import Testing
@testable import Strata
import StrataTestSupport

/// Parsing an input in blocks on several threads must give exactly what parsing it
/// in one piece gives: the same batch (series numbered alike, rows in order, bits
/// equal), the same bad rows at the same physical lines, the same error thrown.
/// Blocks are forced small so that every input is cut in many places, records
/// with quoted line breaks straddle blocks, and several threads really run.
@Suite("Parallel import")
struct ParallelImportTests {
    /// Everything a parse produced, comparable.
    enum Outcome: Equatable {
        case parsed(keys: [SeriesKey], types: [ValueType], series: [UInt32], timestamps: [Int64], bits: [UInt64],
                    errors: [RowError], badRows: Int, lines: Int)
        case failed(RowError)

        init(_ parse: () throws(RowError) -> ImportResult) {
            do throws(RowError) {
                let result = try parse()
                let batch = result.batch
                self = .parsed(keys: batch.keys, types: batch.types, series: batch.seriesOfRow, timestamps: batch.timestamps,
                               bits: batch.bits, errors: result.errors, badRows: result.badRowCount, lines: result.lineCount)
            } catch {
                self = .failed(error)
            }
        }

        var pointCount: Int {
            if case .parsed(_, _, _, let timestamps, _, _, _, _) = self { return timestamps.count }
            return 0
        }

        var badRowCount: Int {
            if case .parsed(_, _, _, _, _, _, let badRows, _) = self { return badRows }
            return 0
        }
    }

    static let blockSizes = [1, 7, 40, 150, 600]

    /// The outcome of `parse(blockBytes, workers)` in one piece (1 worker), and for every
    /// block size with 2 and 3 workers, each expected equal to it.
    func expectSameInBlocks(_ label: String, _ parse: (_ blockBytes: Int, _ workers: Int) -> Outcome) -> Outcome {
        let whole = parse(ParallelImport.defaultBlockBytes, 1)
        for blockBytes in Self.blockSizes {
            for workers in [2, 3] {
                let split = parse(blockBytes, workers)
                #expect(split == whole, "\(label): blocks of \(blockBytes) bytes on \(workers) threads")
            }
        }
        return whole
    }

    // MARK: - Long CSV

    /// Devices and metrics as written in a CSV field: plain, quoted with commas and
    /// doubled quotes, and (bad) quoted with line breaks.
    static let devices = ["pump-1", "\"pump,2\"", "\"say \"\"hi\"\"\"", "Ünïcode-7", "\"quoted-plain\""]
    static let metrics = ["temp", "\"hum,idity\"", "pressure", "\"a \"\"b\"\"\""]
    static let multiLine = ["\"two\nlines\"", "\"three\r\nline\nname\"", "\"\n\n\""]

    /// A random long CSV input; with `bad`, about one row in `bad` is malformed in one of
    /// several ways, some of them records that span lines.
    static func longCSV(rows: Int, seed: UInt64, type: ValueType = .float64, bad: Int? = nil) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        var lines = [random.next() % 2 == 0 ? "device,metric,ts_ms,value" : "\"device\",\"metric\",\"ts_ms\",\"value\""]
        for _ in 0..<rows {
            if random.next() % 17 == 0 { lines.append(""); continue }
            let device = devices[Int(random.next() % UInt64(devices.count))]
            let metric = metrics[Int(random.next() % UInt64(metrics.count))]
            let time = random.next() % 9 == 0 ? "2024-03-01T12:00:0\(random.next() % 10).\(random.next() % 1000)Z" : "\(Int64(bitPattern: random.next()) >> 20)"
            var value: String
            switch type {
            case .float64:
                value = random.next() % 5 == 0
                    ? NumberText.format(SpecialValues.floats[Int(random.next() % UInt64(SpecialValues.floats.count))])
                    : NumberText.format(Double(Int64(bitPattern: random.next()) >> 30) / 1000)
            case .int64:
                value = "\(SpecialValues.integers[Int(random.next() % UInt64(SpecialValues.integers.count))])"
            }
            var line = "\(device),\(metric),\(time),\(value)"
            if let bad, random.next() % UInt64(bad) == 0 {
                switch random.next() % 5 {
                case 0: line = "\(multiLine[Int(random.next() % UInt64(multiLine.count))]),\(metric),\(time),\(value)"
                case 1: line = "\(device),\(metric),\(time),x\(value)"
                case 2: line = "\(device),\(multiLine[Int(random.next() % UInt64(multiLine.count))]),\(time),\(value),extra"
                case 3: line = "\(device),\(metric),\(time)"
                default: line = "\(device),,\(time),\(value)"
                }
            }
            lines.append(random.next() % 4 == 0 ? line + "\r" : line)
        }
        return Array(lines.joined(separator: "\n").utf8) + (random.next() % 2 == 0 ? [0x0A] : [])
    }

    func parseLong(_ input: [UInt8], type: ValueType = .float64, skipping: Bool, blockBytes: Int, workers: Int) -> Outcome {
        var parser = LongCSVParser(valueType: type, skipsBadRows: skipping)
        parser.maximumReportedErrors = 7
        parser.blockBytes = blockBytes
        parser.workers = workers
        return Outcome { () throws(RowError) in try parser.parse(input, file: "in.csv") }
    }

    @Test("Long CSV: clean inputs give the same batch in blocks as in one piece", arguments: 0..<6)
    func longClean(seed: UInt64) {
        let type: ValueType = seed % 2 == 0 ? .float64 : .int64
        let input = Self.longCSV(rows: 300, seed: seed, type: type)
        let whole = expectSameInBlocks("seed \(seed)") { blockBytes, workers in
            parseLong(input, type: type, skipping: false, blockBytes: blockBytes, workers: workers)
        }
        #expect(whole.pointCount > 250)
    }

    @Test("Long CSV: bad rows, multi-line records among them, are skipped and reported alike", arguments: 0..<6)
    func longSkipping(seed: UInt64) {
        let input = Self.longCSV(rows: 400, seed: 100 + seed, bad: 6)
        let whole = expectSameInBlocks("seed \(seed)") { blockBytes, workers in
            parseLong(input, skipping: true, blockBytes: blockBytes, workers: workers)
        }
        #expect(whole.badRowCount > 20)
        #expect(whole.pointCount > 250)
    }

    @Test("Long CSV: the first bad row is thrown with the physical line of its record", arguments: 0..<8)
    func longFirstError(seed: UInt64) {
        var random = SeededGenerator(seed: 200 + seed)
        // A clean input, then one bad row (spanning lines for some seeds) at a random row.
        // Split on line feeds as bytes: a String would keep "\r\n" together as one character.
        var lines = Self.longCSV(rows: 200, seed: 300 + seed).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let row = 1 + Int(random.next() % UInt64(lines.count - 1))
        lines.insert(Array((seed % 2 == 0 ? "\"bad\nname\",temp,1,2" : "pump-1,temp,1,not-a-number").utf8), at: row)
        let input = Array(lines.joined(separator: [0x0A]))
        let whole = expectSameInBlocks("seed \(seed)") { blockBytes, workers in
            parseLong(input, skipping: false, blockBytes: blockBytes, workers: workers)
        }
        // Line numbers are physical lines: the inserted row starts on line row + 1.
        #expect(whole == .failed(RowError(file: "in.csv", line: row + 1, reason: seed % 2 == 0
            ? "device name \"bad\\nname\" contains the control character U+A"
            : "value \"not-a-number\" is not a decimal number")))
    }

    @Test("Long CSV: a quoted field longer than many blocks, and one never closed")
    func longRunawayQuotes() {
        let filler = String(repeating: "pump-1,temp,1,2\n", count: 40)
        let spanning = "device,metric,ts_ms,value\n" + filler + "\"" + String(repeating: "a,\"\"\n", count: 300) + "\",temp,1,2\n" + filler
        let unclosed = "device,metric,ts_ms,value\n" + filler + "\"open,temp,1,2\n" + filler
        for (index, text) in [spanning, unclosed].enumerated() {
            for skipping in [false, true] {
                let whole = expectSameInBlocks("input \(index), skipping \(skipping)") { blockBytes, workers in
                    parseLong(Array(text.utf8), skipping: skipping, blockBytes: blockBytes, workers: workers)
                }
                if skipping {
                    #expect(whole.pointCount == (index == 0 ? 80 : 40))
                    #expect(whole.badRowCount == 1)
                } else {
                    guard case .failed(let error) = whole else { Issue.record("input \(index) parsed"); continue }
                    #expect(error.line == 42)
                }
            }
        }
    }

    @Test("Long CSV: a store fed the blocks' batch holds the points of one piece, bit for bit")
    func longStored() throws {
        let input = Self.longCSV(rows: 500, seed: 42, bad: 10)
        var stored: [[SeriesKey: [UInt64]]] = []
        for (blockBytes, workers) in [(ParallelImport.defaultBlockBytes, 1), (23, 2)] {
            var parser = LongCSVParser(skipsBadRows: true)
            parser.blockBytes = blockBytes
            parser.workers = workers
            let result = try parser.parse(input, file: "in.csv")
            let directory = TemporaryDirectory()
            try ImportStoring.store([ImportStoring.Input(name: "in.csv", batch: result.batch)], in: Store(at: directory.path))
            let store = try Store(at: directory.path)
            var points: [SeriesKey: [UInt64]] = [:]
            for (key, _) in store.series() {
                let series = try store.query(device: key.device, metric: key.metric)
                // Timestamps and value bits interleaved: both must match.
                points[key] = zip(series.timestamps, series.bits).flatMap { [UInt64(bitPattern: $0), $1] }
            }
            try store.close()
            stored.append(points)
        }
        #expect(stored[0].count > 5)
        #expect(stored[0].values.reduce(0) { $0 + $1.count } > 400)
        #expect(stored[0] == stored[1])
    }

    // MARK: - Wide CSV

    static func wideCSV(rows: Int, seed: UInt64, bad: Int? = nil) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        var lines = ["timestamp,device,temp,\"hum,idity\",\"x\"\"y\""]
        let names = ["st-1", "\"st,2\"", "st-3"]
        for _ in 0..<rows {
            if random.next() % 13 == 0 { lines.append(""); continue }
            let device = names[Int(random.next() % UInt64(names.count))]
            let cells = (0..<3).map { _ in random.next() % 4 == 0 ? "" : NumberText.format(Double(Int64(bitPattern: random.next()) >> 40) / 8) }
            var line = "\(Int64(bitPattern: random.next()) >> 24),\(device),\(cells.joined(separator: ","))"
            if let bad, random.next() % UInt64(bad) == 0 {
                line = random.next() % 2 == 0 ? "1,\"bad\ndevice\",1,2,3" : "1,st-1,1,2"
            }
            lines.append(line)
        }
        return Array(lines.joined(separator: "\n").utf8)
    }

    func parseWide(_ input: [UInt8], skipping: Bool, blockBytes: Int, workers: Int) -> Outcome {
        var parser = WideCSVParser(device: .column("device"), skipsBadRows: skipping)
        parser.maximumReportedErrors = 5
        parser.blockBytes = blockBytes
        parser.workers = workers
        return Outcome { () throws(RowError) in try parser.parse(input, file: "wide.csv") }
    }

    @Test("Wide CSV: clean and bad inputs give the same result in blocks", arguments: 0..<4)
    func wide(seed: UInt64) {
        let clean = Self.wideCSV(rows: 200, seed: 400 + seed)
        let whole = expectSameInBlocks("clean, seed \(seed)") { blockBytes, workers in
            parseWide(clean, skipping: false, blockBytes: blockBytes, workers: workers)
        }
        #expect(whole.pointCount > 300)
        let bad = Self.wideCSV(rows: 200, seed: 500 + seed, bad: 8)
        for skipping in [false, true] {
            let outcome = expectSameInBlocks("bad, seed \(seed), skipping \(skipping)") { blockBytes, workers in
                parseWide(bad, skipping: skipping, blockBytes: blockBytes, workers: workers)
            }
            if skipping { #expect(outcome.badRowCount > 5) } else {
                guard case .failed = outcome else { Issue.record("a bad wide input parsed"); continue }
            }
        }
    }

    // MARK: - Line protocol

    /// Random line protocol; each field keeps one type unless `conflicts`, when about
    /// one line in `conflicts` gives a field the other type.
    static func lineProtocol(lines count: Int, seed: UInt64, bad: Int? = nil, conflicts: Int? = nil) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        let fields = [("usage", "1.5"), ("count", "42i"), ("up", "t"), ("load\\ avg", "-3e2"), ("free", "7u")]
        var lines: [String] = []
        for _ in 0..<count {
            switch random.next() % 20 {
            case 0: lines.append("# a comment"); continue
            case 1: lines.append(""); continue
            default: break
            }
            let host = ["h1", "h\\,2", "h3"][Int(random.next() % 3)]
            let chosen = fields.filter { _ in random.next() % 2 == 0 }
            let fieldText = (chosen.isEmpty ? [fields[0]] : chosen).map { field in
                var value = field.1
                if value == "1.5" { value = NumberText.format(Double(Int64(bitPattern: random.next()) >> 40) / 16) }
                if let conflicts, random.next() % UInt64(conflicts) == 0 { value = value.hasSuffix("i") ? "2.5" : "9i" }
                return "\(field.0)=\(value)"
            }.joined(separator: ",")
            var line = "cpu,host=\(host),core=\(random.next() % 4) \(fieldText) \(Int64(bitPattern: random.next()) >> 2)"
            if let bad, random.next() % UInt64(bad) == 0 {
                line = ["cpu,host=h1 x=\"text\" 1", "cpu x=1 1", "cpu,host=h1 x=1", "cpu,host=h1 =1 1"][Int(random.next() % 4)]
            }
            lines.append(line)
        }
        return Array(lines.joined(separator: "\n").utf8)
    }

    func parseLineProtocol(_ input: [UInt8], skipping: Bool, blockBytes: Int, workers: Int, tags: Bool = false) -> Outcome {
        var parser = LineProtocolParser(skipsBadRows: skipping)
        parser.tagsInMetric = tags
        parser.maximumReportedErrors = 6
        parser.blockBytes = blockBytes
        parser.workers = workers
        return Outcome { () throws(RowError) in try parser.parse(input, file: "in.lp") }
    }

    @Test("Line protocol: clean and bad inputs give the same result in blocks", arguments: 0..<4)
    func lineProtocol(seed: UInt64) {
        let clean = Self.lineProtocol(lines: 250, seed: 600 + seed)
        let whole = expectSameInBlocks("clean, seed \(seed)") { blockBytes, workers in
            parseLineProtocol(clean, skipping: false, blockBytes: blockBytes, workers: workers, tags: seed % 2 == 1)
        }
        #expect(whole.pointCount > 300)
        let bad = Self.lineProtocol(lines: 250, seed: 700 + seed, bad: 9)
        for skipping in [false, true] {
            let outcome = expectSameInBlocks("bad, seed \(seed), skipping \(skipping)") { blockBytes, workers in
                parseLineProtocol(bad, skipping: skipping, blockBytes: blockBytes, workers: workers)
            }
            if skipping { #expect(outcome.badRowCount > 10) } else {
                guard case .failed(let error) = outcome else { Issue.record("a bad line protocol input parsed"); continue }
                #expect(error.column != nil)
            }
        }
    }

    @Test("Line protocol: a field's type changing between blocks is reported naming both lines", arguments: 0..<4)
    func lineProtocolTypeConflicts(seed: UInt64) {
        let input = Self.lineProtocol(lines: 250, seed: 800 + seed, conflicts: 25)
        for skipping in [false, true] {
            let outcome = expectSameInBlocks("seed \(seed), skipping \(skipping)") { blockBytes, workers in
                parseLineProtocol(input, skipping: skipping, blockBytes: blockBytes, workers: workers)
            }
            switch outcome {
            case .failed(let error): #expect(!skipping && error.reason.contains("on line "))
            case .parsed(_, _, _, _, _, let errors, let badRows, _):
                #expect(skipping && badRows > 0 && errors.allSatisfy { $0.reason.contains("on line ") })
            }
        }
    }

    // MARK: - Pieces

    @Test("Counting a byte eight at a time agrees with counting one at a time", arguments: 0..<4)
    func occurrences(seed: UInt64) {
        var random = SeededGenerator(seed: 900 + seed)
        // Bytes near the searched one and with the high bit set try the zero-byte test's carries.
        let alphabet: [UInt8] = [0x0A, 0x0B, 0x09, 0x8A, 0xFF, 0x00, 0x3D, 0x7F, 0x80]
        let bytes = (0..<777).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
        bytes.withUnsafeBytes { buffer in
            for byte: UInt8 in [0x0A, 0x3D, 0x00, 0xFF, 0x80] {
                for _ in 0..<20 {
                    let start = Int(random.next() % 777)
                    let end = start + Int(random.next() % UInt64(778 - start))
                    let expected = bytes[start..<end].filter { $0 == byte }.count
                    #expect(ImportBlock.occurrences(of: byte, in: buffer, from: start, to: end) == expected)
                }
            }
        }
    }

    @Test("Blocks begin right after a line feed and cover the input")
    func boundaries() {
        let text = Array("ab\ncdefgh\n\nij\nklmnopqrstu\nv".utf8)
        text.withUnsafeBytes { bytes in
            #expect(ParallelImport.boundaries(of: bytes, from: 0, blockBytes: 3) == [0, 3, 10, 14, 26, 27])
            #expect(ParallelImport.boundaries(of: bytes, from: 3, blockBytes: 1) == [3, 10, 11, 14, 26, 27])
            #expect(ParallelImport.boundaries(of: bytes, from: 0, blockBytes: 100) == [0, 27])
        }
    }
}

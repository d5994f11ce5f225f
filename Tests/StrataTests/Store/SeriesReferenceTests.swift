import Testing
import Foundation
@testable import Strata
import StrataCodecs
import StrataTestSupport

@Suite("Series references, numbered log rows and the columnar head")
struct SeriesReferenceTests {
    /// Random rows over a few series, out of order and with rewrites, written
    /// half by reference and half by name in the same batches.
    @Test("References and names mix in one batch; every point reads back exactly, from the head, after reopening and after a flush", arguments: [1, 2, 3] as [UInt64])
    func mixedBatchesRoundTrip(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.headFlushThreshold = 700  // several flushes, and heads being refilled
        var random = SeededGenerator(seed: seed)
        var model = ReferenceModel()
        let keys = (0..<12).map { SeriesKey(device: "dev-\($0 % 6)", metric: $0 < 6 ? "t" : "n") }
        do {
            let store = try Store(at: directory.path, configuration: configuration)
            let references = try keys.map { key in
                try store.reference(device: key.device, metric: key.metric, type: key.metric == "t" ? .float64 : .int64)
            }
            for _ in 0..<40 {
                var batch = WriteBatch()
                for _ in 0..<(1 + Int(random.next() % 80)) {
                    let index = Int(random.next() % UInt64(keys.count))
                    let key = keys[index]
                    let time = Int64(random.next() % 500) - 100
                    let bits: UInt64
                    if key.metric == "t" {
                        let special: [Double] = [.nan, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, Double(bitPattern: 0x7FF0_0000_0000_0001)]
                        let value = random.next() % 7 == 0 ? special[Int(random.next() % 6)] : Double(Int(random.next() % 2000)) / 10
                        bits = value.bitPattern
                        if random.next() % 2 == 0 { batch.append(references[index], timestamp: time, value: value) }
                        else { try batch.append(device: key.device, metric: key.metric, timestamp: time, value: value) }
                    } else {
                        let value = Int64(bitPattern: random.next())
                        bits = UInt64(bitPattern: value)
                        if random.next() % 2 == 0 { batch.append(references[index], timestamp: time, value: value) }
                        else { try batch.append(device: key.device, metric: key.metric, timestamp: time, value: value) }
                    }
                    model.write(key, time, bits)
                }
                try store.append(batch)
            }
            // Before closing: part in segments, part in the head.
            try expectMatches(store, model, "open store")
            // Dropped without closing: the log replays the numbered rows.
        }
        let reopened = try reopen(directory.path, configuration: configuration)
        #expect(reopened.recovery.problems.isEmpty, "\(reopened.recovery.problems)")
        try expectMatches(reopened, model, "after replay")
        try reopened.flush()
        try expectMatches(reopened, model, "after flush")
        try reopened.close()
    }

    private func expectMatches(_ store: Store, _ model: ReferenceModel, _ context: String) throws {
        for key in model.keys {
            let points = try store.query(device: key.device, metric: key.metric)
            let want = model.expected(key)
            #expect(points.timestamps == want.timestamps, "\(context): timestamps of \(key)")
            #expect(points.valueBitPatterns == want.bits, "\(context): values of \(key)")
        }
    }

    @Test("Each log file defines the numbers it uses: rows appended after a flush replay from the new file alone")
    func definitionsPerFile() throws {
        let directory = TemporaryDirectory()
        do {
            let store = try Store(at: directory.path)
            let reference = try store.reference(device: "pump", metric: "temp", type: .float64)
            var first = WriteBatch()
            first.append(reference, timestamp: 1, value: 20.5)
            try store.append(first)
            try store.flush()  // the first log file goes; the next must define the series again
            var second = WriteBatch()
            second.append(reference, timestamp: 2, value: 21.5)
            try store.append(second)
            let files = try walFiles(directory.path)
            #expect(files.count == 1)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files[0])))
            #expect(bytes[8] == UInt8(WALFormat.version))
            #expect(bytes[WALFormat.headerSize + WALFormat.recordHeaderSize - 1] == WALFormat.RecordType.series.rawValue)
        }
        let store = try reopen(directory.path)
        #expect(store.recovery.points == 1)
        #expect(try store.query(device: "pump", metric: "temp").floatValues == [20.5, 21.5])
    }

    @Test("A reference made by another Store instance is refused, naming the reason")
    func foreignReference() throws {
        let first = TemporaryDirectory(), second = TemporaryDirectory()
        let storeA = try Store(at: first.path), storeB = try Store(at: second.path)
        let foreign = try storeA.reference(device: "d", metric: "m", type: .float64)
        var batch = WriteBatch()
        batch.append(foreign, timestamp: 1, value: 1.0)
        #expect {
            try storeB.append(batch)
        } throws: { ($0 as? StrataError)?.code == .invalidArgument }
        #expect(storeB.unflushedPointCount == 0)
        let own = try storeB.reference(device: "d", metric: "m", type: .float64)
        batch.append(own, timestamp: 2, value: 2.0)  // now it mixes two stores' references
        #expect {
            try storeB.append(batch)
        } throws: { ($0 as? StrataError)?.message.contains("another Store instance") == true }
        #expect(storeB.unflushedPointCount == 0)
    }

    @Test("Types: a reference of the wrong type is refused; after a deletion over all time the series may change type and the old reference is refused")
    func referenceTypes() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamp: 1, value: 1.5)
        #expect {
            _ = try store.reference(device: "d", metric: "m", type: .int64)
        } throws: { ($0 as? StrataError)?.code == .typeMismatch }
        let floats = try store.reference(device: "d", metric: "m", type: .float64)
        try store.delete(device: "d", metric: "m")
        let integers = try store.reference(device: "d", metric: "m", type: .int64)
        var stale = WriteBatch()
        stale.append(floats, timestamp: 2, value: 2.5)
        #expect {
            try store.append(stale)
        } throws: { ($0 as? StrataError)?.code == .typeMismatch }
        var fresh = WriteBatch()
        fresh.append(integers, timestamp: 3, value: Int64(7))
        try store.append(fresh)
        let points = try store.query(device: "d", metric: "m")
        #expect(points.type == .int64)
        #expect(points.timestamps == [3])
        #expect {
            try store.checkTypes(of: stale)
        } throws: { ($0 as? StrataError)?.code == .typeMismatch }
    }

    @Test("Rows records: numbers, timestamps and value bits round-trip for extreme and random values", arguments: [7, 8, 9] as [UInt64])
    func rowsEncodingRoundTrip(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let count = 2_000
        var numbers: [UInt32] = [0, UInt32(SeriesRegistry.capacity - 1), 0, 5]
        var timestamps: [Int64] = [.min, .max, 0, -1]
        var bits: [UInt64] = [0, .max, Double.nan.bitPattern, (-0.0).bitPattern]
        for _ in 4..<count {
            numbers.append(UInt32(random.next() % UInt64(SeriesRegistry.capacity)))
            timestamps.append(Int64(bitPattern: random.next()) >> (random.next() % 64))
            bits.append(random.next())
        }
        let encoded = numbers.withUnsafeBufferPointer { n in
            timestamps.withUnsafeBufferPointer { t in bits.withUnsafeBufferPointer { b in WALRowsEncoding.encode(numbers: n, timestamps: t, bits: b, prefix: 3) } }
        }
        #expect(encoded.prefix(3) == [0, 0, 0])
        let decoded = try encoded.dropFirst(3).withUnsafeBytes { try WALRowsEncoding.decode($0) }
        #expect(decoded.numbers == numbers)
        #expect(decoded.timestamps == timestamps)
        #expect(decoded.bits == bits)
        // A fleet batch (consecutive series, one timestamp) takes about 10 bytes a row.
        let fleetNumbers = (0..<UInt32(10_000)).map { $0 }
        let fleetTimes = [Int64](repeating: 1_767_225_600_000, count: 10_000)
        let fleetBits = (0..<10_000).map { Double($0).bitPattern }
        let fleet = fleetNumbers.withUnsafeBufferPointer { n in
            fleetTimes.withUnsafeBufferPointer { t in fleetBits.withUnsafeBufferPointer { b in WALRowsEncoding.encode(numbers: n, timestamps: t, bits: b, prefix: 0) } }
        }
        #expect(fleet.count < 10_000 * 10 + 16)
        // Every cut of the payload is reported, never misread.
        for cut in stride(from: 0, to: encoded.count - 3, by: 97) {
            #expect(throws: WALBatchEncoding.Malformed.self) {
                _ = try encoded.dropFirst(3).prefix(cut).withUnsafeBytes { try WALRowsEncoding.decode($0) }
            }
        }
    }

    @Test("The head hands back each series in write order and groups every series as its chains do", arguments: [11, 12] as [UInt64])
    func headChainsAndGrouping(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var head = Head()
        var written: [UInt32: [(Int64, UInt64)]] = [:]
        for _ in 0..<5_000 {
            let number = UInt32(random.next() % 300) * 7  // sparse numbers
            let slot = head.slot(ofNumber: number)
                ?? head.addSlot(number: number, key: SeriesKey(device: "d\(number)", metric: "m"), type: .float64)
            let time = Int64(random.next() % 1_000)
            let bits = random.next()
            head.append(slot: slot, timestamp: time, bits: bits)
            written[number, default: []].append((time, bits))
        }
        #expect(head.pointCount == 5_000)
        for (number, rows) in written {
            let series = try! #require(head.snapshot(ofNumber: number))
            #expect(series.timestamps == rows.map(\.0))
            #expect(series.bits == rows.map(\.1))
            let increasing = zip(rows, rows.dropFirst()).allSatisfy { $0.0 < $1.0 }
            #expect(series.isStrictlyIncreasing == increasing)
        }
        #expect(head.snapshot(ofNumber: 1) == nil)
        // Dealt for a flush: each series sorted by time, the last write of a timestamp kept.
        var runs = HeadRuns()
        runs.deal(head)
        runs.withColumns { times, bits in
            for slot in 0..<head.seriesCount {
                var last: [Int64: UInt64] = [:]
                for (time, value) in written[head.slotNumbers[slot]]! { last[time] = value }
                let expected = last.sorted { $0.key < $1.key }
                let run = runs.starts[slot]..<(runs.starts[slot] + runs.counts[slot])
                #expect(Array(times[run]) == expected.map(\.key))
                #expect(Array(bits[run]) == expected.map(\.value))
            }
        }
        // Emptied, it keeps nothing but its buffers.
        head.removeAll()
        #expect(head.isEmpty && head.seriesCount == 0 && head.snapshot(ofNumber: 7) == nil)
    }

    @Test("A head filled batch by batch equals one filled row by row: slots, chains, order flags and time bounds", arguments: [21, 22] as [UInt64])
    func headBatchAppendMatchesRowAppend(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let keys = (0..<2_100).map { SeriesKey(device: "d\($0)", metric: "m") }
        let types = [ValueType](repeating: .float64, count: keys.count)
        var byRow = Head()
        var byBatch = Head()
        for _ in 0..<40 {
            let size = Int(random.next() % 400)  // empty batches too
            let numbers = (0..<size).map { _ in UInt32(random.next() % 300) * 7 }
            let times = (0..<size).map { _ in Int64(random.next() % 10_000) - 5_000 }
            let bits = (0..<size).map { _ in random.next() }
            for row in 0..<size {
                let number = numbers[row]
                let slot = byRow.slot(ofNumber: number) ?? byRow.addSlot(number: number, key: keys[Int(number)], type: .float64)
                byRow.append(slot: slot, timestamp: times[row], bits: bits[row])
            }
            numbers.withUnsafeBufferPointer { numbers in
                times.withUnsafeBufferPointer { times in
                    bits.withUnsafeBufferPointer { bits in
                        byBatch.append(numbers: numbers, timestamps: times, bits: bits, keys: keys, types: types)
                    }
                }
            }
        }
        #expect(byBatch.pointCount == byRow.pointCount)
        #expect(byBatch.slotNumbers == byRow.slotNumbers)
        #expect(byBatch.rowSlots == byRow.rowSlots && byBatch.timestamps == byRow.timestamps && byBatch.bits == byRow.bits)
        #expect(byBatch.minimumTime == byRow.minimumTime && byBatch.maximumTime == byRow.maximumTime)
        for number in byRow.slotNumbers {
            let expected = try! #require(byRow.snapshot(ofNumber: number))
            let actual = try! #require(byBatch.snapshot(ofNumber: number))
            #expect(actual.timestamps == expected.timestamps && actual.bits == expected.bits)
            #expect(actual.isStrictlyIncreasing == expected.isStrictlyIncreasing && actual.key == expected.key)
        }
    }
}

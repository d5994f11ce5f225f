import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// `Store.load` against a model of last-write-wins: a stage loaded into a store
/// reads back exactly (bits, NaN and -0.0 included), wins over what was stored
/// before it, goes straight to its compaction window when it is history, and
/// stores nothing when it is refused.
@Suite("Store load")
struct StoreLoadTests {
    /// Points of every series as a model: per key, the last value written at each time.
    typealias Model = [SeriesKey: (type: ValueType, points: [Int64: UInt64])]

    /// A stage of random batches (duplicates and out-of-order points among them,
    /// special floats and integers) between `from` and `from + span`, and its model.
    static func randomStage(seed: UInt64, from: Int64, span: Int64, model: inout Model) throws -> ImportStage {
        var random = SeededGenerator(seed: seed)
        var stage = ImportStage()
        for _ in 0..<6 {
            var batch = WriteBatch()
            for _ in 0..<(200 + Int(random.next() % 300)) {
                let device = "pump-\(random.next() % 5)"
                let isInteger = random.next() % 4 == 0
                let metric = isInteger ? "count-\(random.next() % 2)" : "temp-\(random.next() % 3)"
                let time = from + Int64(random.next() % UInt64(span))
                let bits = isInteger
                    ? UInt64(bitPattern: SpecialValues.integers[Int(random.next() % UInt64(SpecialValues.integers.count))])
                    : (random.next() % 3 == 0 ? SpecialValues.floats[Int(random.next() % UInt64(SpecialValues.floats.count))].bitPattern : random.next())
                let type: ValueType = isInteger ? .int64 : .float64
                if isInteger {
                    try batch.append(device: device, metric: metric, timestamp: time, value: Int64(bitPattern: bits))
                } else {
                    try batch.append(device: device, metric: metric, timestamp: time, value: Double(bitPattern: bits))
                }
                model[SeriesKey(device: device, metric: metric), default: (type, [:])].points[time] = bits
            }
            try stage.add(batch)
        }
        return stage
    }

    static func expectMatches(_ store: Store, _ model: Model) throws {
        for (key, expected) in model {
            let points = try store.query(device: key.device, metric: key.metric)
            let times = expected.points.keys.sorted()
            #expect(points.type == expected.type, "\(key)")
            #expect(points.timestamps == times, "\(key)")
            #expect(points.valueBitPatterns == times.map { expected.points[$0]! }, "\(key)")
        }
        #expect(store.series().count == model.count)
    }

    /// 2023: history, its weeks long finished.
    static let history = Int64(1_672_531_200_000)

    @Test("History loaded into a fresh store reads back exactly, goes straight to its window, and leaves compaction nothing", arguments: 0..<4)
    func history(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        var model: Model = [:]
        let stage = try Self.randomStage(seed: seed, from: Self.history, span: 40 * Milliseconds.day, model: &model)
        let store = try Store(at: directory.path)
        let report = try store.load(stage)
        #expect(report.placedInWindow)
        #expect(report.points == model.values.reduce(0) { $0 + $1.points.count })
        #expect(store.segments().count == 1 && store.segments()[0].level >= 2)
        try Self.expectMatches(store, model)
        #expect(try store.compact().steps == 0)
        try store.close()
        let reopened = try Store(at: directory.path)
        try Self.expectMatches(reopened, model)
        try reopened.close()
    }

    @Test("History spanning several windows goes to one segment a window, as compaction would cut it", arguments: 0..<2)
    func historyOverWindows(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        var model: Model = [:]
        // Four years from 2013: more than one window of any level that is finished.
        let stage = try Self.randomStage(seed: 40 + seed, from: 1_362_096_000_000, span: 4 * 365 * Milliseconds.day, model: &model)
        let store = try Store(at: directory.path)
        let report = try store.load(stage)
        #expect(report.placedInWindow)
        let segments = store.segments()
        #expect(segments.count > 1 && segments.allSatisfy { $0.level >= 2 })
        try Self.expectMatches(store, model)
        #expect(try store.compact().steps == 0)
        try Self.expectMatches(store, model)
        try store.close()
        let reopened = try Store(at: directory.path)
        try Self.expectMatches(reopened, model)
        try reopened.close()
    }

    @Test("History from Int64.min to today is loaded as a flushed segment, at once, and compaction places it")
    func historyAcrossAllTime() throws {
        let directory = TemporaryDirectory()
        var batch = WriteBatch()
        let times: [Int64] = [.min, .min + 1, -30_000_000_000_000, 0, 1_600_000_000_000]
        for (index, time) in times.enumerated() { try batch.append(device: "d", metric: "m", timestamp: time, value: Double(index)) }
        var stage = ImportStage()
        try stage.add(batch)
        let store = try Store(at: directory.path)
        let report = try store.load(stage)
        // Cut window by window, the span would be millions of 78-year windows (it took minutes).
        #expect(!report.placedInWindow)
        #expect(try store.query(device: "d", metric: "m").timestamps == times)
        _ = try store.compact()
        #expect(try store.query(device: "d", metric: "m").floatValues == [0, 1, 2, 3, 4])
        try store.close()
    }

    @Test("A load wins over points stored before it, flushed or in the head, and is a flushed segment then; compaction keeps every answer")
    func overStoredPoints() throws {
        let directory = TemporaryDirectory()
        var model: Model = [:]
        let store = try Store(at: directory.path)
        // Stored before: a compacted segment, then points in the head.
        var earlier = try Self.randomStage(seed: 10, from: Self.history, span: 20 * Milliseconds.day, model: &model)
        try store.load(earlier)
        var random = SeededGenerator(seed: 11)
        var batch = WriteBatch()
        for _ in 0..<300 {
            let time = Self.history + Int64(random.next() % UInt64(20 * Milliseconds.day))
            let value = Double(Int64(bitPattern: random.next()) >> 20)
            try batch.append(device: "pump-1", metric: "temp-0", timestamp: time, value: value)
            model[SeriesKey(device: "pump-1", metric: "temp-0"), default: (.float64, [:])].points[time] = value.bitPattern
        }
        try store.append(batch)
        earlier = try Self.randomStage(seed: 12, from: Self.history, span: 20 * Milliseconds.day, model: &model)
        let report = try store.load(earlier)
        #expect(!report.placedInWindow, "a flushed segment ranks below the load: it cannot be a compacted one")
        try Self.expectMatches(store, model)
        #expect(try store.compact().steps > 0)
        try Self.expectMatches(store, model)
        try store.close()
    }

    @Test("Recent points are loaded as a flushed segment, and compaction places them")
    func recent() throws {
        let directory = TemporaryDirectory()
        var model: Model = [:]
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let stage = try Self.randomStage(seed: 20, from: now - 3_600_000, span: 3_600_000, model: &model)
        let store = try Store(at: directory.path)
        let report = try store.load(stage)
        #expect(!report.placedInWindow)
        #expect(store.segments().map(\.level) == [0])
        try Self.expectMatches(store, model)
        _ = try store.compact()
        try Self.expectMatches(store, model)
        try store.close()
    }

    @Test("A series the store holds with the other type refuses the whole load; nothing is stored")
    func typeMismatch() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "pump-1", metric: "count", timestamp: Self.history, value: Int64(3))
        try store.flush()
        var batch = WriteBatch()
        try batch.append(device: "pump-2", metric: "temp", timestamp: Self.history, value: 1.5)
        try batch.append(device: "pump-1", metric: "count", timestamp: Self.history + 1, value: 2.5)
        var stage = ImportStage()
        try stage.add(batch)
        let segments = store.segments().count
        #expect(throws: StrataError.self) { try store.load(stage) }
        #expect(store.segments().count == segments)
        #expect(try store.query(device: "pump-2", metric: "temp").isEmpty)
        #expect(try store.query(device: "pump-1", metric: "count").intValues == [3])
        try store.close()
    }

    @Test("Full pages are packed and come back bit for bit: regular steps, wild jumps, the ends of Int64, special values", arguments: 0..<6)
    func packedPages(seed: UInt64) {
        var random = SeededGenerator(seed: 60 + seed)
        let count = 1 + Int(random.next() % 5_000)
        var time = Int64(bitPattern: random.next())
        var times: [Int64] = [], bits: [UInt64] = []
        var value = random.next()
        for _ in 0..<count {
            switch (seed + random.next()) % 6 {
            case 0: time = time &+ 60_000
            case 1: time = Int64(bitPattern: random.next())
            case 2: time = random.next() % 2 == 0 ? .min : .max
            default: time = time &+ (Int64(random.next() % 1_000) - 300)
            }
            switch random.next() % 5 {
            case 0: value = SpecialValues.floats[Int(random.next() % UInt64(SpecialValues.floats.count))].bitPattern
            case 1: value = UInt64(bitPattern: SpecialValues.integers[Int(random.next() % UInt64(SpecialValues.integers.count))])
            case 2: break
            case 3: value = random.next()
            default: value = (Double(bitPattern: value).isFinite ? Double(bitPattern: value) + 0.25 : 1.5).bitPattern
            }
            times.append(time)
            bits.append(value)
        }
        let page = times.withUnsafeBufferPointer { times in bits.withUnsafeBufferPointer { PackedPage(times: times, bits: $0) } }
        var outTimes = [Int64](repeating: 0, count: count), outBits = [UInt64](repeating: 0, count: count)
        outTimes.withUnsafeMutableBufferPointer { times in outBits.withUnsafeMutableBufferPointer { page.unpack(times: times, bits: $0) } }
        #expect(page.count == count && outTimes == times && outBits == bits)
    }

    @Test("Series of many pages stage, roll back into a packed page and load back exactly")
    func manyPages() throws {
        var random = SeededGenerator(seed: 61)
        var model: Model = [:]
        var stage = ImportStage()
        func add(_ points: Int) throws {
            var batch = WriteBatch()
            for index in 0..<points {
                let key = SeriesKey(device: "meter-\(index % 3)", metric: "power")
                let time = Self.history + Int64(random.next() % 30_000) * 60_000
                let value = random.next() % 7 == 0 ? SpecialValues.floats[Int(random.next() % UInt64(SpecialValues.floats.count))] : Double(random.next() % 10_000) / 10
                try batch.append(device: key.device, metric: key.metric, timestamp: time, value: value)
                model[key, default: (.float64, [:])].points[time] = value.bitPattern
            }
            try stage.add(batch)
        }
        try add(3 * 4_096 * 2 + 1_500)  // two full pages a series and part of a third
        let kept = model
        let mark = stage.mark()
        let before = StreamedImportTests.contents(of: stage)
        try add(3 * 4_096 * 3)
        #expect(stage.series.allSatisfy { $0.fullPages.count >= 4 })
        stage.rollBack(to: mark)
        #expect(StreamedImportTests.contents(of: stage) == before)
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        _ = try store.load(stage)
        try Self.expectMatches(store, kept)
        try store.close()
    }

    @Test("A stage rolled back to a mark holds exactly what it held at the mark")
    func rollBack() throws {
        var model: Model = [:]
        var stage = try Self.randomStage(seed: 30, from: Self.history, span: Milliseconds.day, model: &model)
        let mark = stage.mark()
        let before = StreamedImportTests.contents(of: stage)
        let (points, first, last) = (stage.pointCount, stage.minimumTime, stage.maximumTime)
        var more = WriteBatch()
        for index in 0..<10_000 {
            try more.append(device: "pump-\(index % 7)", metric: "temp-\(index % 4)", timestamp: Int64(index % 333), value: Double(index))
        }
        try stage.add(more)
        stage.rollBack(to: mark)
        #expect(StreamedImportTests.contents(of: stage) == before)
        #expect(stage.pointCount == points && stage.minimumTime == first && stage.maximumTime == last)
    }
}

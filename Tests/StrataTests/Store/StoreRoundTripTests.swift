import Testing
@testable import Strata
import StrataTestSupport

@Suite("Store round trips")
struct StoreRoundTripTests {
    /// Timestamp shapes every column encoding must survive.
    enum TimeShape: CaseIterable {
        case regular, jittery, gappy, huge, unsorted, duplicates, negative
    }

    static func timestamps(_ shape: TimeShape, count: Int, random: inout SeededGenerator) -> [Int64] {
        var result: [Int64] = []
        result.reserveCapacity(count)
        var time: Int64 = 1_700_000_000_000
        for index in 0..<count {
            switch shape {
            case .regular: time += 1_000
            case .jittery: time += 10_000 + Int64(random.next() % 21) - 10
            case .gappy: time += random.next() % 50 == 0 ? 3_600_000 : 60_000
            case .huge: time = Int64(bitPattern: random.next()) / 2
            case .unsorted: time = 1_700_000_000_000 + Int64(random.next() % UInt64(count * 10))
            case .duplicates: time = 1_700_000_000_000 + Int64(index / 3) * 1000
            case .negative: time = -Milliseconds.day * 365 * 100 + Int64(index) * 60_000
            }
            result.append(time)
        }
        return result
    }

    static func floatValues(count: Int, random: inout SeededGenerator) -> [Double] {
        (0..<count).map { index in
            switch random.next() % 5 {
            case 0: SpecialValues.floats[Int(random.next() % UInt64(SpecialValues.floats.count))]
            case 1: Double(bitPattern: random.next())
            case 2: (Double(random.next() % 1000) / 10)  // sensor resolution 0.1
            default: 20 + Double(index % 100) * 0.25
            }
        }
    }

    @Test("Every shape and size round-trips bit for bit", arguments: TimeShape.allCases, [0, 1, 2, 1023, 1024, 1025, 5000])
    func shapesRoundTrip(shape: TimeShape, count: Int) throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.pointsPerChunk = 1024
        let store = try Store(at: directory.path, configuration: configuration)
        var random = SeededGenerator(seed: UInt64(count) &* 31 &+ UInt64(TimeShape.allCases.firstIndex(of: shape)!))
        var model = ReferenceModel()
        let times = Self.timestamps(shape, count: count, random: &random)
        let floats = Self.floatValues(count: count, random: &random)
        let ints = times.indices.map { _ in SpecialValues.integers.randomElement(using: &random)! &+ Int64(random.next() % 3) }
        let floatKey = SeriesKey(device: "dev", metric: "f")
        let intKey = SeriesKey(device: "dev", metric: "i")
        if count > 0 {
            try store.append(device: "dev", metric: "f", timestamps: times, values: floats)
            try store.append(device: "dev", metric: "i", timestamps: times, values: ints)
        }
        for index in times.indices {
            model.write(floatKey, times[index], floats[index].bitPattern)
            model.write(intKey, times[index], UInt64(bitPattern: ints[index]))
        }

        func check() throws {
            for key in [floatKey, intKey] {
                let points = try store.query(device: key.device, metric: key.metric)
                let expected = model.expected(key)
                #expect(points.timestamps == expected.timestamps)
                #expect(points.valueBitPatterns == expected.bits)
            }
        }
        try check()          // from the head
        try store.flush()
        try check()          // from a segment
        try store.close()
        let reopened = try Store(at: directory.path)
        let points = try reopened.query(device: "dev", metric: "f")
        #expect(points.valueBitPatterns == model.expected(floatKey).bits)
    }

    @Test("Later writes win, across head and several segments, in any order")
    func lastWriteWins() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.pointsPerChunk = 64
        let store = try Store(at: directory.path, configuration: configuration)
        var random = SeededGenerator(seed: 7)
        var model = ReferenceModel()
        let devices = ["a", "b", "c"], metrics = ["x", "y"]
        for round in 0..<12 {
            var batch = WriteBatch()
            for _ in 0..<500 {
                let key = SeriesKey(device: devices.randomElement(using: &random)!, metric: metrics.randomElement(using: &random)!)
                let time = Int64(random.next() % 2_000) * 1000
                let value = Double(random.next() % 10_000) / 100
                try batch.append(device: key.device, metric: key.metric, timestamp: time, value: value)
                model.write(key, time, value.bitPattern)
            }
            try store.append(batch)
            if round % 3 == 2 { try store.flush() }
        }
        #expect(store.segments().count == 4)
        for key in model.keys {
            for (start, end) in [(Int64.min, Int64.max), (500_000, 1_500_000), (0, 1), (1_999_000, 2_000_000), (5, 5)] {
                let points = try store.query(device: key.device, metric: key.metric, from: start, to: end)
                let expected = model.expected(key, from: start, to: end)
                #expect(points.timestamps == expected.timestamps, "\(key) [\(start), \(end))")
                #expect(points.valueBitPatterns == expected.bits, "\(key) [\(start), \(end))")
            }
        }
        try store.close()
        let reopened = try Store(at: directory.path)
        for key in model.keys {
            let points = try reopened.query(device: key.device, metric: key.metric)
            #expect(points.valueBitPatterns == model.expected(key).bits)
        }
    }

    @Test("Metrics sharing timestamps share one time column; others get their own")
    func columnGroups() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        let times = (0..<3000).map { Int64($0) * 60_000 }
        for metric in ["pm25", "pm10", "temp"] {
            try store.append(device: "station", metric: metric, timestamps: times, values: times.map { Double($0 % 977) / 10 })
        }
        let daily = (0..<10).map { Int64($0) * Milliseconds.day }
        try store.append(device: "station", metric: "rain", timestamps: daily, values: daily.map { _ in 0.5 })
        try store.flush()
        let chunks = store.segments()[0].chunkDescriptions()
        let timeChunks = chunks.filter { $0.column == .time }
        // 3000 minute points cut at 12-hour boundaries (720 each, the last 120 alone), plus the daily column.
        #expect(timeChunks.count == 5 + 1)
        #expect(Set(chunks.map(\.group)).count == 2)
        for metric in ["pm25", "pm10", "temp", "rain"] {
            let points = try store.query(device: "station", metric: metric)
            #expect(points.timestamps == (metric == "rain" ? daily : times))
        }
    }

    @Test("Chunk statistics match the points")
    func statistics() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.pointsPerChunk = 100
        let store = try Store(at: directory.path, configuration: configuration)
        let times = (0..<250).map { Int64($0) * 1000 }
        let values = times.map { Double(($0 / 1000 * 37) % 101) - 50.5 }
        try store.append(device: "d", metric: "m", timestamps: times, values: values)
        try store.flush()
        let chunks = store.segments()[0].chunkDescriptions().filter { $0.column != .time }
        // 1-second points, 100 a chunk: cut on minute boundaries (60 each), the last 10 joined to their neighbour.
        #expect(chunks.map(\.pointCount) == [60, 60, 60, 70])
        var start = 0
        for chunk in chunks {
            let slice = values[start..<(start + chunk.pointCount)]
            #expect(chunk.minimum == .float64(slice.min()!))
            #expect(chunk.maximum == .float64(slice.max()!))
            #expect(chunk.first == .float64(slice.first!))
            #expect(chunk.last == .float64(slice.last!))
            #expect(abs(chunk.sum! - slice.reduce(0, +)) < 1e-9)
            #expect(chunk.minTime == times[start] && chunk.maxTime == times[start + chunk.pointCount - 1])
            start += chunk.pointCount
        }
    }
}

@Suite("k-way merge")
struct MergeTests {
    @Test("Merging many overlapping sources equals applying them in order", arguments: [1, 2, 3, 7, 300])
    func randomSources(count: Int) {
        var random = SeededGenerator(seed: UInt64(count))
        for _ in 0..<50 {
            var reference: [Int64: UInt64] = [:]
            var sources: [SeriesColumns] = []
            for _ in 0..<count {
                var points: [Int64: UInt64] = [:]
                for _ in 0..<Int(random.next() % 40) { points[Int64(random.next() % 60) - 30] = random.next() }
                let sorted = points.sorted { $0.key < $1.key }
                sources.append(SeriesColumns(timestamps: sorted.map(\.key), bits: sorted.map(\.value)))
                for (time, bits) in points { reference[time] = bits }  // newer sources overwrite
            }
            let merged = SeriesColumns.merging(sources)
            let expected = reference.sorted { $0.key < $1.key }
            #expect(merged.timestamps == expected.map(\.key))
            #expect(merged.bits == expected.map(\.value))
        }
    }
}

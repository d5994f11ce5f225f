import Testing
import Foundation
@testable import Strata
import StrataTestSupport

/// The naive answer: the last point `query` returns over all time.
private func naiveLatest(_ store: Store, _ key: SeriesKey) throws -> (Int64, Value)? {
    let points = try store.query(device: key.device, metric: key.metric)
    guard let last = points.last else { return nil }
    return (last.timestamp, last.value)
}

/// Checks `Store.latest` against `query` for every key, bit for bit (Value's == compares bits).
private func expectMatchesQuery(_ store: Store, _ keys: [SeriesKey], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let answers = try store.latest(of: keys)
    #expect(answers.count == keys.count, sourceLocation: sourceLocation)
    for (key, answer) in zip(keys, answers) {
        let expected = try naiveLatest(store, key)
        #expect(answer?.series == (expected == nil ? nil : key), "\(key)", sourceLocation: sourceLocation)
        #expect(answer?.timestamp == expected?.0, "\(key)", sourceLocation: sourceLocation)
        #expect(answer?.value == expected?.1, "\(key): \(String(describing: answer?.value)) vs \(String(describing: expected?.1))", sourceLocation: sourceLocation)
    }
}

/// A Float64 value drawn from ordinary numbers and the exactness stress set (NaN payloads, -0.0).
private func floatValue(_ random: inout SeededGenerator) -> Double {
    random.next() % 4 == 0
        ? SpecialValues.floats[Int(random.next() % UInt64(SpecialValues.floats.count))]
        : Double(Int64(random.next() % 2_000_000) - 1_000_000) / 100
}

private func integerValue(_ random: inout SeededGenerator) -> Int64 {
    random.next() % 3 == 0
        ? SpecialValues.integers[Int(random.next() % UInt64(SpecialValues.integers.count))]
        : Int64(bitPattern: random.next())
}

/// Writes a seeded random fleet in several flushes whose times overlap, so
/// that later segments rewrite earlier timestamps (late points), and leaves
/// the last round in the head. Returns every key written.
private func writeFleet(_ store: Store, seed: UInt64, rounds: Int = 5) throws -> [SeriesKey] {
    var random = SeededGenerator(seed: seed)
    var keys: [SeriesKey] = []
    for device in 0..<12 {
        for metric in 0..<3 { keys.append(SeriesKey(device: "dev-\(device)", metric: metric == 2 ? "count" : "m\(metric)")) }
    }
    for round in 0..<rounds {
        var batch = WriteBatch()
        for key in keys where random.next() % 5 != 0 {
            // Each round covers [round * 50 - 80, round * 50 + 50): it overlaps the rounds before.
            let points = Int(random.next() % 12)
            for _ in 0..<points {
                let time = Int64(round * 50) - 80 + Int64(random.next() % 130)
                if key.metric == "count" {
                    try batch.append(device: key.device, metric: key.metric, timestamp: time, value: integerValue(&random))
                } else {
                    try batch.append(device: key.device, metric: key.metric, timestamp: time, value: floatValue(&random))
                }
            }
            // Now and then, a late rewrite of the series' greatest timestamp so far.
            if random.next() % 4 == 0, let last = try store.query(device: key.device, metric: key.metric).last {
                switch last.value {
                case .int64: try batch.append(device: key.device, metric: key.metric, timestamp: last.timestamp, value: integerValue(&random))
                case .float64: try batch.append(device: key.device, metric: key.metric, timestamp: last.timestamp, value: floatValue(&random))
                }
            }
        }
        try store.append(batch)
        if round < rounds - 1 { try store.flush() }
    }
    return keys
}

@Suite("Store.latest: the newest point of many series from the index")
struct LatestTests {
    @Test("Seeded fleets over overlapping segments, late rewrites and the head: every series equals query's last point, bit for bit")
    func matchesQuery() throws {
        for seed: UInt64 in [1, 2, 3, 4] {
            let directory = TemporaryDirectory()
            var configuration = Configuration()
            configuration.pointsPerChunk = 16
            let store = try Store(at: directory.path, configuration: configuration)
            let keys = try writeFleet(store, seed: seed)
            #expect(store.segments().count >= 4)
            #expect(store.unflushedPointCount > 0)
            let missing = [SeriesKey(device: "dev-0", metric: "absent"), SeriesKey(device: "nobody", metric: "m0"),
                           SeriesKey(device: "", metric: ""), SeriesKey(device: "zzz", metric: "m0")]
            try expectMatchesQuery(store, keys + missing)
            // Unsorted, repeated keys answer the same, in the caller's order.
            var random = SeededGenerator(seed: seed ^ 0xF00D)
            var shuffled = (keys + missing + keys.prefix(5)).shuffled(using: &random)
            shuffled.append(shuffled[0])
            try expectMatchesQuery(store, shuffled)
            try expectMatchesQuery(store, [])
            // After compaction (merged windows) and after the head is flushed.
            _ = try store.compact()
            try expectMatchesQuery(store, keys)
            try store.flush()
            try expectMatchesQuery(store, keys)
        }
    }

    @Test("A request walked in two halves on two threads answers as one thread does, and as query", arguments: [1, 2, 3])
    func requestsSplitAcrossThreads(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.pointsPerChunk = 16
        let store = try Store(at: directory.path, configuration: configuration)
        var keys = try writeFleet(store, seed: seed)
        try store.delete(device: "dev-1*", metric: "m0", from: 100, to: 400)
        keys += [SeriesKey(device: "dev-0", metric: "absent"), SeriesKey(device: "nobody", metric: "m0"), keys[3], keys[3]]
        #expect(store.segments().count >= 4)
        let serial = try store.latest(of: keys, seriesPerThread: .max)
        // Split at the middle series' device: every prefix of the request moves it to another device.
        for count in 2...keys.count {
            let request = Array(keys.prefix(count))
            #expect(try store.latest(of: request, seriesPerThread: 1) == Array(serial.prefix(count)), "the first \(count) keys")
        }
        try expectMatchesQuery(store, keys)
        #expect(try store.latest(of: keys) == serial)
    }

    @Test("Exact answers: a late rewrite of the last timestamp in a newer segment wins; NaN payloads, -0.0 and Int64.min/max keep every bit")
    func exactValues() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        let payload = Double(bitPattern: 0x7FF8_0000_DEAD_BEEF)
        try store.append(device: "a", metric: "f", timestamps: [1, 2, 3], values: [1.5, 2.5, 3.5])
        try store.append(device: "a", metric: "i", timestamps: [1, 2], values: [Int64.max, 7])
        try store.append(device: "b", metric: "z", timestamps: [10], values: [-0.0])
        try store.flush()
        try store.append(device: "a", metric: "f", timestamp: 3, value: payload)  // rewrites the last timestamp
        try store.append(device: "a", metric: "i", timestamp: 2, value: Int64.min)
        try store.flush()
        try store.append(device: "b", metric: "z", timestamp: 5, value: 9.0)  // older than the segment's last point: in the head
        let keys = [SeriesKey(device: "a", metric: "f"), SeriesKey(device: "a", metric: "i"), SeriesKey(device: "b", metric: "z")]
        let answers = try store.latest(of: keys)
        #expect(answers[0] == LatestPoint(series: keys[0], timestamp: 3, value: .float64(payload)))
        #expect(answers[1] == LatestPoint(series: keys[1], timestamp: 2, value: .int64(.min)))
        #expect(answers[2] == LatestPoint(series: keys[2], timestamp: 10, value: .float64(-0.0)))
        #expect(answers[2]?.value != .float64(0.0))
        // The head rewrites the last timestamp: the head wins over every segment.
        try store.append(device: "a", metric: "i", timestamp: 2, value: Int64.max)
        try store.append(device: "a", metric: "i", timestamp: 2, value: 42 as Int64)
        #expect(try store.latest(of: [keys[1]]) == [LatestPoint(series: keys[1], timestamp: 2, value: .int64(42))])
        try expectMatchesQuery(store, keys)
    }

    @Test("Deletions covering the last points, in segments and after a flush, and deletions of whole series, answer as query")
    func deletions() throws {
        for seed: UInt64 in [11, 12] {
            let directory = TemporaryDirectory()
            var configuration = Configuration()
            configuration.pointsPerChunk = 16
            let store = try Store(at: directory.path, configuration: configuration)
            let keys = try writeFleet(store, seed: seed)
            try store.delete(device: "dev-1", metric: "m0", from: 100, to: .max)  // the newest points
            try store.delete(device: "dev-2", from: 150, to: 190)  // every metric, a window near the end
            try store.delete(device: "dev-3", metric: "count")  // the whole series
            try store.delete(device: "dev-4", metric: "m1", from: .min, to: 0)  // old points only
            try expectMatchesQuery(store, keys)
            #expect(try store.latest(of: [SeriesKey(device: "dev-3", metric: "count")]) == [nil])
            if let latest = try store.latest(of: [SeriesKey(device: "dev-1", metric: "m0")])[0] { #expect(latest.timestamp < 100) }
            // New points after a deletion are visible; compaction applies the deletions.
            try store.append(device: "dev-3", metric: "count", timestamp: 1, value: 5 as Int64)
            try expectMatchesQuery(store, keys)
            _ = try store.compact()
            try expectMatchesQuery(store, keys)
        }
    }

    @Test("Retention hides expired points in segments and the head, per device prefix")
    func retention() throws {
        let directory = TemporaryDirectory()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let day: Int64 = Milliseconds.day
        do {
            let store = try Store(at: directory.path)
            try store.append(device: "keep-1", metric: "m", timestamps: [now - 10 * day, now - 5 * day], values: [1.0, 2.0])
            try store.append(device: "short-1", metric: "m", timestamps: [now - 10 * day, now - 2 * day], values: [1.0, 2.0])
            try store.append(device: "short-2", metric: "m", timestamps: [now - 3 * day], values: [3.0])
            try store.close()
        }
        var configuration = Configuration()
        configuration.retention = RetentionPolicy(maximumAgeMilliseconds: 7 * day, rules: [.init(devicePrefix: "short-", maximumAgeMilliseconds: day)])
        let store = try Store(at: directory.path, configuration: configuration)
        try store.append(device: "short-2", metric: "m", timestamp: now - 2 * day, value: 4.0)  // expired, in the head
        try store.append(device: "short-1", metric: "m", timestamp: now - 1000, value: 5.0)  // kept, in the head
        let keys = ["keep-1", "short-1", "short-2"].map { SeriesKey(device: $0, metric: "m") }
        let answers = try store.latest(of: keys)
        #expect(answers[0]?.timestamp == now - 5 * day)
        #expect(answers[1] == LatestPoint(series: keys[1], timestamp: now - 1000, value: .float64(5)))
        #expect(answers[2] == nil)
        try expectMatchesQuery(store, keys)
    }

    @Test("The same request asked again, kept prepared, answers as query while series are added, deleted and written again, and heads are flushed")
    func repeatedRequest() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        var random = SeededGenerator(seed: 77)
        // The request names series not written yet, in an unsorted order with a repeat: they appear between calls.
        var keys = (0..<30).map { SeriesKey(device: "d\($0 % 7)", metric: "m\($0 % 4)") }
        keys.append(keys[3])
        keys.shuffle(using: &random)
        for round in 0..<8 {
            var batch = WriteBatch()
            for key in keys.prefix(8 + round * 3) where random.next() % 3 != 0 {
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    try batch.append(device: key.device, metric: key.metric, timestamp: Int64(round * 10) + Int64(random.next() % 15), value: floatValue(&random))
                }
            }
            // A series the request does not name, in the same heads.
            try batch.append(device: "other", metric: "m0", timestamp: Int64(round), value: Double(round))
            try store.append(batch)
            try expectMatchesQuery(store, keys)
            switch round % 4 {
            case 1: try store.flush()
            case 2:
                // Deleted, then written again: a new series number for the same key.
                let key = keys[Int(random.next() % UInt64(keys.count))]
                try store.delete(device: key.device, metric: key.metric)
                try store.append(device: key.device, metric: key.metric, timestamps: [Int64(round * 10 + 100)], values: [Double(round)])
            default: break
            }
            // The same request again, and an equal request in a new array.
            try expectMatchesQuery(store, keys)
            try expectMatchesQuery(store, keys.map { SeriesKey(device: String($0.device), metric: String($0.metric)) })
        }
        // A different request replaces the kept one.
        try expectMatchesQuery(store, Array(keys.prefix(5)))
        try expectMatchesQuery(store, keys)
    }

    @Test("A series deleted over all time and written again with the other type answers with its new type")
    func retypedSeries() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        try store.append(device: "d", metric: "m", timestamps: [1, 2, 30], values: [1.0, 2.0, 3.0])
        try store.flush()
        try store.delete(device: "d", metric: "m")
        try store.append(device: "d", metric: "m", timestamps: [5], values: [Int64(-1)])
        let key = SeriesKey(device: "d", metric: "m")
        #expect(try store.latest(of: [key]) == [LatestPoint(series: key, timestamp: 5, value: .int64(-1))])
        try store.flush()
        #expect(try store.latest(of: [key]) == [LatestPoint(series: key, timestamp: 5, value: .int64(-1))])
        try expectMatchesQuery(store, [key])
    }

    @Test("A fleet whose newest points are all in the head skips older segments, yet a late point in a newer segment and a tie still answer as query")
    func newestSourcesFirst() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        var random = SeededGenerator(seed: 31)
        let keys = (0..<40).map { SeriesKey(device: "d-\($0 % 10)", metric: "m\($0 / 10)") }
        for round in 0..<4 {
            var batch = WriteBatch()
            for key in keys {
                for _ in 0..<3 { try batch.append(device: key.device, metric: key.metric, timestamp: Int64(round * 100) + Int64(random.next() % 100), value: floatValue(&random)) }
            }
            if round == 3 { try batch.append(device: "d-1", metric: "m1", timestamp: 1_000, value: 7.25) }  // newer than the head
            try store.append(batch)
            try store.flush()
        }
        var head = WriteBatch()
        for key in keys.dropFirst() { try head.append(device: key.device, metric: key.metric, timestamp: 500, value: floatValue(&random)) }
        // The first series rewrites its last timestamp in the head: a tie the head wins.
        let last = try #require(try store.query(device: keys[0].device, metric: keys[0].metric).last)
        try head.append(device: keys[0].device, metric: keys[0].metric, timestamp: last.timestamp, value: -0.0)
        try store.append(head)
        let answers = try store.latest(of: keys)
        #expect(answers[0] == LatestPoint(series: keys[0], timestamp: last.timestamp, value: .float64(-0.0)))
        let late = try #require(keys.firstIndex(of: SeriesKey(device: "d-1", metric: "m1")))
        #expect(answers[late] == LatestPoint(series: keys[late], timestamp: 1_000, value: .float64(7.25)))
        #expect(answers.filter { $0?.timestamp == 500 }.count == keys.count - 2)
        try expectMatchesQuery(store, keys)
        try expectMatchesQuery(store, keys.reversed() + keys.prefix(3))
    }

    @Test("A damaged device entry: in the newest segment its series throw as their queries do; in an older segment that cannot hold the answer it is not read; never a changed value", arguments: ["newer", "older"])
    func damagedEntry(which: String) throws {
        let directory = TemporaryDirectory()
        let keys = ["a", "b", "c", "d"].flatMap { device in ["x", "y"].map { SeriesKey(device: device, metric: $0) } }
        var paths: [String] = []
        var reference: [LatestPoint?] = []
        do {
            let store = try Store(at: directory.path)
            for round in 0..<2 {
                for (index, key) in keys.enumerated() {
                    let times = [1, 2, 3].map { Int64(round * 10) + $0 }
                    try store.append(device: key.device, metric: key.metric, timestamps: times, values: [1.5, 2.5, Double(index + round)])
                }
                try store.flush()
            }
            reference = try store.latest(of: keys)
            try expectMatchesQuery(store, keys)
            try store.close()
            paths = store.segments().map(\.path)
        }
        #expect(paths.count == 2)
        // Flip a byte in the middle of the device entries: one entry fails its checksum.
        let path = which == "newer" ? paths[1] : paths[0]
        let segment = try SegmentFile(path: path)
        let (entries, records) = (segment.indexOffset, try #require(segment.directoryOffset))
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[(entries + records) / 2] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))

        let store = try Store(at: directory.path, mode: .readOnly)
        if which == "older" {
            // Every point of the older segment lies before the newer one's: the answers stand.
            #expect(try store.latest(of: keys) == reference)
            return
        }
        var damaged = 0
        for key in keys {
            let naive = Result { try naiveLatest(store, key) }
            let latest = Result { try store.latest(of: [key]) }
            switch (naive, latest) {
            case (.success(let expected), .success(let answers)):
                #expect(answers[0]?.timestamp == expected?.0 && answers[0]?.value == expected?.1, "\(key)")
            case (.failure(let queryError), .failure(let latestError)):
                damaged += 1
                #expect((latestError as? StrataError)?.code == .corruptFile, "\(key)")
                #expect((latestError as? StrataError)?.code == (queryError as? StrataError)?.code)
            default:
                Issue.record("\(key): query \(naive), latest \(latest)")
            }
        }
        #expect(damaged > 0 && damaged < keys.count)
        // Asked all at once, the damaged series fail the call, as their queries fail.
        #expect(throws: StrataError.self) { try store.latest(of: keys) }
    }

    @Test("A read-only store beside the writer, and a store reopened from its write-ahead log, answer as query")
    func reopened() throws {
        let directory = TemporaryDirectory()
        var keys: [SeriesKey] = []
        do {
            var configuration = Configuration()
            configuration.pointsPerChunk = 16
            let store = try Store(at: directory.path, configuration: configuration)
            keys = try writeFleet(store, seed: 99)
            let reader = try Store(at: directory.path, mode: .readOnly)
            try expectMatchesQuery(reader, keys)
        }
        let reopened = try Store(at: directory.path)
        #expect(reopened.unflushedPointCount > 0)
        try expectMatchesQuery(reopened, keys)
    }
}

import Foundation
import Testing
@testable import Strata
import StrataTestSupport

@Suite("Int64 columns through the store")
struct IntegerColumnTests {
    static let day: Int64 = Milliseconds.day
    static let minute: Int64 = 60_000

    /// Int64 series of the shapes the patched integer codec chooses between,
    /// one point a minute over `count` minutes.
    static func shapes(count: Int, seed: UInt64) -> [(metric: String, values: [Int64])] {
        var random = SeededGenerator(seed: seed)
        var counter: Int64 = 0
        var resetting: Int64 = 5_000_000
        var level: Int64 = 3
        var remaining = 0
        return [
            ("constant", Array(repeating: 42, count: count)),
            // A state that holds for 20 to 60 minutes at a time: runs.
            ("state", (0..<count).map { _ in
                if remaining == 0 {
                    level = Int64(random.next() % 4)
                    remaining = 20 + Int(random.next() % 41)
                }
                remaining -= 1
                return level
            }),
            ("counter", (0..<count).map { _ in counter += Int64(random.next() % 500); return counter }),
            // A counter that resets now and then and has rare one-sample glitches.
            ("counter-resets", (0..<count).map { index in
                if index % 3000 == 2999 { resetting = 0 }
                resetting += Int64(random.next() % 100)
                return index % 1777 == 1000 ? -1 : resetting
            }),
            // A gauge around 20,000 with spikes far above and an error sentinel below.
            ("gauge-spikes", (0..<count).map { index in
                switch index % 997 {
                case 500: 9_000_000_000_000
                case 900: -999_999
                default: 20_000 + Int64(random.next() % 600) - 300
                }
            }),
            ("extremes", (0..<count).map { [Int64.min, .max, 0, -1, .max, .min][$0 % 6] }),
            ("random", (0..<count).map { _ in Int64(bitPattern: random.next()) }),
        ]
    }

    @Test("Int64 series of every shape survive flush, reopen and compaction exactly, in patched chunks of every layout")
    func roundTrip() throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.compaction.runsInBackground = false
        configuration.pointsPerChunk = 1000
        let today = wallClockMilliseconds() / Self.day * Self.day
        let start = today - 10 * Self.day
        let count = 10 * 1440
        let times = (0..<count).map { start + Int64($0) * Self.minute }
        let series = Self.shapes(count: count, seed: 3)
        var model = ReferenceModel()
        var store = try Store(at: directory.path, configuration: configuration)

        // Three flushes of a third of the time range each, so compaction has segments to merge.
        let third = count / 3
        for part in 0..<3 {
            let range = (part * third)..<(part == 2 ? count : (part + 1) * third)
            for (metric, values) in series {
                try store.append(device: "plant", metric: metric, timestamps: Array(times[range]), values: Array(values[range]))
                for index in range { model.write(SeriesKey(device: "plant", metric: metric), times[index], UInt64(bitPattern: values[index])) }
            }
            try store.flush()
        }

        func check(_ store: Store, _ stage: String) throws {
            for key in model.keys {
                let expected = model.expected(key)
                let points = try store.query(device: key.device, metric: key.metric)
                #expect(points.timestamps == expected.timestamps, "\(key) \(stage)")
                #expect(points.valueBitPatterns == expected.bits, "\(key) \(stage)")
                // A range inside one chunk, through the same decoder.
                let from = times[1234], to = times[1300]
                let window = try store.query(device: key.device, metric: key.metric, from: from, to: to)
                #expect(window.valueBitPatterns == model.expected(key, from: from, to: to).bits, "\(key) \(stage) window")
            }
            for segment in store.segments() { #expect(segment.verifyChunks().isEmpty, "\(stage)") }
        }

        /// The codecs of the stored Int64 value chunks, by metric.
        func codecs(_ store: Store) -> [String: Set<String>] {
            var result: [String: Set<String>] = [:]
            for segment in store.segments() {
                for chunk in segment.chunkDescriptions() {
                    if case .value(let metric, .int64) = chunk.column { result[metric, default: []].insert(chunk.codec) }
                }
            }
            return result
        }

        try check(store, "flushed")
        #expect(store.segments().allSatisfy { $0.version == SegmentFormat.currentVersion })
        let flushed = codecs(store)
        #expect(flushed["constant"] == ["patched/const"])
        #expect(flushed["state"]?.contains("patched/rle") == true)
        #expect(flushed["counter"] == ["patched/delta"])
        #expect(flushed["counter-resets"]?.contains("patched/delta") == true)
        #expect(flushed["gauge-spikes"]?.contains("patched/for") == true)

        try store.close()
        store = try Store(at: directory.path, configuration: configuration)
        try check(store, "reopened")

        let report = try store.compact()
        #expect(report.segmentsIn >= 3)
        #expect(store.segments().allSatisfy { $0.level != 0 })
        try check(store, "compacted")
        #expect(codecs(store)["constant"] == ["patched/const"])

        try store.close()
        let reopened = try Store(at: directory.path, configuration: configuration, mode: .readOnly)
        try check(reopened, "compacted and reopened")
    }
}

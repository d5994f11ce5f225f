import Testing
import Foundation
@testable import Strata
import StrataTestSupport

@Suite("Readers beside a writer")
struct ConcurrencyTests {
    @Test("Queries during appends, flushes and background compactions see sorted, complete prefixes")
    func readersDuringWrites() async throws {
        let directory = TemporaryDirectory()
        var configuration = Configuration()
        configuration.pointsPerChunk = 128
        configuration.headFlushThreshold = 3_000
        // Compact after every second flush, so compactions publish while readers read.
        configuration.compaction.flushedSegmentTrigger = 2
        configuration.compaction.backgroundBytesPerSecond = 0
        let store = try Store(at: directory.path, configuration: configuration)
        let batches = 200, perBatch = 100
        let acknowledged = Acknowledged()

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for round in 0..<batches {
                    let times = (0..<perBatch).map { Int64(round * perBatch + $0) }
                    try store.append(device: "d", metric: "m", timestamps: times, values: times.map { Double($0) })
                    acknowledged.set(round * perBatch + perBatch)
                    if round % 40 == 39 { try store.flush() }
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    var last = 0, reads = 0
                    while last < batches * perBatch && reads < 200_000 {
                        reads += 1
                        let before = acknowledged.value
                        let points = try store.query(device: "d", metric: "m")
                        // Every acknowledged point is visible, in order, with its value.
                        #expect(points.count >= before)
                        #expect(points.timestamps == (0..<points.count).map(Int64.init))
                        #expect(points.floatValues == (0..<points.count).map(Double.init))
                        last = points.count
                    }
                }
            }
            try await group.waitForAll()
        }
        try store.flush()
        #expect(try store.query(device: "d", metric: "m").timestamps == (0..<(batches * perBatch)).map(Int64.init))
    }
}

/// The number of points the writer has had acknowledged.
final class Acknowledged: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func set(_ value: Int) { lock.withLock { count = value } }
}

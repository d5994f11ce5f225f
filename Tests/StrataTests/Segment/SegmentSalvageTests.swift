import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// `verify --repair` keeps every intact chunk of a damaged segment: one
/// flipped byte used to cost the whole segment (all its series).
@Suite("Repair salvages the intact chunks of a damaged segment")
struct SegmentSalvageTests {
    static let devices = 20, metrics = 3, points = 3000

    /// One segment of `devices` × `metrics` series sharing their time column, 3 chunks each.
    static func store(_ directory: borrowing TemporaryDirectory) throws -> (path: String, expected: [SeriesKey: SeriesColumns]) {
        let path = directory.appending("store")
        var expected: [SeriesKey: SeriesColumns] = [:]
        let store = try Store(at: path)
        let times = (0..<points).map { Int64($0) * 1000 }
        for device in 0..<devices {
            for metric in 0..<metrics {
                let values = times.map { Double($0 % 7919) / Double(device + metric + 1) }
                try store.append(device: "dev-\(device)", metric: "m\(metric)", timestamps: times, values: values)
                expected[SeriesKey(device: "dev-\(device)", metric: "m\(metric)")] = SeriesColumns(timestamps: times, bits: values.map(\.bitPattern))
            }
        }
        try store.close()
        return (path, expected)
    }

    static func flipByte(in file: String, at offset: Int) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[offset] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: file))
    }

    /// Every series' points after the repair, compared with what was written minus `lostRange` of `lostSeries`.
    static func expectEverythingBut(_ lostSeries: Set<SeriesKey>, _ lostRange: ClosedRange<Int64>, path: String, expected: [SeriesKey: SeriesColumns]) throws {
        let store = try Store(at: path, mode: .readOnly)
        for (key, columns) in expected {
            let read = try store.query(device: key.device, metric: key.metric)
            let keep = columns.timestamps.indices.filter { !lostSeries.contains(key) || !lostRange.contains(columns.timestamps[$0]) }
            #expect(read.timestamps == keep.map { columns.timestamps[$0] }, "\(key.device)/\(key.metric)")
            #expect(read.valueBitPatterns == keep.map { columns.bits[$0] }, "\(key.device)/\(key.metric)")
        }
    }

    @Test("a damaged value chunk loses that chunk of one series; every other point stays")
    func damagedValueChunk() throws {
        let directory = TemporaryDirectory()
        let (path, expected) = try Self.store(directory)
        let file = path + "/segments/0000000001.seg"
        let target = ChunkDescription.Column.value(metric: "m1", type: .float64)
        let chunks = try SegmentFile(path: file).chunkDescriptions()
        let chunk = try #require(chunks.first { description in
            description.device == "dev-7" && description.column == target && description.minTime > 0
        })
        try Self.flipByte(in: file, at: chunk.offset + 2)

        let report = try StoreVerifier.repair(at: path)
        let moved = try #require(report.moved.first)
        #expect(report.moved.count == 1)
        #expect(moved.salvagedPoints == Self.devices * Self.metrics * Self.points - chunk.pointCount)
        #expect(moved.lost.count == 1)
        #expect(moved.lost.first?.series == SeriesKey(device: "dev-7", metric: "m1"))
        #expect(moved.lost.first?.first == chunk.minTime && moved.lost.first?.last == chunk.maxTime)
        #expect(FileManager.default.fileExists(atPath: moved.newPath), "the damaged file is kept")
        try Self.expectEverythingBut([SeriesKey(device: "dev-7", metric: "m1")], chunk.minTime...chunk.maxTime, path: path, expected: expected)
        #expect(try StoreVerifier.verify(at: path).isClean)
    }

    @Test("a damaged time chunk loses that stretch of every metric sharing it, nothing more")
    func damagedTimeChunk() throws {
        let directory = TemporaryDirectory()
        let (path, expected) = try Self.store(directory)
        let file = path + "/segments/0000000001.seg"
        let chunk = try #require(try SegmentFile(path: file).chunkDescriptions().first { $0.device == "dev-3" && $0.column == .time })
        try Self.flipByte(in: file, at: chunk.offset + 1)

        let report = try StoreVerifier.repair(at: path)
        let moved = try #require(report.moved.first)
        let lost = Set((0..<Self.metrics).map { SeriesKey(device: "dev-3", metric: "m\($0)") })
        #expect(Set(moved.lost.map(\.series)) == lost)
        #expect(moved.salvagedPoints == Self.devices * Self.metrics * Self.points - Self.metrics * chunk.pointCount)
        try Self.expectEverythingBut(lost, chunk.minTime...chunk.maxTime, path: path, expected: expected)
        // A second repair finds nothing, and never overwrites what the first set aside.
        #expect(try StoreVerifier.verify(at: path).isClean)
    }

    @Test("a second damage of the salvaged segment is set aside under a new name")
    func repeatedRepair() throws {
        let directory = TemporaryDirectory()
        let (path, _) = try Self.store(directory)
        let file = path + "/segments/0000000001.seg"
        for round in 1...2 {
            let chunk = try #require(try SegmentFile(path: file).chunkDescriptions().first { $0.column != .time })
            try Self.flipByte(in: file, at: chunk.offset + 1)
            let report = try StoreVerifier.repair(at: path)
            #expect(report.moved.first?.newPath == path + "/segments/damaged/0000000001.seg" + (round == 1 ? "" : ".1"))
        }
        #expect(FileManager.default.fileExists(atPath: path + "/segments/damaged/0000000001.seg"))
        #expect(FileManager.default.fileExists(atPath: path + "/segments/damaged/0000000001.seg.1"))
    }
}

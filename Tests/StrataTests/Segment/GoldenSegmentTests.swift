import Testing
import Foundation
@testable import Strata

/// Segments written by every format version are kept in `Resources/golden-vN.seg`.
/// Every later build must read all of them and find exactly these points, and
/// today's writer must reproduce the current version's file byte for byte, so a
/// format change cannot slip in unnoticed. For a deliberate new version, add
/// its file (keeping the old ones): `STRATA_WRITE_GOLDEN=1 swift test --filter Golden`.
@Suite("Golden segments")
struct GoldenSegmentTests {
    /// The golden content: two devices, a shared time column and a separate one,
    /// both value types, special floats, negative timestamps, several chunks.
    static func content() -> [DeviceColumns] {
        let regular = (0..<40).map { Int64($0) * 60_000 - 1_200_000 }
        let irregular: [Int64] = [-5_000_000_000, -1, 0, 1, 17, 1_000_003, Milliseconds.day * 365 * 50]
        let floats = regular.indices.map { index -> Double in
            switch index {
            case 3: -0.0
            case 7: .nan
            case 11: Double(bitPattern: 0x7FF4_0000_0000_0001)
            case 13: .infinity
            case 17: .leastNonzeroMagnitude
            default: 20 + Double(index) * 0.1
            }
        }
        let humidity = regular.indices.map { 55.5 - Double($0 % 7) }
        let counts: [Int64] = [.min, -1, 0, 1, 42, .max - 1, .max]
        return [
            DeviceColumns(name: "pump-1", metrics: [
                .init(name: "temperature", type: .float64, columns: SeriesColumns(timestamps: regular, bits: floats.map(\.bitPattern))),
                .init(name: "humidity", type: .float64, columns: SeriesColumns(timestamps: regular, bits: humidity.map(\.bitPattern))),
                .init(name: "cycles", type: .int64, columns: SeriesColumns(timestamps: irregular, bits: counts.map { UInt64(bitPattern: $0) })),
            ]),
            DeviceColumns(name: "météo-2", metrics: [
                .init(name: "pressure", type: .float64, columns: SeriesColumns(timestamps: irregular, bits: [1013.2, 1013.1, 1012.9, 1e300, -1e-300, 0.1, 0.2].map(\.bitPattern))),
            ]),
        ]
    }

    static let pointsPerChunk = 16
    /// What the version 7 file records of its place in a store: a compaction's output.
    static let provenance = SegmentProvenance(rank: 42, level: 2, deletionsApplied: 40, replaced: [7, 9, 40], siblings: [43, 44])

    static var currentFileName: String { "golden-v\(SegmentFormat.currentVersion).seg" }

    @Test("Every golden file opens and holds exactly its points", arguments: [UInt16](1...SegmentFormat.currentVersion))
    func readsGolden(version: UInt16) throws {
        let name = "golden-v\(version).seg"
        if ProcessInfo.processInfo.environment["STRATA_WRITE_GOLDEN"] == "1" && version == SegmentFormat.currentVersion {
            let bytes = SegmentWriter(pointsPerChunk: Self.pointsPerChunk, provenance: Self.provenance).encode(Self.content())
            try Data(bytes).write(to: URL(fileURLWithPath: TestResources.sourcePath(name)))
            return
        }
        let segment = try SegmentFile(path: TestResources.path(name))
        #expect(segment.version == version)
        // Version 7 records where the segment stood in its store.
        #expect(segment.recordedProvenance == (version >= 7 ? Self.provenance : nil))
        #expect(segment.deviceNames == ["météo-2", "pump-1"])
        #expect(segment.verifyChunks().isEmpty)
        for device in Self.content() {
            for metric in device.metrics {
                let (type, columns) = try #require(try segment.read(device: device.name, metric: metric.name, from: .min, to: .max))
                #expect(type == metric.type)
                #expect(columns.timestamps == metric.columns.timestamps)
                #expect(columns.bits == metric.columns.bits)
            }
        }
        // Group 0 is led by "cycles" (first metric by name): one chunk of 7 irregular points;
        // group 1 holds the 40 shared minutes: version 1 cut them evenly (14+13+13), version 2
        // on quarter hours (5+15+15+5).
        let pumpTime = segment.chunkDescriptions().filter { $0.device == "pump-1" && $0.column == .time }
        #expect(pumpTime.map(\.pointCount) == (version == 1 ? [7, 14, 13, 13] : [7, 5, 15, 15, 5]))
        // Version 2 added the non-NaN count and squared deviations of each value chunk.
        let temperature = try #require(segment.device(named: "pump-1")?.metric(named: "temperature"))
        #expect(temperature.chunks.allSatisfy { ($0.valueCount != nil) == (version >= 2) })
        if version >= 2 {
            // 5 + 15 + 15 + 5 values, a NaN and a signalling NaN in the second chunk.
            #expect(temperature.chunks.map { $0.valueCount! } == [5, 13, 15, 5])
        }
    }

    @Test("Every golden file answers the device lookups alike, eagerly parsed (1 to 5) or through the directory (6 and 7)",
          arguments: [UInt16](1...SegmentFormat.currentVersion))
    func lookupsAcrossVersions(version: UInt16) throws {
        let segment = try SegmentFile(path: TestResources.path("golden-v\(version).seg"))
        #expect(segment.deviceCount == 2)
        #expect(try segment.deviceName(at: 0) == "météo-2")
        #expect(try segment.device(at: 1).name == "pump-1")
        #expect(try segment.device(named: "pump-1")?.metrics.map(\.name) == ["cycles", "humidity", "temperature"])
        for absent in ["", "a", "pump-0", "pump-1\u{0}", "zzz"] {
            #expect(try segment.device(named: absent) == nil, "\(absent.debugDescription)")
        }
        #expect(segment.seriesCount == 4)
        #expect(segment.pointCount == 40 + 40 + 7 + 7)
        let bounds = try #require(segment.timeBounds)
        #expect(bounds.first == -5_000_000_000)
        #expect(bounds.last == Int64(Milliseconds.day) * 365 * 50)
        #expect(try segment.series(ofDevice: "météo-2").map(\.pointCount) == [7])
    }

    @Test("Today's writer still produces the golden bytes")
    func writerMatchesGolden() throws {
        let golden = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestResources.path(Self.currentFileName))))
        let written = SegmentWriter(pointsPerChunk: Self.pointsPerChunk, provenance: Self.provenance).encode(Self.content())
        #expect(written == golden, "the writer's output changed: if deliberate, bump the format version and add a new golden file")
    }
}

import Foundation
import Testing
@testable import Strata
import StrataTestSupport

@Suite("Chunk compression (format version 3 and later)")
struct ChunkCompressionTests {
    /// Decimal readings with a daily cycle: what sensors send, and what compresses.
    static func devices(seed: UInt64) -> [DeviceColumns] {
        var random = SeededGenerator(seed: seed)
        var result: [DeviceColumns] = []
        for device in 0..<3 {
            var times: [Int64] = [], temperature: [UInt64] = [], counts: [UInt64] = []
            var special = SpecialValues.floats.makeIterator()
            for index in 0..<5000 {
                times.append(1_700_000_000_000 + Int64(index) * 60_000)
                var value = (200 + Double(index % 1440) / 10 + Double(random.next() % 5)).rounded() / 10
                if index % 500 == 7, let next = special.next() { value = next }
                temperature.append(value.bitPattern)
                counts.append(UInt64(bitPattern: Int64(index / 10)))
            }
            result.append(DeviceColumns(name: "sensor-\(device)", metrics: [
                .init(name: "temperature", type: .float64, columns: SeriesColumns(timestamps: times, bits: temperature)),
                .init(name: "count", type: .int64, columns: SeriesColumns(timestamps: times, bits: counts)),
            ]))
        }
        return result
    }

    @Test("Compressed chunks round-trip bit for bit, and are smaller", arguments: [ChunkCompression.lz4, .zstd(level: 3), .zstd(level: 9)])
    func roundTrip(compression: ChunkCompression) throws {
        let directory = TemporaryDirectory()
        let content = Self.devices(seed: 3)
        let plain = SegmentWriter(pointsPerChunk: 1024).encode(content)
        let packed = SegmentWriter(pointsPerChunk: 1024, compression: compression).encode(content)
        #expect(packed.count < plain.count)
        let path = directory.appending("0000000001.seg")
        try Data(packed).write(to: URL(fileURLWithPath: path))
        let segment = try SegmentFile(path: path)
        #expect(segment.version >= 3)
        let codecs = segment.chunkDescriptions().map(\.codec)
        #expect(codecs.contains { $0.hasSuffix("+" + compression.name) })
        #expect(codecs.contains { $0.hasPrefix("decimal") })
        #expect(segment.verifyChunks().isEmpty)
        for device in content {
            for metric in device.metrics {
                let (_, columns) = try #require(try segment.read(device: device.name, metric: metric.name, from: .min, to: .max))
                #expect(columns.timestamps == metric.columns.timestamps)
                #expect(columns.bits == metric.columns.bits)
            }
        }
    }

    @Test("A damaged compressed chunk is named with its file and offset; other chunks still read")
    func damage() throws {
        let directory = TemporaryDirectory()
        var bytes = SegmentWriter(pointsPerChunk: 1024, compression: .zstd(level: 3)).encode(Self.devices(seed: 5))
        let path = directory.appending("0000000001.seg")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let compressed = try #require(try SegmentFile(path: path).chunkDescriptions().first { $0.codec.hasSuffix("+zstd") })
        bytes[compressed.offset + compressed.byteCount / 2] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let segment = try SegmentFile(path: path)
        let problems = segment.verifyChunks()
        #expect(problems.map(\.offset) == [compressed.offset])
        let error = #expect(throws: StrataError.self) {
            _ = try segment.read(device: compressed.device, metric: "temperature", from: .min, to: .max)
            _ = try segment.read(device: compressed.device, metric: "count", from: .min, to: .max)
        }
        #expect(error?.path == path)
        #expect(error?.offset == compressed.offset)
        let other = compressed.device == "sensor-0" ? "sensor-1" : "sensor-0"
        #expect(try segment.read(device: other, metric: "temperature", from: .min, to: .max)?.1.count == 5000)
    }
}

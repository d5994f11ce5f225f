import Testing
import Foundation
@testable import Strata
import StrataCodecs
import StrataTestSupport

@Suite("Time chunks with the gap codec")
struct TimestampGapSegmentTests {
    @Test("The writer stores time chunks with the gap codec and reads them back")
    func writerUsesTheGapCodec() throws {
        // Hourly readings with missing hours, and an irregular series.
        var hourly: [Int64] = []
        var time: Int64 = 1_362_067_200_000
        for index in 0..<3000 {
            hourly.append(time)
            time += (index % 97 == 13 ? 3 : 1) * 3_600_000
        }
        let irregular: [Int64] = [-5_000_000_000, -1, 0, 1, 17, 1_000_003, .max]
        let devices = [
            DeviceColumns(name: "station", metrics: [
                .init(name: "co", type: .float64, columns: SeriesColumns(timestamps: hourly, bits: hourly.map { Double($0 % 1000).bitPattern })),
                .init(name: "count", type: .int64, columns: SeriesColumns(timestamps: irregular, bits: irregular.map { UInt64(bitPattern: $0) })),
            ]),
        ]
        let directory = TemporaryDirectory()
        let path = directory.appending("0000000001.seg")
        try Data(SegmentWriter(pointsPerChunk: 1024).encode(devices)).write(to: URL(fileURLWithPath: path))
        let segment = try SegmentFile(path: path)
        #expect(segment.version == SegmentFormat.currentVersion)
        let timeChunks = segment.chunkDescriptions().filter { $0.column == .time }
        #expect(timeChunks.count >= 4)
        #expect(timeChunks.allSatisfy { $0.codec == "gaps" })
        #expect(segment.verifyChunks().isEmpty)
        let (_, co) = try #require(try segment.read(device: "station", metric: "co", from: .min, to: .max))
        #expect(co.timestamps == hourly)
        let (_, count) = try #require(try segment.read(device: "station", metric: "count", from: .min, to: .max))
        #expect(count.timestamps == irregular)
        // 31 gaps in 3,000 hours, in three chunks: a few bytes each.
        let hourlyBytes = timeChunks.filter { $0.pointCount > 7 }.reduce(0) { $0 + $1.byteCount }
        #expect(Double(hourlyBytes * 8) / Double(hourly.count) < 0.3)
    }

    @Test("A gap-coded time chunk is accepted from version 5 on, and is corruption before", arguments: [UInt16(4), 5])
    func gapCodecNeedsVersionFive(version: UInt16) throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("0000000001.seg")
        try Data(Self.segment(version: version, times: [1, 2, 3])).write(to: URL(fileURLWithPath: path))
        if version >= 5 {
            let segment = try SegmentFile(path: path)
            #expect(segment.chunkDescriptions().map(\.codec) == ["gaps"])
            #expect(segment.verifyChunks().isEmpty)
        } else {
            let error = #expect(throws: StrataError.self) { try SegmentFile(path: path) }
            #expect(error?.code == .corruptFile)
            #expect(error?.message.contains("inconsistent") == true)
        }
    }

    /// A hand-built segment of one device with one gap-coded time chunk and no metrics.
    static func segment(version: UInt16, times: [Int64]) -> [UInt8] {
        var file = ByteWriter()
        file.writeBytes(Array("STRATSEG".utf8))
        file.writeUInt16(version)
        file.writeUInt16(0)
        file.writeUInt32(file.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        let payload = TimestampGapCodec.encode(times)
        file.writeBytes(payload)
        var index = ByteWriter()
        index.writeVarUInt(1)                   // devices
        index.writeString("d")
        index.writeVarUInt(1)                   // groups
        index.writeVarUInt(1)                   // chunks
        index.writeVarUInt(16)                  // offset
        index.writeVarUInt(UInt64(payload.count))
        index.writeUInt8(ColumnCodec.timestampGaps.rawValue)
        index.writeUInt32(CRC32C.checksum(payload))
        index.writeVarUInt(UInt64(times.count))
        index.writeVarInt(times.min()!)
        index.writeVarInt(times.max()!)
        index.writeVarUInt(0)                   // metrics
        let indexOffset = file.count
        file.writeBytes(index.bytes)
        var footer = ByteWriter()
        footer.writeUInt64(UInt64(indexOffset))
        footer.writeUInt64(UInt64(index.count))
        footer.writeUInt32(CRC32C.checksum(index.bytes))
        footer.writeUInt32(footer.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        footer.writeBytes(Array("STRATIDX".utf8))
        file.writeBytes(footer.bytes)
        return file.bytes
    }
}

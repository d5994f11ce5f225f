import Testing
import Foundation
@testable import Strata
import StrataCodecs
import StrataTestSupport

@Suite("Writer lock, read-only access, edge values")
struct StoreAccessTests {
    @Test("A second writer is refused with the holder's process id; readers are not")
    func writerLock() throws {
        let directory = TemporaryDirectory()
        let writer = try Store(at: directory.path)
        try writer.append(device: "d", metric: "m", timestamp: 1, value: 1.0)
        try writer.flush()

        let error = #expect(throws: StrataError.self) { try Store(at: directory.path) }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("process \(getpid())") == true, "\(error?.message ?? "")")

        let reader = try Store(at: directory.path, mode: .readOnly)
        #expect(try reader.query(device: "d", metric: "m").count == 1)
        let refused = #expect(throws: StrataError.self) { try reader.append(device: "d", metric: "m", timestamp: 2, value: 2.0) }
        #expect(refused?.code == .readOnly)
        #expect(throws: StrataError.self) { try reader.flush() }

        // Another process is refused too, with a one-line reason and status 1.
        let ingest = try CommandRunner.run(["ingest", directory.path, TestResources.path("statsmodels_co2_excerpt.csv")])
        #expect(ingest.status == 1)
        #expect(ingest.standardError.contains("open for writing by process \(getpid())"))
        // ...while the read-only CLI commands work beside the writer.
        let query = try CommandRunner.run(["query", directory.path, "--device", "d", "--metric", "m", "--format", "csv"])
        #expect(query.status == 0)
        #expect(query.standardOutput == "device,metric,ts_ms,value\nd,m,1,1.0\n")

        try writer.close()
        let next = try Store(at: directory.path)
        #expect(try next.query(device: "d", metric: "m").count == 1)
    }

    @Test("A read-only open neither creates a store nor removes a writer's temporary file")
    func readOnlyTouchesNothing() throws {
        let directory = TemporaryDirectory()
        #expect(throws: StrataError.self) { try Store(at: directory.appending("new"), mode: .readOnly) }
        #expect(!FileManager.default.fileExists(atPath: directory.appending("new")))
        let writer = try Store(at: directory.path)
        let inProgress = directory.appending("segments/0000000009.seg.tmp")
        try Data([1]).write(to: URL(fileURLWithPath: inProgress))
        _ = try Store(at: directory.path, mode: .readOnly)
        #expect(FileManager.default.fileExists(atPath: inProgress))
        try writer.close()
    }

    @Test("A store of an unknown format version is refused")
    func futureStoreFormat() throws {
        let directory = TemporaryDirectory()
        try Store(at: directory.path).close()
        try "Strata store\nformat 3\n".write(toFile: directory.appending("STRATA"), atomically: true, encoding: .utf8)
        let error = #expect(throws: StrataError.self) { try Store(at: directory.path) }
        #expect(error?.code == .unsupportedVersion)
    }

    @Test("Extreme timestamps survive a flush, and range ends are exclusive")
    func extremeTimestamps() throws {
        let directory = TemporaryDirectory()
        let store = try Store(at: directory.path)
        let times: [Int64] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
        try store.append(device: "d", metric: "m", timestamps: times, values: times.map { Double($0) })
        for flushed in [false, true] {
            if flushed { try store.flush() }
            #expect(try store.query(device: "d", metric: "m").timestamps == times, "flushed: \(flushed)")
            #expect(try store.query(device: "d", metric: "m", from: .max).timestamps == [.max])
            #expect(try store.query(device: "d", metric: "m", from: .min, to: .max - 1).timestamps == Array(times.prefix(5)))
            #expect(try store.query(device: "d", metric: "m", from: 0, to: 1).timestamps == [0])
        }
    }

    @Test("Names are compared byte for byte: composed and decomposed spellings are two series")
    func namesAreBytes() throws {
        let directory = TemporaryDirectory()
        let composed = "Z\u{FC}rich", decomposed = "Zu\u{308}rich"
        #expect(composed == decomposed)  // Swift's String equality says they are equal...
        let store = try Store(at: directory.path)
        try store.append(device: composed, metric: "t", timestamp: 1, value: 1.0)
        try store.append(device: decomposed, metric: "t", timestamp: 1, value: 2.0)
        try store.close()
        let reopened = try Store(at: directory.path, mode: .readOnly)
        #expect(reopened.series().count == 2)  // ...but they are stored as the bytes given.
        #expect(try reopened.query(device: composed, metric: "t").floatValues == [1.0])
        #expect(try reopened.query(device: decomposed, metric: "t").floatValues == [2.0])
    }

    @Test("A chunk entry claiming more points than any chunk may hold is corruption, not an allocation")
    func implausibleChunkCount() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("0000000001.seg")
        // A hand-built segment: one time chunk whose entry claims a billion points.
        var file = ByteWriter()
        file.writeBytes(Array("STRATSEG".utf8))
        file.writeUInt16(1)
        file.writeUInt16(0)
        file.writeUInt32(file.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        let payload = TimestampCodec.encode([1, 2, 3])
        file.writeBytes(payload)
        var index = ByteWriter()
        index.writeVarUInt(1)                   // devices
        index.writeString("d")
        index.writeVarUInt(1)                   // groups
        index.writeVarUInt(1)                   // chunks
        index.writeVarUInt(16)                  // offset
        index.writeVarUInt(UInt64(payload.count))
        index.writeUInt8(ColumnCodec.timestampDeltaOfDelta.rawValue)
        index.writeUInt32(CRC32C.checksum(payload))
        index.writeVarUInt(1_000_000_000)       // count
        index.writeVarInt(1)
        index.writeVarInt(3)
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
        try Data(file.bytes).write(to: URL(fileURLWithPath: path))

        let error = #expect(throws: StrataError.self) { try SegmentFile(path: path) }
        #expect(error?.code == .corruptFile)
        #expect(error?.offset == indexOffset + 5)
        #expect(error?.message.contains("inconsistent") == true)
    }
}

import Testing
import Foundation
@testable import Strata
import StrataCodecs
import StrataTestSupport

@Suite("Corrupt segments are named, and the rest stays readable")
struct CorruptSegmentTests {
    /// A store with two segments: the first holds devices a and b, the second device c.
    static func makeStore(_ directory: borrowing TemporaryDirectory) throws -> (first: String, second: String) {
        var configuration = Configuration()
        configuration.pointsPerChunk = 100
        let store = try Store(at: directory.path, configuration: configuration)
        let times = (0..<1000).map { Int64($0) * 1000 }
        try store.append(device: "a", metric: "m", timestamps: times, values: times.map { Double($0) / 7 })
        try store.append(device: "b", metric: "m", timestamps: times, values: times.map { Double($0) / 3 })
        try store.flush()
        try store.append(device: "c", metric: "m", timestamps: times, values: times.map { Double($0) })
        try store.close()
        let segments = store.segments().map(\.path)
        return (segments[0], segments[1])
    }

    static func modify(_ path: String, _ change: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("A flipped bit in a chunk fails that chunk's checksum, with file and offset")
    func flippedChunkBit() throws {
        let directory = TemporaryDirectory()
        let (first, _) = try Self.makeStore(directory)
        let segment = try SegmentFile(path: first)
        let target = segment.chunkDescriptions().first { $0.device == "b" && $0.column != .time }!
        try Self.modify(first) { $0[target.offset + target.byteCount / 2] ^= 0x10 }

        let store = try Store(at: directory.path)
        #expect(store.unreadableSegments.isEmpty)  // the index is intact
        let error = #expect(throws: StrataError.self) { try store.query(device: "b", metric: "m") }
        #expect(error?.code == .corruptFile)
        #expect(error?.path == first)
        #expect(error?.offset == target.offset)
        #expect(error?.description.contains(first) == true)
        // Other series of the same segment and other segments are unaffected.
        #expect(try store.query(device: "a", metric: "m").count == 1000)
        #expect(try store.query(device: "c", metric: "m").count == 1000)
        // A range that avoids the damaged chunk still reads.
        #expect(try store.query(device: "b", metric: "m", from: 0, to: Int64(target.minTime)).count == Int(target.minTime / 1000))
        let problems = try SegmentFile(path: first).verifyChunks()
        #expect(problems.map(\.offset) == [target.offset])
    }

    @Test("Damage to the device directory, header or footer makes that segment unreadable, not the store", arguments: [
        "directory", "header", "footer", "truncated", "empty", "version",
    ])
    func damagedStructure(kind: String) throws {
        let directory = TemporaryDirectory()
        let (first, second) = try Self.makeStore(directory)
        let directoryOffset = try #require(try SegmentFile(path: first).directoryOffset)
        try Self.modify(first) { bytes in
            switch kind {
            case "directory": bytes[directoryOffset + 3] ^= 0x01
            case "header": bytes[2] ^= 0x20
            case "footer": bytes[bytes.count - 20] ^= 0x01
            case "truncated": bytes.removeLast(100)
            case "empty": bytes.removeAll()
            default:
                bytes[8] = 9  // version 9, with a valid header checksum
                let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<12])) }
                withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[12 + i] = $0[i] } }
            }
        }
        let store = try Store(at: directory.path)
        #expect(store.unreadableSegments.count == 1)
        let problem = try #require(store.unreadableSegments.first)
        #expect(problem.path == first)
        #expect(problem.offset != nil)
        if kind == "directory" { #expect(problem.offset == directoryOffset) }
        #expect(problem.code == (kind == "version" ? .unsupportedVersion : .corruptFile))
        #expect(try store.query(device: "c", metric: "m").count == 1000)
        #expect(store.segments().map(\.path) == [second])
        // New flushes never reuse the damaged file's name.
        try store.append(device: "d", metric: "m", timestamp: 1, value: 1.0)
        try store.flush()
        #expect(store.segments().count == 2)
        #expect(FileManager.default.fileExists(atPath: first))
    }

    @Test("A leftover temporary file from an interrupted flush is removed on open")
    func leftoverTemporaryFile() throws {
        let directory = TemporaryDirectory()
        _ = try Self.makeStore(directory)
        let leftover = directory.appending("segments/0000000003.seg.tmp")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: leftover))
        let store = try Store(at: directory.path)
        #expect(store.unreadableSegments.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }
}

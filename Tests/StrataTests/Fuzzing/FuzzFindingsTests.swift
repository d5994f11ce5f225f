import Testing
@testable import Strata
import StrataCodecs

/// Inputs found by the fuzz targets of `Tests/Fuzz/` (tools/fuzz), each kept as the
/// regression test of its fix.
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    /// A manifest with `body` after a valid header and before a valid checksum.
    static func manifest(body: [UInt8]) -> [UInt8] {
        var file = ByteWriter(capacity: 64)
        file.writeBytes(ManifestFile.magic)
        file.writeUInt16(ManifestFile.currentVersion)
        file.writeUInt16(0)
        file.writeUInt32(UInt32(body.count))
        file.writeBytes(body)
        file.writeUInt32(file.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return file.bytes
    }

    @Test("fuzz-manifest: a manifest listing its segments out of order or twice is damage (it decoded, then changed when written back)",
          arguments: [
              // generation 4, next 5, log 2; segments 100 then 50 (the fuzzer's input); no deletions.
              [0x04, 0x05, 0x02, 0x02, 100, 101, 0x76, 0x2D, 50, 0, 0, 0x90, 0x4E, 0],
              // segment 7 listed twice
              [0x01, 0x08, 0x00, 0x02, 7, 7, 0, 0, 7, 7, 0, 0, 0],
          ] as [[UInt8]])
    func manifestSegmentOrder(body: [UInt8]) throws {
        let bytes = Self.manifest(body: body)
        #expect(throws: StrataError.self) { _ = try ManifestFile.decode(bytes, path: "MANIFEST") }
        do {
            _ = try ManifestFile.decode(bytes, path: "MANIFEST")
        } catch {
            #expect(error.code == .corruptFile)
            #expect(error.message.contains("out of order or listed twice"), "\(error.message)")
        }
        // Rising sequences still decode, and encode back to the same bytes.
        let sorted = Self.manifest(body: [0x04, 0x05, 0x02, 0x02, 50, 0, 0, 0, 100, 101, 0x76, 0x2D, 0])
        let decoded = try ManifestFile.decode(sorted, path: "MANIFEST")
        #expect(decoded.segments.map(\.sequence) == [50, 100])
        #expect(ManifestFile.encode(decoded) == sorted)
    }
}

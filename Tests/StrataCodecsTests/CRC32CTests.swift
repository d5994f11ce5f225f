import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct CRC32CTests {
    /// Bit-at-a-time reference: slow but obviously the textbook definition.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func knownVectors() {
        #if arch(x86_64)
        // x86-64 processors have had SSE 4.2 since 2008: on them the hardware path is the one in use.
        #expect(CRC32C.usesHardware)
        #endif
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0..<32)) == 0x46DD_794E)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum(UnsafeRawBufferPointer(start: nil, count: 0), continuing: 7) == 7)
    }

    @Test func matchesBitwiseReferenceAtEveryLengthAndAlignment() {
        var rng = SeededGenerator(seed: 321)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
        data.withUnsafeBytes { raw in
            for start in 0..<9 {
                for length in 0..<(300 - start) where length < 40 || length % 7 == 0 {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    let expected = Self.reference(Array(data[start..<(start + length)]))
                    #expect(CRC32C.checksum(slice) == expected)
                    // Both paths, whichever this processor takes.
                    #expect(CRC32C.portableChecksum(slice) == expected)
                }
            }
        }
    }

    @Test func incrementalEqualsWhole() {
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<200 {
            let data = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let split = Int.random(in: 0...data.count, using: &rng)
            let whole = CRC32C.checksum(data)
            let first = Array(data[..<split]), second = Array(data[split...])
            let partial = second.withUnsafeBytes { CRC32C.checksum($0, continuing: CRC32C.checksum(first)) }
            #expect(partial == whole)
            let portable = second.withUnsafeBytes { CRC32C.portableChecksum($0, continuing: first.withUnsafeBytes { CRC32C.portableChecksum($0) }) }
            #expect(portable == whole)
        }
    }
}

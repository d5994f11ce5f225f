import Testing
@testable import StrataCodecs
import StrataTestSupport

@Suite struct BlockCompressionTests {
    static let algorithms: [BlockCompression] = [.lz4, .zstd(level: 1), .zstd(level: 3), .zstd(level: 19), .zstd(level: -5)]

    static func samples() -> [[UInt8]] {
        var rng = SeededGenerator(seed: 17)
        let text = Array(String(repeating: "device=sensor-01 metric=temperature value=21.5\n", count: 500).utf8)
        let random = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return [[], [42], text, random, [UInt8](repeating: 0, count: 1 << 20), Array(TimestampCodec.encode((0..<5000).map { Int64($0) * 1000 }))]
    }

    @Test(arguments: algorithms) func roundTrips(_ algorithm: BlockCompression) throws {
        for sample in Self.samples() {
            let compressed = try sample.withUnsafeBytes { try algorithm.compress($0) }
            let restored = try compressed.withUnsafeBytes { try algorithm.decompress($0, originalSize: sample.count) }
            #expect(restored == sample, "\(algorithm) \(sample.count) bytes")
        }
    }

    @Test(arguments: algorithms) func wrongSizeThrows(_ algorithm: BlockCompression) throws {
        let sample = Array(String(repeating: "abcdefgh", count: 100).utf8)
        let compressed = try sample.withUnsafeBytes { try algorithm.compress($0) }
        for size in [0, sample.count - 1, sample.count + 1, sample.count * 2] {
            #expect(throws: CompressionError.self) { try compressed.withUnsafeBytes { try algorithm.decompress($0, originalSize: size) } }
        }
        #expect(throws: CompressionError.self) { try compressed.withUnsafeBytes { try algorithm.decompress($0, originalSize: -1) } }
    }

    @Test(arguments: algorithms) func corruptInputThrowsOrMismatches(_ algorithm: BlockCompression) throws {
        var rng = SeededGenerator(seed: 23)
        let sample = Self.samples()[2]
        let compressed = try sample.withUnsafeBytes { try algorithm.compress($0) }
        // Truncation always fails.
        for length in stride(from: 0, to: compressed.count, by: max(1, compressed.count / 50)) {
            let prefix = Array(compressed[..<length])
            #expect(throws: CompressionError.self) { try prefix.withUnsafeBytes { try algorithm.decompress($0, originalSize: sample.count) } }
        }
        // Random bytes and bit flips must not crash; zstd's checksum-free frames may still decode, to something else.
        for _ in 0..<500 {
            var copy = compressed
            copy[Int.random(in: 0..<copy.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            _ = try? copy.withUnsafeBytes { try algorithm.decompress($0, originalSize: sample.count) }
            let noise = (0..<Int.random(in: 0..<100, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? noise.withUnsafeBytes { try algorithm.decompress($0, originalSize: Int.random(in: 0..<1000, using: &rng)) }
        }
    }
}

@Suite struct ZstdStreamDecoderTests {
    static func payload() -> [UInt8] {
        var rng = SeededGenerator(seed: 31)
        var text = ""
        for i in 0..<40_000 { text += "2024-01-01T00:00:\(i % 60)Z,sensor-\(i % 17),\(Double(Int.random(in: 0..<10_000, using: &rng)) / 100)\n" }
        return Array(text.utf8)
    }

    @Test func decodesAFrameFedInRandomPieces() throws {
        let original = Self.payload()
        let frame = try original.withUnsafeBytes { try BlockCompression.zstd(level: 3).compress($0) }
        var rng = SeededGenerator(seed: 7)
        for round in 0..<5 {
            var decoder = try ZstdStreamDecoder()
            var output: [UInt8] = []
            var position = 0
            while position < frame.count {
                let piece = min(frame.count - position, round == 0 ? 1 : Int.random(in: 1...40_000, using: &rng))
                try frame.withUnsafeBytes { raw in
                    try decoder.decompress(UnsafeRawBufferPointer(rebasing: raw[position..<(position + piece)]), appendingTo: &output)
                }
                position += piece
            }
            try decoder.finish()
            #expect(output == original, "round \(round)")
        }
    }

    @Test func decodesConcatenatedFramesAndEmptyStream() throws {
        let a = Array("first frame ".utf8), b = Array(String(repeating: "second", count: 1000).utf8)
        let frames = try a.withUnsafeBytes { try BlockCompression.zstd(level: 1).compress($0) }
            + b.withUnsafeBytes { try BlockCompression.zstd(level: 9).compress($0) }
        var decoder = try ZstdStreamDecoder()
        var output: [UInt8] = []
        try frames.withUnsafeBytes { try decoder.decompress($0, appendingTo: &output) }
        try decoder.finish()
        #expect(output == a + b)

        let empty = try ZstdStreamDecoder()
        try empty.finish()
    }

    @Test func truncatedStreamIsDetected() throws {
        let original = Self.payload()
        let frame = try original.withUnsafeBytes { try BlockCompression.zstd(level: 3).compress($0) }
        for length in [1, 4, 10, frame.count / 2, frame.count - 1] {
            var decoder = try ZstdStreamDecoder()
            var output: [UInt8] = []
            try frame.withUnsafeBytes { try decoder.decompress(UnsafeRawBufferPointer(rebasing: $0[0..<length]), appendingTo: &output) }
            #expect(throws: CompressionError.self, "length \(length)") { try decoder.finish() }
        }
    }

    @Test func declaredContentSizeIsTheFramesOwnAndNilWhenUnstated() throws {
        let original = Self.payload()
        let frame = try original.withUnsafeBytes { try BlockCompression.zstd(level: 3).compress($0) }
        #expect(frame.withUnsafeBytes { ZstdStreamDecoder.declaredContentSize(of: $0) } == UInt64(original.count))
        // The header alone suffices; too short a prefix or no zstd at all states nothing.
        #expect(frame.withUnsafeBytes { ZstdStreamDecoder.declaredContentSize(of: UnsafeRawBufferPointer(rebasing: $0[0..<18])) } == UInt64(original.count))
        #expect(frame.withUnsafeBytes { ZstdStreamDecoder.declaredContentSize(of: UnsafeRawBufferPointer(rebasing: $0[0..<3])) } == nil)
        #expect(Array("not zstd at all".utf8).withUnsafeBytes { ZstdStreamDecoder.declaredContentSize(of: $0) } == nil)
        #expect(ZstdStreamDecoder.declaredContentSize(of: UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }

    @Test func corruptStreamThrows() throws {
        var decoder = try ZstdStreamDecoder()
        var output: [UInt8] = []
        let garbage: [UInt8] = Array("this is not zstd at all".utf8)
        #expect(throws: CompressionError.self) { try garbage.withUnsafeBytes { try decoder.decompress($0, appendingTo: &output) } }
    }
}

import Foundation
import StrataCodecs

/// Reads a whole input named on the command line: a file, `-` for standard
/// input, and `.zst` files decompressed through libzstd.
enum InputReader {
    static func read(_ name: String) throws -> [UInt8] {
        let raw: [UInt8]
        if name == "-" {
            raw = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            guard FileManager.default.fileExists(atPath: name) else {
                throw CommandError(message: "\(name): no such file")
            }
            guard let data = FileManager.default.contents(atPath: name) else {
                throw CommandError(message: "\(name): cannot be read")
            }
            raw = Array(data)
        }
        if name.hasSuffix(".zst") || raw.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) {
            return try decompressZstd(raw, name: name)
        }
        return raw
    }

    private static func decompressZstd(_ input: [UInt8], name: String) throws -> [UInt8] {
        var decoder: ZstdStreamDecoder
        do { decoder = try ZstdStreamDecoder() } catch { throw CommandError(message: "\(name): \(error)") }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 8)
        do {
            try input.withUnsafeBytes { try decoder.decompress($0, appendingTo: &output) }
            try decoder.finish()
        } catch {
            throw CommandError(message: "\(name): zstd decompression failed: \(error)", status: ExitStatus.badInput)
        }
        return output
    }
}

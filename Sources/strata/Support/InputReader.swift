import Strata
import StrataCodecs

/// Reads a whole input named on the command line: a file, `-` for standard
/// input, and `.zst` files (or any input starting with a zstd frame)
/// decompressed through libzstd.
///
/// The input is read a block at a time and its lines are watched as they arrive:
/// a line that grows past `maximumLineBytes` stops the read at once, so a runaway
/// line (a file without line breaks, a small `.zst` that expands to gigabytes)
/// costs at most the limit in memory, not its own size.
enum InputReader {
    /// Bytes read from a descriptor at a time, and the most one decompression step produces.
    static let blockSize = 1 << 20

    static func read(_ name: String, maximumLineBytes: Int) throws -> [UInt8] {
        let source = try InputSource(name)
        defer { source.close() }
        var lines = LineLengthGuard(file: name, limit: maximumLineBytes)
        var block = [UInt8](repeating: 0, count: blockSize)
        var count = try source.read(into: &block)
        let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        guard name.hasSuffix(".zst") || block[0..<count].starts(with: zstdMagic) else {
            var output: [UInt8] = []
            output.reserveCapacity(source.sizeHint ?? blockSize)
            while count > 0 {
                output.append(contentsOf: block[0..<count])
                try lines.check(output)
                count = try source.read(into: &block)
            }
            return output
        }
        return try decompress(source: source, first: block, count: count, name: name, lines: &lines)
    }

    /// Decompresses the rest of `source` after its first block, watching lines after every step.
    private static func decompress(source: InputSource, first: [UInt8], count firstCount: Int, name: String,
                                   lines: inout LineLengthGuard) throws -> [UInt8] {
        var decoder: ZstdStreamDecoder
        do { decoder = try ZstdStreamDecoder() } catch { throw CommandError(message: "\(name): \(error)") }
        var output: [UInt8] = []
        // Sensor CSV compresses about eightfold: one allocation in the common case. When
        // the frame states its size, that (within 16 times the file: a header can claim
        // anything) spares growing a large buffer by copying it.
        let compressedSize = source.sizeHint ?? 0
        var reserved = compressedSize <= Int.max / 8 ? compressedSize * 8 : 0
        let declared = first.withUnsafeBytes { ZstdStreamDecoder.declaredContentSize(of: UnsafeRawBufferPointer(rebasing: $0[0..<firstCount])) }
        if let declared, compressedSize <= Int.max / 16 {
            reserved = Int(min(declared, UInt64(compressedSize * 16)))
        }
        output.reserveCapacity(reserved)
        var block = first
        var count = firstCount
        while count > 0 {
            var offset = 0
            var drained = false
            while !drained {
                let step = block.withUnsafeBytes { bytes -> Result<(consumed: Int, drained: Bool), CompressionError> in
                    let rest = UnsafeRawBufferPointer(rebasing: bytes[offset..<count])
                    do throws(CompressionError) {
                        return .success(try decoder.decompress(rest, appendingTo: &output, outputLimit: blockSize))
                    } catch { return .failure(error) }
                }
                switch step {
                case .success(let progress):
                    offset += progress.consumed
                    drained = progress.drained
                case .failure(let error):
                    throw CommandError(message: "\(name): zstd decompression failed: \(error)", status: ExitStatus.badInput)
                }
                try lines.check(output)
            }
            count = try source.read(into: &block)
        }
        do { try decoder.finish() } catch {
            throw CommandError(message: "\(name): zstd decompression failed: \(error)", status: ExitStatus.badInput)
        }
        return output
    }
}

/// Stops a read when the line being read grows past the limit.
struct LineLengthGuard {
    let file: String
    let limit: Int
    /// Where the last line seen so far starts in the output.
    private var lineStart = 0
    /// How much of the output has been looked at.
    private var scanned = 0

    init(file: String, limit: Int) {
        self.file = file
        self.limit = limit
    }

    /// Looks at the bytes added to `output` since the last call. Only the line still
    /// open at the end matters for memory; the parser checks every complete line.
    mutating func check(_ output: [UInt8]) throws(RowError) {
        guard output.count > scanned else { return }
        // From the end back: in ordinary input the last line break is a few bytes away.
        let lastBreak = output.withUnsafeBytes { bytes -> Int? in
            var index = bytes.count - 1
            while index >= scanned {
                if bytes[index] == 0x0A { return index }
                index -= 1
            }
            return nil
        }
        if let lastBreak { lineStart = lastBreak + 1 }
        scanned = output.count
        guard output.count - lineStart > limit else { return }
        let lineNumber = output.withUnsafeBytes { bytes in
            var breaks = 0
            var index = 0
            while let found = ByteSearch.firstIndex(of: 0x0A, in: bytes.baseAddress!, from: index, to: lineStart) {
                breaks += 1
                index = found + 1
            }
            return breaks + 1
        }
        throw RowError(file: file, line: lineNumber, reason: "the line is longer than \(limit) bytes, the limit (--max-line-bytes raises it); reading stopped there")
    }
}

/// A file or standard input, read through its descriptor.
struct InputSource {
    let name: String
    private let file: InputFile
    /// The file's size when it is a regular file, to size the buffer once.
    var sizeHint: Int? { file.regularFileSize }

    init(_ name: String) throws {
        self.name = name
        if name == "-" {
            file = .standardInput
            return
        }
        do throws(Errno) {
            file = try InputFile.open(name)
        } catch .noSuchFile {
            throw CommandError(message: "\(name): no such file")
        } catch .isDirectory {
            throw CommandError(message: "\(name): is a directory, not a file")
        } catch {
            throw CommandError(message: "\(name): cannot be opened: \(error)")
        }
    }

    /// Fills `buffer` as far as the input allows; returns the bytes read, 0 at the end.
    func read(into buffer: inout [UInt8]) throws -> Int {
        do throws(Errno) {
            return try file.read(into: &buffer)
        } catch {
            throw CommandError(message: "\(name): cannot be read: \(error)")
        }
    }

    func close() { file.close() }
}

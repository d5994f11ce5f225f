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
        var input = try StreamedInput(source: source, first: block, count: count)
        guard input.isCompressed else {
            if let size = source.sizeHint, count == blockSize {
                return try readRegularFile(source, size: size, first: block, lines: &lines)
            }
            var output: [UInt8] = []
            output.reserveCapacity(source.sizeHint ?? blockSize)
            while count > 0 {
                output.append(contentsOf: block[0..<count])
                try lines.check(output)
                count = try source.read(into: &block)
            }
            return output
        }
        return try decompressed(&input, first: block, count: count, lines: &lines)
    }

    /// A regular file of about `size` bytes whose first block is read: read straight into
    /// one buffer, a round of blocks at a time with one thread a block (so the copies out
    /// of the page cache and the first touches of the buffer are shared between cores),
    /// the lines checked after each block in order exactly as the one-block-at-a-time
    /// read checks them: a runaway line stops the read at the same place with the same
    /// message, having read at most one round further.
    private static func readRegularFile(_ source: InputSource, size: Int, first: [UInt8], lines: inout LineLengthGuard) throws -> [UInt8] {
        let workers = ParallelWork.processorCount
        var filled = first.count
        let capacity = max(size, filled)
        var output = try [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[..<capacity])
            first.withUnsafeBytes { raw.copyMemory(from: $0) }
            initialized = filled
            try lines.check(UnsafeRawBufferPointer(rebasing: raw[..<filled]))
            let counts = UnsafeMutableBufferPointer<Result<Int, Errno>>.allocate(capacity: workers)
            defer { counts.deallocate() }
            while filled < raw.count {
                let round = ReadRound(output: raw, counts: counts, start: filled)
                let pieces = min(workers, (raw.count - filled + blockSize - 1) / blockSize)
                ParallelWork.run(workers: pieces) { piece in round.read(piece, from: source) }
                for piece in 0..<pieces {
                    let count = try source.checked(counts[piece])
                    filled += count
                    initialized = filled
                    try lines.check(UnsafeRawBufferPointer(rebasing: raw[..<filled]))
                    if count < min(blockSize, raw.count - (filled - count)) { return }  // the file ended early
                }
            }
        }
        guard filled == capacity else { return output }
        // The file may have grown since its size was taken: read on to its end.
        var block = [UInt8](repeating: 0, count: blockSize)
        while true {
            let count = try block.withUnsafeMutableBytes { raw in
                try source.checked(Result { () throws(Errno) in try source.read(into: raw, at: filled) })
            }
            guard count > 0 else { return output }
            output.append(contentsOf: block[0..<count])
            filled += count
            try lines.check(output)
        }
    }

    /// The whole of a compressed input, decompressed a block at a time with its lines
    /// watched after every block.
    private static func decompressed(_ input: inout StreamedInput, first: [UInt8], count firstCount: Int,
                                     lines: inout LineLengthGuard) throws -> [UInt8] {
        var output: [UInt8] = []
        // Sensor CSV compresses about eightfold: one allocation in the common case. When
        // the frame states its size, that (within 16 times the file: a header can claim
        // anything) spares growing a large buffer by copying it.
        let compressedSize = input.sizeHint ?? 0
        var reserved = compressedSize <= Int.max / 8 ? compressedSize * 8 : 0
        let declared = first.withUnsafeBytes { ZstdStreamDecoder.declaredContentSize(of: UnsafeRawBufferPointer(rebasing: $0[0..<firstCount])) }
        if let declared, compressedSize <= Int.max / 16 {
            reserved = Int(min(declared, UInt64(compressedSize * 16)))
        }
        output.reserveCapacity(reserved)
        var block = [UInt8](repeating: 0, count: blockSize)
        while true {
            let count = try block.withUnsafeMutableBytes { try input.read(into: $0) }
            guard count > 0 else { return output }
            output.append(contentsOf: block[0..<count])
            try lines.check(output)
        }
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
        let outcome = output.withUnsafeBytes { bytes -> Result<Void, RowError> in
            do throws(RowError) { return .success(try check(bytes)) } catch { return .failure(error) }
        }
        try outcome.get()
    }

    /// ``check(_:)-([UInt8])`` on the bytes read so far, wherever they are.
    mutating func check(_ output: UnsafeRawBufferPointer) throws(RowError) {
        guard output.count > scanned else { return }
        // From the end back: in ordinary input the last line break is a few bytes away.
        let lastBreak = { (bytes: UnsafeRawBufferPointer) -> Int? in
            var index = bytes.count - 1
            while index >= scanned {
                if bytes[index] == 0x0A { return index }
                index -= 1
            }
            return nil
        }(output)
        if let lastBreak { lineStart = lastBreak + 1 }
        scanned = output.count
        guard output.count - lineStart > limit else { return }
        let lineNumber = { (bytes: UnsafeRawBufferPointer) in
            var breaks = 0
            var index = 0
            while let found = ByteSearch.firstIndex(of: 0x0A, in: bytes.baseAddress!, from: index, to: lineStart) {
                breaks += 1
                index = found + 1
            }
            return breaks + 1
        }(output)
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

    /// Fills `buffer` as far as the input allows, from the read position; returns the bytes read, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try file.read(into: buffer)
    }

    /// Asks the kernel to start reading `offset..<offset + length` of a regular file (see ``InputFile/prefetch(offset:length:)``).
    func prefetch(offset: Int, length: Int) {
        file.prefetch(offset: offset, length: length)
    }

    /// Fills `buffer` from `offset` of a regular file as far as it allows, leaving the read position.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(Errno) -> Int {
        try file.read(into: buffer, at: offset)
    }

    /// The count of a read, or its failure in the words ``read(into:)`` uses.
    func checked(_ result: Result<Int, Errno>) throws -> Int {
        switch result {
        case .success(let count): return count
        case .failure(let error): throw CommandError(message: "\(name): cannot be read: \(error)")
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

/// One round of a parallel read: piece `i` is the block at `start + i × blockSize` of
/// the output, and its count (or failure) goes to `counts[i]`; each thread touches only
/// its own piece and its own count.
private struct ReadRound: @unchecked Sendable {
    let output: UnsafeMutableRawBufferPointer
    let counts: UnsafeMutableBufferPointer<Result<Int, Errno>>
    let start: Int

    func read(_ piece: Int, from source: InputSource) {
        let offset = start + piece * InputReader.blockSize
        let target = UnsafeMutableRawBufferPointer(rebasing: output[offset..<min(offset + InputReader.blockSize, output.count)])
        (counts.baseAddress! + piece).initialize(to: Result { () throws(Errno) in try source.read(into: target, at: offset) })
    }
}

/// An input named on the command line read a piece at a time, for a parser that
/// keeps only a window of it in memory: a file, `-` for standard input, and `.zst`
/// files (or any input starting with a zstd frame) decompressed as they are read.
struct StreamedInput: ImportInput, ~Copyable {
    private let source: InputSource
    private var decoder: ZstdStreamDecoder?
    /// Compressed bytes read and not yet decompressed: `compressed[offset..<count]`.
    private var compressed: [UInt8] = []
    private var offset = 0
    private var count = 0
    /// Decompressed bytes not yet handed out: `decompressed[handedOut...]`.
    private var decompressed: [UInt8] = []
    private var handedOut = 0
    private var finished = false
    /// Bytes of the file read so far, and how far the kernel was asked to read ahead of them.
    private var fileOffset = 0
    private var prefetchedUpTo = 0
    /// How far ahead of the reads a regular file is asked for: the disk reads the
    /// next tens of megabytes while the text before them is parsed, instead of each
    /// read waiting for it (a file not in the page cache took twice as long to ingest).
    static let prefetchDistance = 128 << 20
    /// The most asked for at once.
    static let prefetchStep = 32 << 20

    init(_ name: String) throws {
        let source = try InputSource(name)
        var first = [UInt8](repeating: 0, count: InputReader.blockSize)
        let firstCount: Int
        do { firstCount = try source.read(into: &first) } catch {
            source.close()
            throw error
        }
        do { try self.init(source: source, first: first, count: firstCount) } catch {
            source.close()
            throw error
        }
    }

    /// The input of `source`, whose first `count` bytes were read into `first`:
    /// decompressed when its name ends in `.zst` or it starts with a zstd frame.
    /// The caller closes `source`.
    init(source: InputSource, first: [UInt8], count firstCount: Int) throws {
        let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        var decoder: ZstdStreamDecoder? = nil
        if source.name.hasSuffix(".zst") || first[0..<firstCount].starts(with: zstdMagic) {
            do { decoder = try ZstdStreamDecoder() } catch {
                throw CommandError(message: "\(source.name): \(error)")
            }
        }
        self.source = source
        self.decoder = decoder
        compressed = first
        count = firstCount
        fileOffset = firstCount
        prefetchedUpTo = firstCount
        prefetchAhead()
    }

    /// Keeps the kernel reading up to ``prefetchDistance`` past the bytes read, a step at a time.
    private mutating func prefetchAhead() {
        guard let size = source.sizeHint else { return }
        let target = min(size, fileOffset + Self.prefetchDistance)
        while prefetchedUpTo < target {
            let length = min(Self.prefetchStep, target - prefetchedUpTo)
            source.prefetch(offset: prefetchedUpTo, length: length)
            prefetchedUpTo += length
        }
    }

    /// Reads the file into `buffer`, keeping the prefetch ahead.
    private mutating func readFile(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let read = try source.read(into: buffer)
        noteFileRead(read)
        return read
    }

    /// Counts `read` more bytes of the file read, and asks for more ahead once a step has been used.
    private mutating func noteFileRead(_ read: Int) {
        fileOffset += read
        if prefetchedUpTo - fileOffset < Self.prefetchDistance - Self.prefetchStep { prefetchAhead() }
    }

    /// True when the input is decompressed as it is read.
    var isCompressed: Bool { decoder != nil }

    /// The size of the file read, when it is a regular file.
    var sizeHint: Int? { source.sizeHint }

    func close() { source.close() }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !buffer.isEmpty else { return 0 }
        // Bytes read before the format was known come first.
        if decoder == nil {
            if offset < count {
                let taken = min(buffer.count, count - offset)
                compressed.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: taken) }
                offset += taken
                return taken
            }
            do throws(Errno) { return try readFile(into: buffer) } catch {
                throw CommandError(message: "\(source.name): cannot be read: \(error)")
            }
        }
        while handedOut == decompressed.count && !finished { try decompressStep() }
        let taken = min(buffer.count, decompressed.count - handedOut)
        if taken > 0 {
            decompressed.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + handedOut, byteCount: taken) }
            handedOut += taken
        }
        return taken
    }

    /// Decompresses up to a block more, reading compressed bytes as needed.
    private mutating func decompressStep() throws {
        decompressed.removeAll(keepingCapacity: true)
        handedOut = 0
        if offset == count {
            count = try source.read(into: &compressed)
            noteFileRead(count)
            offset = 0
            if count == 0 {
                do { try decoder!.finish() } catch {
                    throw CommandError(message: "\(source.name): zstd decompression failed: \(error)", status: ExitStatus.badInput)
                }
                finished = true
                return
            }
        }
        let (start, end) = (offset, count)
        let step = compressed.withUnsafeBytes { bytes -> Result<(consumed: Int, drained: Bool), CompressionError> in
            do throws(CompressionError) {
                return .success(try decoder!.decompress(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), appendingTo: &decompressed,
                                                        outputLimit: InputReader.blockSize))
            } catch { return .failure(error) }
        }
        switch step {
        case .success(let progress): offset += progress.consumed
        case .failure(let error):
            throw CommandError(message: "\(source.name): zstd decompression failed: \(error)", status: ExitStatus.badInput)
        }
    }
}

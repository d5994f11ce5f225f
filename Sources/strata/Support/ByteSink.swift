import Strata

/// Buffered writing to a file or to standard output, counting the bytes,
/// for exports whose size is reported at the end.
///
/// A file is an ``ExportFile``: it appears whole at ``close()``, and an
/// export that fails before (or a sink dropped unclosed) leaves no partial
/// file. Standard output is streamed.
struct ByteSink {
    private let file: ExportFile?
    private let path: String
    private var buffer: [UInt8] = []
    /// Bytes handed to the sink so far.
    private(set) var byteCount = 0

    /// Writes to standard output when `path` is `-`, else to a file that replaces `path` at ``close()``.
    init(path: String) throws {
        self.path = path
        file = path == "-" ? nil : try ExportFile(path: path)
        buffer.reserveCapacity(1 << 17)
    }

    mutating func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        byteCount += text.utf8.count
        if buffer.count >= 1 << 17 { try flush() }
    }

    /// Appends bytes; a large run goes to the file directly, after what is buffered.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count >= 1 << 16 else {
            buffer.append(contentsOf: bytes)
            byteCount += bytes.count
            if buffer.count >= 1 << 17 { try flush() }
            return
        }
        try flush()
        try put(bytes)
        byteCount += bytes.count
    }

    mutating func flush() throws {
        try buffer.withUnsafeBytes { try put($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func put(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        if let file {
            try file.write(bytes)
        } else {
            do throws(Errno) {
                try StandardStream.output.write(bytes)
            } catch {
                throw CommandError(message: "standard output: write failed: \(error)")
            }
        }
    }

    /// Flushes, and puts the file in place (standard output stays open).
    mutating func close() throws {
        try flush()
        try file?.commit()
    }
}

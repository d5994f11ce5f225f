#if canImport(Glibc)
import Glibc
#endif

/// Buffered writing to a file or to standard output, counting the bytes,
/// for exports whose size is reported at the end.
struct ByteSink {
    private let descriptor: Int32
    private let path: String
    private var buffer: [UInt8] = []
    /// Bytes handed to the sink so far.
    private(set) var byteCount = 0

    /// Writes to standard output when `path` is `-`, else creates or truncates the file.
    init(path: String) throws {
        self.path = path
        if path == "-" {
            descriptor = 1
        } else {
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if descriptor < 0 { throw CommandError(message: "\(path): cannot create: \(String(cString: strerror(errno)))") }
        }
        buffer.reserveCapacity(1 << 17)
    }

    mutating func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        byteCount += text.utf8.count
        if buffer.count >= 1 << 17 { try flush() }
    }

    mutating func flush() throws {
        try buffer.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let result = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 && errno == EINTR { continue }
                if result <= 0 { throw CommandError(message: "\(path == "-" ? "standard output" : path): write failed: \(String(cString: strerror(errno)))") }
                written += result
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file (standard output stays open).
    mutating func close() throws {
        try flush()
        if descriptor != 1 && Glibc.close(descriptor) != 0 {
            throw CommandError(message: "\(path): close failed: \(String(cString: strerror(errno)))")
        }
    }
}

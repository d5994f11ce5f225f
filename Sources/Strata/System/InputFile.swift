import Glibc

/// A file, or standard input, read front to back in blocks: what the CLI's
/// importers read. `package`, so embedders do not see it. Like
/// ``FileDescriptor`` it does not close itself: the owner calls ``close()``.
package struct InputFile: Sendable {
    private let descriptor: FileDescriptor
    /// The file's size when it is a regular file; nil for pipes, devices
    /// and standard input.
    package let regularFileSize: Int?

    /// Standard input, which ``close()`` leaves open.
    package static let standardInput = InputFile(descriptor: FileDescriptor(rawValue: 0, path: "/dev/stdin"), regularFileSize: nil)

    private init(descriptor: FileDescriptor, regularFileSize: Int?) {
        self.descriptor = descriptor
        self.regularFileSize = regularFileSize
    }

    /// Opens `path` for reading; a directory fails with `EISDIR`.
    package static func open(_ path: String) throws(Errno) -> InputFile {
        let descriptor = try FileDescriptor.open(path, .readOnly)
        var info = stat()
        do throws(Errno) {
            _ = try retryingOnInterrupt { fstat(descriptor.rawValue, &info) }
        } catch {
            descriptor.close()
            throw error
        }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFDIR {
            descriptor.close()
            throw Errno.isDirectory
        }
        return InputFile(descriptor: descriptor, regularFileSize: kind == S_IFREG ? Int(info.st_size) : nil)
    }

    /// Fills `buffer` as far as the input allows; returns the bytes read, 0 at the end.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        var total = 0
        while total < buffer.count {
            let count = try retryingOnInterrupt { Glibc.read(descriptor.rawValue, buffer.baseAddress! + total, buffer.count - total) }
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// Fills `buffer` from `offset` of a regular file as far as the file allows, without
    /// moving the read position (`pread`), so several threads can read parts of one file
    /// at once; returns the bytes read, fewer than asked only at the end of the file.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(Errno) -> Int {
        var total = 0
        while total < buffer.count {
            let count = try retryingOnInterrupt {
                pread(descriptor.rawValue, buffer.baseAddress! + total, buffer.count - total, off_t(offset + total))
            }
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// Fills `buffer` as far as the input allows; returns the bytes read, 0 at the end.
    package func read(into buffer: inout [UInt8]) throws(Errno) -> Int {
        // withUnsafeMutableBytes rethrows untyped errors: carry the Errno out as a value.
        let result = buffer.withUnsafeMutableBytes { raw -> Result<Int, Errno> in
            do throws(Errno) { return .success(try read(into: raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Asks the kernel to start reading `offset..<offset + length` of a regular
    /// file from the disk now, so that a front-to-back reader finds those bytes
    /// cached instead of waiting for each read (advice only; nothing for other inputs).
    package func prefetch(offset: Int, length: Int) {
        guard regularFileSize != nil, length > 0 else { return }
        descriptor.prefetch(offset: offset, length: length)
    }

    package func close() {
        if descriptor.rawValue != 0 { descriptor.close() }
    }
}

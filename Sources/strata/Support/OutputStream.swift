import Strata

/// Buffered writing to standard output, flushed in large blocks: printing a
/// million rows through `print` would spend its time in locking and syscalls.
struct StandardOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Appends bytes as they are.
    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        // A large block goes out as it is, without a copy into the buffer.
        if bytes.count >= 1 << 16 {
            flush()
            _ = try? StandardStream.output.write(bytes)
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func line(_ text: String = "") {
        write(text)
        buffer.append(0x0A)
    }

    mutating func flush() {
        // A closed or failing standard output is not reported: the command's exit status tells.
        buffer.withUnsafeBytes { bytes in _ = try? StandardStream.output.write(bytes) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Whether standard output is a terminal (for progress and colour decisions).
var standardOutputIsTerminal: Bool { StandardStream.output.isTerminal }

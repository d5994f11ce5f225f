// The pipes between the parent and its children: a child writes its lines
// with `standardOutput`; the parent starts it as a `Child`, reads its lines
// as they come with `pump`, and kills it.
//
// Like the rest of this harness, it makes its own OS calls (kill, poll, pipe
// reads and writes) rather than going through Strata's System/.
import Foundation

import Glibc

/// The system-wide monotonic clock: children stamp lines with it, and the
/// parent compares those stamps with its own readings.
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

/// One unbuffered write, so a line is either wholly in the pipe or not at all when the kill comes.
func standardOutput(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { _ = write(1, $0.baseAddress, $0.count) }
}

/// A child process whose standard output the parent reads line by line as it comes.
final class Child {
    let process = Process()
    private let output = Pipe()
    private let input: Pipe?
    private var pending: [UInt8] = []
    private(set) var lines: [Substring] = []
    private(set) var isAtEnd = false
    /// How many of `lines` the parent has acted on.
    var handled = 0

    init(_ arguments: [String], withInput: Bool = false) throws {
        input = withInput ? Pipe() : nil
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        process.standardOutput = output
        if let input { process.standardInput = input }
        try process.run()
    }

    var descriptor: Int32 { output.fileHandleForReading.fileDescriptor }

    func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            pending += chunk[0..<count]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(Substring(String(decoding: pending[..<newline], as: UTF8.self)))
                pending.removeSubrange(...newline)
            }
        } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
            isAtEnd = true
        }
    }

    /// Sends one line to the child's standard input; false when it is gone.
    func send(_ line: String) -> Bool {
        guard let input else { return false }
        var bytes = Array((line + "\n").utf8)
        let fd = input.fileHandleForWriting.fileDescriptor
        return bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    func closeInput() { try? input?.fileHandleForWriting.close() }

    func kill() { killProcess(process.processIdentifier) }

    /// Waits for the process to end and reads the rest of its output.
    func finish() {
        closeInput()
        process.waitUntilExit()
        while !isAtEnd { readAvailable() }
    }

    var text: String { lines.joined(separator: "\n") }
}

/// Sends SIGKILL to `pid` (a free function: inside `Child`, `kill` names its method).
func killProcess(_ pid: Int32) {
    _ = kill(pid, SIGKILL)
}

/// Reads what the children wrote, waiting at most `microseconds` for something.
func pump(_ children: [Child], microseconds: UInt64) {
    let open = children.filter { !$0.isAtEnd }
    if microseconds < 1_000 {
        if microseconds > 0 { usleep(useconds_t(microseconds)) }
        guard !open.isEmpty else { return }
    } else if open.isEmpty {
        usleep(useconds_t(min(microseconds, 5_000)))
        return
    }
    var descriptors = open.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
    let timeout = microseconds < 1_000 ? Int32(0) : Int32(min(microseconds / 1_000, 5))
    guard poll(&descriptors, nfds_t(descriptors.count), timeout) > 0 else { return }
    for (child, descriptor) in zip(open, descriptors) where descriptor.revents != 0 {
        child.readAvailable()
    }
}


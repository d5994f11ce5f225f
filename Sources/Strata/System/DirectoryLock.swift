import Synchronization

import Glibc

/// An exclusive advisory lock (`flock`) on a lock file, held for as long as
/// this object lives. The file records the holder's process id so that a
/// second writer can be told who holds the store.
///
/// The kernel drops a `flock` when its descriptor closes, including when the
/// process dies, so a crash never leaves a store locked.
final class DirectoryLock: Sendable {
    /// The locked descriptor, nil once released.
    private let descriptor: Locked<FileDescriptor?>

    enum Failure: Error {
        /// Another process (or another open store in this one) holds the lock.
        case held(byProcess: Int32?)
        case system(Errno)
    }

    init(path: String) throws(Failure) {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(path, [.readWrite, .create])
        } catch {
            throw .system(error)
        }
        // A lock that was just released can look held for a moment: a process forked
        // by the previous holder keeps a copy of its descriptor until it calls exec.
        // So a held lock is retried for a short while before it is reported.
        var attempts = 0
        while flock(descriptor.rawValue, LOCK_EX | LOCK_NB) != 0 {
            let error = Errno.current
            if error == .wouldBlock && attempts < 25 {
                attempts += 1
                usleep(10_000)
                continue
            }
            defer { descriptor.close() }
            if error == .wouldBlock {
                throw .held(byProcess: Self.recordedProcess(descriptor))
            }
            throw .system(error)
        }
        self.descriptor = Locked(descriptor)
        // Record who holds the lock; a failure here only loses the hint in error messages.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor.rawValue, 0)
        text.withUnsafeBytes { try? descriptor.write($0, at: 0) }
    }

    private static func recordedProcess(_ descriptor: FileDescriptor) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = (try? buffer.withUnsafeMutableBytes { try descriptor.read(into: $0, at: 0) }) ?? 0
        let text = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").first ?? ""
        return Int32(text)
    }

    /// Releases the lock now rather than when the object goes away.
    func release() {
        descriptor.withLock { held in
            held?.close()
            held = nil
        }
    }

    deinit {
        release()
    }
}

/// An input read ahead on a thread of its own: while a window of text is
/// parsed, the next pieces are already being read (for a compressed file,
/// decompressed), up to a bounded number of pieces ahead.
///
/// Made only by ``reading(_:pieceBytes:pieces:_:)``, which joins the reading
/// thread before it returns, so the input it reads is borrowed, never kept.
package struct ReadAheadInput<Base: ImportInput & ~Copyable>: ImportInput, ~Copyable {
    private let queue: ReadAheadQueue?
    /// The input itself, read on the calling thread when no thread could be started.
    private let base: UnsafeMutablePointer<Base>

    /// Runs `body` with `input` read ahead on another thread, `pieces` pieces
    /// of `pieceBytes` at most ahead of `body`'s reads. The thread stops and is
    /// joined before this returns, whether `body` read to the end or not.
    ///
    /// Only for inputs whose reads return in bounded time (a regular file, a
    /// decompressor over one): a read waiting on a pipe would hold the join.
    package static func reading<Output>(_ input: inout Base, pieceBytes: Int = 1 << 20, pieces: Int = 16,
                                        _ body: (inout ReadAheadInput<Base>) throws -> Output) throws -> Output {
        try withUnsafeMutablePointer(to: &input) { pointer in
            let queue = ReadAheadQueue(pieceBytes: pieceBytes, pieces: pieces)
            let source = UnsafeInputPointer(pointer: pointer)
            guard let thread = JoinableThread.start({ queue.fill { try source.pointer.pointee.read(into: $0) } }) else {
                var direct = ReadAheadInput(queue: nil, base: pointer)
                return try body(&direct)
            }
            var ahead = ReadAheadInput(queue: queue, base: pointer)
            let outcome = Result { () throws -> Output in try body(&ahead) }
            queue.stop()
            thread.join()
            return try outcome.get()
        }
    }

    private init(queue: ReadAheadQueue?, base: UnsafeMutablePointer<Base>) {
        self.queue = queue
        self.base = base
    }

    package mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let queue else { return try base.pointee.read(into: buffer) }
        return try queue.take(into: buffer)
    }
}

/// The input's address, handed to the reading thread, which alone reads it until joined.
private struct UnsafeInputPointer<Base: ~Copyable>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Base>
}

/// Pieces read and not yet taken, and the empty ones, under one lock.
private final class ReadAheadQueue: @unchecked Sendable {
    private let lock = ConditionLock()
    private let pieceBytes: Int
    /// Read pieces, oldest first, and how many bytes of each hold input.
    private var ready: [(piece: UnsafeMutableRawBufferPointer, count: Int)] = []
    /// Bytes of the oldest ready piece already taken.
    private var taken = 0
    private var empty: [UnsafeMutableRawBufferPointer] = []
    private var allocated = 0
    private let maximumPieces: Int
    private var atEnd = false
    private var failure: (any Error)?
    private var stopped = false

    init(pieceBytes: Int, pieces: Int) {
        self.pieceBytes = max(pieceBytes, 1)
        maximumPieces = max(pieces, 2)
    }

    deinit {
        for (piece, _) in ready { piece.deallocate() }
        for piece in empty { piece.deallocate() }
    }

    /// The reading thread: fills pieces with `read` until the input ends, a
    /// read fails, or the queue is stopped.
    func fill(_ read: (UnsafeMutableRawBufferPointer) throws -> Int) {
        while true {
            guard let piece = emptyPiece() else { return }
            var count = 0
            var ended = false
            do {
                // A piece is filled whole unless the input ends: fewer, larger hand-overs.
                while count < piece.count {
                    let got = try read(UnsafeMutableRawBufferPointer(rebasing: piece[count...]))
                    if got == 0 { ended = true; break }
                    count += got
                }
            } catch {
                lock.withLock {
                    // The bytes read before the failure come first, as they would have unread ahead.
                    if count > 0 { ready.append((piece, count)) } else { empty.append(piece) }
                    failure = error
                    lock.broadcast()
                }
                return
            }
            lock.withLock {
                if count > 0 { ready.append((piece, count)) } else { empty.append(piece) }
                atEnd = ended
                lock.broadcast()
            }
            if ended { return }
        }
    }

    /// An empty piece to read into, once one is free; nil when stopped.
    private func emptyPiece() -> UnsafeMutableRawBufferPointer? {
        lock.lock()
        defer { lock.unlock() }
        while !stopped {
            if let piece = empty.popLast() { return piece }
            if allocated < maximumPieces {
                allocated += 1
                return .allocate(byteCount: pieceBytes, alignment: 16)
            }
            lock.wait()
        }
        return nil
    }

    /// Copies the next bytes into `buffer`; 0 at the end of the input.
    func take(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !buffer.isEmpty else { return 0 }
        lock.lock()
        while ready.isEmpty {
            if let failure {
                lock.unlock()
                throw failure
            }
            if atEnd {
                lock.unlock()
                return 0
            }
            lock.wait()
        }
        // Only this thread takes ready pieces: the copy needs no lock.
        let (piece, count) = ready[0]
        lock.unlock()
        let copied = min(buffer.count, count - taken)
        buffer.baseAddress!.copyMemory(from: piece.baseAddress! + taken, byteCount: copied)
        taken += copied
        if taken == count {
            taken = 0
            lock.withLock {
                ready.removeFirst()
                empty.append(piece)
                lock.broadcast()
            }
        }
        return copied
    }

    /// Tells the reading thread to stop after its current read.
    func stop() {
        lock.withLock {
            stopped = true
            lock.broadcast()
        }
    }
}

/// An input read a piece at a time: a file, standard input, a decompressor.
package protocol ImportInput: ~Copyable {
    /// Reads at most `buffer.count` bytes into `buffer`; returns 0 only at the end of the input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// The part of a streamed input held in memory: one buffer, refilled as the
/// records at its front are parsed, so that importing a file of any size
/// touches a few tens of megabytes for its text instead of its whole size
/// (fresh memory is what a large import paid most for).
struct ImportWindow: ~Copyable {
    private var buffer: UnsafeMutableRawBufferPointer
    /// Bytes of `buffer` holding input.
    private(set) var filled = 0
    /// True once the input has no more bytes.
    private(set) var atEnd = false

    /// 64 MiB: 32 parse blocks, and more than any record the default limit lets through.
    static let defaultCapacity = 64 << 20

    /// The capacity the window grows to, a doubling at each refill.
    let targetCapacity: Int

    /// 8 MiB: the first window, parsed while the rest of the input is still
    /// being read (and, read ahead, decompressed).
    static let initialCapacity = 8 << 20

    init(capacity: Int = ImportWindow.defaultCapacity) {
        targetCapacity = max(capacity, 1)
        buffer = .allocate(byteCount: min(targetCapacity, Self.initialCapacity), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The input bytes held.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[..<filled]) }

    /// Bytes read at a time, so that a runaway line is seen within a step of the limit.
    static let readStep = 1 << 20

    /// Reads until the buffer is full or the input ends, or, when the last line grows
    /// longer than `lineLimit`, at once (the caller refuses it: reading stops there).
    mutating func fill(from input: inout some ImportInput & ~Copyable, lineLimit: Int) throws {
        var openLineStart = ParallelImport.lastLineFeed(in: bytes, from: 0).map { $0 + 1 } ?? 0
        while filled < buffer.count && !atEnd {
            let step = UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<min(buffer.count, filled + Self.readStep)])
            let count = try input.read(into: step)
            if count == 0 { atEnd = true }
            if let feed = ParallelImport.lastLineFeed(in: UnsafeRawBufferPointer(buffer), from: filled, to: filled + count) { openLineStart = feed + 1 }
            filled += count
            if filled - openLineStart > lineLimit { return }
        }
    }

    /// Drops the bytes before `offset`, moving the rest to the front.
    mutating func discard(upTo offset: Int) {
        let kept = filled - offset
        if kept > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + offset, byteCount: kept) }
        filled = kept
    }

    /// Doubles the buffer while it is below ``targetCapacity``.
    mutating func growTowardTarget() {
        if buffer.count < targetCapacity { grow() }
    }

    /// Doubles the buffer, keeping its bytes: for a record longer than it.
    mutating func grow() {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
        larger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: filled)
        buffer.deallocate()
        buffer = larger
    }
}

extension ParallelImport {
    /// Parses a streamed input into `stage` a window at a time, each window as
    /// ``parse(_:from:firstLine:headerLine:plan:staging:parseBlock:)`` parses a whole
    /// input: the result is the same, row for row and message for message.
    ///
    /// `window` holds the input's first bytes, its header read: records start at
    /// `start`, on line `firstLine`. Blocks begin before the window's last line feed;
    /// a block whose records run to the window's end may have been cut short and waits
    /// for the next window, which starts where it starts. A record that does not fit
    /// the window grows it, up to `maximumRecordBytes`.
    ///
    /// - Throws: the first bad row (unless skipped), a read error, a record over the
    ///   limit, or `.typeMismatch` for a series staged with the other type by an
    ///   earlier input; `stage` is then as it was.
    static func parseStreamed(window: inout ImportWindow, input: inout some ImportInput & ~Copyable, from start: Int, firstLine: Int,
                              headerLine: Int, plan: Plan, maximumRecordBytes: Int, file: String, into stage: inout ImportStage,
                              parseBlock: @escaping @Sendable (_ bytes: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> ImportBlock)
        throws -> ImportResult {
        let mark = stage.mark()
        do {
            var progress = WalkProgress(expected: start, line: firstLine, lastLine: headerLine)
            var conflict: StrataError?
            let deliver: (ImportBlock) -> Bool = { block in
                do throws(StrataError) { try stage.add(block.batch) } catch {
                    conflict = error
                    return false
                }
                return true
            }
            // The last round of each window is delivered while the next one's first round is parsed.
            var pending: [ImportBlock] = []
            while true {
                if let runaway = runawayLine(in: window, progress: progress, limit: maximumRecordBytes) {
                    throw RowError(file: file, line: runaway, reason: ImportLimits.runawayLine(limit: maximumRecordBytes))
                }
                let shared = SharedBytes(bytes: window.bytes)
                let parse: @Sendable (Int, Int) -> ImportBlock = { from, to in parseBlock(shared.bytes, from, to) }
                let end = window.atEnd ? window.filled : lastLineFeed(in: shared.bytes, from: progress.expected).map { $0 + 1 }
                if let end, end > progress.expected {
                    let starts = boundaries(of: UnsafeRawBufferPointer(rebasing: shared.bytes[..<end]), from: progress.expected,
                                            blockBytes: plan.blockBytes)
                    let complete = try walk(starts, progress: &progress, plan: plan, unfinishedAt: window.atEnd ? nil : window.filled,
                                            pending: &pending, parseBlock: parse, deliver: deliver)
                    guard complete else { throw Self.undelivered(file: file, conflict: conflict) }
                }
                if window.atEnd {
                    guard pending.allSatisfy(deliver) else { throw Self.undelivered(file: file, conflict: conflict) }
                    return progress.result
                }
                if progress.expected == 0 {
                    // Not one whole record in the window.
                    guard window.filled <= maximumRecordBytes else {
                        throw RowError(file: file, line: progress.line, reason: ImportLimits.runawayLine(limit: maximumRecordBytes, what: "record"))
                    }
                    window.grow()
                } else {
                    window.discard(upTo: progress.expected)
                    progress.expected = 0
                    window.growTowardTarget()
                }
                try window.fill(from: &input, lineLimit: maximumRecordBytes)
            }
        } catch {
            stage.rollBack(to: mark)
            throw error
        }
    }

    /// Why a streamed parse stopped without every block added: a series staged with
    /// the other value type by an earlier input, or an input that must be parsed whole.
    private static func undelivered(file: String, conflict: StrataError?) -> StrataError {
        let reason = conflict.map { "\($0.message), in an earlier input" } ?? "the input must be parsed in one piece"
        return StrataError(conflict?.code ?? .invalidArgument, "\(file): \(reason)")
    }

    /// The line where the window's last line starts, when that line is still open
    /// (more input is to come) and already longer than `limit`: reading stops there,
    /// so a file without line breaks costs the limit in memory, not its size.
    static func runawayLine(in window: borrowing ImportWindow, progress: WalkProgress, limit: Int) -> Int? {
        guard !window.atEnd else { return nil }
        let bytes = window.bytes
        let openStart = lastLineFeed(in: bytes, from: progress.expected).map { $0 + 1 } ?? progress.expected
        guard bytes.count - openStart > limit else { return nil }
        return progress.line + ImportBlock.occurrences(of: 0x0A, in: bytes, from: progress.expected, to: openStart)
    }

    /// The offset of the last line feed in `start...` of `bytes`, if any.
    static func lastLineFeed(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        lastLineFeed(in: bytes, from: start, to: bytes.count)
    }

    /// The offset of the last line feed in `start..<end` of `bytes`, if any.
    static func lastLineFeed(in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var index = end - 1
        while index >= start {
            if bytes[index] == 0x0A { return index }
            index -= 1
        }
        return nil
    }
}

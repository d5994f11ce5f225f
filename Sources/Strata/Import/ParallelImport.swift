/// Parses one input on several cores and gives the same result, bit for bit and
/// message for message, as parsing it in one piece.
///
/// The input after its header is cut into blocks of about a block size, each
/// beginning after a line feed, and the workers take the blocks in turn
/// (``ParallelWork/forEach(_:workers:_:)``), each into its own ``WriteBatch``.
/// Then, in input order:
///
/// - **Record boundaries.** A block is parsed as if it began at a record, which a
///   CSV block need not (a quoted field may hold line breaks, RFC 4180). Where the
///   block before it really ended is known once that block is done: a block that
///   does not start exactly there is parsed again from there. By induction from
///   the first block, every block kept starts at a record. (Speculating on the
///   boundary and checking it afterwards follows Ge et al., "Speculative
///   Distributed CSV Data Parsing for Big Data Analytics", SIGMOD 2019.)
/// - **Line numbers.** A block counts its lines from 1 and its line feeds; the lines
///   of the blocks before it are added to its messages afterwards, so a bad row is
///   reported at the physical line where its record starts. A message that names a
///   second line (a line protocol type conflict) cannot be moved that way: the input
///   is then parsed in one piece.
/// - **All or nothing.** Without skipping, the first bad row in input order is thrown
///   (blocks after a bad one are not parsed); with skipping, the blocks' bad rows are
///   joined in order.
/// - **Series.** The blocks' series are numbered again in the order they first appear,
///   as one parse numbers them, and their rows are copied into one batch on the
///   workers. A series given different value types by two blocks (line protocol) is
///   an error one parse reports with both lines: the input is parsed in one piece.
enum ParallelImport {
    /// The block size the parsers use: large enough that a block's setup is lost
    /// in its rows, small enough that two cores share a file evenly.
    static let defaultBlockBytes = 1 << 21

    /// How a parse is spread over the cores, and what it keeps of bad rows.
    struct Plan: Sendable {
        var blockBytes: Int
        var workers: Int
        var skipsBadRows: Bool
        var maximumReportedErrors: Int
    }

    /// The input's bytes, shared read-only by the workers for the length of a parse.
    struct SharedBytes: @unchecked Sendable {
        let bytes: UnsafeRawBufferPointer
    }

    /// Parses `start..<bytes.count` of `bytes` in blocks, `parseBlock(from, to)` parsing
    /// the records that begin in `from..<to` with lines counted from 1 at `from`.
    /// `firstLine` is the line at `start`; `headerLine` is the line count when no
    /// record follows the header.
    ///
    /// Without a stage the blocks' rows are merged into the result's batch. With one,
    /// each block's rows go to `stage` as soon as the blocks before it are done (memory
    /// holds a round of blocks, not a copy of every row) and the result's batch is
    /// empty; when this returns nil or throws, `stage` is as it was.
    ///
    /// - Returns: nil when the input is too small to split, or must be parsed in one
    ///   piece (see the type's discussion; a series staged with the other value type
    ///   is parsed in one piece too, which names both lines or fails as a whole).
    /// - Throws: the first bad row, when the plan does not skip bad rows.
    static func parse(_ bytes: UnsafeRawBufferPointer, from start: Int, firstLine: Int, headerLine: Int, plan: Plan,
                      staging stage: inout ImportStage?,
                      parseBlock: @Sendable (_ from: Int, _ to: Int) -> ImportBlock) throws(RowError) -> ImportResult? {
        guard stage != nil else {
            var blocks: [ImportBlock] = []
            guard let outcome = try walk(bytes, from: start, firstLine: firstLine, headerLine: headerLine, plan: plan,
                                         parseBlock: parseBlock, deliver: { blocks.append($0); return true }),
                  let batch = merged(blocks, workers: plan.workers) else { return nil }
            return ImportResult(batch: batch, errors: outcome.errors, badRowCount: outcome.badRowCount, lineCount: outcome.lineCount)
        }
        let mark = stage!.mark()
        let outcome: ImportResult?
        do throws(RowError) {
            outcome = try walk(bytes, from: start, firstLine: firstLine, headerLine: headerLine, plan: plan, parseBlock: parseBlock,
                               deliver: { block in (try? stage!.add(block.batch)) != nil })
        } catch {
            stage!.rollBack(to: mark)
            throw error
        }
        if outcome == nil { stage!.rollBack(to: mark) }
        return outcome
    }

    /// Parses the blocks a round at a time on the plan's workers and hands each good
    /// block to `deliver` in input order; the result's batch is empty. Nil when the
    /// input is too small to split, must be parsed in one piece, or `deliver` refuses a block.
    private static func walk(_ bytes: UnsafeRawBufferPointer, from start: Int, firstLine: Int, headerLine: Int, plan: Plan,
                             parseBlock: @Sendable (_ from: Int, _ to: Int) -> ImportBlock,
                             deliver: (ImportBlock) -> Bool) throws(RowError) -> ImportResult? {
        guard plan.workers > 1, plan.blockBytes > 0, bytes.count - start > plan.blockBytes else { return nil }
        let starts = boundaries(of: bytes, from: start, blockBytes: plan.blockBytes)
        guard starts.count > 2 else { return nil }
        var progress = WalkProgress(expected: start, line: firstLine, lastLine: headerLine)
        var pending: [ImportBlock] = []
        guard try walk(starts, progress: &progress, plan: plan, pending: &pending, parseBlock: parseBlock, deliver: deliver),
              pending.allSatisfy({ deliver($0) }) else { return nil }
        return progress.result
    }

    /// Where a walk over an input stands: where and on which line the next record
    /// starts, and the bad rows so far.
    struct WalkProgress {
        var expected: Int
        var line: Int
        /// The line where the last record read starts (the header's when none).
        var lastLine: Int
        var errors: [RowError] = []
        var badRows = 0

        /// The outcome so far, its rows delivered elsewhere.
        var result: ImportResult {
            ImportResult(batch: WriteBatch(), errors: errors, badRowCount: badRows, lineCount: lastLine)
        }
    }

    /// Blocks handed out by ``walk(_:progress:plan:unfinishedAt:pending:parseBlock:deliver:)``, in rounds.
    static let blocksPerRoundPerWorker = 8

    /// Parses the blocks beginning at `starts` (the last entry is where the last one
    /// ends) a round at a time on the plan's workers, checks them in order against
    /// `progress`, and hands each good block to `deliver`: the blocks of one round
    /// while the next round is parsed. The blocks of the last round are left in
    /// `pending` for the caller (a streamed input delivers them while its next
    /// window's first round is parsed); `pending`'s blocks from before are delivered
    /// during the first round.
    ///
    /// With `unfinishedAt` (the end of the bytes at hand while more are to come), a
    /// block whose records run to it may be cut short: the walk stops before it, with
    /// `progress` at its start.
    ///
    /// - Returns: false when the input must be parsed in one piece, or `deliver`
    ///   refused a block.
    static func walk(_ starts: [Int], progress: inout WalkProgress, plan: Plan, unfinishedAt: Int? = nil, pending: inout [ImportBlock],
                     parseBlock: @Sendable (_ from: Int, _ to: Int) -> ImportBlock,
                     deliver: (ImportBlock) -> Bool) throws(RowError) -> Bool {
        let blockCount = starts.count - 1
        let roundSize = max(1, plan.workers * blocksPerRoundPerWorker)
        var checked = pending
        pending = []
        var refused = false
        var stopped = false
        for roundStart in stride(from: 0, to: blockCount, by: roundSize) where !stopped {
            let round = roundStart..<min(roundStart + roundSize, blockCount)
            let previous = checked
            checked = []
            let speculative = parseSpeculatively(round, starts: starts, plan: plan, parseBlock: parseBlock,
                                                 whileParsing: { refused = !previous.allSatisfy { deliver($0) } })
            if refused { return false }
            for index in round {
                var block = speculative[index - round.lowerBound] ?? parseBlock(progress.expected, starts[index + 1])
                // The block before ran on past this one's start (a quoted line break), or
                // stopped short of it: this one began mid-record. Parse it from the real start.
                if block.start != progress.expected { block = parseBlock(progress.expected, starts[index + 1]) }
                if let unfinishedAt, block.end >= unfinishedAt {
                    stopped = true
                    break
                }
                let offset = progress.line - 1
                if block.namesOtherLines && offset > 0 { return false }
                if !plan.skipsBadRows, let first = block.firstError { throw ImportBlock.shifted(first, by: offset) }
                for error in block.errors where progress.errors.count < plan.maximumReportedErrors {
                    progress.errors.append(ImportBlock.shifted(error, by: offset))
                }
                progress.badRows += block.badRowCount
                if block.lastRecordLine > 0 { progress.lastLine = block.lastRecordLine + offset }
                progress.line += block.lineBreaks
                progress.expected = block.end
                checked.append(block)
            }
        }
        pending = checked
        return true
    }

    /// Where the blocks of `start..<bytes.count` begin, each but the first right after
    /// a line feed, followed by `bytes.count`.
    static func boundaries(of bytes: UnsafeRawBufferPointer, from start: Int, blockBytes: Int) -> [Int] {
        var starts = [start]
        var position = start
        while let base = bytes.baseAddress, bytes.count - position > blockBytes,
              let feed = ByteSearch.firstIndex(of: 0x0A, in: base, from: position + blockBytes - 1, to: bytes.count),
              feed + 1 < bytes.count {
            position = feed + 1
            starts.append(position)
        }
        starts.append(bytes.count)
        return starts
    }

    /// The blocks of `round` parsed from their nominal starts, on the plan's workers;
    /// without skipping, the blocks after one with a bad row are left out (nil). The
    /// calling thread runs `whileParsing` first, then joins the parse.
    private static func parseSpeculatively(_ round: Range<Int>, starts: [Int], plan: Plan,
                                           parseBlock: @Sendable (_ from: Int, _ to: Int) -> ImportBlock,
                                           whileParsing: () -> Void) -> [ImportBlock?] {
        let results = Locked([ImportBlock?](repeating: nil, count: round.count))
        let firstStopped = Locked(Int.max)
        let next = Locked(0)
        withoutActuallyEscaping(parseBlock) { parseBlock in
            let parseBlocks: @Sendable (Int) -> Void = { _ in
                while true {
                    let position = next.withLock { next in
                        defer { next += 1 }
                        return next
                    }
                    guard position < round.count else { return }
                    guard plan.skipsBadRows || position < firstStopped.withLock({ $0 }) else { continue }
                    let index = round.lowerBound + position
                    let block = parseBlock(starts[index], starts[index + 1])
                    if !plan.skipsBadRows && block.firstError != nil {
                        firstStopped.withLock { $0 = min($0, position) }
                    }
                    results.withLock { $0[position] = block }
                }
            }
            ParallelWork.run(helpers: max(0, min(plan.workers, round.count) - 1), parseBlocks) {
                whileParsing()
                parseBlocks(0)
            }
        }
        return results.withLock { $0 }
    }

    /// The blocks' rows in one batch, in order, with the series numbered in the order
    /// they first appear; nil when two blocks give a series different value types.
    static func merged(_ blocks: [ImportBlock], workers: Int) -> WriteBatch? {
        var batch = WriteBatch()
        var maps: [[UInt32]] = []
        var offsets: [Int] = []
        var total = 0
        for block in blocks {
            var map: [UInt32] = []
            map.reserveCapacity(block.batch.keys.count)
            for (slot, key) in block.batch.keys.enumerated() {
                guard let number = try? batch.series(device: key.device, metric: key.metric, type: block.batch.types[slot]) else {
                    return nil
                }
                map.append(UInt32(number))
            }
            maps.append(map)
            offsets.append(total)
            total += block.batch.count
        }
        let (sources, seriesMaps, starts) = (blocks, maps, offsets)
        var series: [UInt32] = []
        var times: [Int64] = []
        var values: [UInt64] = []
        series = [UInt32](unsafeUninitializedCapacity: total) { seriesBuffer, seriesCount in
            times = [Int64](unsafeUninitializedCapacity: total) { timeBuffer, timeCount in
                values = [UInt64](unsafeUninitializedCapacity: total) { valueBuffer, valueCount in
                    let columns = RowColumns(series: seriesBuffer, times: timeBuffer, values: valueBuffer)
                    ParallelWork.forEach(sources.count, workers: workers) { index in
                        columns.copy(sources[index].batch, renumbering: seriesMaps[index], at: starts[index])
                    }
                    valueCount = total
                }
                timeCount = total
            }
            seriesCount = total
        }
        batch.setRows(seriesOfRow: series, timestamps: times, bits: values)
        return batch
    }
}

/// The uninitialised columns of a merged batch, each block's rows copied into its own
/// range by one worker.
private struct RowColumns: @unchecked Sendable {
    let series: UnsafeMutableBufferPointer<UInt32>
    let times: UnsafeMutableBufferPointer<Int64>
    let values: UnsafeMutableBufferPointer<UInt64>

    /// Copies `batch`'s rows to `offset`, its series numbers mapped through `map`.
    func copy(_ batch: WriteBatch, renumbering map: [UInt32], at offset: Int) {
        let count = batch.count
        guard count > 0 else { return }
        batch.seriesOfRow.withUnsafeBufferPointer { rows in
            map.withUnsafeBufferPointer { map in
                let target = series.baseAddress! + offset
                for row in 0..<count { (target + row).initialize(to: map[Int(rows[row])]) }
            }
        }
        batch.timestamps.withUnsafeBufferPointer { source in
            (times.baseAddress! + offset).initialize(from: source.baseAddress!, count: count)
        }
        batch.bits.withUnsafeBufferPointer { source in
            (values.baseAddress! + offset).initialize(from: source.baseAddress!, count: count)
        }
    }
}

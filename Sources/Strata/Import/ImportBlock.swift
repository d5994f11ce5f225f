/// What parsing one block of an input produced: its points, its bad rows and
/// where it stopped. Lines are counted from 1 at the block's start, since a
/// block parsed on another core does not know how many lines come before it;
/// ``ParallelImport`` adds that once the blocks before it are done.
struct ImportBlock: Sendable {
    /// Where the block was parsed from: an offset in the whole input, taken to be
    /// the start of a record.
    var start: Int
    /// Where the next record starts: past the end of the last record begun
    /// before the block's end, which may run beyond it (a quoted line break).
    var end: Int
    /// Line breaks from `start` to `end`.
    var lineBreaks: Int
    /// The line where the last record read starts; 0 when the block holds none.
    var lastRecordLine: Int
    /// The good rows, their series numbered in the order they first appear.
    var batch: WriteBatch
    /// The first bad rows, at most the parser's `maximumReportedErrors`.
    var errors: [RowError]
    /// Every bad row, reported or not.
    var badRowCount: Int
    /// The first bad row, kept even when none is reported; a parser that does not
    /// skip bad rows stopped there.
    var firstError: RowError?
    /// True when a message names another line of the block (a line protocol type
    /// conflict): its number cannot be moved by the block's offset, so the whole
    /// input is parsed in one piece instead.
    var namesOtherLines = false

    /// A block from `start` of `batch`, with the outcome of its rows.
    init(start: Int, end: Int, lineBreaks: Int, lastRecordLine: Int, batch: WriteBatch,
         errors: [RowError], badRowCount: Int, firstError: RowError?) {
        self.start = start
        self.end = end
        self.lineBreaks = lineBreaks
        self.lastRecordLine = lastRecordLine
        self.batch = batch
        self.errors = errors
        self.badRowCount = badRowCount
        self.firstError = firstError
    }

    /// The block's rows as the result of a whole input, or its first bad row
    /// thrown when bad rows are not skipped; `headerLine` is the line count when
    /// the block holds no record.
    func result(skipsBadRows: Bool, headerLine: Int) throws(RowError) -> ImportResult {
        if !skipsBadRows, let firstError { throw firstError }
        return ImportResult(batch: batch, errors: errors, badRowCount: badRowCount,
                            lineCount: lastRecordLine > 0 ? lastRecordLine : headerLine)
    }

    /// `error` moved down by `lines` lines (the lines before its block).
    static func shifted(_ error: RowError, by lines: Int) -> RowError {
        RowError(file: error.file, line: error.line + lines, column: error.column, reason: error.reason)
    }

    /// How many times `byte` occurs in `start..<end` of `bytes`: a bound on the
    /// records (line feeds) or fields (`=`) there, to size columns once.
    ///
    /// Eight bytes at a time (``ByteWord/matches(_:_:)``), the matches of up to 255
    /// words summed in the word's bytes before they are added up.
    static func occurrences(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        guard start < end, let base = bytes.baseAddress else { return 0 }
        let pattern = ByteWord.repeating(byte)
        var count = 0
        var index = start
        while index + 8 <= end {
            var lanes: UInt64 = 0
            let stop = min(end, index + 255 * 8)
            while index + 8 <= stop {
                lanes &+= ByteWord.matches(base.loadUnaligned(fromByteOffset: index, as: UInt64.self), pattern) >> 7
                index += 8
            }
            count += ByteWord.sumOfLanes(lanes)
        }
        while index < end {
            if base.load(fromByteOffset: index, as: UInt8.self) == byte { count += 1 }
            index += 1
        }
        return count
    }
}

/// What the three text parsers (``LongCSVParser``, ``WideCSVParser``,
/// ``LineProtocolParser``) share around their one real entry point: the forms
/// that take an array or a buffer whole, and the one that stages rows as the
/// blocks are done.
package protocol BlockParser {
    /// Parses `bytes`, the whole input called `file`, on the parser's workers
    /// when it is larger than a block (see ``ParallelImport``): merging the rows
    /// into the result's batch when `stage` is nil, adding them to `stage` as
    /// the blocks are done otherwise.
    func parse(_ bytes: UnsafeRawBufferPointer, file: String, staging stage: inout ImportStage?) throws(RowError) -> ImportResult
}

extension BlockParser {
    /// Parses `contents`, the whole input called `file`, its rows merged into the result.
    func parseWhole(_ contents: [UInt8], file: String) throws(RowError) -> ImportResult {
        // withUnsafeBytes rethrows untyped errors: carry the outcome out as a value.
        let outcome = contents.withUnsafeBytes { bytes -> Result<ImportResult, RowError> in
            do throws(RowError) { return .success(try parseWhole(bytes, file: file)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    /// Parses `bytes`, the whole input called `file`, its rows merged into the result.
    func parseWhole(_ bytes: UnsafeRawBufferPointer, file: String) throws(RowError) -> ImportResult {
        var merging: ImportStage? = nil
        return try parse(bytes, file: file, staging: &merging)
    }

    /// Parses `bytes`, adding the rows to `stage` as the blocks are done (see
    /// ``ParallelImport``) instead of returning them: the result's batch holds only
    /// rows left for the caller to add, all of them when the input was parsed in one piece.
    /// When it throws, `stage` is as it was.
    package func parse(_ bytes: UnsafeRawBufferPointer, file: String, into stage: inout ImportStage) throws(RowError) -> ImportResult {
        try ImportStage.lending(&stage) { stage throws(RowError) in try parse(bytes, file: file, staging: &stage) }
    }
}

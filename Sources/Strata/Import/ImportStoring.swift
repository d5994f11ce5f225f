/// Stores the parsed inputs of an import one after another and closes the store;
/// when a step fails part-way (a full disk, an I/O error) the error says exactly
/// which inputs the store keeps, so nobody has to guess what to load again.
public enum ImportStoring {
    /// One parsed input: its name as the user gave it, and its points.
    public struct Input: Sendable {
        /// The input's name, for messages (`-` for standard input).
        public var name: String
        /// The input's points.
        public var batch: WriteBatch

        /// An input called `name` holding `batch`.
        public init(name: String, batch: WriteBatch) {
            self.name = name
            self.batch = batch
        }
    }

    /// Appends each input's batch to `store` in order, calling `progress` with the
    /// count appended after each one, then closes the store.
    ///
    /// - Throws: the failure, its message followed by what is durable: the inputs
    ///   stored (in the write-ahead log at least, so in the store when it is next
    ///   opened), the one whose write may or may not have reached stable storage,
    ///   and those not stored. The error keeps the failure's code, path and offset.
    public static func store(_ inputs: [Input], in store: Store, progress: (Int) -> Void = { _ in }) throws(StrataError) {
        var stages = [AppendStage](repeating: .notLogged, count: inputs.count)
        for index in inputs.indices {
            do throws(StrataError) {
                try store.append(inputs[index].batch, reached: &stages[index])
            } catch {
                throw annotated(error, inputs: inputs, stages: stages)
            }
            progress(index + 1)
        }
        do throws(StrataError) { try store.close() } catch {
            throw annotated(error, inputs: inputs, stages: stages)
        }
    }

    /// `error` with a statement of what each input's stage means for its points.
    static func annotated(_ error: StrataError, inputs: [Input], stages: [AppendStage]) -> StrataError {
        var clauses: [String] = []
        let stored = inputs.indices.filter { stages[$0] == .durable }
        if !stored.isEmpty {
            let points = stored.reduce(0) { $0 + inputs[$1].batch.count }
            clauses.append("\(names(stored, of: inputs)) stored (\(points) point\(points == 1 ? "" : "s"), "
                + "durable in the write-ahead log; in the store's segments once it is next opened)")
        }
        let unsure = inputs.indices.filter { stages[$0] == .written }
        if !unsure.isEmpty {
            clauses.append("\(names(unsure, of: inputs)) may or may not be stored (written to the write-ahead log but not synced)")
        }
        let missing = inputs.indices.filter { stages[$0] == .notLogged }
        if !missing.isEmpty {
            clauses.append("\(names(missing, of: inputs)) not stored")
        }
        var message = error.message + "; " + clauses.joined(separator: "; ")
        if !unsure.isEmpty || !missing.isEmpty {
            message += "; ingesting those again is safe: points already stored are overwritten with the same values"
        }
        return StrataError(error.code, message, path: error.path, offset: error.offset)
    }

    /// `a.csv, b.csv and c.csv`, or the first few and a count of the rest.
    private static func names(_ indices: [Int], of inputs: [Input]) -> String {
        let shown = indices.prefix(5).map { inputs[$0].name }
        let rest = indices.count - shown.count
        if rest > 0 { return shown.joined(separator: ", ") + " and \(rest) more input\(rest == 1 ? "" : "s")" }
        guard shown.count > 1 else { return shown.first ?? "" }
        return shown.dropLast().joined(separator: ", ") + " and " + shown.last!
    }
}

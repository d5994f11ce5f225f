/// A text table laid out like ``TextTable`` but never held in memory: its
/// rows are made twice, once to measure the columns and once to print them,
/// so a table of millions of rows (downsampling with empty buckets) takes no
/// more memory than one row.
struct StreamedTable {
    let headers: [String]
    var rightAligned: Set<Int> = []

    /// Prints the header, the rule and every row `rows` emits; `rows` is called
    /// twice and must emit the same rows both times.
    func write(to output: inout StandardOutput, rows: (_ emit: ([String]) -> Void) -> Void) {
        var widths = headers.map(\.count)
        rows { row in
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        output.line(line(headers, widths))
        output.line(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        rows { row in output.line(line(row, widths)) }
    }

    private func line(_ cells: [String], _ widths: [Int]) -> String {
        var text = ""
        for (index, cell) in cells.enumerated() {
            if index > 0 { text += "  " }
            let padding = String(repeating: " ", count: max(0, (index < widths.count ? widths[index] : 0) - cell.count))
            text += rightAligned.contains(index) ? padding + cell : cell + padding
        }
        while text.last == " " { text.removeLast() }
        return text
    }
}

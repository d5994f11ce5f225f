/// A series drawn in one line of block characters, for a terminal: the eye
/// finds a trend, a step or a dip faster there than in a column of numbers.
enum Sparkline {
    private static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// `values` (nil for a gap, drawn as a space) squeezed into at most `width`
    /// cells, each cell the mean of the values it covers, scaled from the
    /// smallest to the largest. Empty when no value is finite.
    static func draw(_ values: [Double?], width: Int = 48) -> String {
        guard !values.isEmpty, width > 0 else { return "" }
        let cellCount = min(width, values.count)
        var cells: [Double?] = []
        cells.reserveCapacity(cellCount)
        for cell in 0..<cellCount {
            let start = cell * values.count / cellCount, end = (cell + 1) * values.count / cellCount
            var sum = 0.0, count = 0
            for value in values[start..<max(end, start + 1)] {
                if let value, value.isFinite { sum += value; count += 1 }
            }
            cells.append(count > 0 ? sum / Double(count) : nil)
        }
        let finite = cells.compactMap { $0 }
        guard let low = finite.min(), let high = finite.max() else { return "" }
        let span = high - low
        return String(cells.map { cell -> Character in
            guard let cell else { return " " }
            // A flat series sits on the middle level rather than the floor.
            guard span > 0 else { return levels[levels.count / 2] }
            let level = Int(((cell - low) / span * Double(levels.count - 1)).rounded())
            return levels[min(max(level, 0), levels.count - 1)]
        })
    }
}

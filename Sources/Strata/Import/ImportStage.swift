/// Points gathered for one bulk load (``Store/load(_:)``), outside any store:
/// one pair of columns a series, so that the load encodes each series from its
/// own memory, without the write-ahead log, the head, or a merged copy of the
/// rows (a 100 M-point import touched four times its points' size in fresh
/// memory on the way through them).
///
/// Rows are kept in the order they were added; a later point at the same
/// timestamp of a series replaces the earlier one when the stage is loaded, as
/// a later append would.
public struct ImportStage: Sendable {
    /// Points a page holds: a series grows a page at a time, so staging never
    /// copies more than a page (growing one array a series by doubling moved
    /// every point about twice, into fresh memory each time).
    static let pagePoints = 4096

    /// One series' points, in the order they were added: full pages, packed,
    /// then the page being filled (its buffers kept from page to page).
    struct Series: Sendable {
        var fullPages: [PackedPage] = []
        var times: [Int64] = []
        var bits: [UInt64] = []
        var lastTime = Int64.min
        /// False once a point came at or before the one before it: the load sorts the series.
        var isStrictlyIncreasing = true

        /// Points staged for the series.
        var count: Int { fullPages.count * ImportStage.pagePoints + times.count }

        /// Appends the rows `range` of the columns.
        mutating func append(times source: UnsafeBufferPointer<Int64>, bits values: UnsafeBufferPointer<UInt64>, _ range: Range<Int>) {
            var start = range.lowerBound
            while start < range.upperBound {
                let take = min(ImportStage.pagePoints - times.count, range.upperBound - start)
                if times.count + take > times.capacity {
                    // A series with full pages fills whole pages; a small one grows as it goes.
                    let capacity = fullPages.isEmpty ? min(ImportStage.pagePoints, max(times.count + take, times.capacity * 2)) : ImportStage.pagePoints
                    times.reserveCapacity(capacity)
                    bits.reserveCapacity(capacity)
                }
                times.append(contentsOf: UnsafeBufferPointer(rebasing: source[start..<(start + take)]))
                bits.append(contentsOf: UnsafeBufferPointer(rebasing: values[start..<(start + take)]))
                if times.count == ImportStage.pagePoints {
                    fullPages.append(times.withUnsafeBufferPointer { times in bits.withUnsafeBufferPointer { PackedPage(times: times, bits: $0) } })
                    times.removeAll(keepingCapacity: true)
                    bits.removeAll(keepingCapacity: true)
                }
                start += take
            }
        }

        /// Keeps the first `count` points.
        mutating func truncate(to count: Int) {
            while self.count > count {
                if times.isEmpty {
                    let page = fullPages.removeLast()
                    times = [Int64](repeating: 0, count: page.count)
                    bits = [UInt64](repeating: 0, count: page.count)
                    times.withUnsafeMutableBufferPointer { times in bits.withUnsafeMutableBufferPointer { page.unpack(times: times, bits: $0) } }
                }
                let drop = min(times.count, self.count - count)
                times.removeLast(drop)
                bits.removeLast(drop)
            }
        }

        /// Copies the points, in the order added, to `times` and `bits` (each `count` long).
        func copy(to timesTarget: UnsafeMutableBufferPointer<Int64>, _ bitsTarget: UnsafeMutableBufferPointer<UInt64>) {
            var offset = 0
            for page in fullPages {
                page.unpack(times: UnsafeMutableBufferPointer(rebasing: timesTarget[offset..<(offset + page.count)]),
                            bits: UnsafeMutableBufferPointer(rebasing: bitsTarget[offset..<(offset + page.count)]))
                offset += page.count
            }
            times.withUnsafeBufferPointer { source in
                _ = UnsafeMutableBufferPointer(rebasing: timesTarget[offset...]).initialize(fromContentsOf: source)
            }
            bits.withUnsafeBufferPointer { source in
                _ = UnsafeMutableBufferPointer(rebasing: bitsTarget[offset...]).initialize(fromContentsOf: source)
            }
        }
    }

    private(set) var keys: [SeriesKey] = []
    private(set) var types: [ValueType] = []
    private var indexOfKey: [SeriesKey: Int] = [:]
    private(set) var series: [Series] = []

    /// Points staged, counting each row added (duplicates included).
    public private(set) var pointCount = 0
    /// The smallest timestamp staged (`Int64.max` while the stage is empty).
    public private(set) var minimumTime = Int64.max
    /// The largest timestamp staged (`Int64.min` while the stage is empty).
    public private(set) var maximumTime = Int64.min

    /// An empty stage.
    public init() {}

    /// Series staged.
    public var seriesCount: Int { keys.count }
    /// Whether the stage holds no point.
    public var isEmpty: Bool { pointCount == 0 }

    /// How far the stage had got: series and points of each series.
    struct Mark {
        let seriesCount: Int
        let pointCount: Int
        let minimumTime: Int64
        let maximumTime: Int64
        let counts: [Int]
        let wasIncreasing: [Bool]
        let lastTimes: [Int64]
    }

    /// The stage as it is now, to return to with ``rollBack(to:)``.
    func mark() -> Mark {
        Mark(seriesCount: keys.count, pointCount: pointCount, minimumTime: minimumTime, maximumTime: maximumTime,
             counts: series.map(\.count), wasIncreasing: series.map(\.isStrictlyIncreasing), lastTimes: series.map(\.lastTime))
    }

    /// Removes every point and series added since `mark` was taken.
    mutating func rollBack(to mark: Mark) {
        for index in mark.seriesCount..<keys.count { indexOfKey[keys[index]] = nil }
        keys.removeLast(keys.count - mark.seriesCount)
        types.removeLast(types.count - mark.seriesCount)
        series.removeLast(series.count - mark.seriesCount)
        for index in series.indices {
            series[index].truncate(to: mark.counts[index])
            series[index].isStrictlyIncreasing = mark.wasIncreasing[index]
            series[index].lastTime = mark.lastTimes[index]
        }
        pointCount = mark.pointCount
        minimumTime = mark.minimumTime
        maximumTime = mark.maximumTime
    }

    /// Adds the rows of `batch` after those staged, all or nothing.
    ///
    /// - Throws: `.typeMismatch` when a series is staged with the other value
    ///   type (nothing of the batch is added); `.invalidArgument` for a batch
    ///   naming series by ``SeriesReference``, which belong to one store.
    public mutating func add(_ batch: WriteBatch) throws(StrataError) {
        guard !batch.isEmpty else { return }
        guard batch.referencedRowCount == 0 else {
            throw StrataError(.invalidArgument, "a stage takes series by name; the batch holds series references, which belong to one store")
        }
        // Every type is checked before anything is added.
        var staged = [Int](repeating: 0, count: batch.keys.count)
        for (slot, key) in batch.keys.enumerated() {
            guard let index = indexOfKey[key] else { staged[slot] = -1; continue }
            guard types[index] == batch.types[slot] else {
                throw StrataError(.typeMismatch, "series \(key) holds \(types[index]) values; got \(batch.types[slot])")
            }
            staged[slot] = index
        }
        for slot in staged.indices where staged[slot] < 0 {
            staged[slot] = keys.count
            indexOfKey[batch.keys[slot]] = keys.count
            keys.append(batch.keys[slot])
            types.append(batch.types[slot])
            series.append(Series())
        }
        addRows(of: batch, staged: staged)
    }

    /// Appends each run of rows of one series to that series' columns.
    private mutating func addRows(of batch: WriteBatch, staged: [Int]) {
        let count = batch.count
        var earliest = minimumTime, latest = maximumTime
        batch.seriesOfRow.withUnsafeBufferPointer { rows in
            batch.timestamps.withUnsafeBufferPointer { times in
                batch.bits.withUnsafeBufferPointer { values in
                    series.withUnsafeMutableBufferPointer { series in
                        var start = 0
                        while start < count {
                            let slot = rows[start]
                            var end = start + 1
                            while end < count && rows[end] == slot { end += 1 }
                            let index = staged[Int(slot)]
                            var last = series[index].lastTime
                            var increasing = series[index].isStrictlyIncreasing
                            for row in start..<end {
                                let time = times[row]
                                if time <= last { increasing = false }
                                last = time
                                if time < earliest { earliest = time }
                                if time > latest { latest = time }
                            }
                            series[index].lastTime = last
                            series[index].isStrictlyIncreasing = increasing
                            series[index].append(times: times, bits: values, start..<end)
                            start = end
                        }
                    }
                }
            }
        }
        minimumTime = earliest
        maximumTime = latest
        pointCount += count
    }
}

extension ImportStage {
    /// Runs `body` with `stage` moved into an optional, the form the parsers take
    /// (nil: merge the rows into one batch), and moves it back afterwards. Moved,
    /// not copied: the series' arrays stay uniquely referenced, so adding rows
    /// never copies them.
    static func lending<Result>(_ stage: inout ImportStage, _ body: (inout ImportStage?) throws(RowError) -> Result) throws(RowError) -> Result {
        var lent: ImportStage? = stage
        stage = ImportStage()
        defer {
            stage = lent ?? ImportStage()
            lent = nil
        }
        return try body(&lent)
    }
}

/// One place a series' points in a range come from: a segment (its chunks in
/// range) or a head (its sorted points in range), with the time span they cover.
struct ScanSource {
    /// Position among the sources, oldest first: in a merge, newer wins.
    var order: Int
    var segment: SegmentFile?
    var chunks: [SeriesChunk] = []
    var columns = SeriesColumns()
    var first: Int64
    var last: Int64
    /// Points of a segment source that deletions or retention hide (heads are
    /// filtered when the source is made).
    var hidden = HiddenRanges()
}

extension Store {
    /// The sources holding `key` in `[start, end)` (see ``TimeRangeEnd``), oldest first, and the
    /// series' type; nil when the store does not know the series.
    func sources(of key: SeriesKey, from start: Int64, to end: Int64) throws(StrataError) -> (ValueType, [ScanSource])? {
        let (segments, view) = state.withLock { state in (state.segments, SeriesView(key, in: state)) }
        return try sources(of: view, in: segments, from: start, to: end, now: wallClockMilliseconds(), cachingEntries: true)
    }

    /// ``sources(of:from:to:)`` for each of `keys` (nil for a series the store does
    /// not know), the store's state read under one lock instead of one a series,
    /// and the segments' device entries parsed without their cache: a group walks
    /// hundreds of devices once, where the cache cannot help, and its lock, taken
    /// twice a member by every thread, was contended (about 5% of a fleet-wide mean's CPU).
    ///
    /// The lock is taken once per ``seriesPerStateRead`` series, so a group of
    /// a hundred thousand series never holds writers back for long.
    func sources(of keys: [SeriesKey], from start: Int64, to end: Int64) throws(StrataError) -> [(ValueType, [ScanSource])?] {
        let now = wallClockMilliseconds()
        var result: [(ValueType, [ScanSource])?] = []
        result.reserveCapacity(keys.count)
        var sliceStart = 0
        while sliceStart < keys.count {
            let slice = keys[sliceStart..<min(keys.count, sliceStart + Self.seriesPerStateRead)]
            let (segments, views) = state.withLock { state in (state.segments, slice.map { SeriesView($0, in: state) }) }
            for view in views { result.append(try sources(of: view, in: segments, from: start, to: end, now: now, cachingEntries: false)) }
            sliceStart = slice.endIndex
        }
        return result
    }

    /// Series whose state ``sources(of:from:to:)-([SeriesKey],_,_)`` reads under one lock.
    static let seriesPerStateRead = 256

    /// What the store's state says of one series: its heads, type and deletions.
    private struct SeriesView {
        let key: SeriesKey
        let heads: [HeadSeries]
        let type: ValueType?
        let tombstones: [Tombstone]

        init(_ key: SeriesKey, in state: StoreState) {
            self.key = key
            heads = state.headSnapshots(of: key)
            type = state.knownType(of: key)
            tombstones = state.manifest.tombstones.filter { $0.matches(key) }
        }
    }

    private func sources(of view: SeriesView, in segments: [SegmentFile], from start: Int64, to end: Int64, now: Int64,
                         cachingEntries: Bool) throws(StrataError) -> (ValueType, [ScanSource])? {
        let key = view.key
        guard let type = view.type else { return nil }
        let cutoff = configuration.retention.cutoff(for: key.device, now: now)
        var sources: [ScanSource] = []
        for segment in segments {
            // A segment holding the series with the other type cannot be merged (see query).
            guard let (storedType, found) = try segment.chunks(device: key.device, metric: key.metric, from: start, to: end,
                                                               cachingEntry: cachingEntries),
                  storedType == type else { continue }
            var chunks = found
            var hidden = HiddenRanges()
            if let cutoff { hidden.add(from: .min, to: cutoff) }
            // Deletions hide points of the segments ranked below them only.
            for tombstone in view.tombstones where segment.isConcerned(by: tombstone) { hidden.add(from: tombstone.from, to: tombstone.to) }
            if !hidden.isEmpty { chunks.removeAll { hidden.hidesAll($0.time.minTime, $0.time.maxTime) } }
            guard let first = chunks.first, let last = chunks.last else { continue }
            sources.append(ScanSource(order: sources.count, segment: segment, chunks: chunks, first: first.time.minTime, last: last.time.maxTime, hidden: hidden))
        }
        // Heads rank above every deletion (a deletion flushes the head first); only retention applies.
        let headStart = max(start, cutoff ?? .min)
        for head in view.heads {
            let columns = head.sortedColumns().slice(from: headStart, to: end)
            guard let first = columns.timestamps.first, let last = columns.timestamps.last else { continue }
            sources.append(ScanSource(order: sources.count, columns: columns, first: first, last: last))
        }
        return (type, sources)
    }
}

/// Receives the points of a series in time order.
protocol PointConsumer {
    mutating func consume(time: Int64, bits: UInt64)
    /// Consumes points in time order, as many calls to ``consume(time:bits:)``
    /// would; a consumer may take them a run at a time.
    mutating func consume(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>)
}

extension PointConsumer {
    mutating func consume(times: UnsafeBufferPointer<Int64>, bits: UnsafeBufferPointer<UInt64>) {
        for position in times.indices { consume(time: times[position], bits: bits[position]) }
    }
}

extension Store {
    /// Streams the points of one series in `[start, end)` to `consumer` in
    /// time order, newer writes winning, without holding the whole range in
    /// memory.
    ///
    /// Sources (segments and the head) are grouped into clusters of
    /// overlapping time spans. A source that overlaps no other is streamed a
    /// chunk at a time; the sources of an overlapping cluster (late data) are
    /// merged point by point through a heap of cursors, each holding one
    /// decoded chunk, so memory is one chunk per source whatever the range.
    /// - Returns: the series' type and the number of chunks decoded, or nil when the store does not know the series.
    @discardableResult
    func scan<Consumer: PointConsumer>(device: String, metric: String, from start: Int64, to end: Int64, into consumer: inout Consumer) throws(StrataError) -> (type: ValueType, decodedChunks: Int)? {
        guard let (type, found) = try sources(of: SeriesKey(device: device, metric: metric), from: start, to: end) else { return nil }
        var sources = found
        sources.sort { $0.first < $1.first }
        let last = TimeRangeEnd.lastIncluded(before: end)

        var timestamps: [Int64] = [], bits: [UInt64] = []
        var index = 0
        var decodedChunks = 0
        while index < sources.count {
            // Grow the cluster while the next source starts before the cluster ends.
            var clusterEnd = sources[index].last
            var next = index + 1
            while next < sources.count && sources[next].first <= clusterEnd {
                clusterEnd = max(clusterEnd, sources[next].last)
                next += 1
            }
            if next == index + 1 {
                let source = sources[index]
                if let segment = source.segment {
                    decodedChunks += source.chunks.count
                    for chunk in source.chunks {
                        try segment.decode(chunk, type: type, timestamps: &timestamps, bits: &bits)
                        if chunk.time.minTime >= start && chunk.time.maxTime <= last
                            && (source.hidden.isEmpty || !source.hidden.touches(chunk.time.minTime, chunk.time.maxTime)) {
                            // Every point of the chunk counts: handed over whole.
                            timestamps.withUnsafeBufferPointer { times in bits.withUnsafeBufferPointer { consumer.consume(times: times, bits: $0) } }
                            continue
                        }
                        for position in 0..<timestamps.count where timestamps[position] >= start && timestamps[position] <= last {
                            if !source.hidden.isEmpty && source.hidden.hides(timestamps[position]) { continue }
                            consumer.consume(time: timestamps[position], bits: bits[position])
                        }
                    }
                } else {
                    for position in 0..<source.columns.count {
                        consumer.consume(time: source.columns.timestamps[position], bits: source.columns.bits[position])
                    }
                }
            } else {
                decodedChunks += sources[index..<next].reduce(0) { $0 + $1.chunks.count }
                try streamMerged(Array(sources[index..<next]), type: type, from: start, to: end, into: &consumer)
            }
            index = next
        }
        return (type, decodedChunks)
    }
}

extension Store {
    /// Streams the union of overlapping `sources` in time order; for a
    /// timestamp held by several, the newest source (highest `order`) wins.
    private func streamMerged<Consumer: PointConsumer>(
        _ sources: [ScanSource], type: ValueType, from start: Int64, to end: Int64, into consumer: inout Consumer
    ) throws(StrataError) {
        var cursors: [SourceCursor] = []
        for source in sources {
            var cursor = SourceCursor(source: source, type: type)
            if try cursor.loadNextPoint(from: start, to: end) { cursors.append(cursor) }
        }
        // A small binary heap of cursor indices ordered by (time, newest first).
        func precedes(_ a: Int, _ b: Int) -> Bool {
            let (ta, tb) = (cursors[a].time, cursors[b].time)
            return ta != tb ? ta < tb : cursors[a].source.order > cursors[b].source.order
        }
        var heap: [Int] = []
        func push(_ cursor: Int) {
            heap.append(cursor)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard precedes(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }
        func popTop() -> Int {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1, right = left + 1
                    var best = parent
                    if left < heap.count && precedes(heap[left], heap[best]) { best = left }
                    if right < heap.count && precedes(heap[right], heap[best]) { best = right }
                    if best == parent { break }
                    heap.swapAt(parent, best)
                    parent = best
                }
            }
            return top
        }
        for index in cursors.indices { push(index) }
        while !heap.isEmpty {
            let winner = popTop()
            let time = cursors[winner].time
            consumer.consume(time: time, bits: cursors[winner].bits)
            // Older sources holding the same timestamp lose it.
            while let top = heap.first, cursors[top].time == time {
                _ = popTop()
                if try cursors[top].loadNextPoint(from: start, to: end) { push(top) }
            }
            if try cursors[winner].loadNextPoint(from: start, to: end) { push(winner) }
        }
    }

    /// The first and last timestamps of a series, from segment indexes and the
    /// head, without decoding; nil when the series has no point.
    public func timeRange(device: String, metric: String) throws(StrataError) -> ClosedRange<Int64>? {
        guard let (_, sources) = try sources(of: SeriesKey(device: device, metric: metric), from: .min, to: .max) else { return nil }
        if sources.contains(where: { !$0.hidden.isEmpty }) {
            // Deleted or expired points may sit at either end: find the visible ones.
            var bounds = TimeBounds()
            _ = try scan(device: device, metric: metric, from: .min, to: .max, into: &bounds)
            guard let first = bounds.first, let last = bounds.last else { return nil }
            return first...last
        }
        guard let first = sources.map(\.first).min(), let last = sources.map(\.last).max() else { return nil }
        return first...last
    }
}

/// The first and last timestamps a scan delivers.
private struct TimeBounds: PointConsumer {
    var first: Int64?
    var last: Int64?

    mutating func consume(time: Int64, bits: UInt64) {
        if first == nil { first = time }
        last = time
    }
}

/// Walks one source's points in `[from, to)`, decoding a chunk at a time.
struct SourceCursor {
    let source: ScanSource
    let type: ValueType
    private var chunk = 0
    private var timestamps: [Int64] = []
    private var values: [UInt64] = []
    private var position = -1
    private(set) var time: Int64 = 0
    private(set) var bits: UInt64 = 0

    init(source: ScanSource, type: ValueType) {
        self.source = source
        self.type = type
    }

    /// Moves to the next point in range; false when the source is exhausted.
    mutating func loadNextPoint(from start: Int64, to end: Int64) throws(StrataError) -> Bool {
        while true {
            position += 1
            if let segment = source.segment {
                while position >= timestamps.count {
                    guard chunk < source.chunks.count else { return false }
                    try segment.decode(source.chunks[chunk], type: type, timestamps: &timestamps, bits: &values)
                    chunk += 1
                    position = 0
                }
                time = timestamps[position]
                bits = values[position]
            } else {
                guard position < source.columns.count else { return false }
                time = source.columns.timestamps[position]
                bits = source.columns.bits[position]
            }
            if !TimeRangeEnd.admits(time, before: end) { return false }
            if time >= start && (source.hidden.isEmpty || !source.hidden.hides(time)) { return true }
        }
    }
}
